import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DescribeStackEventsCommand, GetTemplateCommand, ListStacksCommand } from '@aws-sdk/client-cloudformation';
import { ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { stringify } from 'yaml';
import {
  API_TOKEN_ENVIRONMENT_VARIABLE,
  API_URL_ENVIRONMENT_VARIABLE,
  apiTokenParameterName,
  cloudCertificateParameterName,
} from '../../lib/shared/cloud-stack-contract';
import { cloudStackNameFor, readyStackNameFor, stackNameFor } from '../../lib/shared/conventions';
import type { AltinityCloudApi } from '../support/altinity-cloud-api';
import { type ApiModeWorld, expectSucceeded, operationsSince, startApiModeWorld } from './api-mode-world';
import { forTheEmulator } from '../support/emulator-template';
import { EXAMPLE_ENVIRONMENT_FILE } from '../support/environment-file';
import { type Invocation, isCustomResource, type LambdaService } from '../support/lambda-service';
import { type MotoServer, TEST_REGION } from '../support/moto-server';
import type { TestCa } from '../support/test-ca';
import { type CliRun, filesUnder, linkedCheckout, runCdk } from './cdk-cli';
import { describeStack, type EmulatorClients, registerUbuntuAmi } from './live-stack';

/**
 * API-token mode through the real CDK CLI, typed as the README tells a user to
 * (`ALTINITYCLOUD_API_TOKEN=... npx cdk deploy --all -c env=... -c environment=<file>`, later
 * `cdk destroy --all` with the same options): the app stages the API token, looks the default VPC up
 * and builds the three stacks, which the CLI deploys in order and destroys in the reverse. What
 * stands in for what:
 * - moto_server for the AWS account (STS, EC2's default VPC, Secrets Manager, CloudFormation, SSM,
 *   KMS, IAM, Lambda's control plane). The deploy runs in the CLI's two halves, so that the templates
 *   can be prepared for the emulator between them as every emulator test prepares them
 *   (support/emulator-template.ts): `cdk synth` (the app, with the user's options), then
 *   `cdk deploy --all --app <that cloud assembly>`. That deploy adds `--method direct` (CreateStack
 *   instead of a change set, the same template and resources): moto's change-set path neither
 *   publishes a new stack's exports nor resolves `Fn::ImportValue`, so the ready stack could not
 *   import the cloud stack's function; its CreateStack does both, and waits for the custom resources'
 *   answers as CloudFormation does, so the CLI reports each stack done only once they answered.
 *   moto sends no Delete event, and an answer arriving after DeleteStack makes it create the
 *   resources again: the test serves the Delete events, in CloudFormation's order, before it destroys.
 * - support/lambda-service.ts for Lambda: the stacks' inlined functions run in a child process for
 *   each event CloudFormation would send, while the CLI deploys; with a 30 s timeout instead of 15
 *   minutes (a ready slice that is not ready then ends after one look, as it would after 15 minutes).
 * - support/altinity-cloud-api.ts for Altinity.Cloud's API, over real TLS, trusted through the test
 *   CA (support/test-ca.ts) in NODE_EXTRA_CA_CERTS; the app is pointed at it with
 *   ALTINITYCLOUD_API_URL (its only way to name another API; the user leaves it unset). Its clock
 *   moves one minute with every request, so that the environment progresses with the function's looks
 *   at it: a revision is applied after 3 such minutes connected.
 * - The test for the hosts, which moto does not run: `api.connect` is their first connection to
 *   Altinity.Cloud, made once the connect stack's custom resource has answered.
 * - A tripwire proxy for the internet (support/network-tripwire.ts, through cdk-cli.ts).
 */

const ENV_NAME = 'acme-cli';
/** The Altinity.Cloud account whose API token deploys; the environment's name starts with it. */
const ALTINITY_ACCOUNT = 'acme';
const ACCOUNT = '123456789012';
const CLOUD_STACK = cloudStackNameFor(ENV_NAME);
const CONNECT_STACK = stackNameFor(ENV_NAME);
const READY_STACK = readyStackNameFor(ENV_NAME);
const STACKS = [CLOUD_STACK, CONNECT_STACK, READY_STACK];
/** A CDK CLI run takes seconds on an idle machine and minutes on a loaded two-core one: the limit checks nothing. */
const CLI_TIMEOUT_MS = 180_000;
/** The environment file, as the README's example (without its load balancer). */
const ENVIRONMENT_FILE_NAME = `${ENV_NAME}.yaml`;
const ENVIRONMENT_FILE = stringify(EXAMPLE_ENVIRONMENT_FILE);

type Template = { Resources: Record<string, { Type: string }> };

/** The stacks the CLI reports done (`✅  <stack>`), in the order it printed them. */
function stacksReported(output: string): string[] {
  return [...output.matchAll(/✅\s+(altinity-[a-z]+-[a-z0-9-]+)/g)].map(([, stack]) => stack);
}

describe('ALTINITYCLOUD_API_TOKEN=... cdk deploy --all -c env -c environment, then cdk destroy --all, end to end on the emulator', () => {
  let world: ApiModeWorld;
  let moto: MotoServer;
  let clients: EmulatorClients;
  let lambda: LambdaService;
  let ca: TestCa;
  let api: AltinityCloudApi;
  let checkout: ReturnType<typeof linkedCheckout>;
  let cdkOut: string;
  let token: string;
  /** The `-c` options of both commands, as the user types them. */
  let context: string[];
  let amiParameterName: string;
  /** Whether the connect stack has a custom resource to serve. */
  let connectHasCustomResource: boolean;
  let synth: CliRun;
  let deploy: CliRun;
  const created: Record<string, Invocation[]> = {};

  beforeAll(async () => {
    world = await startApiModeWorld();
    ({ ca, moto, api, clients, lambda } = world);
    checkout = linkedCheckout();
    cdkOut = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-cdk-out-'));
    // Beside the app, named relative to it, as the README's acme-prod.yaml.
    fs.writeFileSync(path.join(checkout.dir, ENVIRONMENT_FILE_NAME), ENVIRONMENT_FILE);
    ({ parameterName: amiParameterName } = await registerUbuntuAmi(clients));
    context = ['-c', `env=${ENV_NAME}`, '-c', `environment=${ENVIRONMENT_FILE_NAME}`, '-c', `amiParameter=${amiParameterName}`];
    token = api.issueToken(ALTINITY_ACCOUNT);
  });

  afterAll(async () => {
    await world?.stop();
    checkout?.remove();
    if (cdkOut) fs.rmSync(cdkOut, { recursive: true, force: true });
  });

  test(
    'deploys the cloud, connect and ready stacks in that order: the token stored under the stack, the environment created and reported ready',
    async () => {
      // The user's shell: the API token exported, and (here only) Altinity's API pointed at the stand-in.
      const shell = { ...moto.env, [API_TOKEN_ENVIRONMENT_VARIABLE]: token, [API_URL_ENVIRONMENT_VARIABLE]: api.url };
      synth = await runCdk(checkout.dir, ['synth', '--quiet', ...context, '--output', cdkOut], shell);
      if (synth.exitCode !== 0) throw new Error(`cdk synth failed (exit ${synth.exitCode}):\n${synth.output}`);
      const templates: Record<string, Template> = {};
      for (const stack of STACKS) {
        const file = path.join(cdkOut, `${stack}.template.json`);
        templates[stack] = forTheEmulator(JSON.parse(fs.readFileSync(file, 'utf8')), amiParameterName);
        fs.writeFileSync(file, JSON.stringify(templates[stack]));
      }
      connectHasCustomResource = Object.values(templates[CONNECT_STACK].Resources).some((resource) => isCustomResource(resource.Type));

      const deploying = runCdk(checkout.dir, ['deploy', '--all', '--app', cdkOut, '--method', 'direct', '--require-approval', 'never'], shell);
      const giveUp = new AbortController();
      const serveOptions = { timeoutMs: 2 * CLI_TIMEOUT_MS - 30_000, signal: giveUp.signal };
      // The events CloudFormation sends while the CLI deploys: each stack's once it exists.
      const serving = (async () => {
        created[CLOUD_STACK] = await lambda.serveCreate(CLOUD_STACK, serveOptions);
        expectSucceeded(created[CLOUD_STACK]);
        created[CONNECT_STACK] = connectHasCustomResource ? await lambda.serveCreate(CONNECT_STACK, serveOptions) : [];
        expectSucceeded(created[CONNECT_STACK]);
        // The hosts of the connect stack connect.
        api.connect(ENV_NAME);
        created[READY_STACK] = await lambda.serveCreate(READY_STACK, serveOptions);
        expectSucceeded(created[READY_STACK]);
      })();
      // A failed answer ends the test at once with the function's logs, rather than when the CLI gives
      // up on its stack (stopping the emulator afterwards ends the CLI).
      deploy = await Promise.race([deploying, serving.then(() => new Promise<never>(() => undefined))]);
      if (deploy.exitCode !== 0) {
        giveUp.abort();
        throw new Error(`cdk deploy failed (exit ${deploy.exitCode}):\n${synth.output}${deploy.output}`);
      }
      await serving;

      expect(synth.output).toContain(`Staging the Altinity.Cloud API token in account ${ACCOUNT}, ${TEST_REGION} (it never enters the template)`);
      expect(stacksReported(deploy.output)).toEqual(STACKS);
      // What the CLI shows of the ready stack: what deleting it will do.
      expect(deploy.output).toContain(`${READY_STACK}.WhenDeleted = ${ENV_NAME} stays in Altinity.Cloud (onStackDelete keep)`);
      for (const stack of STACKS) expect((await describeStack(clients, stack)).StackStatus).toBe('CREATE_COMPLETE');

      expect(created[CLOUD_STACK].map(({ event }) => [event.LogicalResourceId, event.RequestType])).toEqual([
        ['CloudAccess', 'Create'],
        ['Environment', 'Create'],
      ]);
      expect(api.environment(ENV_NAME)).toMatchObject({
        account: ALTINITY_ACCOUNT,
        specRevision: 1,
        appliedSpecRevision: 1,
        spec: { awsAccountID: ACCOUNT, region: TEST_REGION, cloudConnect: true, cidr: '10.67.0.0/21', zones: ['us-east-1a', 'us-east-1b'] },
      });

      const slices = created[READY_STACK];
      expect(slices.map(({ event }) => event.LogicalResourceId)).toEqual(Array.from({ length: 12 }, (_, i) => `Ready${String(i + 1).padStart(2, '0')}`));
      expect(slices.map(({ response }) => response?.Status)).toEqual(Array(12).fill('SUCCESS'));
      expect(slices.at(-1)?.response?.Data?.Progress).toBe(`${ENV_NAME} is ready: revision 1 applied`);

      // The token moved from its staged copy into the cloud stack's SecureString; the hosts' stack reads the certificate.
      const stored = await clients.ssm.send(new GetParameterCommand({ Name: apiTokenParameterName(ENV_NAME), WithDecryption: true }));
      expect(stored.Parameter).toMatchObject({ Type: 'SecureString', Value: token });
      expect((await clients.secrets.send(new ListSecretsCommand({}))).SecretList).toEqual([]);
      const certificate = await clients.ssm.send(new GetParameterCommand({ Name: cloudCertificateParameterName(ENV_NAME), WithDecryption: true }));
      expect(new X509Certificate(certificate.Parameter?.Value ?? '').checkIssued(new X509Certificate(ca.caPem()))).toBe(true);
      const connectParameters = Object.fromEntries(
        ((await describeStack(clients, CONNECT_STACK)).Parameters ?? []).map((parameter) => [parameter.ParameterKey, parameter.ParameterValue]),
      );
      expect(connectParameters).toMatchObject({ EnvName: ENV_NAME, ExistingCertificateParameter: cloudCertificateParameterName(ENV_NAME) });
    },
    2 * CLI_TIMEOUT_MS,
  );

  test("the API token is found nowhere: cdk.out, what the CLI printed, the stacks' templates, outputs and events, the functions' logs and answers", async () => {
    const places: [string, string][] = [
      ['cdk synth output', synth.output],
      ['cdk deploy output', deploy.output],
      ...Object.entries(filesUnder(cdkOut)),
      ...lambda.invocations.flatMap((invocation, index): [string, string][] => [
        [`function log ${index + 1} (${invocation.event.LogicalResourceId} ${invocation.event.RequestType})`, invocation.logs],
        [`answer ${index + 1}`, JSON.stringify(invocation.response ?? {})],
      ]),
    ];
    for (const stack of STACKS) {
      for (const stage of ['Original', 'Processed'] as const) {
        const { TemplateBody } = await clients.cloudFormation.send(new GetTemplateCommand({ StackName: stack, TemplateStage: stage }));
        places.push([`${stack}: GetTemplate (${stage})`, TemplateBody ?? '']);
      }
      places.push([`${stack}: DescribeStacks (outputs, parameters)`, JSON.stringify(await describeStack(clients, stack))]);
      const { StackEvents } = await clients.cloudFormation.send(new DescribeStackEventsCommand({ StackName: stack }));
      places.push([`${stack}: events`, JSON.stringify(StackEvents ?? [])]);
    }
    expect(places.filter(([, text]) => text.includes(token)).map(([place]) => place)).toEqual([]);
    // The places are there: each stack's template names the environment, the functions ran.
    expect(places.filter(([place, text]) => place.endsWith('.template.json') && text.includes(ENV_NAME))).toHaveLength(3);
    expect(places.filter(([place, text]) => place.includes('GetTemplate') && text.includes(ENV_NAME))).toHaveLength(6);
    expect(lambda.invocations.length).toBeGreaterThanOrEqual(14);
  });

  test(
    'cdk destroy --all, with no API token given, deletes the ready, connect and cloud stacks in that order, and the environment stays in Altinity.Cloud',
    async () => {
      // CloudFormation's Delete events, served before the CLI deletes each stack (moto sends none).
      const from = api.requests.length;
      const deleted: Record<string, Invocation[]> = {};
      deleted[READY_STACK] = await lambda.serveDelete(READY_STACK);
      expectSucceeded(deleted[READY_STACK]);
      deleted[CONNECT_STACK] = connectHasCustomResource ? await lambda.serveDelete(CONNECT_STACK) : [];
      expectSucceeded(deleted[CONNECT_STACK]);
      deleted[CLOUD_STACK] = await lambda.serveDelete(CLOUD_STACK);
      expectSucceeded(deleted[CLOUD_STACK]);

      // No API token (empty is unset to the app, whatever the developer's shell holds), no API URL.
      const destroy = await runCdk(checkout.dir, ['destroy', '--all', '--force', ...context], {
        ...moto.env,
        [API_TOKEN_ENVIRONMENT_VARIABLE]: '',
        [API_URL_ENVIRONMENT_VARIABLE]: '',
      });
      if (destroy.exitCode !== 0) throw new Error(`cdk destroy failed (exit ${destroy.exitCode}):\n${destroy.output}`);
      expect(destroy.output).not.toContain('Staging');
      expect(destroy.output).not.toContain(token);
      expect(stacksReported(destroy.output)).toEqual([...STACKS].reverse());
      const left = (await clients.cloudFormation.send(new ListStacksCommand({}))).StackSummaries ?? [];
      expect(Object.fromEntries(left.map((stack) => [stack.StackName, stack.StackStatus]))).toEqual(
        Object.fromEntries(STACKS.map((stack) => [stack, 'DELETE_COMPLETE'])),
      );

      // onStackDelete keep (the default): the slices and the environment resource leave it in Altinity.Cloud.
      expect(deleted[READY_STACK].map(({ event }) => event.LogicalResourceId)).toEqual(
        Array.from({ length: 12 }, (_, i) => `Ready${String(12 - i).padStart(2, '0')}`),
      );
      expect(deleted[READY_STACK][0].logs).toContain(`${ENV_NAME} stays in Altinity.Cloud`);
      expect(deleted[CLOUD_STACK].map(({ event }) => event.LogicalResourceId)).toEqual(['Environment', 'CloudAccess']);
      expect(deleted[CLOUD_STACK][0].logs).toContain(`${ENV_NAME} stays in Altinity.Cloud`);
      expect(api.environment(ENV_NAME)).toMatchObject({ pendingDelete: false, specRevision: 1 });
      // Only the environment resource's look, to say that the environment stays: no DeleteAWSEnv.
      expect(operationsSince(api, from)).toEqual(['GetAWSEnv']);
      // The cloud stack's own parameters went with it.
      await expect(clients.ssm.send(new GetParameterCommand({ Name: apiTokenParameterName(ENV_NAME) }))).rejects.toThrow(/not found/);
      await expect(clients.ssm.send(new GetParameterCommand({ Name: cloudCertificateParameterName(ENV_NAME) }))).rejects.toThrow(/not found/);
    },
    2 * CLI_TIMEOUT_MS,
  );
});
