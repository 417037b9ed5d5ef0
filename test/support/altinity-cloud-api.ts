import { spawnSync } from 'node:child_process';
import { createPublicKey, randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import type * as http from 'node:http';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSchema, type ExecutionResult, execute, GraphQLError, parse, validate } from 'graphql';
import type { Fetch } from '../../lambda/altinity-api/client';
import { readBody, StandInServer } from '../host/standins/http';
import type { TestCa } from './test-ca';

/**
 * Stands in for Altinity.Cloud's API as Altinity's Terraform provider uses it, the facts of
 * ../shared/reference/altinity-api.md and the design of issue 20 (its section 6): over real TLS, with a
 * certificate of the test CA that the client trusts (`fetch`), never with verification off.
 * - Tokens: `issueToken(account)`. An unknown or revoked token gets HTTP 401 `Invalid API token`.
 * - `POST /sign`: the body must be a PEM certificate request whose signature openssl verifies, with
 *   an RSA key of at least 4096 bits, signed SHA256withRSA, whose subject is exactly
 *   `CN=<name>` and whose name starts with `<account>-`; else 400 with the reason. It answers a client
 *   certificate of the test CA, signed by openssl with the CA's key.
 * - `POST /api/v1/graphql`: every document is parsed and validated against an SDL of our own with the
 *   published names (the subset the client uses), so an unknown field, or an immutable one in the
 *   update's input, is an error, as in Altinity's schema. Resolvers keep an in-memory store on the
 *   stand-in's clock: create and update advance `specRevision`, and `appliedSpecRevision` reaches it
 *   once the environment has been connected (`connect`) for `applyAfterMs`. Status errors:
 *   DISCONNECTED while not connected, K8S_DISCONNECTED while connected before the first revision is
 *   applied, and whatever `failWith` adds. A taken name is CONFLICT `conflict`; a validation error has
 *   no code; deletion is refused (CONFLICT, naming forceDestroyClusters) while clusters exist, waits
 *   for `confirmMfa` when `requireMfa` (lapsing after 5 min), is pendingDelete until
 *   deprovisioned (connected for `deprovisionAfterMs`; at once with `force`), and then `awsEnv` is null.
 * Every request is recorded with its body, and `failNext` makes the next requests fail as a real
 * server can (a status, a GraphQL error, a dropped connection).
 * What is unknown of the real service is chosen here: validation errors of the document answer 400,
 * execution errors 200; another account's environment reads as null; the default load balancer
 * settings and the awsResources reported.
 */

