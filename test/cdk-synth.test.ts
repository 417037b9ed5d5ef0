import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { publishTemplate } from '../lib/release/publish';
import { filesUnder, linkedCheckout, runCdk } from './e2e/cdk-cli';
import { MotoServer, startMotoServer, TEST_REGION } from './support/moto-server';
import { asTheCdkCliSendsIt, INLINE_TEMPLATE_LIMIT, TEST_TEMPLATE_VERSION } from './support/templates';

const SENTINEL = 'sentinel-token-7f3c9a1e';

// Each test waits on a CDK CLI run (npx, the CLI, tsx), seconds on an idle machine and minutes on
// a loaded two-core one: the limit checks nothing.
jest.setTimeout(180_000);

/** Every file written under `dir`. */
const filesIn = (dir: string) => Object.keys(filesUnder(dir));

describe('cdk synth', () => {
  let moto: MotoServer;
  let outDir: string;
  let checkout: ReturnType<typeof linkedCheckout>;

  /**
   * The real CDK CLI as a user runs it from a clone, with only the settings given: in a checkout of
   * links, so that nothing the CLI reads or writes there (cdk.context.json) is the repository's.
   */
  const cdk = (args: string[], env: Record<string, string> = {}) => runCdk(checkout.dir, args, env);

  beforeAll(async () => {
    moto = await startMotoServer();
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-synth-'));
    checkout = linkedCheckout();
  });
  afterAll(async () => {
    await moto.stop();
    fs.rmSync(outDir, { recursive: true, force: true });
    checkout?.remove();
  });

  test('with -c token stores the token in SSM and leaves it nowhere in cdk.out, the output or the published file', async () => {
    const ssm = new SSMClient(moto.clientConfig);
    await ssm.send(new PutParameterCommand({ Name: '/test/ubuntu-ami', Type: 'String', Value: 'ami-0123456789abcdef0' }));
    const cdkOut = path.join(outDir, 'cdk.out');
    const run = await cdk(
      ['synth', '--quiet', '-o', cdkOut, '-c', 'env=acme-prod', '-c', `token=${SENTINEL}`, '-c', 'vpc=vpc-0123456789abcdef0', '-c', 'subnets=subnet-0123456789abcdef0', '-c', 'amiParameter=/test/ubuntu-ami'],
      { ...moto.env, CDK_DEFAULT_REGION: TEST_REGION },
    );
    expect(run).toMatchObject({ exitCode: 0 });
    expect(run.output).toContain('Storing the connection token as SSM SecureString /altinity-connect/acme-prod/token');

    const stored = await ssm.send(new GetParameterCommand({ Name: '/altinity-connect/acme-prod/token', WithDecryption: true }));
    expect(stored.Parameter).toMatchObject({ Type: 'SecureString', Value: SENTINEL });

    const published = publishTemplate(TEST_TEMPLATE_VERSION, outDir);
    const written = [...filesIn(cdkOut), published];
    const deployed = path.join(cdkOut, 'altinity-connect-acme-prod.template.json');
    expect(written).toContain(deployed);
    // Over this size cdk deploy would need the bootstrap bucket that these accounts lack.
    const sent = asTheCdkCliSendsIt(JSON.parse(fs.readFileSync(deployed, 'utf8')));
    expect(Buffer.byteLength(sent)).toBeLessThanOrEqual(INLINE_TEMPLATE_LIMIT);
    for (const file of written) expect({ file, leaks: fs.readFileSync(file, 'utf8').includes(SENTINEL) }).toEqual({ file, leaks: false });
    expect(run.output).not.toContain(SENTINEL);
    // The app's SSM client runs on Node.js 20 here too: the SDK's notice about Node.js 22 is not for the user.
    expect(run.output).not.toContain('NodeVersionSupportWarning');
    // With -c vpc and -c subnets the app looks nothing up, so the CLI has nothing to cache.
    expect(fs.existsSync(path.join(checkout.dir, 'cdk.context.json'))).toBe(false);
  });

  test('takes the token from ALTINITY_CONNECT_TOKEN too, with the same care', async () => {
    const ssm = new SSMClient(moto.clientConfig);
    const cdkOut = path.join(outDir, 'from-environment');
    const run = await cdk(
      ['synth', '--quiet', '-o', cdkOut, '-c', 'env=acme-env', '-c', 'vpc=vpc-0123456789abcdef0', '-c', 'subnets=subnet-0123456789abcdef0'],
      { ...moto.env, CDK_DEFAULT_REGION: TEST_REGION, ALTINITY_CONNECT_TOKEN: SENTINEL },
    );
    expect(run).toMatchObject({ exitCode: 0 });
    const stored = await ssm.send(new GetParameterCommand({ Name: '/altinity-connect/acme-env/token', WithDecryption: true }));
    expect(stored.Parameter?.Value).toBe(SENTINEL);
    for (const file of filesIn(cdkOut)) expect(fs.readFileSync(file, 'utf8')).not.toContain(SENTINEL);
    expect(run.output).not.toContain(SENTINEL);
  });

  test('with a malformed -c env fails before anything is written, naming -c env= and the accepted form', async () => {
    const run = await cdk(['synth', '--quiet', '-o', path.join(outDir, 'bad'), '-c', 'env=Acme_Prod']);
    expect(run.exitCode).not.toBe(0);
    expect(run.output).toContain('-c env=Acme_Prod is not a valid Altinity.Cloud environment name: use 1 to 63 lowercase letters, digits and hyphens');
    expect(run.output).not.toMatch(/at .*\.ts:\d+/);
  });

  test('with -c token but no -c env fails, asking for -c env=', async () => {
    const run = await cdk(['synth', '--quiet', '-o', path.join(outDir, 'no-env'), '-c', `token=${SENTINEL}`]);
    expect(run.exitCode).not.toBe(0);
    expect(run.output).toContain('-c env=<name> is required with -c token');
    expect(run.output).not.toContain(SENTINEL);
  });
});
