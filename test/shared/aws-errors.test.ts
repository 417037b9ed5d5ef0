import { S3ServiceException } from '@aws-sdk/client-s3';
import { credentialsRefused, type ErrorLike, explainInOneLine, noCredentials, noRegion, SESSION_EXPIRED, unreachable } from '../../lib/shared/aws-errors';

/**
 * What both commands' explanations rest on. Each command's own wording, end to end, is in
 * test/status/ (the status command) and test/release/upload-errors.test.ts (the upload).
 */

function sdkError(name: string, message: string, code?: string): Error {
  return Object.assign(new Error(message), { name }, code === undefined ? {} : { code });
}

const otherwise = (error: ErrorLike) => `failed: ${error.name}: ${error.message}`;

test('the first explanation that matches answers; when none does, the fallback', () => {
  const explanations = [SESSION_EXPIRED, credentialsRefused('ExpiredToken', 'InvalidToken')];
  expect(explainInOneLine(sdkError('ExpiredToken', 'expired'), {}, explanations, otherwise)).toBe(
    'your AWS session has expired: sign in again (for example aws sso login) and retry',
  );
  expect(explainInOneLine(sdkError('InvalidToken', 'bad'), {}, explanations, otherwise)).toBe(
    'AWS did not accept your credentials (InvalidToken): check the access key, or sign in again',
  );
  expect(explainInOneLine(sdkError('SlowDown', 'slow down'), {}, explanations, otherwise)).toBe('failed: SlowDown: slow down');
});

test("an error matches by its name or by Node.js's code, and the explanation names the code", () => {
  const explanations = [unreachable((region) => (region ? `the endpoint of ${region}` : 'the endpoint'))];
  expect(explainInOneLine(sdkError('Error', 'getaddrinfo ENOTFOUND example.com', 'ENOTFOUND'), { region: 'eu-west-1' }, explanations, otherwise)).toBe(
    'cannot reach the endpoint of eu-west-1 (ENOTFOUND): check your network, proxy and the region name',
  );
  expect(explainInOneLine(sdkError('TimeoutError', 'timed out'), {}, explanations, otherwise)).toBe(
    'cannot reach the endpoint (TimeoutError): check your network, proxy and the region name',
  );
});

test('an explanation is one line, even when AWS sends several', () => {
  expect(explainInOneLine(sdkError('Weird', 'first line\n  second line\n'), {}, [], otherwise)).toBe('failed: Weird: first line second line');
});

test('a thrown value that is not an Error is explained by its text', () => {
  expect(explainInOneLine('a string', {}, [], otherwise)).toBe('failed: Error: a string');
});

test("an explanation reads the SDK's HTTP status and response headers", () => {
  const error = new S3ServiceException({ name: 'PermanentRedirect', $fault: 'client', message: 'moved', $metadata: { httpStatusCode: 301 } });
  Object.defineProperty(error, '$response', {
    value: { statusCode: 301, headers: { 'x-amz-bucket-region': 'us-west-2' }, body: undefined },
    enumerable: false,
  });
  const read = { matches: () => true, explain: (seen: ErrorLike) => `${seen.httpStatus} ${seen.responseHeaders?.['x-amz-bucket-region']}` };
  expect(explainInOneLine(error, {}, [read], otherwise)).toBe('301 us-west-2');
});

test('each command says where the profile came from and how its user gives credentials and a region', () => {
  const missing = sdkError('CredentialsProviderError', 'Could not load credentials from any providers');
  const fromEnvironment = [noCredentials({ profileSource: 'AWS_PROFILE', waysToGiveCredentials: 'set AWS_PROFILE' })];
  expect(explainInOneLine(missing, { profile: 'ops' }, fromEnvironment, otherwise)).toBe(
    'no AWS credentials for profile "ops" (AWS_PROFILE): check that ~/.aws/config or ~/.aws/credentials defines it, or sign in (aws sso login --profile ops)',
  );
  expect(explainInOneLine(missing, {}, fromEnvironment, otherwise)).toBe(
    'no AWS credentials found: set AWS_PROFILE, or sign in (aws configure, aws sso login)',
  );
  const fromOption = [noCredentials({ waysToGiveCredentials: 'pass --profile <name>' })];
  expect(explainInOneLine(missing, { profile: 'ops' }, fromOption, otherwise)).toMatch(/^no AWS credentials for profile "ops": check/);
  expect(explainInOneLine(sdkError('Error', 'Region is missing'), {}, [noRegion('--region <region>')], otherwise)).toBe(
    'no AWS region: pass --region <region>, set AWS_REGION, or give your profile a region',
  );
});
