import { S3ServiceException } from '@aws-sdk/client-s3';
import { explainUploadError } from '../../lib/release/upload-errors';

const CONTEXT = { bucket: 'acme-templates', key: 'altinity/t.yaml', region: 'eu-west-1' };

/** An error as the S3 client throws it for an HTTP answer: its deserializer hides the response in `$response`. */
function s3Error(name: string, status: number, headers: Record<string, string> = {}): S3ServiceException {
  const error = new S3ServiceException({ name, $fault: 'client', message: `${name} from S3`, $metadata: { httpStatusCode: status } });
  Object.defineProperty(error, '$response', { value: { statusCode: status, headers, body: undefined }, enumerable: false });
  return error;
}

/** An error of the SDK's own, before any request. */
function sdkError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}

/**
 * The emulator test (publish-s3.test.ts) meets the real errors it can produce: no such bucket,
 * access denied, unknown credentials, none at all, no region. These are the ones moto cannot give.
 */
test.each([
  [s3Error('PermanentRedirect', 301, { 'x-amz-bucket-region': 'us-west-2' }), 'bucket acme-templates is in us-west-2, not eu-west-1: pass --region us-west-2'],
  [s3Error('PermanentRedirect', 301), 'bucket acme-templates is not in eu-west-1: pass --region <region of the bucket> (PermanentRedirect)'],
  [
    s3Error('AuthorizationHeaderMalformed', 400, { 'x-amz-bucket-region': 'us-west-2' }),
    'bucket acme-templates is in us-west-2, not eu-west-1: pass --region us-west-2',
  ],
  [s3Error('ExpiredToken', 400), 'your AWS session has expired: sign in again (for example aws sso login) and retry'],
  [
    s3Error('Forbidden', 403, { 'x-amz-bucket-region': 'eu-west-1' }),
    expect.stringMatching(
      /^AWS denied the upload to s3:\/\/acme-templates\/altinity\/t.yaml: your identity needs s3:PutObject on arn:aws:s3:::acme-templates\/altinity\/t.yaml/,
    ),
  ],
  [
    Object.assign(sdkError('Error', 'getaddrinfo ENOTFOUND acme-templates.s3.eu-west-1.amazonaws.com'), { code: 'ENOTFOUND' }),
    'cannot reach S3 in eu-west-1 (ENOTFOUND): check your network, proxy and the region name',
  ],
  [s3Error('SlowDown', 503), 'the upload to s3://acme-templates/altinity/t.yaml failed: SlowDown: SlowDown from S3'],
  ['a string', 'the upload to s3://acme-templates/altinity/t.yaml failed: Error: a string'],
])('%s', (error, explanation) => {
  expect(explainUploadError(error, CONTEXT)).toEqual(explanation);
});

test('no credentials: the profile named by AWS_PROFILE, when there is one', () => {
  const error = sdkError('CredentialsProviderError', 'Could not resolve credentials using profile: [ops] in configuration/credentials file(s).');
  expect(explainUploadError(error, { ...CONTEXT, profile: 'ops' })).toBe(
    'no AWS credentials for profile "ops" (AWS_PROFILE): check that ~/.aws/config or ~/.aws/credentials defines it, or sign in (aws sso login --profile ops)',
  );
  expect(explainUploadError(error, CONTEXT)).toMatch(/^no AWS credentials found: set AWS_PROFILE/);
});

test('an explanation is one line, even when AWS sends several', () => {
  const text = explainUploadError(sdkError('Weird', 'first line\n  second line\n'), CONTEXT);
  expect(text).toBe('the upload to s3://acme-templates/altinity/t.yaml failed: Weird: first line second line');
});
