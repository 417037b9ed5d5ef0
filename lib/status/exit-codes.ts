import { API_TOKEN_ENVIRONMENT_VARIABLE } from '../shared/cloud-stack-contract';
import { SHARED_EXIT_CODES } from '../shared/exit-codes';

/**
 * The status command's exit codes: what `runStatus` returns, and what `--help` and the generated
 * table in docs/status-exit-codes.md document. Its own module, so that the docs generator need not load the CLI.
 */
export const EXIT_CODES = {
  complete: {
    ...SHARED_EXIT_CODES.success,
    meaning:
      'complete: the stack was created or updated and the host is running (from an API token: every stack of the environment, and Altinity.Cloud reports it ready)',
  },
  failed: {
    code: 1,
    meaning: 'failed: the latest create, update or delete of a stack failed (a rollback counts as failed), or Altinity.Cloud reports the environment failed',
  },
  usage: SHARED_EXIT_CODES.usage,
  inProgress: {
    code: 3,
    meaning: 'in progress: CloudFormation is still working (without --wait), or Altinity.Cloud is still provisioning or deleting the environment',
  },
  noStack: { code: 4, meaning: 'no such stack, or no such environment in Altinity.Cloud: never created, or deleted' },
  awsError: { ...SHARED_EXIT_CODES.awsError, meaning: 'could not ask AWS: credentials, permissions, throttling or network' },
  altinityError: {
    code: 6,
    meaning: `could not ask Altinity.Cloud: it refused ${API_TOKEN_ENVIRONMENT_VARIABLE}, or could not be reached (the rest of the report is printed)`,
  },
} as const;
