import type { StackStatus } from '@aws-sdk/client-cloudformation';

/**
 * What a stack status means to the operator. `deleted` and `not-found` both mean "there is no
 * stack now"; `deleted` is what a stack followed by id ends in after a successful delete.
 */
export type Outcome = 'complete' | 'in-progress' | 'failed' | 'deleted' | 'not-found';

export interface StackState {
  readonly outcome: Outcome;
  /** False while CloudFormation is still working, even when the outcome is already known. */
  readonly settled: boolean;
  /** The status in words, as the status line shows it. */
  readonly meaning: string;
}

const state = (outcome: Outcome, settled: boolean, meaning: string): StackState => ({ outcome, settled, meaning });

/**
 * Every stack status. A rollback counts as failed as soon as it starts: the operation the user asked
 * for has already failed, and waiting only shows what CloudFormation cleans up.
 */
export const STACK_STATES: Readonly<Record<StackStatus, StackState>> = {
  REVIEW_IN_PROGRESS: state('in-progress', true, 'a change set awaits execution'),
  CREATE_IN_PROGRESS: state('in-progress', false, 'being created'),
  CREATE_COMPLETE: state('complete', true, 'created'),
  CREATE_FAILED: state('failed', true, 'creation failed (rollback disabled: the resources were kept)'),
  ROLLBACK_IN_PROGRESS: state('failed', false, 'creation failed; CloudFormation is removing what it created'),
  ROLLBACK_COMPLETE: state('failed', true, 'creation failed; CloudFormation removed what it created'),
  ROLLBACK_FAILED: state('failed', true, 'creation failed, and CloudFormation could not remove everything it created'),
  UPDATE_IN_PROGRESS: state('in-progress', false, 'being updated'),
  UPDATE_COMPLETE_CLEANUP_IN_PROGRESS: state('in-progress', false, 'updated; CloudFormation is removing replaced resources'),
  UPDATE_COMPLETE: state('complete', true, 'updated'),
  UPDATE_FAILED: state('failed', true, 'update failed (rollback disabled: the stack is half updated)'),
  UPDATE_ROLLBACK_IN_PROGRESS: state('failed', false, 'update failed; CloudFormation is restoring the previous settings'),
  UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS: state('failed', false, 'update failed; previous settings restored, cleaning up'),
  UPDATE_ROLLBACK_COMPLETE: state('failed', true, 'update failed; the previous settings were restored'),
  UPDATE_ROLLBACK_FAILED: state('failed', true, 'update failed, and CloudFormation could not restore the previous settings'),
  DELETE_IN_PROGRESS: state('in-progress', false, 'being deleted'),
  DELETE_COMPLETE: state('deleted', true, 'deleted'),
  DELETE_FAILED: state('failed', true, 'deletion failed'),
  IMPORT_IN_PROGRESS: state('in-progress', false, 'importing resources'),
  IMPORT_COMPLETE: state('complete', true, 'resources imported'),
  IMPORT_ROLLBACK_IN_PROGRESS: state('failed', false, 'import failed; rolling back'),
  IMPORT_ROLLBACK_COMPLETE: state('failed', true, 'import failed; rolled back'),
  IMPORT_ROLLBACK_FAILED: state('failed', true, 'import failed, and the rollback failed too'),
};

/** A status this tool does not know (a newer API) is never reported as success. */
export function stackStateOf(status: string | undefined): StackState {
  const known = status ? STACK_STATES[status as StackStatus] : undefined;
  if (known) return known;
  const inProgress = status?.endsWith('_IN_PROGRESS') ?? false;
  return state(inProgress ? 'in-progress' : 'failed', !inProgress, `in status ${status ?? 'unknown'}`);
}
