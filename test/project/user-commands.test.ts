import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GENERATED_FILES } from '../../lib/docs/generated-docs';
import { ENVIRONMENT_TEMPLATES, publishEnvironmentTemplates, publishedFileName, publishTemplate } from '../../lib/release/publish';
import { version } from '../../package.json';
import { copiedCheckout } from '../e2e/cdk-cli';

/**
 * `npm run publish` and `npm run docs` as a user runs them, in a copy of the checkout (they write into
 * it): what they print, what they write, and no warning of any kind, on whichever Node.js runs the suite.
 * (The app is run through the CDK CLI by test/stack/cdk-synth.test.ts, npm run status by
 * test/status/on-the-emulator.test.ts.)
 */

const REPO_ROOT = path.resolve(__dirname, '..', '..');
let checkout: ReturnType<typeof copiedCheckout>;

/** Runs `npm run <script>` in the copy, as a user's shell would: without the switch that quiets the SDK in the test processes. */
function npmRun(script: string) {
  const { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: _quiet, JEST_WORKER_ID: _worker, ...usersEnvironment } = process.env;
  return spawnSync('npm', ['run', script], { cwd: checkout.dir, env: usersEnvironment, encoding: 'utf8' });
}

beforeAll(() => {
  checkout = copiedCheckout();
});
afterAll(() => checkout?.remove());

test("npm run publish writes the console template and API-token mode's two to dist/ and says where, with nothing on stderr", () => {
  const run = npmRun('publish');
  expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
  const file = path.join('dist', publishedFileName(version));
  const [cloud, ready] = [ENVIRONMENT_TEMPLATES.cloud, ENVIRONMENT_TEMPLATES.ready].map(({ fileName }) => path.join('dist', fileName(version)));
  expect(run.stdout).toContain(
    `Published ${file}\nUpload it in the CloudFormation console (Create stack > Upload a template file).\n` +
      `For API-token mode (README: API-token mode in the CloudFormation console), also ${cloud} and ${ready}.\n`,
  );

  const expectedDir = fs.mkdtempSync(path.join(os.tmpdir(), 'publish-expected-'));
  try {
    expect(fs.readFileSync(path.join(checkout.dir, file), 'utf8')).toBe(fs.readFileSync(publishTemplate(version, expectedDir), 'utf8'));
    const expected = publishEnvironmentTemplates(version, expectedDir);
    expect([cloud, ready].map((written) => fs.readFileSync(path.join(checkout.dir, written), 'utf8'))).toEqual(
      [expected.cloud, expected.ready].map((written) => fs.readFileSync(written, 'utf8')),
    );
  } finally {
    fs.rmSync(expectedDir, { recursive: true, force: true });
  }
});

test('npm run docs finds every generated reference file and the environment schema up to date, leaves it as it was, with nothing on stderr', () => {
  const run = npmRun('docs');
  expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
  for (const file of GENERATED_FILES) {
    expect(run.stdout).toContain(`${file} is up to date\n`);
    expect(fs.readFileSync(path.join(checkout.dir, file), 'utf8')).toBe(fs.readFileSync(path.join(REPO_ROOT, file), 'utf8'));
  }
});
