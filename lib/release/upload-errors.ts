/** Where the upload went, so that an explanation can name the bucket, key and region involved. */
export interface UploadContext {
  readonly bucket: string;
  readonly key: string;
  /** The region asked, once known. */
  readonly region?: string;
  /** The profile the SDK read credentials from (AWS_PROFILE), if any. */
  readonly profile?: string;
}

interface ErrorLike {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly httpStatus?: number;
  /** S3 names the bucket's own region in this header when asked in another one. */
  readonly bucketRegion?: string;
}

interface Explanation {
  readonly matches: (error: ErrorLike, context: UploadContext) => boolean;
  readonly explain: (error: ErrorLike, context: UploadContext) => string;
}

const named =
  (...names: string[]) =>
  (error: ErrorLike): boolean =>
    names.includes(error.name) || (error.code !== undefined && names.includes(error.code));

/** The errors a publisher meets, from the SDK's credential chain, S3 or the network, in words. */
const EXPLANATIONS: readonly Explanation[] = [
  {
    matches: (error) => error.name === 'CredentialsProviderError' || /could not load credentials/i.test(error.message),
    explain: (_error, context) =>
      context.profile
        ? `no AWS credentials for profile "${context.profile}" (AWS_PROFILE): check that ~/.aws/config or ~/.aws/credentials defines it, or sign in (aws sso login --profile ${context.profile})`
        : 'no AWS credentials found: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or sign in (aws configure, aws sso login)',
  },
  {
    matches: (error) => /region is missing/i.test(error.message),
    explain: () => 'no AWS region: pass --region <region of the bucket>, set AWS_REGION, or give your profile a region',
  },
  {
    matches: (error, context) =>
      (error.bucketRegion !== undefined && error.bucketRegion !== context.region) ||
      named('PermanentRedirect', 'AuthorizationHeaderMalformed', 'IllegalLocationConstraintException')(error) ||
      error.httpStatus === 301,
    explain: (error, context) =>
      error.bucketRegion && error.bucketRegion !== context.region
        ? `bucket ${context.bucket} is in ${error.bucketRegion}, not ${context.region ?? 'the region asked'}: pass --region ${error.bucketRegion}`
        : `bucket ${context.bucket} is not in ${context.region ?? 'the region asked'}: pass --region <region of the bucket> (${error.name})`,
  },
  {
    matches: named('NoSuchBucket'),
    explain: (_error, context) =>
      `bucket ${context.bucket} does not exist: check --bucket, or create it first (aws s3 mb s3://${context.bucket}${context.region ? ` --region ${context.region}` : ''})`,
  },
  {
    matches: named('ExpiredToken', 'ExpiredTokenException', 'RequestExpired', 'TokenRefreshRequired'),
    explain: () => 'your AWS session has expired: sign in again (for example aws sso login) and retry',
  },
  {
    matches: named('InvalidAccessKeyId', 'InvalidClientTokenId', 'SignatureDoesNotMatch', 'InvalidToken'),
    explain: (error) => `AWS did not accept your credentials (${error.name}): check the access key, or sign in again`,
  },
  {
    matches: (error) => named('AccessDenied', 'Forbidden', 'AllAccessDisabled')(error) || error.httpStatus === 403,
    explain: (error, context) =>
      `AWS denied the upload to s3://${context.bucket}/${context.key}: your identity needs s3:PutObject on arn:aws:s3:::${context.bucket}/${context.key}, and the bucket policy must allow it (${error.name})`,
  },
  {
    matches: named('ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'TimeoutError', 'NetworkingError'),
    explain: (error, context) =>
      `cannot reach S3${context.region ? ` in ${context.region}` : ''} (${error.code ?? error.name}): check your network, proxy and the region name`,
  },
];

/** One line for the terminal: what went wrong uploading, and what to do. Never a stack trace. */
export function explainUploadError(error: unknown, context: UploadContext): string {
  const errorLike = toErrorLike(error);
  const explanation = EXPLANATIONS.find((candidate) => candidate.matches(errorLike, context));
  const text = explanation ? explanation.explain(errorLike, context) : `the upload to s3://${context.bucket}/${context.key} failed: ${errorLike.name}: ${errorLike.message}`;
  return text.replace(/\s+/g, ' ').trim();
}

function toErrorLike(error: unknown): ErrorLike {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const details = error as Error & {
    code?: unknown;
    $metadata?: { httpStatusCode?: number };
    $response?: { headers?: Record<string, string | undefined> };
  };
  return {
    name: error.name,
    message: error.message,
    code: typeof details.code === 'string' ? details.code : undefined,
    httpStatus: details.$metadata?.httpStatusCode,
    bucketRegion: details.$response?.headers?.['x-amz-bucket-region'],
  };
}
