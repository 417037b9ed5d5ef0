import { SHARED_EXIT_CODES } from '../shared/exit-codes';

/**
 * The status command's exit codes: what `runStatus` returns, and what `--help` and the generated
 * table in docs/status-exit-codes.md document. Its own module, so that the docs generator need not load the CLI.
 */
export const EXIT_CODES = {
  complete: { ...SHARED_EXIT_CODES.success, meaning: 'complete: the stack was created or updated and the host is running' },
  failed: { code: 1, meaning: 'failed: the latest create, update or delete failed (a rollback counts as failed)' },
  usage: SHARED_EXIT_CODES.usage,
  inProgress: { code: 3, meaning: 'in progress: CloudFormation is still working (without --wait)' },
  noStack: { code: 4, meaning: 'no such stack: never created, or deleted' },
  awsError: { ...SHARED_EXIT_CODES.awsError, meaning: 'could not ask AWS: credentials, permissions, throttling or network' },
} as const;
