import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DeleteStackCommand, GetTemplateCommand, ListStacksCommand } from '@aws-sdk/client-cloudformation';
import { ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, GetParametersByPathCommand, ListTagsForResourceCommand } from '@aws-sdk/client-ssm';
import { parse } from 'yaml';
import { OWNER_TAG_KEY, stackNameFor } from '../../lib/shared/conventions';
import { tokenParameterName } from '../../lib/shared/names';
import { stagedTokenName } from '../../lib/shared/secret-store-contract';
import { type CliRun, filesUnder, linkedCheckout, runCdk } from './cdk-cli';
import {
  clientsFor,
  defaultVpc,
  describeStack,
  expectAnswered,
  type EmulatorClients,
  expectHostAsDocumented,
  liveStack,
  placesHolding,
  registerUbuntuAmi,
  remainsOf,
} from './live-stack';
import { forTheEmulator } from '../support/emulator-template';
import { type Invocation, LambdaService } from '../support/lambda-service';
import { type MotoServer, startMotoServer } from '../support/moto-server';

const ENV_NAME = 'acme-cdk';
const STACK_NAME = stackNameFor(ENV_NAME);
const TOKEN = `cdk-token-sentinel-${randomUUID()}`;
const REPO_ROOT = path.resolve(__dirname, '..', '..');
/** A CDK CLI run takes seconds on an idle machine and minutes on a loaded two-core one: the limit checks nothing. */
const CLI_TIMEOUT_MS = 180_000;

/**
 * `cdk deploy` from a checkout, typed as the README tells a user to, against the emulator: the app
 * stores the token, looks the default VPC up and deploys; the test acts as Lambda meanwhile. The
 * deploy runs in the CLI's two halves, so that the template can be prepared for the emulator between
 * them as every emulator test prepares it (emulator-template.ts): `cdk synth` (the app, with the
 * user's options), then `cdk deploy --app <that cloud assembly>`, which is what `cdk deploy` does.
 */