const SCHEMA = buildSchema(`
  type Query { awsEnv(name: String!): AWSEnv }
  type Mutation {
    createAWSEnv(input: CreateAWSEnvInput!): CreateAWSEnvResult!
    updateAWSEnv(input: UpdateAWSEnvInput!): UpdateAWSEnvResult!
    deleteAWSEnv(input: DeleteAWSEnvInput!): DeleteAWSEnvResult!
  }

  type AWSEnv { name: String! specRevision: Int! spec: AWSEnvSpec! status: AWSEnvStatus! }
  type AWSEnvSpec {
    awsAccountID: String! region: String! cidr: String! zones: [String!]! NAT: Boolean! cloudConnect: Boolean!
    resourcePrefix: String! permissionsBoundaryPolicyArn: String kmsKeyARN: String
    nodeGroups: [AWSEnvNodeGroupSpec!]! loadBalancers: AWSEnvLoadBalancersSpec! tags: [KeyValue!]!
  }
  type AWSEnvNodeGroupSpec { name: String! nodeType: String! zones: [String!]! capacityPerZone: Int! reservations: [NodeReservation!]! }
  type AWSEnvLoadBalancersSpec { public: AWSEnvLoadBalancerPublicSpec! internal: AWSEnvLoadBalancerInternalSpec! }
  type AWSEnvLoadBalancerPublicSpec { enabled: Boolean! sourceIPRanges: [String!]! crossZone: Boolean! }
  type AWSEnvLoadBalancerInternalSpec {
    enabled: Boolean! sourceIPRanges: [String!]! crossZone: Boolean!
    endpointServiceAllowedPrincipals: [String!]! endpointServiceSupportedRegions: [String!]!
  }
  type KeyValue { key: String! value: String! }
  enum NodeReservation { SYSTEM CLICKHOUSE ZOOKEEPER }

  type AWSEnvStatus {
    appliedSpecRevision: Int! pendingDelete: Boolean! errors: [EnvStatusError!]! awsResources: [AWSResource!]!
    loadBalancers: AWSEnvLoadBalancersStatus! peeringConnections: [AWSEnvPeeringConnectionStatus!]!
  }
  type EnvStatusError { code: EnvStatusErrorCode! message: String! }
  enum EnvStatusErrorCode {
    INTERNAL DISCONNECTED K8S_DISCONNECTED CLOUD_PROVIDER_ACCESS_DENIED CLOUD_PROVIDER_QUOTA_EXCEEDED
    CLOUD_PROVIDER_RESOURCE_NOT_FOUND CLOUD_PROVIDER_BAD_REQUEST
  }
  type AWSResource { id: String! arn: String! name: String! }
  type AWSEnvLoadBalancersStatus { internal: AWSEnvLoadBalancerInternalStatus! }
  type AWSEnvLoadBalancerInternalStatus { endpointServiceName: String }
  type AWSEnvPeeringConnectionStatus { id: String vpcID: String! }

  input CreateAWSEnvInput { name: String! spec: CreateAWSEnvSpecInput! }
  input CreateAWSEnvSpecInput {
    awsAccountID: String! region: String! cidr: String! zones: [String!] NAT: Boolean cloudConnect: Boolean
    resourcePrefix: String permissionsBoundaryPolicyArn: String kmsKeyARN: String
    nodeGroups: [AWSEnvNodeGroupSpecInput!]! loadBalancers: AWSEnvLoadBalancersSpecInput tags: [KeyValueInput!]
  }
  input UpdateAWSEnvInput { name: String! spec: AWSEnvUpdateSpecInput! updateStrategy: UpdateStrategy }
  input AWSEnvUpdateSpecInput {
    zones: [String!] nodeGroups: [AWSEnvNodeGroupSpecInput!] loadBalancers: AWSEnvLoadBalancersSpecInput tags: [KeyValueInput!]
  }
  enum UpdateStrategy { MERGE REPLACE }
  input AWSEnvNodeGroupSpecInput { name: String nodeType: String! zones: [String!] capacityPerZone: Int! reservations: [NodeReservation!] }
  input AWSEnvLoadBalancersSpecInput { public: AWSEnvLoadBalancerPublicSpecInput internal: AWSEnvLoadBalancerInternalSpecInput }
  input AWSEnvLoadBalancerPublicSpecInput { enabled: Boolean sourceIPRanges: [String!] crossZone: Boolean }
  input AWSEnvLoadBalancerInternalSpecInput {
    enabled: Boolean sourceIPRanges: [String!] crossZone: Boolean
    endpointServiceAllowedPrincipals: [String!] endpointServiceSupportedRegions: [String!]
  }
  input KeyValueInput { key: String! value: String! }
  input DeleteAWSEnvInput { name: String! force: Boolean = false forceDestroyClusters: Boolean = false }

  type CreateAWSEnvResult { mutationId: ID! specRevision: Int! spec: AWSEnvSpec! }
  type UpdateAWSEnvResult { mutationId: ID! specRevision: Int! spec: AWSEnvSpec! }
  type DeleteAWSEnvResult { mutationId: ID! pendingMFA: Boolean! }
`);

/** The smallest RSA key `/sign` accepts: the provider makes 4096 bits. */
const MINIMUM_KEY_BITS = 4096;

/** How long a deletion waits for its MFA confirmation before it lapses. */
const MFA_WINDOW_MS = 5 * 60_000;

/** The stand-in's time, moved only by `advance`. */
export class ManualClock {
  constructor(private time = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.time;
  }
  advance(ms: number): void {
    this.time += ms;
  }
}

/**
 * How the next request fails instead of being answered: an HTTP answer, a GraphQL error (HTTP 200), a
 * dropped connection, or none at all until the client gives up.
 */
export type Fault = { readonly status: number; readonly body?: string } | { readonly graphqlError: string; readonly code?: string } | 'reset' | 'hang';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly contentType: string | undefined;
  readonly body: string;
}

