import * as fs from 'node:fs';
import * as path from 'node:path';
import { ENVIRONMENT_FAILURES, FUNCTION_FAILURES, HOST_FAILURES } from '../../lib/shared/failures';
import { ADVICE_BY_CODE, hintFor } from '../../lib/status/hints';

/**
 * The contract between what fails and what the status command advises: every failure the bootstrap
 * script signals and every failure the secret-store function reports carries a code declared in
 * lib/shared/failures.ts, and every declared code is used and has a hint (or a stated reason for
 * none). Read from the sources themselves, so that a new `fail` or `CodedFailure` without a code or
 * a hint fails here. Nothing stands in for anything.
 */

const REPO_ROOT = path.join(__dirname, '..', '..');
const read = (...parts: string[]) => fs.readFileSync(path.join(REPO_ROOT, ...parts), 'utf8');

/** The script's code, without its comment lines. */
const bootstrap = read('lib', 'host', 'bootstrap.sh')
  .split('\n')
  .filter((line) => !/^\s*#/.test(line))
  .join('\n');
/** Every call of the script's `fail` function: the word after `fail`, wherever the call stands. */
const failCalls = [...bootstrap.matchAll(/(?:^|[\s|&;(']|\|\||&&)fail (\S+)/gm)].map((match) => match[1]);

/** The functions' own code: the secret store, the one that calls Altinity.Cloud, and what they share. */
const functionSources = [
  ...['secret-store', 'altinity-cloud', 'shared'].flatMap((folder) =>
    fs.readdirSync(path.join(REPO_ROOT, 'lambda', folder)).map((file) => read('lambda', folder, file)),
  ),
  read('lib', 'shared', 'secret-store-contract.ts'),
];
/** Every `new CodedFailure(<code>, ...)`, by the name of the code: `FAILURE.requestRefused` → requestRefused. */
const thrown = functionSources.flatMap((source) => [...source.matchAll(/new CodedFailure\(\s*([\w.]+)/g)].map((match) => match[1].split('.').pop()!));

test('the script signals every failure with a declared code, and uses every host code', () => {
  expect(failCalls.length).toBeGreaterThan(30);
  const declared = new Set<string>(Object.values(HOST_FAILURES));
  expect(failCalls.filter((code) => !declared.has(code))).toEqual([]);
  expect([...declared].filter((code) => !failCalls.includes(code))).toEqual([]);
});

test('the function reports every failure with a declared code, and uses every function code', () => {
  expect(thrown.length).toBeGreaterThan(5);
  const declared = [...Object.keys(FUNCTION_FAILURES), ...Object.keys(ENVIRONMENT_FAILURES)];
  expect(thrown.filter((name) => !declared.includes(name))).toEqual([]);
  // aws-error wraps AWS's own errors where the handler reports them, not by a `new CodedFailure`.
  const reportedOtherwise = ['awsError'];
  expect(declared.filter((name) => !thrown.includes(name) && !reportedOtherwise.includes(name))).toEqual([]);
  expect(functionSources.join('\n')).toMatch(/FUNCTION_FAILURES\.awsError/);
});

test("the function throws no plain Error of its own: whatever it does not code is reported as AWS's", () => {
  // The one plain Error is the deadline on an answer, which is AWS's (or Altinity.Cloud's) failure to answer.
  const plain = functionSources.flatMap((source) => [...source.matchAll(/new Error\(`([^`]*)`/g)].map((match) => match[1]));
  expect(plain).toEqual(['${what} within ${Math.round(milliseconds / 1000)} s']);
});

describe('every code has a hint, or a reason why not', () => {
  const codes = [...Object.values(HOST_FAILURES), ...Object.values(FUNCTION_FAILURES), ...Object.values(ENVIRONMENT_FAILURES)];

  test.each(codes)('[%s]', (code) => {
    const advice = ADVICE_BY_CODE[code];
    if (typeof advice === 'string') {
      // At the start of a host's signal, or where CloudFormation quotes the function's reason.
      expect(hintFor(`[${code}] what happened`)).toEqual({ cause: code, advice });
      expect(hintFor(`Received response status [FAILED] from custom resource. Message returned: [${code}] what happened (RequestId: 1)`)).toEqual({
        cause: code,
        advice,
      });
    } else {
      expect(advice.none.length).toBeGreaterThan(20);
    }
  });
});

test("a failure that AWS reported through the function is read by the rules for AWS's messages", () => {
  expect(hintFor('[aws-error] AccessDeniedException: User: arn:aws:sts::1:assumed-role/x is not authorized to perform: kms:Encrypt')?.cause).toBe(
    'key-access-denied',
  );
  expect(hintFor('[aws-error] something AWS never said before')).toBeUndefined();
});
