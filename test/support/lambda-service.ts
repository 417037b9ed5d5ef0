/**
 * Stands in for AWS Lambda beside moto_server, which cannot run the stack's custom-resource
 * function: runs it as CloudFormation would invoke it (see LambdaService).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CloudFormationClient,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  type Export,
  GetTemplateCommand,
  ListExportsCommand,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import { parse } from 'yaml';
import { TemplateEvaluator } from '../../lib/docs/template-evaluator';
import { CloudFormationStandIn } from './cloudformation-standin';
import type { MotoServer } from './moto-server';

/** The request CloudFormation sends to a Lambda-backed custom resource. */
export interface CustomResourceEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly ServiceToken: string;
  readonly ResponseURL: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly ResourceType: string;
  readonly ResourceProperties: Record<string, unknown>;
  readonly PhysicalResourceId?: string;
  readonly OldResourceProperties?: Record<string, unknown>;
}

/** What the function PUT to its ResponseURL. */
export interface CustomResourceResponse {
  readonly Status: 'SUCCESS' | 'FAILED';
  readonly Reason?: string;
  readonly PhysicalResourceId: string;
  readonly Data?: Record<string, unknown>;
}

export interface Invocation {
  readonly event: CustomResourceEvent;
  /** Absent when the function ended without answering (CloudFormation would wait for an hour). */
  readonly response?: CustomResourceResponse;
  /** HTTP status the emulator gave the response. */
  readonly responseHttpStatus?: number;
  /** Everything the function wrote to stdout and stderr: what its CloudWatch log stream would hold. */
  readonly logs: string;
  readonly exitCode: number | null;
}

type Template = {
  Parameters?: Record<string, { Type: string }>;
  Conditions?: Record<string, unknown>;
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; Condition?: string }>;
};

/** A stack as CloudFormation sees it while it sends events: template, parameter values, live resources. */
interface StackView {
  readonly stack: Stack;
  readonly template: Template;
  /** Physical ids of the resources the emulator reports, by logical id. */
  readonly physicalIds: ReadonlyMap<string, string>;
}

/** What CloudFormation remembers of a custom resource between events. */
interface ServedResource {
  readonly properties: Record<string, unknown>;
  readonly physicalResourceId: string;
}

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const POLL_INTERVAL_MS = 250;
/** Time past the function's own timeout after which the child is killed, as Lambda would kill it. */
const KILL_GRACE_MS = 2_000;

/**
 * Runs the deployed function the way the Lambda Node.js runtime does: loads the handler's file from
 * the function code and calls the exported handler with the event and a context. The one addition is a
 * tap on `fetch`, which reports what the function PUT to its ResponseURL (passed on unchanged), so
 * that later events carry the PhysicalResourceId the function chose, as CloudFormation's would.
 */
const RUNTIME = `
const path = require('node:path');
process.once('message', async ({ event, codeDir, handler, functionName, timeoutMs }) => {
  const deliver = globalThis.fetch;
  globalThis.fetch = async (url, init) => {
    const response = await deliver(url, init);
    if (String(url) === event.ResponseURL) {
      const report = { response: JSON.parse(String(init && init.body)), responseHttpStatus: response.status };
      await new Promise((sent) => process.send(report, sent));
    }
    return response;
  };
  const [file, exported] = handler.split('.');
  const deadline = Date.now() + timeoutMs;
  const context = {
    functionName,
    awsRequestId: event.RequestId,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
  try {
    await require(path.join(codeDir, file))[exported](event, context);
  } catch (error) {
    console.error('Invoke Error', error);
    process.exitCode = 1;
  }
  process.disconnect();
});
`;

/** What the Lambda service gives every function beyond what its template says. */
export interface LambdaServiceOptions {
  /**
   * The longest a function may run, in place of a longer timeout of its own: a function that waits
   * by the clock (the ready stack's slices wait up to 15 minutes) then answers within seconds, as
   * it would at the end of its real time, since it reads what is left from its context.
   */
  readonly maxTimeoutSeconds?: number;
  /**
   * Variables of the runtime's process beside the function's own, as Lambda sets some (e.g.
   * NODE_EXTRA_CA_CERTS naming the test CA, which stands in for the public CAs the runtime trusts).
   */
  readonly runtimeEnv?: Record<string, string>;
}

