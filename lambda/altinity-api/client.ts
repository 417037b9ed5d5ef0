import { DEFAULT_ALTINITY_URL } from '../../lib/shared/conventions';
import { CodedFailure } from '../../lib/shared/failures';
import { ALTINITY_API_FAILURES as FAILURE, sanitized } from './failures';

/**
 * A client of Altinity.Cloud's API as its Terraform provider uses it: `POST /sign` for the
 * environment's certificate and the AWS environment's GraphQL operations, with the published schema's
 * operation and field names in documents of our own. It follows the provider's rules: a bearer token
 * on every call, NOT_FOUND read as absent, reads retried on transient answers, changes never retried.
 * Every failure is a CodedFailure whose message fits a CloudFormation reason and never holds the
 * token; the client logs nothing.
 */

/** What the client needs of `fetch`; the global one by default. */
export type Fetch = (url: string, init: RequestInit) => Promise<Pick<Response, 'status' | 'text'>>;

export interface AltinityApiOptions {
  /** The Anywhere API access token of the Altinity.Cloud account. */
  readonly token: string;
  readonly baseUrl?: string;
  readonly fetch?: Fetch;
  /** Waits between a read's attempts; tests make it instant. */
  readonly delay?: (ms: number) => Promise<void>;
  /** How long one attempt may take, as the provider's HTTP client allows (1 min). */
  readonly timeoutMs?: number;
}

export interface KeyValue {
  readonly key: string;
  readonly value: string;
}

export type NodeReservation = 'SYSTEM' | 'CLICKHOUSE' | 'ZOOKEEPER';

export interface NodeGroup {
  readonly name?: string;
  readonly nodeType: string;
  readonly zones?: readonly string[];
  readonly capacityPerZone: number;
  readonly reservations?: readonly NodeReservation[];
}

export interface LoadBalancer {
  readonly enabled?: boolean;
  readonly sourceIPRanges?: readonly string[];
  readonly crossZone?: boolean;
}

export interface InternalLoadBalancer extends LoadBalancer {
  readonly endpointServiceAllowedPrincipals?: readonly string[];
  readonly endpointServiceSupportedRegions?: readonly string[];
}

/** What updateAWSEnv can change (`AWSEnvUpdateSpecInput`), as far as the stacks set it. */
export interface AwsEnvUpdateSpec {
  readonly zones?: readonly string[];
  readonly nodeGroups?: readonly NodeGroup[];
  readonly loadBalancers?: { readonly public?: LoadBalancer; readonly internal?: InternalLoadBalancer };
  readonly tags?: readonly KeyValue[];
}

/** What createAWSEnv takes (`CreateAWSEnvSpecInput`), less `cloudConnect`, which is always true here. */
export interface AwsEnvCreateSpec extends AwsEnvUpdateSpec {
  readonly awsAccountID: string;
  readonly region: string;
  readonly cidr: string;
  readonly nodeGroups: readonly NodeGroup[];
  readonly NAT?: boolean;
  readonly permissionsBoundaryPolicyArn?: string;
  readonly resourcePrefix?: string;
  readonly kmsKeyARN?: string;
}

/** An environment's specification as GetAWSEnv reads it. */
export interface AwsEnvSpec {
  readonly awsAccountID: string;
  readonly region: string;
  readonly cidr: string;
  readonly zones: readonly string[];
  readonly NAT: boolean;
  readonly cloudConnect: boolean;
  readonly resourcePrefix: string;
  readonly permissionsBoundaryPolicyArn: string | null;
  readonly kmsKeyARN: string | null;
  readonly nodeGroups: readonly Required<NodeGroup>[];
  readonly loadBalancers: { readonly public: Required<LoadBalancer>; readonly internal: Required<InternalLoadBalancer> };
  readonly tags: readonly KeyValue[];
}

export interface AwsEnv {
  readonly name: string;
  readonly specRevision: number;
  readonly spec: AwsEnvSpec;
}

/** One of the errors Altinity reports on an environment; `code` is an EnvStatusErrorCode. */
export interface EnvStatusError {
  readonly code: string;
  readonly message: string;
}

/** An environment's state as GetAWSEnvStatus reads it. */
export interface AwsEnvStatus {
  readonly name: string;
  readonly specRevision: number;
  readonly status: {
    readonly appliedSpecRevision: number;
    readonly pendingDelete: boolean;
    readonly errors: readonly EnvStatusError[];
    readonly awsResources: readonly { readonly id: string; readonly arn: string; readonly name: string }[];
    readonly loadBalancers: { readonly internal: { readonly endpointServiceName: string | null } };
    readonly peeringConnections: readonly { readonly id: string | null; readonly vpcID: string }[];
  };
}

