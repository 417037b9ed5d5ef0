import {
  credentialsRefused,
  type ErrorLike,
  type Explanation,
  explainInOneLine,
  named,
  noCredentials,
  noRegion,
  type RequestContext,
  SESSION_EXPIRED,
  unreachable,
} from '../shared/aws-errors';

/** Where the upload went, so that an explanation can name the bucket, key and region involved. */
export interface UploadContext extends RequestContext {
  readonly bucket: string;
  readonly key: string;
}

/** S3 names the bucket's own region in this header when asked in another one. */
const bucketRegionOf = (error: ErrorLike): string | undefined => error.responseHeaders?.['x-amz-bucket-region'];

/** The errors a publisher meets, from the SDK's credential chain, S3 or the network, in words. */
const EXPLANATIONS: readonly Explanation<UploadContext>[] = [
  noCredentials({ profileSource: 'AWS_PROFILE', waysToGiveCredentials: 'set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)' }),
  noRegion('--region <region of the bucket>'),
  {
    matches: (error, context) => {
      const bucketRegion = bucketRegionOf(error);
      return (
        (bucketRegion !== undefined && bucketRegion !== context.region) ||
        named('PermanentRedirect', 'AuthorizationHeaderMalformed', 'IllegalLocationConstraintException')(error) ||
        error.httpStatus === 301
      );
    },
    explain: (error, context) => {
      const bucketRegion = bucketRegionOf(error);
      return bucketRegion && bucketRegion !== context.region
        ? `bucket ${context.bucket} is in ${bucketRegion}, not ${context.region ?? 'the region asked'}: pass --region ${bucketRegion}`
        : `bucket ${context.bucket} is not in ${context.region ?? 'the region asked'}: pass --region <region of the bucket> (${error.name})`;
    },
  },
  {
    matches: named('NoSuchBucket'),
    explain: (_error, context) =>
      `bucket ${context.bucket} does not exist: check --bucket, or create it first (aws s3 mb s3://${context.bucket}${context.region ? ` --region ${context.region}` : ''})`,
  },
  SESSION_EXPIRED,
  credentialsRefused('InvalidAccessKeyId', 'InvalidClientTokenId', 'SignatureDoesNotMatch', 'InvalidToken'),
  {
    matches: (error) => named('AccessDenied', 'Forbidden', 'AllAccessDisabled')(error) || error.httpStatus === 403,
    explain: (error, context) =>
      `AWS denied the upload to s3://${context.bucket}/${context.key}: your identity needs s3:PutObject on arn:aws:s3:::${context.bucket}/${context.key}, and the bucket policy must allow it (${error.name})`,
  },
  unreachable((region) => `S3${region ? ` in ${region}` : ''}`),
];

/** One line for the terminal: what went wrong uploading, and what to do. Never a stack trace. */
export function explainUploadError(error: unknown, context: UploadContext): string {
  return explainInOneLine(
    error,
    context,
    EXPLANATIONS,
    (errorLike, { bucket, key }) => `the upload to s3://${bucket}/${key} failed: ${errorLike.name}: ${errorLike.message}`,
  );
}
