import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import { AutoScalingClient, DescribeAutoScalingInstancesCommand } from '@aws-sdk/client-auto-scaling';
import { CloudFormationClient, DescribeStackResourcesCommand, type StackResource } from '@aws-sdk/client-cloudformation';
import type { MotoServer } from '../../../support/moto-server';
import { type Answer, readBody } from '../../standins/http';

/**
 * Stands in for two AWS APIs that moto_server lacks or cannot act on, and passes every other call
 * (SSM above all) on to moto_server unchanged. The host's AWS CLI reaches it through
 * AWS_ENDPOINT_URL (the one endpoint variable the test sets), at 127.0.0.1:4566 in its namespace.
 *
 * - CloudFormation SignalResource: moto does not implement it. Answered as CloudFormation does:
 *   a ValidationError for a stack or logical id that moto's stack does not have, or for a resource
 *   that has had its signal already (complete or failed); else recorded and accepted.
 * - Auto Scaling SetInstanceHealth: recorded, so that a test sees what the host asked for; for an
 *   instance of one of moto's groups passed on to moto, which keeps the health status
 *   (DescribeAutoScalingInstances shows it); for any other instance a ValidationError, as Auto
 *   Scaling answers (moto itself fails with HTTP 500 there).
 * Every other call is recorded too (service, action, status, when), then answered by moto.
 */

export interface ResourceSignal {
  readonly stackName: string;
  readonly logicalResourceId: string;
  readonly uniqueId: string;
  readonly status: string;
  /** The access key that signed the call: the instance role's, from the metadata service. */
  readonly accessKeyId: string;
  /** When the proxy received it (ms since the epoch). */
  readonly at: number;
  /** What the proxy answered: 'accepted', or the ValidationError's message. */
  readonly answer: string;
}

export interface HealthReport {
  readonly instanceId: string;
  readonly healthStatus: string;
  readonly shouldRespectGracePeriod: string | null;
  readonly accessKeyId: string;
  readonly at: number;
  readonly answer: string;
}

/** Any other call, as forwarded to moto: service (from the signature's scope), action and HTTP status. */
export interface ForwardedCall {
  readonly service: string;
  readonly action: string;
  readonly status: number;
  readonly accessKeyId: string;
  /** When the proxy received it (ms since the epoch). */
  readonly at: number;
}

export class AwsProxy {
  readonly signals: ResourceSignal[] = [];
  readonly healthReports: HealthReport[] = [];
  readonly forwarded: ForwardedCall[] = [];
  private readonly cloudFormation: CloudFormationClient;
  private readonly autoScaling: AutoScalingClient;

  constructor(private readonly moto: MotoServer) {
    this.cloudFormation = new CloudFormationClient(moto.clientConfig);
    this.autoScaling = new AutoScalingClient(moto.clientConfig);
  }

  /** Closes its clients of moto_server, once its server no longer answers. */
  destroy(): void {
    this.cloudFormation.destroy();
    this.autoScaling.destroy();
  }