export interface SpecChange {
  readonly mutationId: string;
  /** The revision to wait for: ready once `appliedSpecRevision` reaches it. */
  readonly specRevision: number;
}

const SPEC_FIELDS =
  'awsAccountID region cidr zones NAT cloudConnect resourcePrefix permissionsBoundaryPolicyArn kmsKeyARN ' +
  'nodeGroups{name nodeType zones capacityPerZone reservations} ' +
  'loadBalancers{public{enabled sourceIPRanges crossZone} internal{enabled sourceIPRanges crossZone endpointServiceAllowedPrincipals endpointServiceSupportedRegions}} ' +
  'tags{key value}';
const STATUS_FIELDS =
  'appliedSpecRevision pendingDelete errors{code message} awsResources{id arn name} loadBalancers{internal{endpointServiceName}} peeringConnections{id vpcID}';

const GET_AWS_ENV = `query GetAWSEnv($name:String!){awsEnv(name:$name){name specRevision spec{${SPEC_FIELDS}}}}`;
const GET_AWS_ENV_STATUS = `query GetAWSEnvStatus($name:String!){awsEnv(name:$name){name specRevision status{${STATUS_FIELDS}}}}`;
const CREATE_AWS_ENV = 'mutation CreateAWSEnv($input:CreateAWSEnvInput!){createAWSEnv(input:$input){mutationId specRevision}}';
const UPDATE_AWS_ENV = 'mutation UpdateAWSEnv($input:UpdateAWSEnvInput!){updateAWSEnv(input:$input){mutationId specRevision}}';
const DELETE_AWS_ENV = 'mutation DeleteAWSEnv($input:DeleteAWSEnvInput!){deleteAWSEnv(input:$input){mutationId pendingMFA}}';

/** The provider's retries of a read: 3, after 500 ms, then twice as long each time. */
const RETRIES = 3;
const FIRST_RETRY_DELAY_MS = 500;
const TRANSIENT_STATUSES = new Set([429, 502, 503, 504]);
/** How much of an answer a failure quotes. */
const PREVIEW_BYTES = 400;
const TOKEN_HINT = 'make a new one in the Altinity Cloud Manager (My Account > Anywhere API Access)';

/** An attempt's outcome; `status` 0 when no answer came, `text` then says why. */
interface Answer {
  readonly status: number;
  readonly text: string;
  readonly attempts: number;
}

interface GraphQLError {
  readonly message?: unknown;
  readonly extensions?: { readonly code?: unknown };
}

export class AltinityApi {
  readonly baseUrl: string;
  // Private with #, so that neither util.inspect nor JSON.stringify of the client shows the token.
  readonly #token: string;
  readonly #fetch: Fetch;
  readonly #delay: (ms: number) => Promise<void>;
  readonly #timeoutMs: number;

