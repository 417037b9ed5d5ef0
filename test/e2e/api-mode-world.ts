import { AltinityCloudApi } from '../support/altinity-cloud-api';
import { type Invocation, LambdaService } from '../support/lambda-service';
import { type MotoServer, startMotoServer } from '../support/moto-server';
import { createTestCa, type TestCa } from '../support/test-ca';
import { clientsFor, type EmulatorClients } from './live-stack';

/**
 * What API-token mode's end-to-end tests deploy against, one per test file: moto_server for the AWS
 * account, support/altinity-cloud-api.ts for Altinity.Cloud, and support/lambda-service.ts for
 * Lambda, whose functions trust the Altinity.Cloud stand-in's test CA.
 */
export interface ApiModeWorld {
  readonly ca: TestCa;
  readonly moto: MotoServer;
  readonly api: AltinityCloudApi;
  readonly clients: EmulatorClients;
  readonly lambda: LambdaService;
  stop(): Promise<void>;
}

const MINUTE = 60_000;
/** Lambda's timeout here: under 40 s, the ready slices never sleep 30 s for another look. */
export const LAMBDA_TIMEOUT_SECONDS = 30;

/**
 * Starts the world. Altinity.Cloud's clock moves a minute with every request it answers, so that a
 * specification applies (3 minutes) and deprovisioning ends (2 minutes) within a few of the
 * function's looks, however fast the machine.
 */
export async function startApiModeWorld(): Promise<ApiModeWorld> {
  const ca = createTestCa();
  const start = Date.UTC(2026, 0, 1);
  let api: AltinityCloudApi | undefined;
  const [moto, started] = await Promise.all([
    startMotoServer(),
    AltinityCloudApi.start({
      ca,
      clock: { now: () => start + MINUTE * (api?.requests.length ?? 0) },
      applyAfterMs: 3 * MINUTE,
      deprovisionAfterMs: 2 * MINUTE,
    }),
  ]);
  api = started;
  const lambda = new LambdaService(moto, { maxTimeoutSeconds: LAMBDA_TIMEOUT_SECONDS, runtimeEnv: { NODE_EXTRA_CA_CERTS: ca.caFile } });
  return {
    ca,
    moto,
    api,
    clients: clientsFor(moto),
    lambda,
    stop: async () => {
      await lambda.stop();
      await Promise.all([moto.stop(), started.close()]);
      ca.remove();
    },
  };
}

/** Every event was answered SUCCESS; otherwise fails with the answer and the function's logs. */
export function expectSucceeded(invocations: Invocation[]): void {
  for (const { event, response, logs } of invocations) {
    if (response?.Status !== 'SUCCESS') {
      throw new Error(
        `${event.LogicalResourceId} answered ${event.RequestType} with ${response ? `${response.Status}: ${response.Reason}` : 'nothing'}\n${logs}`,
      );
    }
  }
}

/** The GraphQL operations Altinity.Cloud received from the request at `from` on (`/sign` as `sign`). */
export function operationsSince(api: AltinityCloudApi, from: number): string[] {
  return api.requests
    .slice(from)
    .map((request) => (request.path === '/sign' ? 'sign' : (/^(?:query|mutation) (\w+)/.exec(JSON.parse(request.body).query)?.[1] ?? '?')));
}
