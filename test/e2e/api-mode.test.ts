import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  GetTemplateCommand,
  ListStacksCommand,
  UpdateStackCommand,
} from '@aws-sdk/client-cloudformation';
import { DescribeParametersCommand, GetParameterCommand } from '@aws-sdk/client-ssm';
import {
  API_TOKEN_ENVIRONMENT_VARIABLE,
  apiTokenParameterName,
  cloudCertificateParameterName,
  type OnStackDelete,
} from '../../lib/shared/cloud-stack-contract';
import { cloudStackNameFor, readyStackNameFor } from '../../lib/shared/conventions';
import { DEFAULT_READY_WAIT, SLICE } from '../../lib/constructs/environment-readiness';
import { validateEnvironmentSpec } from '../../lib/shared/environment-spec';
import { buildEnvironmentStacks, connectApp } from '../../lib/stack/app';
import { synthesizeEnvironmentTemplate } from '../../lib/release/publish';
import { CONSOLE_ENVIRONMENT_FIELDS } from '../../lib/shared/console-environment';
import { API_TOKEN_PARAMETER } from '../../lib/shared/cloud-stack-contract';
import type { AltinityCloudApi } from '../support/altinity-cloud-api';
import { type ApiModeWorld, expectSucceeded, operationsSince, startApiModeWorld } from './api-mode-world';
import { filesUnder } from './cdk-cli';
import { forTheEmulator } from '../support/emulator-template';
import type { Invocation, LambdaService } from '../support/lambda-service';
import { TEST_REGION } from '../support/moto-server';
import { EXAMPLE_ENVIRONMENT_FILE } from '../support/environment-file';
import type { TestCa } from '../support/test-ca';
import { describeStack, type EmulatorClients, outputsOf } from './live-stack';

/**
 * API-token mode deployed on the emulator: the cloud stack and the ready stack, as `cdk deploy --all`
 * deploys them, create, update and delete an environment in Altinity.Cloud. What stands in for what:
 * - moto_server for the AWS account (CloudFormation, SSM, KMS, IAM, Lambda's control plane, Logs);
 *   the stacks are built in process as the app builds them (`buildEnvironmentStacks`) and created
 *   with CreateStack, the API token as the cloud stack's NoEcho `ApiToken` parameter.
 * - support/lambda-service.ts for Lambda: the cloud stack's inlined function runs in a child process
 *   for each event CloudFormation would send, the ready stack's slices served through the export it
 *   imports; support/cloudformation-standin.ts (inside it) for what CloudFormation reports of a
 *   resource while it awaits the answer. Lambda's timeout is 30 s instead of the function's 15
 *   minutes: a slice that is not ready then ends after one look, as it would after 15 minutes.
 * - support/altinity-cloud-api.ts for Altinity.Cloud's API, over real TLS: the function trusts the
 *   test CA (support/test-ca.ts, for the public CA of Altinity.Cloud's certificate, and for Altinity's
 *   client-certificate authority, which `/sign` issues from) through NODE_EXTRA_CA_CERTS. Its clock
 *   moves one minute with every request it receives, so that its environments progress with the
 *   function's looks at them, whatever the real time: a revision is applied after 3 such minutes
 *   connected, deprovisioning takes 2.
 * - The test for the connect stack, deployed between the two by `cdk deploy --all` and not here (its
 *   hosts with an existing certificate are deployed by variants.test.ts and booted by the real-boot
 *   harness): `api.connect` is the hosts' first connection to Altinity.Cloud.
 * moto differs from CloudFormation where a custom resource fails: it ignores a FAILED answer (the
 * stack completes anyway), records no resource events and does not roll back. Where a test meets
 * that, it checks the answer CloudFormation would act on, whose reason AWS writes into the
 * resource's *_FAILED event, and puts moto's stack back where the rollback would leave it.
 */

const ACCOUNT = '123456789012';
/** The Altinity.Cloud account whose API token deploys; environment names start with it. */
const ALTINITY_ACCOUNT = 'acme';

const FILE = EXAMPLE_ENVIRONMENT_FILE;
/**
 * `-c waitMinutes=` of the app's stacks here: an hour, four slices, whose looks a minute apart in the
 * stand-in's time outlast its 3-minute apply. Each slice's event is a process here, so fewer of them
 * make the file faster; the console's template waits the default, in twelve.
 */