/** An environment as the stand-in keeps it; `spec` has AWSEnvSpec's shape. */
export interface StoredEnvironment {
  readonly account: string;
  readonly name: string;
  spec: Record<string, any>;
  specRevision: number;
  appliedSpecRevision: number;
  connected: boolean;
  /** Connected time spent on the pending revision, or on deprovisioning. */
  workedMs: number;
  hasClusters: boolean;
  pendingDelete: boolean;
  mfaAskedAt: number | undefined;
  readonly injectedErrors: { code: string; message: string }[];
}

export interface AltinityCloudApiOptions {
  readonly ca: TestCa;
  readonly clock?: { now(): number };
  /** Connected time an environment takes to apply a new revision; 10 min by default. */
  readonly applyAfterMs?: number;
  /** Connected time deprovisioning takes; 10 min by default. */
  readonly deprovisionAfterMs?: number;
}

export class AltinityCloudApi {
  readonly requests: RecordedRequest[] = [];
  private readonly clock: { now(): number };
  /** A fetch that trusts the test CA, for the client. */
  readonly fetch: Fetch;
  private readonly tokens = new Map<string, string>();
  private readonly environments = new Map<string, StoredEnvironment>();
  private readonly faults: Fault[] = [];
  private mfaRequired = false;
  private settledAt: number;
  private readonly applyAfterMs: number;
  private readonly deprovisionAfterMs: number;
  private server: StandInServer | undefined;

  private constructor(private readonly options: AltinityCloudApiOptions) {
    this.clock = options.clock ?? new ManualClock();
    this.settledAt = this.clock.now();
    this.applyAfterMs = options.applyAfterMs ?? 10 * 60_000;
    this.deprovisionAfterMs = options.deprovisionAfterMs ?? 10 * 60_000;
    this.fetch = fetchTrusting(options.ca.caPem());
  }

  /** Listens on a loopback port. */
  static async start(options: AltinityCloudApiOptions): Promise<AltinityCloudApi> {
    const api = new AltinityCloudApi(options);
    api.server = new StandInServer(api.answer, options.ca.serverCertificate(['127.0.0.1']));
    await api.server.listen();
    return api;
  }

  get url(): string {
    return `https://${this.server?.address}`;
  }

  async close(): Promise<void> {
    await this.server?.close();
  }

  /** A new Anywhere API token of `account`. */
  issueToken(account: string): string {
    const token = `anywhere-${randomUUID()}`;
    this.tokens.set(token, account);
    return token;
  }

  revokeToken(token: string): void {
    this.tokens.delete(token);
  }

  /** The environment as stored, if it exists. */
  environment(name: string): StoredEnvironment | undefined {
    this.settle();
    return this.environments.get(name);
  }

  /** The environment's hosts connect: from now on, its revisions and deprovisioning progress. */
  connect(name: string): void {
    this.settle();
    this.existing(name).connected = true;
  }

  disconnect(name: string): void {
    this.settle();
    this.existing(name).connected = false;
  }

  /** Altinity reports `code: message` on the environment from now on. */
  failWith(name: string, code: string, message: string): void {
    this.existing(name).injectedErrors.push({ code, message });
  }

  /** The environment gets a ClickHouse cluster, which deletion refuses to destroy unless told to. */
  addCluster(name: string): void {
    this.existing(name).hasClusters = true;
  }

  /** Whether a deletion from now on waits for `confirmMfa`. */
  requireMfa(required: boolean): void {
    this.mfaRequired = required;
  }

  /** A person confirms the deletion that waits for it: deprovisioning starts. */
  confirmMfa(name: string): void {
    this.settle();
    const environment = this.existing(name);
    if (environment.mfaAskedAt === undefined) throw new Error(`no deletion of ${name} awaits MFA confirmation`);
    environment.mfaAskedAt = undefined;
    environment.pendingDelete = true;
    environment.workedMs = 0;
  }

  /** The next requests fail thus, one fault each, whatever they ask. */
  failNext(...faults: Fault[]): void {
    this.faults.push(...faults);
  }

  /** The faults no request has met yet, which are dropped: a test checks it left none to the next. */
  takeUnusedFaults(): Fault[] {
    return this.faults.splice(0);
  }

