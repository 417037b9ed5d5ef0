import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GetSecretValueCommand, ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { CreateVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import { stagedApiTokenPrefix } from '../../lib/shared/cloud-stack-contract';
import { publishTemplate } from '../../lib/release/publish';
import { stagedTokenName, stagedTokenPrefix } from '../../lib/shared/secret-store-contract';
import { filesUnder, linkedCheckout, runAppAsTheCliDoes, runCdk } from '../e2e/cdk-cli';
import { type MotoServer, startMotoServer, TEST_REGION } from '../support/moto-server';
import { asTheCdkCliSendsIt, TEMPLATE_BUDGET, TEST_TEMPLATE_VERSION } from '../support/templates';

const SENTINEL = 'sentinel-token-7f3c9a1e';

// Each test waits on a CDK CLI run (npx, the CLI, tsx), seconds on an idle machine and minutes on
// a loaded two-core one: the limit checks nothing.
jest.setTimeout(180_000);

/** The tokens staged for an environment in the account `secrets` reaches: their names and values. */
async function stagedTokens(secrets: SecretsManagerClient, envName: string): Promise<{ Name: string; Value: string }[]> {
  const { SecretList } = await secrets.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [stagedTokenPrefix(envName)] }] }));
  return Promise.all(
    (SecretList ?? []).map(async ({ Name }) => ({
      Name: Name!,
      Value: (await secrets.send(new GetSecretValueCommand({ SecretId: Name }))).SecretString ?? '',
    })),
  );
}

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
  const cdk = (args: string[], env: Record<string, string> = {}, options?: { notices?: boolean }) => runCdk(checkout.dir, args, env, options);

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

  test('with -c token stages the token in Secrets Manager and leaves it nowhere in cdk.out, the output or the published file', async () => {
    const ssm = new SSMClient(moto.clientConfig);
    const secrets = new SecretsManagerClient(moto.clientConfig);
    await ssm.send(new PutParameterCommand({ Name: '/test/ubuntu-ami', Type: 'String', Value: 'ami-0123456789abcdef0' }));
    const cdkOut = path.join(outDir, 'cdk.out');
    const run = await cdk(
      [
        'synth',
        '--quiet',
        '-o',
        cdkOut,
        '-c',
        'env=acme-prod',
        '-c',
        `token=${SENTINEL}`,
        '-c',
        'vpc=vpc-0123456789abcdef0',
        '-c',
        'subnets=subnet-0123456789abcdef0',
        '-c',
        'amiParameter=/test/ubuntu-ami',
      ],
      { ...moto.env, CDK_DEFAULT_REGION: TEST_REGION },
    );
    expect(run).toMatchObject({ exitCode: 0 });
    expect(run.output).toContain('Staging the connection token in account 123456789012, us-east-1');

    const [staged] = await stagedTokens(secrets, 'acme-prod');
    expect(staged).toEqual({ Name: stagedTokenName('acme-prod', SENTINEL), Value: SENTINEL });

    const published = publishTemplate(TEST_TEMPLATE_VERSION, outDir);
    const written = [...filesIn(cdkOut), published];
    const deployed = path.join(cdkOut, 'altinity-connect-acme-prod.template.json');
    expect(written).toContain(deployed);
    expect(fs.readFileSync(deployed, 'utf8')).toContain(staged.Name);
    // Measured as the CLI sends it: the same budget as the in-process variants.
    const sent = asTheCdkCliSendsIt(JSON.parse(fs.readFileSync(deployed, 'utf8')));
    expect(Buffer.byteLength(sent)).toBeLessThanOrEqual(TEMPLATE_BUDGET);
    for (const file of written) expect({ file, leaks: fs.readFileSync(file, 'utf8').includes(SENTINEL) }).toEqual({ file, leaks: false });
    expect(run.output).not.toContain(SENTINEL);
    // On Node.js 20, the CLI's own SDK client (which finds the account when the CLI has no account
    // cache, as on its first run) prints the SDK's notice about Node.js 22 once; the app prints none
    // of its own (next test).
    expect(run.output.split('NodeVersionSupportWarning').length - 1).toBeLessThanOrEqual(1);
    // With -c vpc and -c subnets the app looks nothing up, so the CLI has nothing to cache.
    expect(fs.existsSync(path.join(checkout.dir, 'cdk.context.json'))).toBe(false);
  });

  describe('API-token mode (-c environment=<file>)', () => {
    const API_SENTINEL = 'anywhere-sentinel-5b7e2c90';
    let vpcId: string;
    const environmentFile = (name: string, cidr: string) => {
      const file = path.join(outDir, name);
      fs.writeFileSync(file, `cidr: ${cidr}\nzones: [us-east-1a, us-east-1b]\n`);
      return file;
    };
    const synth = (out: string, file: string) =>
      cdk(['synth', '--quiet', '-o', out, '-c', 'env=acme-api', '-c', `environment=${file}`, '-c', `vpc=${vpcId}`, '-c', 'subnets=subnet-0123456789abcdef0'], {
        ...moto.env,
        CDK_DEFAULT_REGION: TEST_REGION,
        ALTINITYCLOUD_API_TOKEN: API_SENTINEL,
      });

    beforeAll(async () => {
      const ec2 = new EC2Client(moto.clientConfig);
      vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16' }))).Vpc?.VpcId ?? '';
    });

    test("an environment cidr that overlaps the hosts' VPC is refused by name, before the API token is stored", async () => {
      const run = await synth(path.join(outDir, 'overlap'), environmentFile('overlap.yaml', '10.20.8.0/21'));
      expect(run.exitCode).toBe(1);
      expect(run.output).toContain("cidr: 10.20.8.0/21 overlaps the hosts' VPC (10.20.0.0/16): choose a range outside it");
      const secrets = new SecretsManagerClient(moto.clientConfig);
      const { SecretList } = await secrets.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [stagedApiTokenPrefix('acme-api')] }] }));
      expect(SecretList ?? []).toEqual([]);
      expect(run.output).not.toContain(API_SENTINEL);
    });

    test("synthesizes the three stacks, stages the API token for the cloud stack's function, and leaves it nowhere in cdk.out", async () => {
      const out = path.join(outDir, 'api-mode');
      const run = await synth(out, environmentFile('acme-api.yaml', '10.67.0.0/21'));
      expect(run).toMatchObject({ exitCode: 0 });
      expect(run.output).toContain('Staging the Altinity.Cloud API token in account 123456789012, us-east-1');
      const secrets = new SecretsManagerClient(moto.clientConfig);
      const { SecretList } = await secrets.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [stagedApiTokenPrefix('acme-api')] }] }));
      expect((SecretList ?? []).map((secret) => secret.Name)).toHaveLength(1);
      const templates = filesIn(out)
        .filter((file) => file.endsWith('.template.json'))
        .map((file) => path.basename(file));
      expect(templates.sort()).toEqual([
        'altinity-cloud-acme-api.template.json',
        'altinity-connect-acme-api.template.json',
        'altinity-ready-acme-api.template.json',
      ]);
      for (const file of filesIn(out)) expect({ file, leaks: fs.readFileSync(file, 'utf8').includes(API_SENTINEL) }).toEqual({ file, leaks: false });
      expect(run.output).not.toContain(API_SENTINEL);
      for (const name of templates) {
        const sent = asTheCdkCliSendsIt(JSON.parse(fs.readFileSync(path.join(out, name), 'utf8')));
        expect({ name, fits: Buffer.byteLength(sent) <= TEMPLATE_BUDGET }).toEqual({ name, fits: true });
      }
    });
  });

  test('the app, run as the CLI runs it, stages the token without printing an SDK notice about Node.js', async () => {
    const run = await runAppAsTheCliDoes(
      checkout.dir,
      { env: 'acme-app', token: SENTINEL, vpc: 'vpc-0123456789abcdef0', subnets: 'subnet-0123456789abcdef0' },
      { ...moto.env, CDK_DEFAULT_ACCOUNT: '123456789012', CDK_DEFAULT_REGION: TEST_REGION },
    );
    expect(run).toEqual({ exitCode: 0, output: expect.stringContaining('Staging the connection token in account 123456789012, us-east-1') });
    // The app's SSM and STS clients run on this Node.js: on 20 the SDK would tell of Node.js 22, which is not for the user.
    expect(run.output).not.toContain('NodeVersionSupportWarning');
    expect(run.output).not.toContain(SENTINEL);
  });

  test('without the settings that keep it offline, the CLI would fetch its notices: the tripwire sees it', async () => {
    const run = await cdk(
      [
        'synth',
        '--quiet',
        '-o',
        path.join(outDir, 'notices'),
        '-c',
        'env=acme-notices',
        '-c',
        'vpc=vpc-0123456789abcdef0',
        '-c',
        'subnets=subnet-0123456789abcdef0',
      ],
      {
        ...moto.env,
        CDK_DEFAULT_REGION: TEST_REGION,
      },
      { notices: true },
    );
    expect(run.exitCode).toBe(0);
    expect(run.networkAttempts.join('\n')).toMatch(/cli\.cdk\.dev-tools\.aws\.dev/);
  });

  test('takes the token from ALTINITY_CONNECT_TOKEN too, with the same care', async () => {
    const secrets = new SecretsManagerClient(moto.clientConfig);
    const cdkOut = path.join(outDir, 'from-environment');
    const run = await cdk(
      ['synth', '--quiet', '-o', cdkOut, '-c', 'env=acme-env', '-c', 'vpc=vpc-0123456789abcdef0', '-c', 'subnets=subnet-0123456789abcdef0'],
      { ...moto.env, CDK_DEFAULT_REGION: TEST_REGION, ALTINITY_CONNECT_TOKEN: SENTINEL },
    );
    expect(run).toMatchObject({ exitCode: 0 });
    expect((await stagedTokens(secrets, 'acme-env')).map((staged) => staged.Value)).toEqual([SENTINEL]);
    for (const file of filesIn(cdkOut)) expect(fs.readFileSync(file, 'utf8')).not.toContain(SENTINEL);
    expect(run.output).not.toContain(SENTINEL);
  });

  describe('with two AWS accounts: the default profile in 123456789012, the profile "other" in 111111111111', () => {
    let config: { dir: string; env: Record<string, string>; other: SecretsManagerClient; own: SecretsManagerClient };

    beforeAll(async () => {
      // Credentials from assuming a role in another account land every later request in that account.
      const sts = new STSClient(moto.clientConfig);
      const assumed = await sts.send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::111111111111:role/deployer', RoleSessionName: 'cdk-synth-test' }));
      const credentials = assumed.Credentials!;
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aws-profiles-'));
      fs.writeFileSync(path.join(dir, 'config'), `[default]\nregion = ${TEST_REGION}\n\n[profile other]\nregion = ${TEST_REGION}\n`);
      fs.writeFileSync(
        path.join(dir, 'credentials'),
        `[default]\naws_access_key_id = test\naws_secret_access_key = test\n\n` +
          `[other]\naws_access_key_id = ${credentials.AccessKeyId}\naws_secret_access_key = ${credentials.SecretAccessKey}\naws_session_token = ${credentials.SessionToken}\n`,
      );
      const env = {
        AWS_ENDPOINT_URL: moto.endpoint,
        AWS_CONFIG_FILE: path.join(dir, 'config'),
        AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'credentials'),
        AWS_EC2_METADATA_DISABLED: 'true',
      };
      const other = new SecretsManagerClient({
        ...moto.clientConfig,
        credentials: { accessKeyId: credentials.AccessKeyId!, secretAccessKey: credentials.SecretAccessKey!, sessionToken: credentials.SessionToken },
      });
      config = { dir, env, other, own: new SecretsManagerClient(moto.clientConfig) };
    });
    afterAll(() => fs.rmSync(config.dir, { recursive: true, force: true }));

    test('cdk synth --profile other refuses before storing anything, naming both accounts and AWS_PROFILE', async () => {
      const run = await cdk(
        [
          'synth',
          '--quiet',
          '--profile',
          'other',
          '-o',
          path.join(outDir, 'wrong-account'),
          '-c',
          'env=acme-two',
          '-c',
          `token=${SENTINEL}`,
          '-c',
          'vpc=vpc-0123456789abcdef0',
          '-c',
          'subnets=subnet-0123456789abcdef0',
        ],
        config.env,
      );
      expect(run.exitCode).not.toBe(0);
      expect(run.output).toContain("cdk deploy targets account 111111111111, but the app's AWS credentials are for account 123456789012");
      expect(run.output).toContain('AWS_PROFILE=<profile> npx cdk deploy');
      expect(run.output).not.toContain(SENTINEL);
      expect(await stagedTokens(config.own, 'acme-two')).toEqual([]);
      expect(await stagedTokens(config.other, 'acme-two')).toEqual([]);
    });

    test('AWS_PROFILE=other cdk synth stages the token in 111111111111 and nowhere else', async () => {
      const run = await cdk(
        [
          'synth',
          '--quiet',
          '-o',
          path.join(outDir, 'other-account'),
          '-c',
          'env=acme-two',
          '-c',
          `token=${SENTINEL}`,
          '-c',
          'vpc=vpc-0123456789abcdef0',
          '-c',
          'subnets=subnet-0123456789abcdef0',
        ],
        { ...config.env, AWS_PROFILE: 'other' },
      );
      expect(run).toMatchObject({ exitCode: 0 });
      expect(run.output).toContain('Staging the connection token in account 111111111111, us-east-1');
      expect((await stagedTokens(config.other, 'acme-two')).map((staged) => staged.Value)).toEqual([SENTINEL]);
      expect(await stagedTokens(config.own, 'acme-two')).toEqual([]);
    });
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