describe('cdk deploy -c token -c env, end to end on the emulator', () => {
  let server: MotoServer;
  let clients: EmulatorClients;
  let lambda: LambdaService;
  let checkout: ReturnType<typeof linkedCheckout>;
  let cdkOut: string;
  let amiParameterName: string;
  let imageId: string;
  let deploy: CliRun;
  let createInvocations: Invocation[];
  const repoHadContextFile = fs.existsSync(path.join(REPO_ROOT, 'cdk.context.json'));

  beforeAll(async () => {
    server = await startMotoServer();
    clients = clientsFor(server);
    lambda = new LambdaService(server);
    checkout = linkedCheckout();
    cdkOut = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-cdk-out-'));
    ({ parameterName: amiParameterName, imageId } = await registerUbuntuAmi(clients));
  });

  afterAll(async () => {
    await lambda?.stop();
    await server?.stop();
    checkout?.remove();
    if (cdkOut) fs.rmSync(cdkOut, { recursive: true, force: true });
  });

  test(
    'a malformed -c env= stops cdk deploy before the token is stored or anything is deployed',
    async () => {
      const run = await runCdk(
        checkout.dir,
        ['deploy', '-c', `token=${TOKEN}`, '-c', 'env=Bad_Name', '--require-approval', 'never', '--output', path.join(cdkOut, 'bad')],
        server.env,
      );
      expect(run.exitCode).not.toBe(0);
      expect(run.output).toContain('-c env=Bad_Name is not a valid Altinity.Cloud environment name');
      expect(run.output).not.toContain(TOKEN);
      const stacks = (await clients.cloudFormation.send(new ListStacksCommand({}))).StackSummaries ?? [];
      expect(stacks).toEqual([]);
      const stored = await clients.ssm.send(new GetParametersByPathCommand({ Path: '/altinity-connect', Recursive: true }));
      expect(stored.Parameters).toEqual([]);
      expect((await clients.secrets.send(new ListSecretsCommand({}))).SecretList).toEqual([]);
    },
    CLI_TIMEOUT_MS,
  );

  test(
    `reaches CREATE_COMPLETE as ${STACK_NAME} in the default VPC, the function answering its Create event`,
    async () => {
      const synth = await runCdk(
        checkout.dir,
        ['synth', '--quiet', '-c', `token=${TOKEN}`, '-c', `env=${ENV_NAME}`, '-c', `amiParameter=${amiParameterName}`, '--output', cdkOut],
        server.env,
      );
      if (synth.exitCode !== 0) throw new Error(`cdk synth failed (exit ${synth.exitCode}):\n${synth.output}`);
      const templateFile = path.join(cdkOut, `${STACK_NAME}.template.json`);
      fs.writeFileSync(templateFile, JSON.stringify(forTheEmulator(JSON.parse(fs.readFileSync(templateFile, 'utf8')), amiParameterName)));
      const deploying = runCdk(checkout.dir, ['deploy', '--app', cdkOut, '--require-approval', 'never'], server.env).then((run) => ({
        ...run,
        output: `${synth.output}${run.output}`,
      }));
      const giveUp = new AbortController();
      const serving = lambda.serveCreate(STACK_NAME, { timeoutMs: 2 * CLI_TIMEOUT_MS - 30_000, signal: giveUp.signal });
      serving.catch(() => undefined);
      deploy = await deploying;
      if (deploy.exitCode !== 0) {
        giveUp.abort();
        throw new Error(`cdk deploy failed (exit ${deploy.exitCode}):\n${deploy.output}`);
      }
      createInvocations = await serving;

      expect(deploy.output).toContain('Staging the connection token in account 123456789012, us-east-1 (it never enters the template)');
      expect(deploy.output).toMatch(new RegExp(`✅\\s+${STACK_NAME}`));
      const stack = await describeStack(clients, STACK_NAME);
      expect(stack.StackStatus).toBe('CREATE_COMPLETE');

      const network = await defaultVpc(clients);
      const parameters = Object.fromEntries((stack.Parameters ?? []).map((parameter) => [parameter.ParameterKey, parameter.ParameterValue]));
      expect(parameters).toMatchObject({ EnvName: ENV_NAME, VpcId: network.vpcId, AmiParameter: imageId });
      expect(parameters.SubnetIds?.split(',').sort()).toEqual([...network.subnetIds].sort());
      expect(parameters).not.toHaveProperty('Token');

      expectAnswered(createInvocations, ['Create']);
      expect(createInvocations[0].event.ResourceProperties).toMatchObject({ StagedToken: stagedTokenName(ENV_NAME, TOKEN) });
      expect(createInvocations[0].event.ResourceProperties).not.toHaveProperty('Token');
      // Moved under the stack's key, owned by the stack; the staged copy is gone.
      expect((await clients.secrets.send(new ListSecretsCommand({}))).SecretList).toEqual([]);
      const tags = await clients.ssm.send(new ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: tokenParameterName(ENV_NAME) }));
      expect(tags.TagList).toContainEqual({ Key: OWNER_TAG_KEY, Value: stack.StackId });
    },
    2 * CLI_TIMEOUT_MS,
  );

  test('the live host, its role, its security group and the stored token are as the guide describes', async () => {
    await expectHostAsDocumented(clients, { stackName: STACK_NAME, envName: ENV_NAME, imageId, token: TOKEN });
    // moto's change-set path (how cdk deploys) never resolves a new stack's outputs: the console
    // test checks them, and the template tests check they are the same whatever the entry point.
  });

  test('the token is in none of the template, outputs, user data, cdk.out, or what cdk and the function printed', async () => {
    const printed = {
      'cdk deploy output': deploy.output,
      ...Object.fromEntries(lambda.invocations.map((invocation, index) => [`function log ${index + 1}`, invocation.logs])),
      ...filesUnder(cdkOut),
      'stack description': JSON.stringify(await describeStack(clients, STACK_NAME)),
    };
    expect(Object.keys(printed).some((file) => file.endsWith(`${STACK_NAME}.template.json`))).toBe(true);
    expect(await placesHolding(TOKEN, clients, { stackName: STACK_NAME, envName: ENV_NAME }, printed)).toEqual([]);
    const template = await clients.cloudFormation.send(new GetTemplateCommand({ StackName: STACK_NAME }));
    expect(parse(template.TemplateBody!).Parameters).not.toHaveProperty('Token');
  });

  test("caches the default VPC lookup in its own checkout, leaving the repository's cdk.context.json as it was", () => {
    expect(fs.existsSync(path.join(checkout.dir, 'cdk.context.json'))).toBe(true);
    expect(fs.existsSync(path.join(REPO_ROOT, 'cdk.context.json'))).toBe(repoHadContextFile);
  });

  test("DeleteStack removes the stack's resources and the token the app staged before deploying", async () => {
    const { physicalIds } = await liveStack(clients, STACK_NAME);
    const invocations = await lambda.serveDelete(STACK_NAME);
    expectAnswered(invocations, ['Delete']);
    expect(invocations[0].event.PhysicalResourceId).toBe(tokenParameterName(ENV_NAME));
    await clients.cloudFormation.send(new DeleteStackCommand({ StackName: STACK_NAME }));
    await expect(clients.ssm.send(new GetParameterCommand({ Name: tokenParameterName(ENV_NAME) }))).rejects.toThrow(/not found/);
    expect(await remainsOf(clients, STACK_NAME, ENV_NAME, [physicalIds.HostSecurityGroup])).toEqual([]);
  });
});