  private readonly answer = async (request: http.IncomingMessage, response: http.ServerResponse): Promise<void> => {
    // Taken as the request arrives: one that is given up while its body is read still meets its fault.
    const fault = this.faults.shift();
    const body = (await readBody(request)).toString();
    const url = new URL(request.url ?? '/', this.url);
    this.requests.push({ method: request.method ?? '', path: url.pathname, contentType: request.headers['content-type'], body });
    const reply = (status: number, text: string, contentType = 'text/plain'): void => {
      response.writeHead(status, { 'content-type': contentType }).end(text);
    };
    if (fault === 'reset') return void request.socket.destroy();
    if (fault === 'hang') return;
    if (fault && 'status' in fault) return reply(fault.status, fault.body ?? '');
    if (fault) {
      const error = { message: fault.graphqlError, extensions: fault.code && { code: fault.code } };
      return reply(200, JSON.stringify({ errors: [error] }), 'application/json');
    }
    const account = this.tokens.get(/^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '');
    if (account === undefined) return reply(401, 'Invalid API token');
    if (request.method !== 'POST') return reply(405, 'POST only');
    if (url.pathname === '/sign') {
      const refusal = this.refusalOfRequest(body, account);
      return refusal ? reply(400, refusal) : reply(200, signedByTestCa(this.options.ca, body), 'application/x-pem-file');
    }
    if (url.pathname === '/api/v1/graphql') {
      const result = this.graphql(body, account);
      // Errors of the document itself come without data; the status they get from Altinity is unknown.
      return reply('data' in result ? 200 : 400, JSON.stringify(result), 'application/json');
    }
    reply(404, 'not found');
  };

  /** Why `/sign` refuses the request, if it does: openssl reads and verifies it. */
  private refusalOfRequest(csrPem: string, account: string): string | undefined {
    const openssl = spawnSync('openssl', ['req', '-verify', '-noout', '-text', '-subject', '-nameopt', 'RFC2253', '-pubkey'], {
      input: csrPem,
      encoding: 'utf8',
    });
    // OpenSSL 3.0 exits 0 on a bad signature: only its verdict on stderr tells.
    if (openssl.status !== 0 || !/verify OK/.test(openssl.stderr)) return `invalid certificate request: ${openssl.stderr.trim()}`;
    const subject = /^subject=(.*)$/m.exec(openssl.stdout)?.[1] ?? '';
    const name = /^CN=([^,+]+)$/.exec(subject)?.[1];
    if (name === undefined) return `the subject must be exactly CN=<environment name>, not ${subject}`;
    if (!name.startsWith(`${account}-`)) return `${name} is not an environment name of account ${account}: it must start with ${account}-`;
    const publicKey = /-----BEGIN PUBLIC KEY-----[^-]+-----END PUBLIC KEY-----/.exec(openssl.stdout)?.[0];
    const key = publicKey === undefined ? undefined : createPublicKey(publicKey);
    const bits = key?.asymmetricKeyDetails?.modulusLength ?? 0;
    if (key?.asymmetricKeyType !== 'rsa' || bits < MINIMUM_KEY_BITS) {
      return `the key must be RSA of at least ${MINIMUM_KEY_BITS} bits, not ${key?.asymmetricKeyType} ${bits}`;
    }
    const algorithm = /Signature Algorithm: (\S+)/.exec(openssl.stdout)?.[1];
    if (algorithm !== 'sha256WithRSAEncryption') return `the request must be signed sha256WithRSAEncryption, not ${algorithm}`;
    return undefined;
  }

  private graphql(body: string, account: string): ExecutionResult {
    let request: { query?: unknown; variables?: unknown };
    try {
      request = JSON.parse(body);
    } catch {
      return { errors: [new GraphQLError('the body is not JSON')] };
    }
    let document: ReturnType<typeof parse>;
    try {
      document = parse(String(request.query));
    } catch (error) {
      return { errors: [error as GraphQLError] };
    }
    const invalid = validate(SCHEMA, document);
    if (invalid.length > 0) return { errors: invalid };
    this.settle();
    const result = execute({
      schema: SCHEMA,
      document,
      rootValue: this.resolvers(account),
      variableValues: request.variables as Record<string, unknown> | undefined,
    });
    if (result instanceof Promise) throw new Error('the resolvers are synchronous');
    return result as ExecutionResult;
  }

