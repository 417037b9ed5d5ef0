import { parseOptions, UsageError } from '../shared/command-line';
import { stackNameFor } from '../shared/conventions';
import { exitCodeLines, SHARED_EXIT_CODES } from '../shared/exit-codes';
import { ENV_NAME_DESCRIPTION, ENV_NAME_PATTERN } from '../shared/names';
import { regionProblem } from './launch-link';
import { bucketNameProblem, prefixProblem } from './s3-names';

/** The exit codes, documented in `--help` and the README. */
export const EXIT_CODES = {
  done: { ...SHARED_EXIT_CODES.success, meaning: 'written (and, with --bucket, uploaded; the link is printed)' },
  unexpected: { code: 1, meaning: 'unexpected failure, such as the template not synthesizing: the error and its trace follow' },
  usage: SHARED_EXIT_CODES.usage,
  awsError: { ...SHARED_EXIT_CODES.awsError, meaning: 'the upload failed: no credentials or region, no such bucket, access denied, network' },
} as const;

export const USAGE = `Usage: npm run publish -- [--bucket <name> [--prefix <folder>] [--region <region>] [--env <name>]] [--out-dir <dir>]

Writes the console template dist/altinitycloud-connect-<version>.aws-cloudformation.yaml, and API-token
mode's two beside it. With --bucket, also uploads them to S3 and prints the template's URL, a Launch
Stack link (the console's quick-create page) and a Markdown Launch Stack button for it, and a Launch
Stack link for each of API-token mode's.

  --bucket <name>     S3 bucket to host the template in (an existing general purpose bucket)
  --prefix <folder>   folder in the bucket, e.g. templates/altinity (default: the bucket's top level)
  --region <region>   region of the bucket, and of the console the link opens
                      (default: AWS_REGION, or the region of the AWS_PROFILE profile)
  --env <name>        fill the link's stack name (${stackNameFor('<name>')}) and Environment name
  --out-dir <dir>     where to write the template (default: dist)
  -h, --help          show this help

Credentials come from the usual places (AWS_PROFILE, environment variables, SSO, instance role);
the upload needs s3:PutObject on the object.

Exit codes:
${exitCodeLines(EXIT_CODES)}
`;

export interface PublishOptions {
  /** Where the template file goes; relative to the working directory, or the default `dist/`. */
  readonly outDir?: string;
  /** Present when the template is to be hosted in S3. */
  readonly hosting?: HostingOptions;
}

export interface HostingOptions {
  readonly bucket: string;
  readonly prefix?: string;
  /** Undefined: the SDK's region (AWS_REGION, the profile's). */
  readonly region?: string;
  readonly envName?: string;
}

/** The options, or `help` when the user asked for it. `fileName` is the template's, for the key length. */
export function parsePublishArgs(argv: readonly string[], fileName: string): PublishOptions | 'help' {
  const values = parseOptions(argv, {
    bucket: { type: 'string' },
    prefix: { type: 'string' },
    region: { type: 'string' },
    env: { type: 'string' },
    'out-dir': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) return 'help';
  const outDir = values['out-dir'];
  if (outDir === '') throw new UsageError('--out-dir needs a directory');

  const { bucket, prefix, region, env } = values;
  if (bucket === undefined) {
    const stray = (['prefix', 'region', 'env'] as const).filter((name) => values[name] !== undefined);
    if (stray.length > 0) {
      const flags = stray.map((name) => `--${name}`).join(', ');
      throw new UsageError(`${flags} ${stray.length === 1 ? 'applies' : 'apply'} only with --bucket <name>, which uploads the template`);
    }
    return { outDir };
  }
  const bucketProblem = bucketNameProblem(bucket);
  if (bucketProblem) throw new UsageError(`--bucket ${JSON.stringify(bucket)} is not a bucket name: ${bucketProblem}`);
  if (prefix !== undefined) {
    const problem = prefixProblem(prefix, fileName);
    if (problem) throw new UsageError(`--prefix ${JSON.stringify(prefix)} is not usable: ${problem}`);
  }
  if (region !== undefined) {
    const problem = regionProblem(region);
    if (problem) throw new UsageError(`--region ${JSON.stringify(region)} is not usable: ${problem}`);
  }
  if (env !== undefined && !new RegExp(ENV_NAME_PATTERN).test(env)) {
    throw new UsageError(`--env ${JSON.stringify(env)} is not an environment name: use ${ENV_NAME_DESCRIPTION}`);
  }
  return { outDir, hosting: { bucket, prefix, region, envName: env } };
}