/**
 * Acts as the Lambda service for the emulator's custom resources: moto cannot run a function
 * without Docker, and sends no Update or Delete event at all. Each event is the one CloudFormation
 * would send, with properties resolved from the stack's stored template (GetTemplate), parameter
 * values and other stacks' exports (`Fn::ImportValue`); the function, of this stack or of the one
 * that exports its ARN, runs its inlined `Code.ZipFile` in a Node child process with the repository's
 * AWS SDK, pointed at the emulator, and delivers its own response to the emulator. While it handles
 * an event, CloudFormation's own account of the resource (cloudformation-standin.ts) reports it in
 * that event's `*_IN_PROGRESS` state, as CloudFormation does; `sendAsAnyone` delivers an event
 * CloudFormation did not send.
 */
export class LambdaService {
  /** Every invocation so far, in order; their logs are part of what the suite printed. */
  readonly invocations: Invocation[] = [];
  private readonly cloudFormation: CloudFormationClient;
  /** By `<stack id> <logical id>`. */
  private readonly served = new Map<string, ServedResource>();
  /** Resources whose Create was answered FAILED, which CloudFormation's rollback or deletion still sends a Delete. */
  private readonly failedCreates = new Map<string, ServedResource>();
  private standIn?: CloudFormationStandIn;

  constructor(
    private readonly server: MotoServer,
    private readonly options: LambdaServiceOptions = {},
  ) {
    this.cloudFormation = new CloudFormationClient({
      region: server.env.AWS_REGION,
      endpoint: server.endpoint,
      credentials: { accessKeyId: server.env.AWS_ACCESS_KEY_ID, secretAccessKey: server.env.AWS_SECRET_ACCESS_KEY },
    });
  }

