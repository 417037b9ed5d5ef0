import { AltinityApi, type AwsEnvStatus, type Fetch } from '../../lambda/altinity-api/client';
import { sanitized } from '../../lambda/altinity-api/failures';
import { deletion, readiness } from '../../lambda/altinity-api/status';
import { API_TOKEN_ENVIRONMENT_VARIABLE, API_URL_ENVIRONMENT_VARIABLE } from '../shared/cloud-stack-contract';
import { DEFAULT_ALTINITY_URL } from '../shared/conventions';
import { CodedFailure } from '../shared/failures';
import type { AltinityStatus } from './types';

/**
 * The environment as Altinity.Cloud's API reports it, for an environment the stacks created from an
 * Anywhere API token. The token comes from the environment variable only, never from an option: a
 * process's arguments are visible to the machine's other users. The state is decided by the rules
 * the ready stack waits by (lambda/altinity-api/status.ts), so that the command never calls ready
 * what the stack would still wait for, or failed what it would tolerate.
 */

/**
 * How long one attempt may take. The client allows a minute by default, as the provider does, and
 * tries a read four times: a terminal would wait four minutes on an API that does not answer.
 */
const ATTEMPT_TIMEOUT_MS = 10_000;

export interface AltinitySettings {
  /** The process's environment variables: the token and the API's URL. */
  readonly variables: Readonly<Record<string, string | undefined>>;
  /** @default the global fetch */
  readonly fetch?: Fetch;
  /** Waits between attempts. */
  readonly delay: (milliseconds: number) => Promise<void>;
}

/** Whether the command has a token to ask Altinity.Cloud with. */
export function hasApiToken(variables: AltinitySettings['variables']): boolean {
  return Boolean(variables[API_TOKEN_ENVIRONMENT_VARIABLE]);
}

/** What Altinity.Cloud says of the environment `envName`; without a token, how to see it. Never throws. */
export async function readAltinityStatus(envName: string, settings: AltinitySettings): Promise<AltinityStatus> {
  const token = settings.variables[API_TOKEN_ENVIRONMENT_VARIABLE];
  if (!token) {
    return {
      state: 'unknown',
      advice: `set ${API_TOKEN_ENVIRONMENT_VARIABLE} to an Anywhere API token of your Altinity.Cloud account to see ${envName} as Altinity.Cloud reports it`,
    };
  }
  const url = settings.variables[API_URL_ENVIRONMENT_VARIABLE] || undefined;
  try {
    const api = new AltinityApi({ token, baseUrl: url, fetch: settings.fetch, delay: settings.delay, timeoutMs: ATTEMPT_TIMEOUT_MS });
    return altinityStatusOf(await api.awsEnvStatus(envName));
  } catch (error) {
    // The client's failures never hold the token; the one its constructor throws (a URL without TLS) holds none either.
    const where = url ? `${API_URL_ENVIRONMENT_VARIABLE}=${sanitized(url, 200)}` : DEFAULT_ALTINITY_URL;
    const message = `could not ask Altinity.Cloud (${where}) with ${API_TOKEN_ENVIRONMENT_VARIABLE}: ${error instanceof Error ? error.message : String(error)}`;
    return { state: 'unknown', error: { code: error instanceof CodedFailure ? error.code : undefined, message } };
  }
}

/**
 * The state of an environment as GetAWSEnvStatus reads it: a deletion under way first, then its
 * readiness for the latest revision. Whether a deletion waits for a person's MFA confirmation only
 * the answer to the deletion says, so a status read never sees one.
 */
export function altinityStatusOf(env: AwsEnvStatus | null): AltinityStatus {
  if (!env) return { state: 'not-found' };
  const { appliedSpecRevision, pendingDelete, errors, awsResources } = env.status;
  const facts = { specRevision: env.specRevision, appliedSpecRevision, pendingDelete, errors, awsResources };
  const deleting = deletion(env, false);
  if (deleting.state === 'deleting') return { state: 'deleting', detail: deleting.progress, ...facts };
  const ready = readiness(env, env.specRevision);
  if (ready.state === 'waiting') return { state: 'provisioning', detail: ready.progress, ...facts };
  // Ready or failed, the revisions say how far it got; a failure's causes are its `errors`.
  const revisions =
    appliedSpecRevision >= env.specRevision
      ? `spec revision ${env.specRevision} applied`
      : `spec revision ${env.specRevision} pending, revision ${appliedSpecRevision} applied`;
  return { state: ready.state, detail: revisions, ...facts };
}
