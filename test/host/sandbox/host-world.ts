/**
 * Stands in for what a sandboxed host talks to: IMDS, the release location, Altinity.Cloud and the
 * AWS API (see HostWorld).
 */
import type * as http from 'node:http';
import type { TestCa } from '../../support/test-ca';
import { AltinityCloud } from '../standins/altinity-cloud';
import { type Answer, readBody, StandInServer } from '../standins/http';
import { InstanceMetadataService } from '../standins/imds';
import { ReleaseLocation } from '../standins/release-location';

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
}

/** The host's role, as the metadata service names it and AWS's refusals quote it. */
const HOST_ROLE_NAME = 'HostRole';
const RELEASES_PATH = '/releases/';

/**
 * What a host talks to besides the internet's package mirror, on two loopback servers: over HTTP,
 * the instance metadata service (IMDSv2, token required) and the AWS API endpoint (SSM calls go on to
 * moto_server; CloudFormation's SignalResource, Auto Scaling's SetInstanceHealth and EC2's
 * CreateTags are answered and recorded here: moto lacks the first two and knows no instance of the
 * sandbox); over HTTPS, with a certificate the tests' CA signs, the release download location and
 * Altinity.Cloud, whose statuscheck requires a client certificate that CA signed, as the
 * environment's is. The metadata service, the release location and Altinity.Cloud are the real-boot
 * harness's stand-ins (test/host/standins/).
 */
export class HostWorld {
  readonly imds = new InstanceMetadataService();
  readonly releases: ReleaseLocation;
  readonly altinity: AltinityCloud;
  readonly signals: ResourceSignal[] = [];
  readonly ssmCalls: SsmCall[] = [];
  /** Auto Scaling SetInstanceHealth requests: instance id and health status. */
  readonly healthReports: { InstanceId: string; HealthStatus: string; ShouldRespectGracePeriod: string | null }[] = [];
  /** SSM calls the host's role may not make (moto does not enforce IAM). */
  deniedCalls: DeniedCall[];
  /** Whether CloudFormation still waits for the host's signal, or the resource completed earlier. */
  signalTarget: 'waiting' | 'complete' = 'waiting';
  /** The instance's tags, as CreateTags set them. */
  readonly instanceTags: Record<string, string> = {};
  private readonly server: StandInServer;
  private readonly altinityServer: StandInServer;

  private constructor(private readonly options: HostWorldOptions) {
    this.deniedCalls = [...(options.deniedCalls ?? [])];
    this.imds.describe({ instanceId: options.instanceId, region: options.region, roleName: HOST_ROLE_NAME });
    this.releases = new ReleaseLocation((path) => (path.startsWith(RELEASES_PATH) ? options.releases.get(path.slice(RELEASES_PATH.length)) : undefined));
    this.altinity = new AltinityCloud(options.ca);
    this.server = new StandInServer(this.answer);
    const serverCertificate = (options.serverCa ?? options.ca).serverCertificate(['127.0.0.1', ALTINITY_NAME]);
    this.altinityServer = new StandInServer(this.answerSecurely, this.altinity.serverTls(serverCertificate));
  }

  static async start(options: HostWorldOptions): Promise<HostWorld> {
    const world = new HostWorld(options);
    await Promise.all([world.server.listen(), world.altinityServer.listen()]);
    return world;
  }

  get url(): string {
    return `http://${this.address}`;
  }

  /** `host:port` of the metadata service and the AWS API endpoint. */
  get address(): string {
    return this.server.address;
  }

  /** `host:port` of the release location and Altinity.Cloud. */
  get altinityAddress(): string {
    return this.altinityServer.address;
  }

  get releasesUrl(): string {
    return `${this.altinityUrl}/releases`;
  }

  /** Altinity.Cloud's URL, as the template's AltinityCloudUrl parameter gives it. */
  get altinityUrl(): string {
    return `https://${this.altinityAddress}`;
  }

  stop(): Promise<void> {
    return Promise.all([this.server.close(), this.altinityServer.close()]).then(() => undefined);
  }

  /** Over HTTP: the metadata service and the AWS API; the release files too, where a redirect to plain HTTP leads. */
  private readonly answer: Answer = (request, response) => {
    const path = request.url ?? '/';
    if (path.startsWith('/latest/')) return this.imds.answer(request, response);
    if (path.startsWith(RELEASES_PATH)) return this.answerDownload(request, response);
    return this.answerAws(request, response);
  };

  /** Over HTTPS: the release location and Altinity.Cloud. */
  private readonly answerSecurely: Answer = (request, response) =>
    (request.url ?? '/').startsWith(RELEASES_PATH) ? this.answerDownload(request, response) : this.altinity.answer(request, response);

  private answerDownload(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> | void {
    if (this.options.releaseLocation === 'hangs') return;
    if (this.options.releaseLocation === 'redirects-to-http') return void response.writeHead(302, { location: `${this.url}${request.url}` }).end();
    return this.releases.answer(request, response);
  }

  private async answerAws(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const body = await readBody(request);
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
    const answer = await fetch(`${this.options.motoEndpoint}${request.url}`, {
      method: request.method,
      headers,
      body: request.method === 'GET' ? undefined : body,
    });
    response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/xml' }).end(Buffer.from(await answer.arrayBuffer()));
  }

  private async answerSsm(request: http.IncomingMessage, target: string, body: Buffer, response: http.ServerResponse): Promise<void> {
    const action = target.slice('AmazonSSM.'.length);
    const parsed = JSON.parse(body.toString() || '{}') as {
      Name?: unknown;
      Overwrite?: unknown;
      ResourceId?: unknown;
      ParameterFilters?: { Values?: unknown[] }[];
    };
    // The parameter a call is about: named, a tagged resource's id, or the one a description is filtered to.
    const name = String(parsed.Name ?? parsed.ResourceId ?? parsed.ParameterFilters?.[0]?.Values?.[0] ?? '');
    this.ssmCalls.push({ action, name });
    const overwrite = parsed.Overwrite === true;
    // IAM authorizes the parameter, whichever version a `name:version` selector asks for.
    const parameter = name.replace(/:\d+$/, '');
    if (this.deniedCalls.some((denied) => denied.action === action && denied.name === parameter && (denied.overwrite ?? overwrite) === overwrite)) {
      const message =
        `User: arn:aws:sts::123456789012:assumed-role/${HOST_ROLE_NAME}/${this.options.instanceId} is not authorized to perform: ` +
        `ssm:${action} on resource: arn:aws:ssm:${this.options.region}:123456789012:parameter${parameter} ` +
        `because no identity-based policy allows the ssm:${action} action`;
      return void response.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify({ __type: 'AccessDeniedException', message }));
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