const WAIT_MINUTES = 60;
const SLICES = WAIT_MINUTES / SLICE.toMinutes();
const CONSOLE_SLICES = DEFAULT_READY_WAIT.toMinutes() / SLICE.toMinutes();
/** The slices' logical ids, in the order CloudFormation creates them. */
const sliceIds = (count: number) => Array.from({ length: count }, (_, i) => `Ready${String(i + 1).padStart(2, '0')}`);
/** The file with the ClickHouse nodes' capacity per zone changed: what a stack update may change. */
const withClickHouseCapacity = (capacityPerZone: number) => ({ ...FILE, nodeGroups: [FILE.nodeGroups[0], { ...FILE.nodeGroups[1], capacityPerZone }] });

type Template = { Parameters?: Record<string, { NoEcho?: boolean }>; Resources: Record<string, { Type: string }> };

let world: ApiModeWorld;
let clients: EmulatorClients;
let lambda: LambdaService;
let ca: TestCa;
let api: AltinityCloudApi;
/** The cloud assemblies the tests wrote: the token must be in none of their files. */
const assemblies: string[] = [];
/** Texts read from CloudFormation while the stacks lived (templates, outputs, events), by where they were read. */
const readFromCloudFormation = new Map<string, string>();
/** Every API token the tests deployed with. */
const tokens: string[] = [];

beforeAll(async () => {
  world = await startApiModeWorld();
  ({ ca, api, clients, lambda } = world);
});

afterAll(async () => {
  await world?.stop();
  for (const dir of assemblies) fs.rmSync(dir, { recursive: true, force: true });
});

/** One environment's stacks, as `cdk deploy --all -c env=<envName> -c environment=<file>` names them. */
class Environment {
  readonly cloudStack: string;
  readonly readyStack: string;
  readonly token: string;
  /** The templates last deployed, to put back what a rollback would. */
  private readonly deployed: { cloud?: Template; ready?: Template } = {};

  constructor(
    readonly envName: string,
    private readonly onStackDelete: OnStackDelete,
  ) {
    this.cloudStack = cloudStackNameFor(envName);
    this.readyStack = readyStackNameFor(envName);
    this.token = api.issueToken(ALTINITY_ACCOUNT);
    tokens.push(this.token);
  }

