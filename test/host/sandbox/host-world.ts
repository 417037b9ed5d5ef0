/**
 * Stands in for what a sandboxed host talks to: IMDS, the release location, Altinity.Cloud and the
 * AWS API (see HostWorld).
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TestCa } from '../../support/test-ca';

/**
 * The name under which a host behind the proxy reaches the release location and Altinity.Cloud
 * (and `AWS_NAME` the AWS API): names no resolver knows, which only the tests' proxy routes.
 */
export const ALTINITY_NAME = 'altinity.connect.test';
export const AWS_NAME = 'aws.connect.test';

/** A CloudFormation SignalResource request as the host sent it. */
export interface ResourceSignal {
  readonly StackName: string;
  readonly LogicalResourceId: string;
  readonly UniqueId: string;
  readonly Status: string;
}

/** An SSM call as the host sent it: the action and the parameter it names. */
export interface SsmCall {
  readonly action: string;
  readonly name: string;
}

/** A call the host's role may not make; with `overwrite`, only PutParameter calls with that Overwrite flag. */
export interface DeniedCall extends SsmCall {
  readonly overwrite?: boolean;
}

export interface HostWorldOptions {
  /** moto_server endpoint that answers the host's SSM and EC2 calls. */
  readonly motoEndpoint: string;
  readonly instanceId: string;
  readonly region: string;
  /** Release files by path below `/releases/`, e.g. `v0.61.0/altinitycloud-connect-0.61.0-linux-amd64`. */
  readonly releases: ReadonlyMap<string, Buffer>;
  /** Signs the release location's certificate, as a public CA signs GitHub's, and the environment's client certificate. */
  readonly ca: TestCa;
  /**
   * Signs the release location's and Altinity.Cloud's server certificate instead, as a TLS-inspecting
   * proxy's CA signs every certificate a host sees. @default - `ca`
   */
  readonly serverCa?: TestCa;
  /**
   * How the release location misbehaves: it redirects every download to plain HTTP, or never
   * answers one. @default - it serves the releases
   */
  readonly releaseLocation?: 'redirects-to-http' | 'hangs';
  /** SSM calls the host's role may not make (moto does not enforce IAM). */
  readonly deniedCalls?: readonly DeniedCall[];
  /** Whether the instance belongs to an Auto Scaling group. */
  readonly inAutoScalingGroup?: boolean;
}

/**
 * What a host talks to besides the internet's package mirror: the instance metadata service
 * (IMDSv2, token required), the release download location and Altinity.Cloud's statuscheck (HTTPS,
 * with a certificate the tests' CA signs; the statuscheck requires a client certificate that CA
 * signed, as the environment's is), and the AWS API endpoint (SSM calls go on to moto_server;
 * CloudFormation's SignalResource, Auto Scaling's SetInstanceHealth and EC2's CreateTags are answered
 * and recorded here: moto lacks the first two and knows no instance of the sandbox).
 */
export class HostWorld {
  readonly signals: ResourceSignal[] = [];
  readonly ssmCalls: SsmCall[] = [];
  readonly downloads: string[] = [];
  /** Auto Scaling SetInstanceHealth requests: instance id and health status. */
  readonly healthReports: { InstanceId: string; HealthStatus: string; ShouldRespectGracePeriod: string | null }[] = [];
  /** SSM calls the host's role may not make (moto does not enforce IAM). */
  deniedCalls: DeniedCall[];
  /** Whether CloudFormation still waits for the host's signal, or the resource completed earlier. */
  signalTarget: 'waiting' | 'complete' = 'waiting';
  /** What Altinity.Cloud answers to `statuscheck?connected`: OK when it sees the environment connected. */
  altinityAnswer = 'OK';
  /** Each statuscheck: whether it came with a client certificate the CA signed, and that certificate's subject. */
  readonly statuschecks: { authorized: boolean; subject?: string }[] = [];
  /** The instance's tags, as CreateTags set them. */
  readonly instanceTags: Record<string, string> = {};
  private readonly imdsToken = `imds-${Math.random().toString(36).slice(2)}`;
  private readonly server: http.Server;
  private readonly releaseServer: https.Server;

