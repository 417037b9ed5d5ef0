/**
 * Stands in for what CloudFormation says about a custom resource while it awaits the function's
 * answer. moto_server reports every resource's status as its stack's, and applies updates and
 * deletions at once, so it never reports a resource UPDATE_IN_PROGRESS or DELETE_IN_PROGRESS while
 * the function handles that request, as CloudFormation does. This server answers
 * DescribeStackResource for the resources a test declares, as CloudFormation would, and passes every
 * other request to moto_server unchanged.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What CloudFormation reports of one resource: its status and, once it has one, its physical id. */
export interface ResourceState {
  readonly status: string;
  readonly physicalId?: string;
  /** The resource's type as the template declares it. */
  readonly type?: string;
}

export class CloudFormationStandIn {
  private readonly states = new Map<string, ResourceState>();
  private readonly stackStatuses = new Map<string, string>();
  private readonly server: http.Server;
  /** DescribeStackResource requests answered, for tests that check the function asked. */
  readonly asked: { stackName: string; logicalId: string }[] = [];

  private constructor(private readonly motoEndpoint: string) {
    this.server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => void this.answer(request, Buffer.concat(chunks), response));
    });
  }

  static async start(motoEndpoint: string): Promise<CloudFormationStandIn> {
    const standIn = new CloudFormationStandIn(motoEndpoint);
    await new Promise<void>((resolve) => standIn.server.listen(0, '127.0.0.1', resolve));
    return standIn;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Says what CloudFormation reports of the resource from now on. */
  declare(stackId: string, logicalId: string, state: ResourceState): void {
    this.states.set(`${stackId} ${logicalId}`, state);
  }

  /** Says what CloudFormation reports of the stack's own status from now on (DescribeStacks by its id). */
  declareStack(stackId: string, status: string): void {
    this.stackStatuses.set(stackId, status);
  }

  stateOf(stackId: string, logicalId: string): ResourceState | undefined {
    return this.states.get(`${stackId} ${logicalId}`);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async answer(request: http.IncomingMessage, body: Buffer, response: http.ServerResponse): Promise<void> {
    const form = new URLSearchParams(body.toString('utf8'));
    if (form.get('Action') === 'DescribeStackResource') {
      const stackName = form.get('StackName') ?? '';
      const logicalId = form.get('LogicalResourceId') ?? '';
      const state = this.states.get(`${stackName} ${logicalId}`);
      if (state) {
        this.asked.push({ stackName, logicalId });
        response.writeHead(200, { 'content-type': 'text/xml' }).end(describeStackResourceXml(stackName, logicalId, state));
        return;
      }
    }
    const stackStatus = form.get('Action') === 'DescribeStacks' ? this.stackStatuses.get(form.get('StackName') ?? '') : undefined;
    if (stackStatus) {
      response.writeHead(200, { 'content-type': 'text/xml' }).end(describeStacksXml(form.get('StackName') ?? '', stackStatus));
      return;
    }
    try {
      const forwarded = await fetch(`${this.motoEndpoint}${request.url ?? '/'}`, {
        method: request.method,
        headers: Object.fromEntries(
          Object.entries(request.headers).filter(([name]) => !['host', 'content-length', 'connection'].includes(name)) as [string, string][],
        ),
        body: request.method === 'GET' || request.method === 'HEAD' ? undefined : body,
      });
      response
        .writeHead(forwarded.status, { 'content-type': forwarded.headers.get('content-type') ?? 'text/xml' })
        .end(Buffer.from(await forwarded.arrayBuffer()));
    } catch (error) {
      response.writeHead(502).end(String(error));
    }
  }
}

function describeStackResourceXml(stackId: string, logicalId: string, state: ResourceState): string {
  const physical = state.physicalId ? `<PhysicalResourceId>${state.physicalId}</PhysicalResourceId>` : '';
  return `<DescribeStackResourceResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
  <DescribeStackResourceResult><StackResourceDetail>
    <StackId>${stackId}</StackId><StackName>${stackId.split('/')[1] ?? stackId}</StackName>
    <LogicalResourceId>${logicalId}</LogicalResourceId>${physical}
    <ResourceType>${state.type ?? 'Custom::Resource'}</ResourceType><LastUpdatedTimestamp>2026-01-01T00:00:00Z</LastUpdatedTimestamp>
    <ResourceStatus>${state.status}</ResourceStatus>
  </StackResourceDetail></DescribeStackResourceResult>
  <ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata>
</DescribeStackResourceResponse>`;
}

function describeStacksXml(stackId: string, status: string): string {
  return `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
  <DescribeStacksResult><Stacks><member>
    <StackId>${stackId}</StackId><StackName>${stackId.split('/')[1] ?? stackId}</StackName>
    <CreationTime>2026-01-01T00:00:00Z</CreationTime><StackStatus>${status}</StackStatus>
  </member></Stacks></DescribeStacksResult>
  <ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata>
</DescribeStacksResponse>`;
}