  /**
   * The cloud and ready stacks' templates for `file`, built in process as the app builds them, into a
   * cloud assembly of their own, with the token in the environment as `ALTINITYCLOUD_API_TOKEN=...
   * cdk deploy` has it.
   */
  synthesize(file: object): { cloud: Template; ready: Template } {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'api-mode-cdk-out-'));
    assemblies.push(outdir);
    const saved = process.env[API_TOKEN_ENVIRONMENT_VARIABLE];
    process.env[API_TOKEN_ENVIRONMENT_VARIABLE] = this.token;
    try {
      const app = connectApp({ outdir });
      const stacks = buildEnvironmentStacks(
        app,
        {
          mode: 'deploy',
          envName: this.envName,
          network: { kind: 'given', vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123456789abcdef0'] },
          environment: { file: 'environment.yaml', onStackDelete: this.onStackDelete, waitMinutes: WAIT_MINUTES },
        },
        { templateVersion: '0.0.0-test', spec: validateEnvironmentSpec(file, { region: TEST_REGION }), apiUrl: api.url },
      );
      const assembly = app.synth();
      return {
        cloud: assembly.getStackByName(stacks.cloud.stackName).template as Template,
        ready: assembly.getStackByName(stacks.ready.stackName).template as Template,
      };
    } finally {
      if (saved === undefined) delete process.env[API_TOKEN_ENVIRONMENT_VARIABLE];
      else process.env[API_TOKEN_ENVIRONMENT_VARIABLE] = saved;
    }
  }

  /** CreateStack of the cloud stack with the token as its NoEcho parameter, answered by the function. */
  async createCloudStack(template: Template): Promise<Invocation[]> {
    await clients.cloudFormation.send(
      new CreateStackCommand({
        StackName: this.cloudStack,
        TemplateBody: asDeployed(template),
        Capabilities: ['CAPABILITY_IAM'],
        Parameters: [{ ParameterKey: API_TOKEN_PARAMETER, ParameterValue: this.token }],
      }),
    );
    this.deployed.cloud = template;
    const invocations = await lambda.serveCreate(this.cloudStack);
    await remember(this.cloudStack);
    return invocations;
  }

  async createReadyStack(template: Template): Promise<Invocation[]> {
    await clients.cloudFormation.send(new CreateStackCommand({ StackName: this.readyStack, TemplateBody: asDeployed(template) }));
    this.deployed.ready = template;
    const invocations = await lambda.serveCreate(this.readyStack);
    await remember(this.readyStack);
    return invocations;
  }

  /** UpdateStack with a new template, the token kept (UsePreviousValue, as `cdk deploy` without a new one). */
  async updateCloudStack(template: Template): Promise<Invocation[]> {
    await clients.cloudFormation.send(
      new UpdateStackCommand({
        StackName: this.cloudStack,
        TemplateBody: asDeployed(template),
        Capabilities: ['CAPABILITY_IAM'],
        Parameters: [{ ParameterKey: API_TOKEN_PARAMETER, UsePreviousValue: true }],
      }),
    );
    const invocations = await lambda.serveUpdate(this.cloudStack);
    await remember(this.cloudStack);
    if (succeeded(invocations)) this.deployed.cloud = template;
    else await this.rollBack(this.cloudStack, this.deployed.cloud);
    return invocations;
  }

  async updateReadyStack(template: Template): Promise<Invocation[]> {
    await clients.cloudFormation.send(new UpdateStackCommand({ StackName: this.readyStack, TemplateBody: asDeployed(template) }));
    const invocations = await lambda.serveUpdate(this.readyStack);
    await remember(this.readyStack);
    if (succeeded(invocations)) this.deployed.ready = template;
    else await this.rollBack(this.readyStack, this.deployed.ready);
    return invocations;
  }

  /**
   * Where CloudFormation's rollback of a failed update leaves the stack: on its previous template.
   * moto completed the update instead, so the previous template is put back; its custom resources'
   * properties are then those the function last succeeded with, so no event is sent. CloudFormation
   * would send the failed resource an Update back to its old properties, which is not modelled here
   * (test/lambda/altinity-cloud.test.ts covers the ready slices' answer to a rollback).
   */
  private async rollBack(stackName: string, previous: Template | undefined): Promise<void> {
    const parameters = stackName === this.cloudStack ? [{ ParameterKey: API_TOKEN_PARAMETER, UsePreviousValue: true }] : [];
    await clients.cloudFormation.send(
      new UpdateStackCommand({ StackName: stackName, TemplateBody: asDeployed(previous), Capabilities: ['CAPABILITY_IAM'], Parameters: parameters }),
    );
    expect(await lambda.serveUpdate(stackName)).toEqual([]);
  }

  /** `cdk destroy --all`: the ready stack first, then the cloud stack (the hosts' stack between them is not deployed here). */
  async destroy(): Promise<{ ready: Invocation[]; cloud: Invocation[] }> {
    const ready = await lambda.serveDelete(this.readyStack);
    expectSucceeded(ready);
    await clients.cloudFormation.send(new DeleteStackCommand({ StackName: this.readyStack }));
    const cloud = await lambda.serveDelete(this.cloudStack);
    expectSucceeded(cloud);
    await clients.cloudFormation.send(new DeleteStackCommand({ StackName: this.cloudStack }));
    const left = (await clients.cloudFormation.send(new ListStacksCommand({}))).StackSummaries ?? [];
    expect(left.filter((stack) => [this.readyStack, this.cloudStack].includes(stack.StackName ?? '')).map((stack) => stack.StackStatus)).toEqual([
      'DELETE_COMPLETE',
      'DELETE_COMPLETE',
    ]);
    return { ready, cloud };
  }
}

/** Keeps what CloudFormation shows of the stack now: both stages of its template, its outputs and events. */
async function remember(stackName: string): Promise<void> {
  const at = readFromCloudFormation.size;
  for (const stage of ['Original', 'Processed'] as const) {
    const { TemplateBody } = await clients.cloudFormation.send(new GetTemplateCommand({ StackName: stackName, TemplateStage: stage }));
    readFromCloudFormation.set(`${stackName}: GetTemplate (${stage}) #${at}`, TemplateBody ?? '');
  }
  readFromCloudFormation.set(`${stackName}: outputs #${at}`, JSON.stringify((await describeStack(clients, stackName)).Outputs ?? []));
  const { StackEvents } = await clients.cloudFormation.send(new DescribeStackEventsCommand({ StackName: stackName }));
  readFromCloudFormation.set(`${stackName}: events #${at}`, JSON.stringify(StackEvents ?? []));
}

