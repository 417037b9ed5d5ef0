import * as fs from 'node:fs';
import * as path from 'node:path';
import { type CliRun, copiedCheckout, runCommand } from '../e2e/cdk-cli';
import { fingerprint } from './checkout-state';

/**
 * The suite does not depend on, or change, what a user's checkout holds after `npx cdk deploy` and
 * `npm run publish`: a cdk.context.json caching a default-VPC lookup (of another account, whose VPC
 * the emulator does not have), a cdk.out and a dist/. In a copy of the checkout holding those, the
 * CLI test files run as `npm test` runs them, and the copy's global teardown, like the real one, fails
 * that run if any of the three changed; this test then checks them byte for byte too.
 */

const CLI_TEST_FILES = ['test/stack/cdk-synth.test.ts'];

/** What `cdk deploy` leaves: the lookup cache of a default VPC, as the CLI writes it. */
const USERS_CONTEXT = `${JSON.stringify(
  {
    'vpc-provider:account=210987654321:filter.isDefault=true:region=eu-west-1:returnAsymmetricSubnets=true': {
      vpcId: 'vpc-0a1b2c3d4e5f60718',
      vpcCidrBlock: '172.31.0.0/16',
      ownerAccountId: '210987654321',
      availabilityZones: [],
      subnetGroups: [
        {
          name: 'Public',
          type: 'Public',
          subnets: [{ subnetId: 'subnet-0a1b2c3d4e5f60718', cidr: '172.31.0.0/20', availabilityZone: 'eu-west-1a', routeTableId: 'rtb-0a1b2c3d4e5f60718' }],
        },
      ],
    },
  },
  null,
  2,
)}\n`;

function jest(cwd: string, args: string[]): Promise<CliRun> {
  // JEST_WORKER_ID would tell the inner jest it is a worker of this one.
  const { JEST_WORKER_ID: _worker, ...env } = process.env;
  return runCommand(process.execPath, [path.join(cwd, 'node_modules', 'jest', 'bin', 'jest.js'), ...args], { cwd, env });
}

test("with a user's cdk.context.json, cdk.out and dist/ in the checkout, the CLI tests pass and leave them as they were", async () => {
  const checkout = copiedCheckout();
  try {
    fs.writeFileSync(path.join(checkout.dir, 'cdk.context.json'), USERS_CONTEXT);
    fs.mkdirSync(path.join(checkout.dir, 'cdk.out'));
    fs.writeFileSync(path.join(checkout.dir, 'cdk.out', 'manifest.json'), '{"version":"48.0.0","artifacts":{}}\n');
    fs.mkdirSync(path.join(checkout.dir, 'dist'));
    fs.writeFileSync(path.join(checkout.dir, 'dist', 'altinitycloud-connect-0.0.9.aws-cloudformation.yaml'), 'Description: an earlier release\n');
    const before = fingerprint(checkout.dir);

    const run = await jest(checkout.dir, [...CLI_TEST_FILES, '--maxWorkers=1', '--ci']);

    expect({ exitCode: run.exitCode, output: run.output }).toEqual({ exitCode: 0, output: expect.stringMatching(/Tests: +\d+ passed, \d+ total/) });
    expect(run.output).not.toMatch(/skipped|todo/);
    expect(fingerprint(checkout.dir)).toEqual(before);
    expect(fs.readFileSync(path.join(checkout.dir, 'cdk.context.json'), 'utf8')).toBe(USERS_CONTEXT);
  } finally {
    checkout.remove();
  }
}, 900_000);

test('the guard fails a run whose tests change cdk.context.json, naming it', async () => {
  const checkout = copiedCheckout();
  try {
    fs.writeFileSync(
      path.join(checkout.dir, 'test', 'writes-context.test.ts'),
      "import * as fs from 'node:fs';\ntest('writes', () => fs.writeFileSync('cdk.context.json', '{}'));\n",
    );
    const run = await jest(checkout.dir, ['test/writes-context.test.ts', '--maxWorkers=1', '--ci']);
    expect(run.exitCode).not.toBe(0);
    expect(run.output).toContain("the tests changed the checkout's cdk.out, dist, cdk.context.json, which no test may touch: cdk.context.json: created");
  } finally {
    checkout.remove();
  }
}, 300_000);