  constructor(options: AltinityApiOptions) {
    this.baseUrl = (options.baseUrl ?? DEFAULT_ALTINITY_URL).replace(/\/+$/, '');
    // The token goes in every request's header: only over TLS, or to this machine.
    if (!/^https:\/\/|^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/|$)/.test(this.baseUrl)) {
      throw new Error(`the Altinity.Cloud API URL must start with https://, or it would carry the API token in clear: ${sanitized(this.baseUrl, 200)}`);
    }
    this.#token = options.token;
    this.#fetch = options.fetch ?? fetch;
    this.#delay = options.delay ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#timeoutMs = options.timeoutMs ?? 60_000;
  }

  /**
   * The certificate Altinity.Cloud signs for `csrPem` (the environment `envName`'s request), as the
   * PEM it answered. The request goes as bytes, so that fetch sets no Content-Type, as the provider
   * sets none. Retried like a read: signing again changes nothing that matters.
   */
  async sign(envName: string, csrPem: string): Promise<string> {
    const what = `signing the certificate of ${envName}`;
    const answer = await this.#call('/sign', new TextEncoder().encode(csrPem), undefined, true);
    this.#throwIfUnserved(answer, what, false);
    if (answer.status !== 200) throw this.#failure(FAILURE.rejected, `Altinity.Cloud refused ${what}: ${this.#httpProblem(answer)}`);
    if (/-----BEGIN ([A-Z0-9 ]+)-----/.exec(answer.text)?.[1] !== 'CERTIFICATE') {
      throw this.#failure(FAILURE.badAnswer, `Altinity.Cloud answered ${what} with no PEM certificate: ${this.#preview(answer.text)}`);
    }
    return answer.text;
  }

  /** The environment's name, revision and specification; null when Altinity.Cloud has no such environment. */
  awsEnv(name: string): Promise<AwsEnv | null> {
    return absentIfNotFound(this.#graphql<AwsEnv | null>(GET_AWS_ENV, 'awsEnv', { name }, name));
  }

  /** The environment's revision and status; null when Altinity.Cloud has no such environment. */
  awsEnvStatus(name: string): Promise<AwsEnvStatus | null> {
    return absentIfNotFound(this.#graphql<AwsEnvStatus | null>(GET_AWS_ENV_STATUS, 'awsEnv', { name }, name));
  }

  /** Creates the environment, always reached through altinitycloud-connect (`cloudConnect`, which defaults to false). */
  createAwsEnv(name: string, spec: AwsEnvCreateSpec): Promise<SpecChange> {
    return this.#graphql(CREATE_AWS_ENV, 'createAWSEnv', { input: { name, spec: { ...spec, cloudConnect: true } } }, name);
  }

  /**
   * Changes the fields the stacks own (zones, node groups, load balancers, tags) and nothing else.
   * MERGE merges objects and replaces lists, so what someone set in the Altinity Cloud Manager
   * (maintenance windows, endpoints, ...) stays; REPLACE, which the provider sends because it owns
   * every field, would reset it. Only those four fields are sent, whatever `spec` holds: the fields
   * fixed at creation would make Altinity refuse the whole update.
   */
  updateAwsEnv(name: string, spec: AwsEnvUpdateSpec): Promise<SpecChange> {
    const { zones, nodeGroups, loadBalancers, tags } = spec;
    const owned = Object.fromEntries(Object.entries({ zones, nodeGroups, loadBalancers, tags }).filter(([, value]) => value !== undefined));
    return this.#graphql(UPDATE_AWS_ENV, 'updateAWSEnv', { input: { name, spec: owned, updateStrategy: 'MERGE' } }, name);
  }

  /**
   * Asks for the environment's deletion: `force` skips deprovisioning, `forceDestroyClusters` deletes
   * its ClickHouse clusters too. `pendingMFA`: a person must confirm it. An absent environment is
   * what was asked for.
   */
  async deleteAwsEnv(
    name: string,
    options: { readonly force?: boolean; readonly forceDestroyClusters?: boolean } = {},
  ): Promise<{ readonly pendingMFA: boolean }> {
    const input = { name, force: options.force ?? false, forceDestroyClusters: options.forceDestroyClusters ?? false };
    const deleted = await absentIfNotFound(this.#graphql<{ pendingMFA: boolean }>(DELETE_AWS_ENV, 'deleteAWSEnv', { input }, name));
    return { pendingMFA: deleted?.pendingMFA ?? false };
  }

  async #graphql<T>(document: string, field: string, variables: object, envName: string): Promise<T> {
    const mutation = document.startsWith('mutation');
    const what = `${field} of ${envName}`;
    const answer = await this.#call('/api/v1/graphql', JSON.stringify({ query: document, variables }), 'application/json', !mutation);
    // A 401 refuses the token whatever its body says; GraphQL errors may come with 200 or with 4xx, and decide either way.
    // No answer, 429 and 5xx first: their bodies decide nothing, whatever errors they list.
    this.#throwIfUnserved(answer, what, mutation);
    const body = parsedJson(answer.text);
    if (Array.isArray(body?.errors) && body.errors.length > 0) throw this.#graphqlFailure(body.errors, what);
    if (answer.status !== 200) throw this.#failure(FAILURE.rejected, `Altinity.Cloud rejected ${what}: ${this.#httpProblem(answer)}`);
    if (typeof body?.data !== 'object' || body.data === null || !(field in body.data)) {
      if (mutation) {
        throw this.#failure(
          FAILURE.outcomeUnknown,
          `${what}: an answer without its data (${this.#preview(answer.text)}); whether Altinity.Cloud made the change is unknown until the environment is read`,
        );
      }
      throw this.#failure(FAILURE.badAnswer, `Altinity.Cloud answered ${what} without its data: ${this.#preview(answer.text)}`);
    }
    return body.data[field] as T;
  }

  /** Throws when the request was not served: the token refused, no answer, or a "not now" one (429, 5xx). */
  #throwIfUnserved(answer: Answer, what: string, mutation: boolean): void {
    const { status, text, attempts } = answer;
    if (status === 401) throw this.#tokenRefused(what, this.#httpProblem(answer));
    if (status !== 0 && status !== 429 && status < 500) return;
    const problem = status === 0 ? `no answer (${text})` : this.#httpProblem(answer);
    // A 429 turns a request away before it is carried out; after anything else a change may have been made.
    if (mutation && status !== 429) {
      throw this.#failure(FAILURE.outcomeUnknown, `${what}: ${problem}; whether Altinity.Cloud made the change is unknown until the environment is read`);
    }
    throw this.#failure(FAILURE.unreachable, `${what}: ${problem} from ${this.baseUrl}${attempts > 1 ? ` after ${attempts} attempts` : ''}`);
  }

  #graphqlFailure(errors: readonly GraphQLError[], what: string): CodedFailure {
    const codes = errors.map((error) => String(error?.extensions?.code ?? ''));
    const messages = errors.map((error) => String(error?.message ?? ''));
    const text = this.#preview(messages.map((message, i) => (codes[i] ? `${codes[i]}: ${message}` : message)).join('; '));
    if (codes.includes('UNAUTHORIZED') || messages.includes('Invalid API token')) return this.#tokenRefused(what, text);
    if (codes.includes('NOT_FOUND')) return this.#failure(FAILURE.notFound, `${what}: Altinity.Cloud has no such environment (${text})`);
    if (codes.includes('FORBIDDEN')) return this.#failure(FAILURE.forbidden, `Altinity.Cloud forbids ${what} to the API token's account (${text})`);
    if (codes.some((code, i) => code === 'CONFLICT' && messages[i].includes('forceDestroyClusters=true'))) {
      return this.#failure(FAILURE.clustersExist, `Altinity.Cloud refuses ${what} while the environment has ClickHouse or ZooKeeper clusters (${text})`);
    }
    if (codes.includes('CONFLICT') || messages.includes('conflict')) {
      return this.#failure(FAILURE.conflict, `Altinity.Cloud refuses ${what}: the name is taken, or another change is under way (${text})`);
    }
    return this.#failure(FAILURE.rejected, `Altinity.Cloud rejected ${what}: ${text}`);
  }

  /** POSTs `body`, again after a transient answer when `retried`. */
  async #call(path: string, body: string | Uint8Array<ArrayBuffer>, contentType: string | undefined, retried: boolean): Promise<Answer> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.#token}` };
    if (contentType) headers['content-type'] = contentType;
    for (let attempts = 1; ; attempts++) {
      let status = 0;
      let text: string;
      try {
        // A redirect would turn the POST into a GET or resend the token elsewhere: Altinity.Cloud sends none.
        const init = { method: 'POST', headers, body, redirect: 'error' as const, signal: AbortSignal.timeout(this.#timeoutMs) };
        const response = await this.#fetch(`${this.baseUrl}${path}`, init);
        // The status counts only with its whole body: an answer cut off is no answer.
        text = await response.text();
        status = response.status;
      } catch (error) {
        text = transportProblem(error);
      }
      if (!retried || attempts > RETRIES || (status !== 0 && !TRANSIENT_STATUSES.has(status))) return { status, text, attempts };
      await this.#delay(FIRST_RETRY_DELAY_MS * 2 ** (attempts - 1));
    }
  }

  #tokenRefused(what: string, detail: string): CodedFailure {
    return this.#failure(FAILURE.tokenRefused, `Altinity.Cloud refused the API token for ${what} (${detail}): ${TOKEN_HINT}`);
  }

  /** `HTTP <status>`, then the answer's text, if any. */
  #httpProblem(answer: Answer): string {
    const preview = this.#preview(answer.text);
    return preview ? `HTTP ${answer.status} ${preview}` : `HTTP ${answer.status}`;
  }

  /** Altinity's text, quoted in a failure: without the token, on one line, short. */
  #preview(text: string): string {
    return sanitized(this.#masked(text), PREVIEW_BYTES);
  }

  #failure(code: string, message: string): CodedFailure {
    return new CodedFailure(code, sanitized(this.#masked(message)));
  }

  #masked(text: string): string {
    return this.#token ? text.split(this.#token).join('[API token]') : text;
  }
}

function parsedJson(text: string): { data?: Record<string, unknown> | null; errors?: GraphQLError[] } | undefined {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function absentIfNotFound<T>(call: Promise<T>): Promise<T | null> {
  return call.catch((error: unknown) => {
    if (error instanceof CodedFailure && error.code === FAILURE.notFound) return null;
    throw error;
  });
}

/** Why fetch got no answer: Node's fetch puts the system's reason (ECONNREFUSED...) in `cause`. */
function transportProblem(error: unknown): string {
  const { name, message, code, cause } = (error ?? {}) as {
    name?: unknown;
    message?: unknown;
    code?: unknown;
    cause?: { name?: unknown; code?: unknown; message?: unknown };
  };
  if (name === 'TimeoutError' || cause?.name === 'TimeoutError') return 'timed out';
  return String(cause?.code ?? cause?.message ?? code ?? message ?? error);
}