  private constructor(private readonly options: HostWorldOptions) {
    this.deniedCalls = [...(options.deniedCalls ?? [])];
    const handle = (request: http.IncomingMessage, response: http.ServerResponse) => {
      this.answer(request, response).catch((error: Error) => {
        response.writeHead(500).end(error.message);
      });
    };
    this.server = http.createServer(handle);
    // Client certificates are asked for and checked for the statuscheck only; downloads need none.
    const serverCertificate = (options.serverCa ?? options.ca).serverCertificate(['127.0.0.1', ALTINITY_NAME]);
    this.releaseServer = https.createServer({ ...serverCertificate, ca: options.ca.caPem(), requestCert: true, rejectUnauthorized: false }, handle);
  }

  static async start(options: HostWorldOptions): Promise<HostWorld> {
    const world = new HostWorld(options);
    await new Promise<void>((resolve) => world.server.listen(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => world.releaseServer.listen(0, '127.0.0.1', resolve));
    return world;
  }

  get url(): string {
    return `http://${this.address}`;
  }

  /** `host:port` of the metadata service and the AWS API endpoint. */
  get address(): string {
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** `host:port` of the release location and Altinity.Cloud. */
  get altinityAddress(): string {
    return `127.0.0.1:${(this.releaseServer.address() as AddressInfo).port}`;
  }

  get releasesUrl(): string {
    return `${this.altinityUrl}/releases`;
  }

  /** Altinity.Cloud's URL, as the template's AltinityCloudUrl parameter gives it. */
  get altinityUrl(): string {
    return `https://127.0.0.1:${(this.releaseServer.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    this.releaseServer.closeAllConnections();
    return Promise.all([
      new Promise((resolve) => this.server.close(resolve)),
      new Promise((resolve) => this.releaseServer.close(resolve)),
    ]).then(() => undefined);
  }

  private async answer(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const body = await readBody(request);
    const path = request.url ?? '/';
    if (path.startsWith('/latest/')) return this.answerMetadata(request, path, response);
    if (path === '/statuscheck?connected' && request.method === 'GET') {
      const socket = request.socket as import('node:tls').TLSSocket;
      const authorized = socket.authorized === true;
      this.statuschecks.push({ authorized, subject: authorized ? String(socket.getPeerCertificate().subject?.CN) : undefined });
      return void response.writeHead(authorized ? 200 : 401).end(authorized ? this.altinityAnswer : 'client certificate required');
    }
    if (path.startsWith('/releases/') && request.method === 'GET') {
      if (this.options.releaseLocation === 'hangs') return;
      if (this.options.releaseLocation === 'redirects-to-http') {
        return void response.writeHead(302, { location: `${this.url}${path}` }).end();
      }
      const release = this.options.releases.get(path.slice('/releases/'.length));
      if (release === undefined) return void response.writeHead(404).end('Not Found');
      this.downloads.push(path);
      return void response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(release);
    }
    const target = request.headers['x-amz-target'];
    if (typeof target === 'string' && target.startsWith('AmazonSSM.')) return this.answerSsm(request, target, body, response);
    const form = new URLSearchParams(body.toString());
    if (request.method === 'POST' && form.get('Action') === 'SignalResource') return this.answerSignal(form, response);
    if (request.method === 'POST' && form.get('Action') === 'SetInstanceHealth') return this.answerHealthReport(form, response);
    if (request.method === 'POST' && form.get('Action') === 'CreateTags') return this.answerCreateTags(form, response);
    return this.forwardToMoto(request, body, response);
  }

  private async forwardToMoto(request: http.IncomingMessage, body: Buffer, response: http.ServerResponse): Promise<void> {
    const headers = Object.fromEntries(
      Object.entries(request.headers).filter(
        (entry): entry is [string, string] => typeof entry[1] === 'string' && !['host', 'content-length', 'connection'].includes(entry[0]),
      ),
    );
    const answer = await fetch(`${this.options.motoEndpoint}${request.url}`, { method: request.method, headers, body: request.method === 'GET' ? undefined : body });
    response
      .writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/xml' })
      .end(Buffer.from(await answer.arrayBuffer()));
  }

  private answerMetadata(request: http.IncomingMessage, path: string, response: http.ServerResponse): void {
    if (path === '/latest/api/token' && request.method === 'PUT' && request.headers['x-aws-ec2-metadata-token-ttl-seconds']) {
      return void response.writeHead(200).end(this.imdsToken);
    }
    if (request.headers['x-aws-ec2-metadata-token'] !== this.imdsToken) return void response.writeHead(401).end();
    const values: Record<string, string> = {
      '/latest/meta-data/instance-id': this.options.instanceId,
      '/latest/meta-data/placement/region': this.options.region,
    };
    const value = values[path];
    if (value === undefined) return void response.writeHead(404).end();
    response.writeHead(200).end(value);
  }

  private async answerSsm(request: http.IncomingMessage, target: string, body: Buffer, response: http.ServerResponse): Promise<void> {
    const action = target.slice('AmazonSSM.'.length);
    const parsed = JSON.parse(body.toString() || '{}') as { Name?: unknown; Overwrite?: unknown; ResourceId?: unknown; ParameterFilters?: { Values?: unknown[] }[] };
    // The parameter a call is about: named, a tagged resource's id, or the one a description is filtered to.
    const name = String(parsed.Name ?? parsed.ResourceId ?? parsed.ParameterFilters?.[0]?.Values?.[0] ?? '');
    this.ssmCalls.push({ action, name });
    const overwrite = parsed.Overwrite === true;
    // IAM authorizes the parameter, whichever version a `name:version` selector asks for.
    const parameter = name.replace(/:\d+$/, '');
    if (this.deniedCalls.some((denied) => denied.action === action && denied.name === parameter && (denied.overwrite ?? overwrite) === overwrite)) {
      const message =
        `User: arn:aws:sts::123456789012:assumed-role/HostRole/${this.options.instanceId} is not authorized to perform: ` +
        `ssm:${action} on resource: arn:aws:ssm:${this.options.region}:123456789012:parameter${parameter} ` +
        `because no identity-based policy allows the ssm:${action} action`;
      return void response
        .writeHead(400, { 'content-type': 'application/x-amz-json-1.1' })
        .end(JSON.stringify({ __type: 'AccessDeniedException', message }));
    }
    return this.forwardToMoto(request, body, response);
  }

  private answerSignal(form: URLSearchParams, response: http.ServerResponse): void {
    const signal: ResourceSignal = {
      StackName: form.get('StackName') ?? '',
      LogicalResourceId: form.get('LogicalResourceId') ?? '',
      UniqueId: form.get('UniqueId') ?? '',
      Status: form.get('Status') ?? '',
    };
    this.signals.push(signal);
    const xmlns = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';
    if (this.signalTarget === 'complete') {
      return void response
        .writeHead(400, { 'content-type': 'text/xml' })
        .end(
          `<ErrorResponse xmlns="${xmlns}"><Error><Type>Sender</Type><Code>ValidationError</Code>` +
            `<Message>Resource ${signal.LogicalResourceId} is in CREATE_COMPLETE state and cannot be signaled</Message>` +
            '</Error><RequestId>signal-1</RequestId></ErrorResponse>',
        );
    }
    response
      .writeHead(200, { 'content-type': 'text/xml' })
      .end(`<SignalResourceResponse xmlns="${xmlns}"><ResponseMetadata><RequestId>signal-1</RequestId></ResponseMetadata></SignalResourceResponse>`);
  }

  private answerCreateTags(form: URLSearchParams, response: http.ServerResponse): void {
    for (let index = 1; form.has(`Tag.${index}.Key`); index++) this.instanceTags[form.get(`Tag.${index}.Key`)!] = form.get(`Tag.${index}.Value`) ?? '';
    response
      .writeHead(200, { 'content-type': 'text/xml' })
      .end('<CreateTagsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>tags-1</requestId><return>true</return></CreateTagsResponse>');
  }

  private answerHealthReport(form: URLSearchParams, response: http.ServerResponse): void {
    this.healthReports.push({
      InstanceId: form.get('InstanceId') ?? '',
      HealthStatus: form.get('HealthStatus') ?? '',
      ShouldRespectGracePeriod: form.get('ShouldRespectGracePeriod'),
    });
    response
      .writeHead(200, { 'content-type': 'text/xml' })
      .end(
        '<SetInstanceHealthResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/">' +
          '<ResponseMetadata><RequestId>health-1</RequestId></ResponseMetadata></SetInstanceHealthResponse>',
      );
  }
}

function readBody(request: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}
