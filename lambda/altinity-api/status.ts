import type { AwsEnvStatus, EnvStatusError } from './client';
import { sanitized } from './failures';

/**
 * What an environment's status (GetAWSEnvStatus) means for whoever waits on it, decided as Altinity's
 * Terraform provider decides: its status data source for readiness, its resource's Delete for
 * deletion. Pure, so that the same rules hold wherever and however often a status is read.
 */

export type Readiness =
  | { readonly state: 'ready' }
  | { readonly state: 'waiting'; readonly progress: string }
  /** `reason`: Altinity's errors, each `CODE: message`. */
  | { readonly state: 'failed'; readonly reason: string };

export type Deletion =
  | { readonly state: 'deleted' }
  | { readonly state: 'deleting'; readonly progress: string }
  /** Altinity waits for a person to confirm the deletion. */
  | { readonly state: 'pending-mfa' }
  | { readonly state: 'failed'; readonly reason: string };

/** Reported until the environment first connects: the hosts' tunnel, then its Kubernetes cluster. */
const CONNECTION_ERRORS = ['DISCONNECTED', 'K8S_DISCONNECTED'];

/**
 * Whether the environment has applied `targetRevision`, the one its create or update returned. Its
 * errors come first: DISCONNECTED and K8S_DISCONNECTED are tolerated only while nothing was ever
 * applied (the first provisioning), and any other error fails the wait.
 */
export function readiness(env: AwsEnvStatus | null, targetRevision: number): Readiness {
  if (!env) return { state: 'failed', reason: 'the environment does not exist in Altinity.Cloud' };
  const { appliedSpecRevision: applied, errors } = env.status;
  const tolerated = errors.filter((error) => applied === 0 && CONNECTION_ERRORS.includes(error.code));
  const blocking = errors.filter((error) => !tolerated.includes(error));
  if (blocking.length > 0) return { state: 'failed', reason: described(blocking) };
  if (tolerated.length > 0) return { state: 'waiting', progress: sanitized(`waiting for the environment's first connection (${described(tolerated)})`) };
  if (applied >= targetRevision) return { state: 'ready' };
  return { state: 'waiting', progress: `revision ${targetRevision} pending, revision ${applied} applied` };
}

/**
 * How far the deletion is, once deleteAWSEnv answered `pendingMFA`. Gone, or no longer pending
 * deletion without an MFA to wait for, is deleted, as the provider decides. Errors reported meanwhile
 * do not fail it (the provider polls on), but show in the progress. `mfaWaitOver`: the caller has
 * waited as long as it will for the confirmation.
 */
export function deletion(env: AwsEnvStatus | null, pendingMFA: boolean, options: { readonly mfaWaitOver?: boolean } = {}): Deletion {
  if (!env) return { state: 'deleted' };
  const { pendingDelete, errors, awsResources } = env.status;
  if (pendingDelete) {
    const reported = errors.length > 0 ? `; Altinity reports ${described(errors)}` : '';
    return { state: 'deleting', progress: sanitized(`deprovisioning, AWS resources left: ${awsResources.length}${reported}`) };
  }
  if (!pendingMFA) return { state: 'deleted' };
  if (!options.mfaWaitOver) return { state: 'pending-mfa' };
  return {
    state: 'failed',
    reason: 'Altinity.Cloud asked for MFA confirmation of the deletion, which did not come: confirm it within about 5 minutes of asking again',
  };
}

function described(errors: readonly EnvStatusError[]): string {
  return sanitized(errors.map((error) => `${error.code}: ${error.message}`).join('; '));
}
