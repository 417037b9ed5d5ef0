import { type CloudFunctionSettings, ON_STACK_DELETE, type OnStackDelete } from '../../lib/shared/cloud-stack-contract';
import { cloudStackNameFor } from '../../lib/shared/conventions';
import { CodedFailure, ENVIRONMENT_FAILURES } from '../../lib/shared/failures';
import type { AltinityApi } from '../altinity-api/client';
import { deletion, readiness } from '../altinity-api/status';
import type { Dependencies } from './index';

/**
 * The ready stack's slices. A custom resource waits at most as long as its function runs (15
 * minutes), so the ready stack chains slices: each waits what its run allows and completes, still
 * waiting or not, and the next one waits on; every completed slice is an event in the stack's
 * history, and the last slice gives up. Once the environment is ready, every later slice completes
 * at its first look. Deleted with the stack, in the reverse order, the slices delete the environment
 * (when the user opted in) and wait for its deprovisioning the same way, the last one deleted giving up.
 */

/** How often Altinity.Cloud is asked, as its Terraform provider asks. */
export const POLL_INTERVAL_MS = 30_000;

/** How long Altinity.Cloud waits for a person to confirm a deletion with MFA. */
const MFA_WINDOW_MS = 5 * 60_000;

/** Which slice serves the event, of how many. */
export interface Slice {
  readonly slice: number;
  readonly slices: number;
}

export interface ReadyData {
  /** What the slice saw last: ready, or how far Altinity.Cloud was. */
  readonly Progress: string;
}

/**
 * Completes once Altinity.Cloud has applied the environment's current revision; fails at once on an
 * error Altinity reports (DISCONNECTED only during the first provisioning), and when the last slice
 * ends waiting.
 */
export async function awaitReady({ slice, slices }: Slice, settings: CloudFunctionSettings, altinity: AltinityApi, aws: Dependencies): Promise<ReadyData> {
  for (;;) {
    const status = await altinity.awsEnvStatus(settings.envName);
    const found = readiness(status, status?.specRevision ?? 0);
    if (found.state === 'ready') {
      const progress = `${settings.envName} is ready: revision ${status?.specRevision} applied`;
      console.log(progress);
      return { Progress: progress };
    }
    if (found.state === 'failed') throw new CodedFailure(ENVIRONMENT_FAILURES.environmentFailed, `Altinity.Cloud reports ${found.reason}`);
    console.log(`slice ${slice} of ${slices}: ${found.progress}`);
    if (aws.now() + POLL_INTERVAL_MS > aws.deadline) {
      if (slice < slices) return { Progress: found.progress };
      throw new CodedFailure(
        ENVIRONMENT_FAILURES.environmentNotReady,
        `${settings.envName} is not ready after the ready stack's whole wait: ${found.progress}`,
      );
    }
    await aws.sleep(POLL_INTERVAL_MS);
  }
}

/**
 * Deletes the environment when `onStackDelete` says so, and waits until Altinity.Cloud has
 * deprovisioned it. Altinity refuses while ClickHouse clusters exist unless told to destroy them
 * (`delete-with-clusters`), and may ask a person to confirm with MFA, which the slice awaits for as
 * long as Altinity does. A slice that sees the environment not yet pending deletion asks for it (the
 * first one, or one after the request lapsed); the last slice deleted gives up.
 */
export async function awaitDeletion(
  onStackDelete: OnStackDelete | undefined,
  { slice, slices }: Slice,
  settings: CloudFunctionSettings,
  altinity: AltinityApi,
  aws: Dependencies,
): Promise<undefined> {
  const name = settings.envName;
  if (onStackDelete !== ON_STACK_DELETE.delete && onStackDelete !== ON_STACK_DELETE.deleteWithClusters) {
    if (slice === slices) {
      console.log(
        `${name} stays in Altinity.Cloud, with everything Altinity made for it in this account (OnStackDelete is ${onStackDelete}): ` +
          `delete it in the Altinity Cloud Manager, then delete ${cloudStackNameFor(name)} and the hosts' stack.`,
      );
    }
    return undefined;
  }
  const before = await altinity.awsEnvStatus(name);
  if (!before) return void console.log(`${name} does not exist in Altinity.Cloud: nothing to delete`);
  let pendingMFA = false;
  let askedAt = aws.now();
  if (!before.status.pendingDelete) {
    const disconnected = before.status.appliedSpecRevision > 0 && before.status.errors.some((error) => error.code === 'DISCONNECTED');
    if (disconnected) {
      throw new CodedFailure(
        ENVIRONMENT_FAILURES.environmentFailed,
        `${name} is DISCONNECTED: Altinity.Cloud deprovisions through the hosts, so it was not asked to delete it. Bring the hosts back, then delete the stack again.`,
      );
    }
    ({ pendingMFA } = await altinity.deleteAwsEnv(name, { forceDestroyClusters: onStackDelete === ON_STACK_DELETE.deleteWithClusters }));
    askedAt = aws.now();
    console.log(`asked Altinity.Cloud to delete ${name}${pendingMFA ? ': it waits for a person to confirm with MFA in the Altinity Cloud Manager' : ''}`);
  }
  for (;;) {
    const status = await altinity.awsEnvStatus(name);
    const found = deletion(status, pendingMFA, { mfaWaitOver: aws.now() - askedAt > MFA_WINDOW_MS });
    if (found.state === 'deleted') return void console.log(`${name} is deleted from Altinity.Cloud`);
    if (found.state === 'failed') throw new CodedFailure(ENVIRONMENT_FAILURES.deletionUnconfirmed, found.reason);
    const progress = found.state === 'pending-mfa' ? 'waiting for the MFA confirmation in the Altinity Cloud Manager' : found.progress;
    console.log(`slice ${slice} of ${slices}: ${progress}`);
    if (aws.now() + POLL_INTERVAL_MS > aws.deadline) {
      if (slice > 1 && found.state === 'deleting') return undefined;
      if (found.state === 'pending-mfa') throw new CodedFailure(ENVIRONMENT_FAILURES.deletionUnconfirmed, `${name}: ${progress} did not end in time`);
      throw new CodedFailure(ENVIRONMENT_FAILURES.stillDeprovisioning, `${name} is still being deprovisioned after the ready stack's whole wait: ${progress}`);
    }
    await aws.sleep(POLL_INTERVAL_MS);
  }
}