  /**
   * Waits until the stack has been created and sends a Create event to each custom resource that has
   * not had one. moto's CreateStack then waits with the resource CREATE_IN_PROGRESS for the answer;
   * its change-set path (`cdk deploy`) marks the stack complete at once, without waiting for one.
   */
  async serveCreate(stackName: string, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<Invocation[]> {
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    for (;;) {
      options.signal?.throwIfAborted();
      const view = await this.viewOnceCreated(stackName);
      const waiting = view
        ? this.customResources(view).filter((logicalId) => view.physicalIds.has(logicalId) && !this.served.has(this.key(view, logicalId)))
        : [];
      if (view && waiting.length > 0)
        return this.sendAll(
          waiting.map((logicalId) => this.createEvent(view, logicalId)),
          view,
        );
      if (Date.now() > deadline) throw new Error(`no custom resource of stack ${stackName} waited for a Create event`);
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
    }
  }

  /**
   * Sends the events CloudFormation sends after an UpdateStack: Update to each custom resource whose
   * resolved properties changed (with the old ones), Create to a new one, Delete to one that left the
   * template. moto applies updates at once, so call this when UpdateStack has returned.
   */
  async serveUpdate(stackName: string): Promise<Invocation[]> {
    const view = await this.viewOnceCreated(stackName);
    if (!view) throw new Error(`stack ${stackName} does not exist`);
    const current = new Set(this.customResources(view));
    const events: CustomResourceEvent[] = [];
    for (const logicalId of current) {
      const served = this.served.get(this.key(view, logicalId));
      if (!served) {
        events.push(this.createEvent(view, logicalId));
        continue;
      }
      const properties = this.resolveProperties(view, logicalId);
      if (JSON.stringify(properties) !== JSON.stringify(served.properties)) {
        events.push({
          ...this.baseEvent(view, logicalId, 'Update', properties),
          PhysicalResourceId: served.physicalResourceId,
          OldResourceProperties: served.properties,
        });
      }
    }
    for (const [key, served] of this.served) {
      const [stackId, logicalId] = key.split(' ');
      if (stackId === view.stack.StackId && !current.has(logicalId)) events.push(this.deleteEvent(view, logicalId, served));
    }
    return this.sendAll(events, view);
  }

  /**
   * Sends Delete to every custom resource of the stack, the last created first, as CloudFormation
   * deletes a resource before those it depends on; one whose Create failed gets it too, with the
   * physical id its answer gave, as CloudFormation sends it. Call it right before DeleteStack: moto sends
   * no Delete event, and an answer that reaches it after the deletion makes it create the deleted
   * stack's resources again (its readiness check re-parses the emptied resource map). Meanwhile
   * CloudFormation reports the stack `stackStatus`: DELETE_IN_PROGRESS for DeleteStack, or the
   * status of a rollback that deletes what it created.
   */
  async serveDelete(stackName: string, stackStatus = 'DELETE_IN_PROGRESS'): Promise<Invocation[]> {
    const view = await this.viewOnceCreated(stackName);
    if (!view) throw new Error(`stack ${stackName} does not exist`);
    (await this.cloudFormationStandIn()).declareStack(String(view.stack.StackId), stackStatus);
    const events = [...this.served, ...this.failedCreates]
      .filter(([key]) => key.startsWith(`${view.stack.StackId} `))
      .map(([key, served]) => this.deleteEvent(view, key.split(' ')[1], served))
      .reverse();
    return this.sendAll(events, view);
  }

  /** The stack once its resources exist; undefined while it does not exist or awaits a change set. */
  private async viewOnceCreated(stackName: string): Promise<StackView | undefined> {
    let stack: Stack | undefined;
    try {
      stack = (await this.cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0];
    } catch (error) {
      if ((error as Error).name === 'ValidationError') return undefined;
      throw error;
    }
    // A stack under review has no resources yet, and moto creates them when they are first listed.
    if (!stack || stack.StackStatus === 'REVIEW_IN_PROGRESS') return undefined;
    const body = (await this.cloudFormation.send(new GetTemplateCommand({ StackName: stack.StackId, TemplateStage: 'Original' }))).TemplateBody;
    if (!body) throw new Error(`GetTemplate returned no template for ${stackName}`);
    const parameters = Object.fromEntries((stack.Parameters ?? []).map(({ ParameterKey, ParameterValue }) => [ParameterKey, ParameterValue]));
    const template = withImportsResolved(parse(body), await this.exports(), parameters);
    const resources = (await this.cloudFormation.send(new DescribeStackResourcesCommand({ StackName: stack.StackId }))).StackResources ?? [];
    const physicalIds = new Map<string, string>();
    for (const resource of resources) {
      if (resource.LogicalResourceId && resource.PhysicalResourceId) physicalIds.set(resource.LogicalResourceId, resource.PhysicalResourceId);
    }
    return { stack, template: template as Template, physicalIds };
  }

  /** Every export of the account and region, as `Fn::ImportValue` reads them. */
  private async exports(): Promise<Export[]> {
    const exports: Export[] = [];
    let NextToken: string | undefined;
    do {
      const page = await this.cloudFormation.send(new ListExportsCommand({ NextToken }));
      exports.push(...(page.Exports ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
    return exports;
  }

  /**
   * The custom resources of the stack's template. Not of DescribeStackResources: once moto has
   * updated a custom resource, it lists it without a logical id.
   */
  private customResources(view: StackView): string[] {
    const evaluator = liveEvaluator(view);
    return Object.entries(view.template.Resources)
      .filter(([, resource]) => isCustomResource(resource.Type) && (!resource.Condition || evaluator.holds(resource.Condition)))
      .map(([logicalId]) => logicalId);
  }

  private key(view: StackView, logicalId: string): string {
    return `${view.stack.StackId} ${logicalId}`;
  }

  private createEvent(view: StackView, logicalId: string): CustomResourceEvent {
    return this.baseEvent(view, logicalId, 'Create', this.resolveProperties(view, logicalId));
  }

  private deleteEvent(view: StackView, logicalId: string, served: ServedResource): CustomResourceEvent {
    return {
      ...this.baseEvent(view, logicalId, 'Delete', served.properties),
      PhysicalResourceId: served.physicalResourceId,
    };
  }

  private baseEvent(
    view: StackView,
    logicalId: string,
    requestType: CustomResourceEvent['RequestType'],
    properties: Record<string, unknown>,
  ): CustomResourceEvent {
    const stackId = view.stack.StackId!;
    return {
      RequestType: requestType,
      ServiceToken: String(properties.ServiceToken),
      ResponseURL: `${this.server.endpoint}/cloudformation_${arnPart(stackId, 'region')}/cfnresponse?stack=${stackId}`,
      StackId: stackId,
      RequestId: randomUUID(),
      LogicalResourceId: logicalId,
      ResourceType: view.template.Resources[logicalId].Type,
      ResourceProperties: properties,
    };
  }

  private resolveProperties(view: StackView, logicalId: string): Record<string, unknown> {
    const properties = view.template.Resources[logicalId].Properties ?? {};
    return asCustomResourceProperties(liveEvaluator(view).resolve(properties)) as Record<string, unknown>;
  }

  /**
   * CloudFormation sends them one at a time, in dependency order (the template's, where each depends
   * on the one before or on none), and starts no other once one has failed.
   */
  private async sendAll(events: CustomResourceEvent[], view: StackView): Promise<Invocation[]> {
    const invocations: Invocation[] = [];
    for (const event of events) {
      const invocation = await this.invoke(event, view);
      invocations.push(invocation);
      if (invocation.response?.Status !== 'SUCCESS') break;
    }
    return invocations;
  }

  private async invoke(event: CustomResourceEvent, view: StackView): Promise<Invocation> {
    const standIn = await this.cloudFormationStandIn();
    const type = event.RequestType.toUpperCase();
    standIn.declare(event.StackId, event.LogicalResourceId, { status: `${type}_IN_PROGRESS`, physicalId: event.PhysicalResourceId, type: event.ResourceType });
    const invocation = await runFunction(event, await this.functionFor(event.ServiceToken, view), this.runtimeEnv(standIn));
    this.invocations.push(invocation);
    const succeeded = invocation.response?.Status === 'SUCCESS';
    standIn.declare(event.StackId, event.LogicalResourceId, {
      status: `${type}_${succeeded ? 'COMPLETE' : 'FAILED'}`,
      physicalId: invocation.response?.PhysicalResourceId ?? event.PhysicalResourceId,
      type: event.ResourceType,
    });
    const key = this.key(view, event.LogicalResourceId);
    if (event.RequestType === 'Delete') {
      if (succeeded) {
        this.served.delete(key);
        this.failedCreates.delete(key);
      }
    } else if (succeeded) {
      this.served.set(key, { properties: event.ResourceProperties, physicalResourceId: invocation.response!.PhysicalResourceId });
    } else if (event.RequestType === 'Create' && invocation.response) {
      this.failedCreates.set(key, { properties: event.ResourceProperties, physicalResourceId: invocation.response.PhysicalResourceId });
    }
    return invocation;
  }

  /**
   * Delivers to the stack's custom resource `logicalId` an event that CloudFormation did not send:
   * `change` alters the event CloudFormation would send for `requestType`. CloudFormation's account of
   * the resource stays as it is. For tests of what anyone allowed to invoke the function can do.
   */
  async sendAsAnyone(
    stackName: string,
    logicalId: string,
    requestType: CustomResourceEvent['RequestType'],
    change: (event: CustomResourceEvent) => CustomResourceEvent = (event) => event,
  ): Promise<Invocation> {
    const view = await this.viewOnceCreated(stackName);
    if (!view) throw new Error(`stack ${stackName} does not exist`);
    const served = this.served.get(this.key(view, logicalId));
    const properties = served?.properties ?? this.resolveProperties(view, logicalId);
    const event = change({ ...this.baseEvent(view, logicalId, requestType, properties), ...(served ? { PhysicalResourceId: served.physicalResourceId } : {}) });
    const standIn = await this.cloudFormationStandIn();
    const invocation = await runFunction(event, await this.functionFor(event.ServiceToken, view), this.runtimeEnv(standIn));
    this.invocations.push(invocation);
    return invocation;
  }

  /** The runtime's environment besides the function's variables: AWS's endpoints, and what the options add. */
  private runtimeEnv(standIn: CloudFormationStandIn): Record<string, string> {
    return { ...this.options.runtimeEnv, ...this.server.env, AWS_ENDPOINT_URL_CLOUDFORMATION: standIn.endpoint };
  }

  /** Stops what the service started. */
  async stop(): Promise<void> {
    await this.standIn?.stop();
  }

  private async cloudFormationStandIn(): Promise<CloudFormationStandIn> {
    this.standIn ??= await CloudFormationStandIn.start(this.server.endpoint);
    return this.standIn;
  }

  /**
   * The `AWS::Lambda::Function` whose ARN is the service token: of the stack itself, or of the stack
   * that exports that ARN (a service token given by `Fn::ImportValue`).
   */
  private async functionFor(serviceToken: string, view: StackView): Promise<DeployedFunction> {
    const own = this.functionOf(serviceToken, view);
    if (own) return own;
    const exporter = (await this.exports()).find((exported) => exported.Value === serviceToken)?.ExportingStackId;
    const exporting = exporter === undefined ? undefined : await this.viewOnceCreated(exporter);
    const imported = exporting && this.functionOf(serviceToken, exporting);
    if (!imported) {
      // When a stack exports it, the functions it has: a mismatch means the emulator built one twice.
      const functions = Object.entries(exporting?.template.Resources ?? {}).filter(([, resource]) => resource.Type === 'AWS::Lambda::Function');
      const names = functions.map(([logicalId]) => exporting?.physicalIds.get(logicalId) ?? `${logicalId} (not created)`).join(', ');
      throw new Error(
        `no function of this stack, nor of a stack exporting it, has the ARN ${serviceToken}${exporter ? ` (${exporter} has ${names || 'none'})` : ''}`,
      );
    }
    return imported;
  }

  private functionOf(serviceToken: string, view: StackView): DeployedFunction | undefined {
    const evaluator = liveEvaluator(view);
    for (const [logicalId, resource] of Object.entries(view.template.Resources)) {
      if (resource.Type !== 'AWS::Lambda::Function') continue;
      if (evaluator.resolve({ 'Fn::GetAtt': [logicalId, 'Arn'] }) !== serviceToken) continue;
      // Only what the runtime needs: the rest (its role, its log group) means nothing here.
      const { Code, Handler, Timeout, MemorySize, Environment } = resource.Properties ?? {};
      const properties = evaluator.resolve({ Code, Handler, Timeout, MemorySize, Environment }) as FunctionProperties;
      if (typeof properties.Code?.ZipFile !== 'string') throw new Error(`${logicalId} has no inline Code.ZipFile to run`);
      return {
        name: view.physicalIds.get(logicalId)!,
        code: properties.Code.ZipFile,
        handler: properties.Handler,
        timeoutSeconds: Math.min(properties.Timeout ?? 3, this.options.maxTimeoutSeconds ?? Number.POSITIVE_INFINITY),
        memorySize: properties.MemorySize ?? 128,
        variables: properties.Environment?.Variables ?? {},
      };
    }
    return undefined;
  }
}

interface FunctionProperties {
  Code?: { ZipFile?: unknown };
  Handler: string;
  Timeout?: number;
  MemorySize?: number;
  Environment?: { Variables?: Record<string, string> };
}

interface DeployedFunction {
  readonly name: string;
  readonly code: string;
  readonly handler: string;
  readonly timeoutSeconds: number;
  readonly memorySize: number;
  readonly variables: Record<string, string>;
}

/**
 * Runs one invocation in a fresh Node process, with only the environment Lambda gives a function
 * (credentials, region, function facts, its own variables) plus the emulator's endpoint and the
 * service's `runtimeEnv`: nothing of the test process, so the developer's AWS profile cannot leak in.
 */
async function runFunction(event: CustomResourceEvent, fn: DeployedFunction, awsEnv: Record<string, string>): Promise<Invocation> {
  const codeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lambda-code-'));
  // CloudFormation stores a Node.js ZipFile as index.js, whatever the handler says; the runtime reads it as CommonJS.
  fs.writeFileSync(path.join(codeDir, 'index.js'), fn.code);
  const logStreamName = `${new Date().toISOString().slice(0, 10).replace(/-/g, '/')}/[$LATEST]${randomUUID().replace(/-/g, '')}`;
  const child = spawn(process.execPath, ['-e', RUNTIME], {
    cwd: codeDir,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: {
      ...awsEnv,
      ...fn.variables,
      PATH: process.env.PATH ?? '',
      HOME: codeDir,
      // The Node.js runtimes provide the AWS SDK v3; here it comes from the repository.
      NODE_PATH: path.join(REPO_ROOT, 'node_modules'),
      AWS_CONFIG_FILE: path.join(codeDir, 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(codeDir, 'no-credentials'),
      AWS_LAMBDA_FUNCTION_NAME: fn.name,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySize),
      AWS_LAMBDA_LOG_STREAM_NAME: logStreamName,
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs',
      LAMBDA_TASK_ROOT: codeDir,
    },
  });
  let logs = '';
  child.stdout?.on('data', (chunk: Buffer) => (logs += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (logs += chunk.toString()));
  let reported: Pick<Invocation, 'response' | 'responseHttpStatus'> = {};
  child.on('message', (message: Pick<Invocation, 'response' | 'responseHttpStatus'>) => (reported = message));
  const timeoutMs = fn.timeoutSeconds * 1000;
  const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs + KILL_GRACE_MS);
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
    child.send({ event, codeDir, handler: fn.handler, functionName: fn.name, timeoutMs });
  }).finally(() => {
    clearTimeout(killer);
    fs.rmSync(codeDir, { recursive: true, force: true });
  });
  return { event, ...reported, logs, exitCode };
}

/**
 * The template with each `Fn::ImportValue` replaced by the export's value, as CloudFormation resolves
 * it (TemplateEvaluator knows no exports); an export named by an `Fn::Sub` of the stack's parameters
 * (a console template's import by the environment's name) is found by the name it makes. An import
 * of no export is left as it is, and fails the evaluation of whatever uses it.
 */
function withImportsResolved(node: unknown, exports: readonly Export[], parameters: Record<string, string | undefined>): unknown {
  if (Array.isArray(node)) return node.map((element) => withImportsResolved(element, exports, parameters));
  if (typeof node !== 'object' || node === null) return node;
  const imported = (node as { 'Fn::ImportValue'?: unknown })['Fn::ImportValue'];
  const pattern = (imported as { 'Fn::Sub'?: unknown } | undefined)?.['Fn::Sub'];
  const name = typeof pattern === 'string' ? pattern.replace(/\$\{(\w+)\}/g, (whole, parameter: string) => parameters[parameter] ?? whole) : imported;
  const found = typeof name === 'string' ? exports.find((exported) => exported.Name === name) : undefined;
  if (found) return found.Value;
  return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, withImportsResolved(value, exports, parameters)]));
}