  private resolvers(account: string) {
    const visible = (name: string) => {
      const environment = this.environments.get(name);
      return environment?.account === account ? environment : undefined;
    };
    const notFound = () => new GraphQLError('env not found', { extensions: { code: 'NOT_FOUND' } });
    return {
      awsEnv: ({ name }: { name: string }) => {
        const environment = visible(name);
        return environment && { name, specRevision: environment.specRevision, spec: environment.spec, status: this.statusOf(environment) };
      },
      createAWSEnv: ({ input }: { input: { name: string; spec: Record<string, any> } }) => {
        if (this.environments.has(input.name)) throw new GraphQLError('conflict', { extensions: { code: 'CONFLICT' } });
        const { awsAccountID, region, cidr, NAT, cloudConnect, resourcePrefix, permissionsBoundaryPolicyArn, kmsKeyARN, ...changeable } = input.spec;
        const spec = {
          awsAccountID,
          region,
          cidr,
          NAT: NAT ?? false,
          cloudConnect: cloudConnect ?? false,
          resourcePrefix: resourcePrefix ?? '',
          permissionsBoundaryPolicyArn: permissionsBoundaryPolicyArn ?? null,
          kmsKeyARN: kmsKeyARN ?? null,
          ...changeableSpec(changeable),
        };
        checkSpec(spec);
        const environment: StoredEnvironment = {
          account,
          name: input.name,
          spec,
          specRevision: 1,
          appliedSpecRevision: 0,
          connected: false,
          workedMs: 0,
          hasClusters: false,
          pendingDelete: false,
          mfaAskedAt: undefined,
          injectedErrors: [],
        };
        this.environments.set(input.name, environment);
        return { mutationId: randomUUID(), specRevision: 1, spec };
      },
      updateAWSEnv: ({ input }: { input: { name: string; spec: Record<string, any>; updateStrategy?: string } }) => {
        const environment = visible(input.name);
        if (!environment) throw notFound();
        const current = environment.spec;
        const changed =
          input.updateStrategy === 'REPLACE' ? { ...current, ...changeableSpec({ zones: current.zones, ...input.spec }) } : merged(current, input.spec);
        const spec = { ...changed, nodeGroups: changeableSpec(changed).nodeGroups };
        checkSpec(spec);
        if (current.zones.some((zone: string, i: number) => spec.zones[i] !== zone)) throw new GraphQLError('zones can only be appended');
        environment.spec = spec;
        environment.specRevision += 1;
        environment.workedMs = 0;
        return { mutationId: randomUUID(), specRevision: environment.specRevision, spec };
      },
      deleteAWSEnv: ({ input }: { input: { name: string; force: boolean; forceDestroyClusters: boolean } }) => {
        const done = (pendingMFA: boolean) => ({ mutationId: randomUUID(), pendingMFA });
        const environment = visible(input.name);
        if (!environment || environment.pendingDelete) return done(false);
        if (environment.hasClusters && !input.forceDestroyClusters) {
          throw new GraphQLError('environment has active clusters, delete them or use forceDestroyClusters=true', { extensions: { code: 'CONFLICT' } });
        }
        if (input.force) {
          this.environments.delete(input.name);
          return done(false);
        }
        if (this.mfaRequired) {
          environment.mfaAskedAt = this.clock.now();
          return done(true);
        }
        environment.pendingDelete = true;
        environment.workedMs = 0;
        return done(false);
      },
    };
  }

  private statusOf(environment: StoredEnvironment) {
    const connection = environment.connected
      ? environment.appliedSpecRevision === 0
        ? [{ code: 'K8S_DISCONNECTED', message: 'the Kubernetes cluster is not connected yet' }]
        : []
      : [{ code: 'DISCONNECTED', message: 'the environment is not connected' }];
    const vpc = `vpc-${environment.name}`;
    return {
      appliedSpecRevision: environment.appliedSpecRevision,
      pendingDelete: environment.pendingDelete,
      errors: [...connection, ...environment.injectedErrors],
      awsResources:
        environment.appliedSpecRevision > 0
          ? [{ id: vpc, arn: `arn:aws:ec2:${environment.spec.region}:${environment.spec.awsAccountID}:vpc/${vpc}`, name: 'vpc' }]
          : [],
      loadBalancers: { internal: { endpointServiceName: null } },
      peeringConnections: [],
    };
  }