/** The template as CreateStack and UpdateStack get it: with the changes moto needs (emulator-template.ts). */
function asDeployed(template: Template | undefined): string {
  if (!template) throw new Error('no template to deploy');
  return JSON.stringify(forTheEmulator(template));
}

/** CreateStack's parameters from a map, as the console's form fills them. */
function consoleParameters(values: Record<string, string>) {
  return Object.entries(values).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue }));
}

function succeeded(invocations: Invocation[]): boolean {
  return invocations.every((invocation) => invocation.response?.Status === 'SUCCESS');
}

/** What each slice answered: its logical id and the progress it reported. */
function progressOf(invocations: Invocation[]): [string, string][] {
  return invocations.map(({ event, response }) => [event.LogicalResourceId, String(response?.Data?.Progress ?? response?.Reason)]);
}

async function parameter(name: string): Promise<{ value?: string; type?: string; keyId?: string } | undefined> {
  try {
    const { Parameter } = await clients.ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    const described = await clients.ssm.send(new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Name', Values: [name] }] }));
    return { value: Parameter?.Value, type: Parameter?.Type, keyId: described.Parameters?.[0]?.KeyId };
  } catch (error) {
    if ((error as Error).name === 'ParameterNotFound') return undefined;
    throw error;
  }
}

describe('API-token mode on the emulator: the stacks create, update and delete the environment in Altinity.Cloud', () => {
  let kept: Environment;

  test('create: the cloud stack stores the token and a certificate of the test CA, and creates the environment for its own account and region', async () => {
    kept = new Environment(`${ALTINITY_ACCOUNT}-kept`, 'keep');
    const { cloud } = kept.synthesize(FILE);
    expect(cloud.Parameters?.[API_TOKEN_PARAMETER]).toMatchObject({ NoEcho: true });
    const invocations = await kept.createCloudStack(cloud);
    expectSucceeded(invocations);
    expect(invocations.map((invocation) => [invocation.event.LogicalResourceId, invocation.event.RequestType])).toEqual([
      ['CloudAccess', 'Create'],
      ['Environment', 'Create'],
    ]);
    const stack = await describeStack(clients, kept.cloudStack);
    expect(stack.StackStatus).toBe('CREATE_COMPLETE');
    const outputs = outputsOf(stack);
    expect(outputs).toMatchObject({ CertificateParameterName: cloudCertificateParameterName(kept.envName) });
    // What CloudFormation shows as the SpecRevision output, which moto cannot keep (emulator-template.ts).
    expect(invocations[1].response?.Data).toEqual({ SpecRevision: '1' });
    expect(stack.Outputs?.find((output) => output.OutputKey === 'FunctionArn')?.ExportName).toBe(`${kept.cloudStack}:FunctionArn`);

    const keyArn = invocations[0].event.ResourceProperties.KeyArn;
    expect(await parameter(apiTokenParameterName(kept.envName))).toEqual({ value: kept.token, type: 'SecureString', keyId: keyArn });
    const certificate = await parameter(cloudCertificateParameterName(kept.envName));
    expect(certificate).toMatchObject({ type: 'SecureString', keyId: keyArn });
    const issued = new X509Certificate(certificate?.value ?? '');
    expect(issued.subject).toBe(`CN=${kept.envName}`);
    expect(issued.checkIssued(new X509Certificate(ca.caPem()))).toBe(true);
    expect(issued.verify(new X509Certificate(ca.caPem()).publicKey)).toBe(true);

    expect(api.environment(kept.envName)).toMatchObject({
      account: ALTINITY_ACCOUNT,
      specRevision: 1,
      appliedSpecRevision: 0,
      spec: { awsAccountID: ACCOUNT, region: TEST_REGION, cloudConnect: true, cidr: FILE.cidr, zones: FILE.zones },
    });
  }, 60_000);

  test('create: the ready stack waits until Altinity.Cloud reports the revision applied, then completes', async () => {
    const { ready } = kept.synthesize(FILE);
    // The hosts of the connect stack, deployed between the two, connect.
    api.connect(kept.envName);
    const invocations = await kept.createReadyStack(ready);
    expectSucceeded(invocations);
    const progress = progressOf(invocations);
    expect(progress.map(([slice]) => slice)).toEqual(sliceIds(SLICES));
    // A look per slice, a minute apart in the stand-in's time: waiting until its third minute connected.
    expect(progress.slice(0, 2)).toEqual([
      ['Ready01', expect.stringMatching(/^waiting for the environment's first connection \(K8S_DISCONNECTED: /)],
      ['Ready02', expect.stringMatching(/^waiting for the environment's first connection/)],
    ]);
    expect(progress.slice(2).map(([, said]) => said)).toEqual(Array(SLICES - 2).fill(`${kept.envName} is ready: revision 1 applied`));
    expect((await describeStack(clients, kept.readyStack)).StackStatus).toBe('CREATE_COMPLETE');
    expect(api.environment(kept.envName)).toMatchObject({ specRevision: 1, appliedSpecRevision: 1 });
  }, 60_000);

  test('update: a node group change makes a new revision, and the ready stack waits again', async () => {
    const { cloud, ready } = kept.synthesize(withClickHouseCapacity(6));
    const from = api.requests.length;
    const updated = await kept.updateCloudStack(cloud);
    expectSucceeded(updated);
    expect(updated.map((invocation) => [invocation.event.LogicalResourceId, invocation.event.RequestType])).toEqual([['Environment', 'Update']]);
    expect(operationsSince(api, from)).toEqual(['GetAWSEnv', 'UpdateAWSEnv']);
    expect(api.environment(kept.envName)).toMatchObject({ specRevision: 2, appliedSpecRevision: 1 });
    expect(api.environment(kept.envName)?.spec.nodeGroups[1]).toMatchObject({ nodeType: 'm6i.large', capacityPerZone: 6 });
    expect(updated[0].response?.Data).toEqual({ SpecRevision: '2' });

    const waited = await kept.updateReadyStack(ready);
    expectSucceeded(waited);
    expect(waited.map((invocation) => invocation.event.RequestType)).toEqual(Array(SLICES).fill('Update'));
    expect(progressOf(waited).slice(0, 3)).toEqual([
      ['Ready01', 'revision 2 pending, revision 1 applied'],
      ['Ready02', 'revision 2 pending, revision 1 applied'],
      ['Ready03', `${kept.envName} is ready: revision 2 applied`],
    ]);
    expect(api.environment(kept.envName)).toMatchObject({ specRevision: 2, appliedSpecRevision: 2 });
  }, 60_000);

  test("a change to cidr fails the cloud stack's update naming the field, and nothing is sent to Altinity.Cloud", async () => {
    const { cloud } = kept.synthesize({ ...withClickHouseCapacity(6), cidr: '10.99.0.0/21' });
    const from = api.requests.length;
    const invocations = await kept.updateCloudStack(cloud);
    expect(invocations.map(({ event, response }) => [event.LogicalResourceId, event.RequestType, response?.Status])).toEqual([
      ['Environment', 'Update', 'FAILED'],
    ]);
    expect(invocations[0].response?.Reason).toMatch(/^\[environment-field-fixed\] cidr \(Altinity\.Cloud holds "10\.67\.0\.0\/21"\) cannot change/);
    // Read, compared, refused: no UpdateAWSEnv reached Altinity.Cloud.
    expect(operationsSince(api, from)).toEqual(['GetAWSEnv']);
    expect(api.environment(kept.envName)).toMatchObject({ specRevision: 2, spec: { cidr: FILE.cidr } });
  }, 60_000);

  test("an error Altinity.Cloud reports fails the ready stack's slice at its first look, with Altinity's code and message", async () => {
    const { cloud, ready } = kept.synthesize(withClickHouseCapacity(9));
    expectSucceeded(await kept.updateCloudStack(cloud));
    api.failWith(kept.envName, 'CLOUD_PROVIDER_QUOTA_EXCEEDED', 'vCPU limit reached');
    const invocations = await kept.updateReadyStack(ready);
    // CloudFormation sends the next slices nothing once one failed, and rolls the stack back.
    expect(invocations.map(({ event, response }) => [event.LogicalResourceId, event.RequestType, response?.Status])).toEqual([['Ready01', 'Update', 'FAILED']]);
    const reason = invocations[0].response?.Reason;
    expect(reason).toMatch(/^\[environment-failed\] Altinity\.Cloud reports CLOUD_PROVIDER_QUOTA_EXCEEDED: vCPU limit reached \(log stream /);
    // CloudFormation writes that reason into the stack's events as Ready01's UPDATE_FAILED; moto
    // records no resource event, so its events cannot show it.
    const { StackEvents } = await clients.cloudFormation.send(new DescribeStackEventsCommand({ StackName: kept.readyStack }));
    expect((StackEvents ?? []).filter((event) => event.LogicalResourceId === 'Ready01')).toEqual([]);
  }, 60_000);

  test('deleted without the opt-in, the stacks leave the environment in Altinity.Cloud', async () => {
    const from = api.requests.length;
    const { ready, cloud } = await kept.destroy();
    expect(ready.map((invocation) => invocation.event.LogicalResourceId)).toEqual(sliceIds(SLICES).reverse());
    expect(ready[0].logs).toContain(`${kept.envName} stays in Altinity.Cloud`);
    expect(cloud.map((invocation) => invocation.event.LogicalResourceId)).toEqual(['Environment', 'CloudAccess']);
    // Only the environment resource's look, to say that the environment stays.
    expect(operationsSince(api, from)).toEqual(['GetAWSEnv']);
    expect(cloud[0].logs).toContain(`${kept.envName} stays in Altinity.Cloud: the environment resource leaves it to ${kept.readyStack}`);
    expect(api.environment(kept.envName)).toMatchObject({ pendingDelete: false, specRevision: 3 });
    // The stack's own parameters go with it.
    expect(await parameter(apiTokenParameterName(kept.envName))).toBeUndefined();
    expect(await parameter(cloudCertificateParameterName(kept.envName))).toBeUndefined();
  }, 60_000);

  test("deleted with onStackDelete 'delete', the ready stack deletes the environment and waits until Altinity.Cloud has deprovisioned it", async () => {
    const gone = new Environment(`${ALTINITY_ACCOUNT}-gone`, 'delete');
    const { cloud, ready } = gone.synthesize(FILE);
    expectSucceeded(await gone.createCloudStack(cloud));
    api.connect(gone.envName);
    expectSucceeded(await gone.createReadyStack(ready));
    expect(api.environment(gone.envName)).toMatchObject({ appliedSpecRevision: 1 });

    const from = api.requests.length;
    const { ready: deleted, cloud: left } = await gone.destroy();
    // The first slice deleted asks once; deprovisioning is over by the next slice's look; then the environment resource looks.
    expect(operationsSince(api, from)).toEqual([
      'GetAWSEnvStatus',
      'DeleteAWSEnv',
      'GetAWSEnvStatus',
      ...Array(SLICES - 1).fill('GetAWSEnvStatus'),
      'GetAWSEnv',
    ]);
    expect(left[0].logs).toContain(`${gone.envName} is not in Altinity.Cloud any more`);
    expect(deleted[0].logs).toContain(`asked Altinity.Cloud to delete ${gone.envName}`);
    expect(deleted[1].logs).toContain(`${gone.envName} does not exist in Altinity.Cloud: nothing to delete`);
    expect(api.environment(gone.envName)).toBeUndefined();
  }, 120_000);

  test("a ready stack whose creation fails rolls back without deleting the environment, though its OnStackDelete is 'delete'", async () => {
    const failed = new Environment(`${ALTINITY_ACCOUNT}-rolled-back`, 'delete');
    const { cloud, ready } = failed.synthesize(FILE);
    expectSucceeded(await failed.createCloudStack(cloud));
    api.connect(failed.envName);
    api.failWith(failed.envName, 'CLOUD_PROVIDER_QUOTA_EXCEEDED', 'vCPU limit reached');
    const created = await failed.createReadyStack(ready);
    expect(created.map(({ event, response }) => [event.LogicalResourceId, response?.Status])).toEqual([['Ready01', 'FAILED']]);

    // CloudFormation's rollback deletes the slice it created, the stack ROLLBACK_IN_PROGRESS.
    const from = api.requests.length;
    const rolledBack = await lambda.serveDelete(failed.readyStack, 'ROLLBACK_IN_PROGRESS');
    expectSucceeded(rolledBack);
    expect(rolledBack[0].logs).toContain(`${failed.envName} stays in Altinity.Cloud: ${failed.readyStack} is ROLLBACK_IN_PROGRESS, not being deleted`);
    expect(operationsSince(api, from)).toEqual([]);
    expect(api.environment(failed.envName)).toMatchObject({ pendingDelete: false, specRevision: 1 });
    await clients.cloudFormation.send(new DeleteStackCommand({ StackName: failed.readyStack }));
    expectSucceeded(await lambda.serveDelete(failed.cloudStack));
    await clients.cloudFormation.send(new DeleteStackCommand({ StackName: failed.cloudStack }));
  }, 60_000);

  /**
   * The console's way: the two published templates of API-token mode (`npm run publish`), created
   * with the console's parameters, the environment file given as JSON; the connect template between
   * them is the published one with the cloud stack's certificate (not deployed here, as above).
   */
  test("the console's templates: the cloud stack from EnvName, ApiToken and the file as JSON; the ready stack from EnvName, SpecRevision and OnStackDelete", async () => {
    const consoleMade = new Environment(`${ALTINITY_ACCOUNT}-console`, 'delete');
    const cloud = synthesizeEnvironmentTemplate('cloud', '0.0.0-test') as Template;
    expect(Object.keys(cloud.Parameters ?? {}).sort()).toEqual(
      ['AltinityApiUrl', API_TOKEN_PARAMETER, 'EnvName', 'EnvironmentSpec', ...Object.keys(CONSOLE_ENVIRONMENT_FIELDS)].sort(),
    );
    await clients.cloudFormation.send(
      new CreateStackCommand({
        StackName: consoleMade.cloudStack,
        TemplateBody: asDeployed(cloud),
        Capabilities: ['CAPABILITY_IAM'],
        Parameters: consoleParameters({
          EnvName: consoleMade.envName,
          [API_TOKEN_PARAMETER]: consoleMade.token,
          Zones: FILE.zones.join(', '),
          Cidr: FILE.cidr,
          ClickHouseCapacityPerZone: '3',
          PublicSourceIpRanges: '203.0.113.0/24',
          EnvironmentSpec: JSON.stringify({ NAT: true, tags: [{ key: 'team', value: 'analytics' }] }),
          AltinityApiUrl: api.url,
        }),
      }),
    );
    const created = await lambda.serveCreate(consoleMade.cloudStack);
    expectSucceeded(created);
    await remember(consoleMade.cloudStack);
    expect(await parameter(apiTokenParameterName(consoleMade.envName))).toMatchObject({ value: consoleMade.token, type: 'SecureString' });
    expect(new X509Certificate((await parameter(cloudCertificateParameterName(consoleMade.envName)))?.value ?? '').subject).toBe(`CN=${consoleMade.envName}`);
    expect(api.environment(consoleMade.envName)).toMatchObject({
      specRevision: 1,
      spec: {
        awsAccountID: ACCOUNT,
        region: TEST_REGION,
        cloudConnect: true,
        cidr: FILE.cidr,
        zones: FILE.zones,
        NAT: true,
        tags: [{ key: 'team', value: 'analytics' }],
        loadBalancers: { public: { enabled: true, sourceIPRanges: ['203.0.113.0/24'] } },
      },
    });
    expect(
      api
        .environment(consoleMade.envName)
        ?.spec.nodeGroups.map((group: { nodeType: string; capacityPerZone: number }) => [group.nodeType, group.capacityPerZone]),
    ).toEqual([
      ['t4g.large', 10],
      ['m6i.large', 3],
    ]);
    const outputs = outputsOf(await describeStack(clients, consoleMade.cloudStack));
    expect(outputs).toMatchObject({ CertificateParameterName: cloudCertificateParameterName(consoleMade.envName) });

    api.connect(consoleMade.envName);
    const ready = synthesizeEnvironmentTemplate('ready', '0.0.0-test') as Template;
    await clients.cloudFormation.send(
      new CreateStackCommand({
        StackName: consoleMade.readyStack,
        TemplateBody: asDeployed(ready),
        Parameters: consoleParameters({ EnvName: consoleMade.envName, SpecRevision: String(created[1].response?.Data?.SpecRevision), OnStackDelete: 'delete' }),
      }),
    );
    const waited = await lambda.serveCreate(consoleMade.readyStack);
    expectSucceeded(waited);
    await remember(consoleMade.readyStack);
    expect(progressOf(waited).map(([slice]) => slice)).toEqual(sliceIds(CONSOLE_SLICES));
    expect(progressOf(waited).at(-1)?.[1]).toBe(`${consoleMade.envName} is ready: revision 1 applied`);
    expect(outputsOf(await describeStack(clients, consoleMade.readyStack)).WhenDeleted).toMatch(
      /^acme-console is deleted from Altinity\.Cloud and deprovisioned, unless it has ClickHouse clusters$/,
    );

    const { ready: deleted } = await consoleMade.destroy();
    expect(deleted[0].logs).toContain(`asked Altinity.Cloud to delete ${consoleMade.envName}`);
    expect(api.environment(consoleMade.envName)).toBeUndefined();
  }, 120_000);

  test("the console's environment file is checked as the app checks it: a bad field fails the cloud stack naming it, and Altinity.Cloud gets nothing", async () => {
    const refused = new Environment(`${ALTINITY_ACCOUNT}-console-refused`, 'keep');
    await clients.cloudFormation.send(
      new CreateStackCommand({
        StackName: refused.cloudStack,
        TemplateBody: asDeployed(synthesizeEnvironmentTemplate('cloud', '0.0.0-test') as Template),
        Capabilities: ['CAPABILITY_IAM'],
        Parameters: consoleParameters({
          EnvName: refused.envName,
          [API_TOKEN_PARAMETER]: refused.token,
          Zones: 'eu-west-1a,eu-west-1b',
          EnvironmentSpec: JSON.stringify({ ...FILE, zones: undefined, cidr: '10.67.0.0/24' }),
          AltinityApiUrl: api.url,
        }),
      }),
    );
    const from = api.requests.length;
    const created = await lambda.serveCreate(refused.cloudStack);
    await remember(refused.cloudStack);
    expect(created.map(({ event, response }) => [event.LogicalResourceId, response?.Status])).toEqual([
      ['CloudAccess', 'SUCCESS'],
      ['Environment', 'FAILED'],
    ]);
    const reason = created[1].response?.Reason ?? '';
    expect(reason).toMatch(/^\[environment-spec-invalid\] the environment specification: /);
    expect(reason).toContain('cidr');
    expect(reason).toContain('zones');
    // The certificate was signed; no environment operation was sent.
    expect(operationsSince(api, from).filter((operation) => operation !== 'sign')).toEqual([]);
    expect(api.environment(refused.envName)).toBeUndefined();
    // CloudFormation's rollback deletes what was created: the access, with the token and the certificate.
    const rolledBack = await lambda.serveDelete(refused.cloudStack, 'ROLLBACK_IN_PROGRESS');
    expectSucceeded(rolledBack);
    await clients.cloudFormation.send(new DeleteStackCommand({ StackName: refused.cloudStack }));
    expect(await parameter(apiTokenParameterName(refused.envName))).toBeUndefined();
  }, 60_000);

  /**
   * Not DescribeStacks' parameters: AWS shows a NoEcho value as ****, moto shows it as given (the
   * first test checks that the template declares it NoEcho).
   */
  test("the API token is found nowhere: templates, outputs, stack events, the function's logs and answers, cdk.out", () => {
    const places: [string, string][] = [
      ...readFromCloudFormation,
      ...lambda.invocations.flatMap((invocation, index): [string, string][] => [
        [`function log ${index + 1} (${invocation.event.LogicalResourceId} ${invocation.event.RequestType})`, invocation.logs],
        [`answer ${index + 1}`, JSON.stringify(invocation.response ?? {})],
      ]),
      ...assemblies.flatMap((dir) => Object.entries(filesUnder(dir))),
    ];
    expect(tokens).toHaveLength(5);
    for (const token of tokens) expect(places.filter(([, text]) => text.includes(token)).map(([place]) => place)).toEqual([]);
    // The places are there: templates and assemblies name the environment.
    expect(places.filter(([place]) => place.includes('GetTemplate')).length).toBeGreaterThan(8);
    expect(places.filter(([place]) => place.endsWith('.template.json')).length).toBe(assemblies.length * 3);
  });
});