/** Whether a resource of this type is a custom resource, which CloudFormation serves by invoking its function. */
export function isCustomResource(type: string): boolean {
  return type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource';
}

function arnPart(arn: string, part: 'partition' | 'region' | 'account'): string {
  return arn.split(':')[{ partition: 1, region: 3, account: 4 }[part]];
}

/** CloudFormation hands a custom resource every scalar as a string. */
function asCustomResourceProperties(value: unknown): unknown {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map(asCustomResourceProperties);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, asCustomResourceProperties(inner)]));
  }
  return value;
}

/**
 * The stack's template evaluated as CloudFormation evaluates it while it sends events: with the
 * stack's parameter values, its pseudo parameters and the physical ids of its live resources.
 */
function liveEvaluator(view: StackView): TemplateEvaluator {
  const stackId = view.stack.StackId!;
  const declared = view.template.Parameters ?? {};
  const values = new Map<string, unknown>([
    ['AWS::StackId', stackId],
    ['AWS::StackName', view.stack.StackName],
    ['AWS::Region', arnPart(stackId, 'region')],
    ['AWS::AccountId', arnPart(stackId, 'account')],
    ['AWS::Partition', arnPart(stackId, 'partition')],
    ['AWS::URLSuffix', 'amazonaws.com'],
  ]);
  for (const { ParameterKey, ParameterValue } of view.stack.Parameters ?? []) {
    if (!ParameterKey) continue;
    // CloudFormation knows NoEcho values; moto reports them too, so a mask here means we cannot.
    if (ParameterValue === '****') throw new Error(`the emulator masked parameter ${ParameterKey}: its value is unknown`);
    const type = declared[ParameterKey]?.Type ?? 'String';
    values.set(ParameterKey, type.startsWith('List<') || type === 'CommaDelimitedList' ? (ParameterValue ?? '').split(',') : ParameterValue);
  }
  const ref = (name: string): unknown => {
    if (values.has(name)) return values.get(name);
    const physicalId = view.physicalIds.get(name);
    if (physicalId === undefined) throw new Error(`Ref ${name}: no such parameter or live resource`);
    return physicalId;
  };
  const attribute = (logicalId: string, attribute: string): string => {
    const type = view.template.Resources[logicalId]?.Type;
    const arn = (service: string, resource: string) =>
      `arn:${arnPart(stackId, 'partition')}:${service}:${arnPart(stackId, 'region')}:${arnPart(stackId, 'account')}:${resource}`;
    if (type === 'AWS::Lambda::Function' && attribute === 'Arn') return arn('lambda', `function:${ref(logicalId)}`);
    if (type === 'AWS::KMS::Key' && attribute === 'Arn') return arn('kms', `key/${ref(logicalId)}`);
    throw new Error(`Fn::GetAtt ${logicalId}.${attribute} (${type}) is not supported by the test Lambda service`);
  };
  return new TemplateEvaluator(view.template, { ref, attribute });
}