  readonly answer: Answer = async (request, response) => {
    const body = await readBody(request);
    const scope = /Credential=([^/]+)\/[^/]+\/[^/]+\/([^/]+)\/aws4_request/.exec(String(request.headers.authorization ?? ''));
    const [accessKeyId, service] = [scope?.[1] ?? '', scope?.[2] ?? ''];
    const form = String(request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')
      ? new URLSearchParams(body.toString())
      : undefined;
    const action =
      form?.get('Action') ??
      String(request.headers['x-amz-target'] ?? '')
        .split('.')
        .pop() ??
      '';
    if (service === 'cloudformation' && action === 'SignalResource' && form) return this.signal(form, accessKeyId, response);
    if (service === 'autoscaling' && action === 'SetInstanceHealth' && form) return this.healthReport(form, accessKeyId, request, body, response);
    const at = Date.now();
    const status = await this.forward(request, body, response);
    if (service) this.forwarded.push({ service, action, status, accessKeyId, at });
  };

  private async signal(form: URLSearchParams, accessKeyId: string, response: http.ServerResponse): Promise<void> {
    const signal = {
      stackName: form.get('StackName') ?? '',
      logicalResourceId: form.get('LogicalResourceId') ?? '',
      uniqueId: form.get('UniqueId') ?? '',
      status: form.get('Status') ?? '',
      accessKeyId,
      at: Date.now(),
    };
    const refusal = await this.signalRefusal(signal);
    this.signals.push({ ...signal, answer: refusal ?? 'accepted' });
    const xmlns = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';
    if (refusal) return validationError(response, xmlns, refusal);
    xml(
      response,
      200,
      `<SignalResourceResponse xmlns="${xmlns}"><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></SignalResourceResponse>`,
    );
  }

  /** CloudFormation's ValidationError for this signal, if it would refuse it. */
  private async signalRefusal(signal: Omit<ResourceSignal, 'answer'>): Promise<string | undefined> {
    if (!['SUCCESS', 'FAILURE'].includes(signal.status)) return `Status must be SUCCESS or FAILURE, not '${signal.status}'`;
    // DescribeStackResources: moto's DescribeStackResource fails (HTTP 500) on this stack's instance.
    let resources: StackResource[];
    try {
      resources = (await this.cloudFormation.send(new DescribeStackResourcesCommand({ StackName: signal.stackName }))).StackResources ?? [];
    } catch (error) {
      return (error as Error).message;
    }
    if (!resources.some((resource) => resource.LogicalResourceId === signal.logicalResourceId)) {
      return `Resource ${signal.logicalResourceId} does not exist for stack ${signal.stackName}`;
    }
    const earlier = this.signals.filter(
      (other) => other.answer === 'accepted' && other.stackName === signal.stackName && other.logicalResourceId === signal.logicalResourceId,
    );
    if (earlier.some((other) => other.status === 'FAILURE')) {
      return `Resource ${signal.logicalResourceId} is in CREATE_FAILED state and cannot be signaled`;
    }
    // One signal completes it: the harness boots one host per stack (a group's Count of several is not modelled).
    if (earlier.length > 0) {
      return `Resource ${signal.logicalResourceId} is in CREATE_COMPLETE state and cannot be signaled`;
    }
    return undefined;
  }

  private async healthReport(
    form: URLSearchParams,
    accessKeyId: string,
    request: http.IncomingMessage,
    body: Buffer,
    response: http.ServerResponse,
  ): Promise<void> {
    const instanceId = form.get('InstanceId') ?? '';
    const found = await this.autoScaling.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] }));
    const refusal =
      (found.AutoScalingInstances ?? []).length === 0 ? `Instance Id not found - No managed instance found for instance ID: ${instanceId}` : undefined;
    const report = {
      instanceId,
      healthStatus: form.get('HealthStatus') ?? '',
      shouldRespectGracePeriod: form.get('ShouldRespectGracePeriod'),
      accessKeyId,
      at: Date.now(),
    };
    if (refusal) {
      this.healthReports.push({ ...report, answer: refusal });
      return validationError(response, 'http://autoscaling.amazonaws.com/doc/2011-01-01/', refusal);
    }
    const status = await this.forward(request, body, response);
    this.healthReports.push({ ...report, answer: status === 200 ? 'accepted' : `moto answered HTTP ${status}` });
  }

  /** Sends the request on to moto_server as it came, and its answer back; returns the status. */
  private forward(request: http.IncomingMessage, body: Buffer, response: http.ServerResponse): Promise<number> {
    const target = new URL(this.moto.endpoint);
    return new Promise((resolve, reject) => {
      const upstream = http.request(
        { host: target.hostname, port: target.port, method: request.method, path: request.url, headers: { ...request.headers, host: target.host } },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
          answer.on('end', () => resolve(answer.statusCode ?? 502));
        },
      );
      upstream.on('error', reject);
      upstream.end(body);
    });
  }
}

function xml(response: http.ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'content-type': 'text/xml' }).end(body);
}

function validationError(response: http.ServerResponse, xmlns: string, message: string): void {
  const escaped = message.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  xml(
    response,
    400,
    `<ErrorResponse xmlns="${xmlns}"><Error><Type>Sender</Type><Code>ValidationError</Code><Message>${escaped}</Message></Error>` +
      `<RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  );
}