  /** Brings every environment to the clock's time: connected time applies revisions and deprovisions. */
  private settle(): void {
    const now = this.clock.now();
    const elapsed = now - this.settledAt;
    this.settledAt = now;
    for (const environment of [...this.environments.values()]) {
      if (environment.mfaAskedAt !== undefined && now - environment.mfaAskedAt > MFA_WINDOW_MS) environment.mfaAskedAt = undefined;
      if (!environment.connected) continue;
      environment.workedMs += elapsed;
      if (environment.pendingDelete && environment.workedMs >= this.deprovisionAfterMs) this.environments.delete(environment.name);
      else if (!environment.pendingDelete && environment.workedMs >= this.applyAfterMs) environment.appliedSpecRevision = environment.specRevision;
    }
  }

  private existing(name: string): StoredEnvironment {
    const environment = this.environments.get(name);
    if (!environment) throw new Error(`the stand-in has no environment ${name}`);
    return environment;
  }
}

/** The changeable part of a spec, with the defaults the stand-in assumes: a node group's name is its type, its zones the environment's. */
function changeableSpec(input: Record<string, any>) {
  const zones: string[] = input.zones ?? [];
  return {
    zones,
    nodeGroups: (input.nodeGroups ?? []).map((group: Record<string, any>) => ({
      name: group.name ?? group.nodeType,
      nodeType: group.nodeType,
      zones: group.zones ?? zones,
      capacityPerZone: group.capacityPerZone,
      reservations: group.reservations ?? [],
    })),
    loadBalancers: {
      public: { enabled: false, sourceIPRanges: ['0.0.0.0/0'], crossZone: true, ...input.loadBalancers?.public },
      internal: {
        enabled: false,
        sourceIPRanges: ['0.0.0.0/0'],
        crossZone: true,
        endpointServiceAllowedPrincipals: [],
        endpointServiceSupportedRegions: [],
        ...input.loadBalancers?.internal,
      },
    },
    tags: input.tags ?? [],
  };
}

/** MERGE: objects merged field by field, lists and values replaced. */
function merged(current: any, change: any): any {
  const isObject = (value: unknown) => typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!isObject(current) || !isObject(change)) return change ?? current;
  const result = { ...current };
  for (const [key, value] of Object.entries(change)) result[key] = merged(current[key], value);
  return result;
}

/** Some of Altinity's validation, as errors with no code. */
function checkSpec(spec: Record<string, any>): void {
  if (spec.zones.length < 2) throw new GraphQLError('at least 2 zones required');
  const foreign = spec.zones.find((zone: string) => !zone.startsWith(spec.region));
  if (foreign) throw new GraphQLError(`zone ${foreign} is not in region ${spec.region}`);
  if (spec.nodeGroups.length === 0) throw new GraphQLError('at least one node group required');
}

/**
 * A client certificate of the test CA for the request `csrPem`, valid for 2 days, as openssl signs it
 * with the CA's key. TestCa offers no way to sign a request, but keeps its key beside its certificate.
 */
export function signedByTestCa(ca: TestCa, csrPem: string): string {
  const caKey = path.join(path.dirname(ca.caFile), 'ca.key');
  if (!fs.existsSync(caKey)) throw new Error(`the test CA's key is not at ${caKey}: test-ca.ts changed`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'altinity-sign-'));
  try {
    fs.writeFileSync(path.join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
    const serial = `0x${randomBytes(8).toString('hex')}`;
    const openssl = spawnSync(
      'openssl',
      ['x509', '-req', '-CA', ca.caFile, '-CAkey', caKey, '-set_serial', serial, '-days', '2', '-extfile', path.join(dir, 'client.ext')],
      { input: csrPem, encoding: 'utf8' },
    );
    if (openssl.status !== 0) throw new Error(`openssl could not sign: ${openssl.stderr}`);
    return openssl.stdout;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A fetch over node:https that trusts `caPem`, as the Lambda's trusts the public CAs. */
function fetchTrusting(caPem: Buffer): Fetch {
  return (url, init) =>
    new Promise((resolve, reject) => {
      const options = { method: init.method, headers: init.headers as Record<string, string>, ca: caPem, agent: false, signal: init.signal ?? undefined };
      const request = https.request(url, options, (response) => {
        readBody(response).then((body) => resolve({ status: response.statusCode ?? 0, text: async () => body.toString() }), reject);
      });
      request.on('error', reject);
      request.end(init.body as string | Uint8Array | undefined);
    });
}
