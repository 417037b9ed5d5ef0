/**
 * The environment file: the fields of Altinity's AWS environment specification that the stacks set,
 * declared once, under Altinity's own names (its GraphQL schema's), so that Altinity's documentation
 * applies as it stands. From the one table below come the validator, the fields that cannot change
 * once the environment exists, the published JSON Schema (`schema/environment.schema.json`) and the
 * table of the file's reference (`docs/environment-file.md`).
 * The validator runs in the app and in the function that calls Altinity, whose bundle is inlined in
 * a template: hence hand-written, with no schema library.
 */

/** The workloads a node group can be reserved for; the environment needs a group for each. */
const RESERVATIONS = ['SYSTEM', 'CLICKHOUSE', 'ZOOKEEPER'] as const;

/** Where the published schema is kept, relative to the repository's root. */
export const ENVIRONMENT_SCHEMA_FILE = 'schema/environment.schema.json';

/** Every problem of a specification at once, each naming the field by its path and what it expects. */
export class EnvironmentSpecError extends Error {
  override readonly name = 'EnvironmentSpecError';
  constructor(
    readonly problems: readonly string[],
    subject = 'the environment specification',
  ) {
    super(
      problems.length === 1
        ? `${subject}: ${problems[0]}`
        : `${subject} has ${problems.length} problems:\n${problems.map((problem) => `- ${problem}`).join('\n')}`,
    );
  }
}

/** Where the environment goes: the stack's region, and the zones the account has there when known. */
export interface EnvironmentContext {
  readonly region: string;
  /**
   * The account's available zones in the region, in order, as DescribeAvailabilityZones lists them:
   * zone names differ between regions and accounts (ap-northeast-1 has no 1b for most accounts).
   *
   * @default - unknown: zones are checked against the region's name only
   */
  readonly availabilityZones?: readonly string[];
  /**
   * The IPv4 ranges of the hosts' VPC, as DescribeVpcs lists them: the environment's VPC is peered
   * with nothing, but Altinity reaches it through the hosts, whose routes an overlap would break.
   *
   * @default - unknown: the overlap is not checked
   */
  readonly hostNetworkCidrs?: readonly string[];
}

/** What the specification's defaults and checks may depend on besides the value itself. */
interface Scope extends EnvironmentContext {
  /** The environment's fields validated so far, in the table's order. */
  readonly environment: Readonly<Record<string, unknown>>;
}

/** A check's finding: `at` extends the field's path (`[1].name`), empty for the field itself. */
interface Problem {
  readonly at?: string;
  readonly problem: string;
}

type Kind =
  | { readonly type: 'boolean' }
  | { readonly type: 'integer'; readonly minimum: number }
  /** `expected` completes "must be …". */
  | { readonly type: 'string'; readonly expected: string; readonly pattern?: string; readonly minLength?: number; readonly maxLength?: number }
  | { readonly type: 'enum'; readonly values: readonly string[] }
  | { readonly type: 'const'; readonly value: boolean; readonly expected: string }
  | { readonly type: 'list'; readonly items: Kind; readonly minItems: number; readonly unique?: boolean }
  /** `refused`: names that are not fields here, each with why. */
  | { readonly type: 'object'; readonly fields: Fields; readonly refused?: Readonly<Record<string, Refusal>> };

/** Why a name of Altinity's specification is refused: how the reference marks it, and the problem the user reads. */
interface Refusal {
  readonly marker: string;
  readonly problem: string;
}

interface FieldOptions<V> {
  readonly description: string;
  readonly required?: true;
  /** Applied when the field is absent, then validated like a given value. */
  readonly default?: unknown;
  /** A default that depends on the scope or on the object's other fields, which the table lists first. */
  readonly derivedDefault?: { readonly described: string; readonly value: (object: Readonly<Record<string, unknown>>, scope: Scope) => unknown };
  /** Fixed when the environment is created; `append-only`: a list may only grow at its end. */
  readonly immutable?: true | 'append-only';
  /** Runs on a value that passed its kind's checks; `path` is the field's. */
  readonly check?: (value: V, scope: Scope, path: string) => readonly Problem[];
}

interface Field extends FieldOptions<never> {
  readonly kind: Kind;
}

type Fields = Readonly<Record<string, Field>>;

/** The type of a field's value once validated. */
type Value<K> = K extends { type: 'boolean' }
  ? boolean
  : K extends { type: 'integer' }
    ? number
    : K extends { type: 'string' }
      ? string
      : K extends { type: 'enum'; values: readonly (infer V)[] }
        ? V
        : K extends { type: 'const'; value: infer V }
          ? V
          : K extends { type: 'list'; items: infer I }
            ? readonly Value<I>[]
            : K extends { type: 'object'; fields: infer F }
              ? Shape<F>
              : never;

/** Objects are always there (an absent one takes its fields' defaults), as is a field with a default. */
type AlwaysThere<F> = F extends { required: true } | { default: unknown } | { derivedDefault: unknown } | { kind: { type: 'object' } } ? true : false;

type Shape<Fs> = Flat<
  {
    readonly [N in keyof Fs as AlwaysThere<Fs[N]> extends true ? N : never]: Fs[N] extends { kind: infer K } ? Value<K> : never;
  } & {
    readonly [N in keyof Fs as AlwaysThere<Fs[N]> extends true ? never : N]?: Fs[N] extends { kind: infer K } ? Value<K> : never;
  }
>;

/** One object type rather than an intersection, so that editors show its fields. */
type Flat<T> = { [K in keyof T]: T[K] } & {};

function field<const K extends Kind, const O extends FieldOptions<Value<K>>>(kind: K, options: O): { readonly kind: K } & O {
  return { kind, ...options };
}

const boolean = { type: 'boolean' } as const;

function text(expected: string, limits: { readonly pattern?: string; readonly minLength?: number; readonly maxLength?: number }) {
  return { type: 'string', expected, ...limits } as const;
}

function list<const I extends Kind>(items: I, limits: { readonly minItems: number; readonly unique?: true }) {
  return { type: 'list', items, ...limits } as const;
}

function object<const F extends Fields>(fields: F, refused?: Readonly<Record<string, Refusal>>) {
  return { type: 'object', fields, ...(refused && { refused }) } as const;
}

const OCTET = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4_RANGE = `^${OCTET}(\\.${OCTET}){3}/(3[0-2]|[12]?\\d)$`;
/**
 * RFC 1918, and a prefix between AWS's largest VPC (/16) and Altinity's smallest environment (/21).
 * The address must also be the network's first, which a pattern cannot say: `checkNetworkAddress`.
 */
const PRIVATE_NETWORK = `^(10\\.${OCTET}|172\\.(1[6-9]|2\\d|3[01])|192\\.168)\\.${OCTET}\\.${OCTET}/(1[6-9]|2[01])$`;
const ZONE_NAME = '^[a-z]{2}(-[a-z]+)+-\\d+[a-z]$';
const ARN_PARTITION = 'arn:aws(-[a-z]+)*';

const sourceIPRanges = field(list(text('an IPv4 range in CIDR notation, such as 203.0.113.0/24', { pattern: IPV4_RANGE }), { minItems: 1 }), {
  description: 'The IPv4 ranges, in CIDR notation, that may connect to it.',
  default: ['0.0.0.0/0'],
});

const crossZone = field(boolean, { description: 'Whether it spreads the traffic over every zone.', default: false });

const NOT_YET: Refusal = { marker: 'not yet supported', problem: "is a field of Altinity's specification that the stacks do not set yet" };
const THE_STACKS_OWN: Refusal = { marker: 'not in the file', problem: "is not set in the file: the stack's own account and region are used" };

/** The guide's example's network. */
export const DEFAULT_CIDR = '10.67.0.0/21';

/** The guide's example: one group for Altinity's services and ZooKeeper, one for ClickHouse. */
export const DEFAULT_NODE_GROUPS = [
  { nodeType: 't4g.large', capacityPerZone: 10, reservations: ['SYSTEM', 'ZOOKEEPER'] },
  { nodeType: 'm6i.large', capacityPerZone: 10, reservations: ['CLICKHOUSE'] },
];

/** The environment file, as the table of its fields. */
const ENVIRONMENT = object(
  {
    zones: field(list(text("an availability zone of the stack's region, such as us-east-1a", { pattern: ZONE_NAME }), { minItems: 2, unique: true }), {
      description: "The availability zones of the stack's region that the environment uses, at least 2.",
      derivedDefault: {
        described: 'the first two zones the account has in the region (<region>a and <region>b when they are not known)',
        value: (_, { region, availabilityZones }) => availabilityZones?.slice(0, 2) ?? [`${region}a`, `${region}b`],
      },
      immutable: 'append-only',
      check: (zones, scope) => zones.flatMap((zone, i) => zoneProblems(zone, i, scope)),
    }),
    cidr: field(text('a private IPv4 network (RFC 1918) of /16 to /21 in CIDR notation, such as 10.67.0.0/21', { pattern: PRIVATE_NETWORK }), {
      description: "The IPv4 range of the environment's VPC: private (RFC 1918), /16 to /21, not overlapping the network of the stack's hosts.",
      default: DEFAULT_CIDR,
      immutable: true,
      check: (cidr, scope) => [...checkNetworkAddress(cidr), ...overlapWithHosts(cidr, scope)],
    }),
    NAT: field(boolean, { description: "Whether the environment's VPC gets a NAT gateway.", default: false, immutable: true }),
    nodeGroups: field(
      list(
        object({
          nodeType: field(text('an EC2 instance type, such as m6i.large', { pattern: '^[a-z][a-z0-9-]*\\.[a-z0-9-]+$' }), {
            description: "The EC2 instance type of the group's nodes.",
            required: true,
          }),
          name: field(text('a name of at least one character', { minLength: 1 }), {
            description: 'The name of the group, unique among the groups.',
            derivedDefault: { described: 'its nodeType', value: (group) => group.nodeType },
          }),
          zones: field(list(text("one of the environment's zones", { pattern: ZONE_NAME }), { minItems: 1, unique: true }), {
            description: "The zones the group's nodes run in, among the environment's zones.",
            derivedDefault: { described: "the environment's zones", value: (_, scope) => environmentZones(scope) },
            check: (zones, scope) => zones.flatMap((zone, i) => notAnEnvironmentZone(zone, i, scope)),
          }),
          capacityPerZone: field({ type: 'integer', minimum: 1 }, { description: 'The most nodes the group may run in each of its zones.', required: true }),
          reservations: field(list({ type: 'enum', values: RESERVATIONS }, { minItems: 1, unique: true }), {
            description: "The workloads the group's nodes take: SYSTEM (Altinity's own services), CLICKHOUSE, ZOOKEEPER.",
            default: RESERVATIONS,
          }),
        }),
        { minItems: 1 },
      ),
      {
        description: "The groups of EC2 nodes of the environment's Kubernetes cluster; between them they take SYSTEM, CLICKHOUSE and ZOOKEEPER.",
        default: DEFAULT_NODE_GROUPS,
        check: (groups, _, path) => [
          ...uncoveredReservations(groups),
          ...duplicates(groups, 'name', path, 'a group without a name is named after its nodeType'),
        ],
      },
    ),
    loadBalancers: field(
      object({
        public: field(
          object({
            enabled: field(boolean, { description: 'Whether the environment has it.', default: true }),
            sourceIPRanges,
            crossZone,
          }),
          { description: "The internet-facing load balancer of the environment's ClickHouse clusters, at *.<env>.altinity.cloud." },
        ),
        internal: field(
          object(
            {
              enabled: field(boolean, { description: 'Whether the environment has it.', default: false }),
              sourceIPRanges,
              crossZone,
              endpointServiceAllowedPrincipals: field(
                list(text('an IAM principal ARN, such as arn:aws:iam::123456789012:root', { pattern: `^${ARN_PARTITION}:iam::\\d{12}:\\S+$` }), {
                  minItems: 0,
                  unique: true,
                }),
                { description: 'The AWS principals (ARNs) that may reach it through a VPC endpoint (AWS PrivateLink).', default: [] },
              ),
            },
            { endpointServiceSupportedRegions: NOT_YET },
          ),
          { description: "The load balancer inside the environment's VPC, at *.internal.<env>.altinity.cloud." },
        ),
      }),
      { description: "The load balancers in front of the environment's ClickHouse clusters." },
    ),
    tags: field(
      list(
        object({
          key: field(
            text('a tag key of 1 to 128 characters, not starting with aws: in any case', { pattern: '^(?![aA][wW][sS]:)', minLength: 1, maxLength: 128 }),
            {
              description: 'The tag key.',
              required: true,
            },
          ),
          value: field(text('a tag value of at most 256 characters', { maxLength: 256 }), { description: 'The tag value.', required: true }),
        }),
        { minItems: 0 },
      ),
      {
        description: 'The tags of the AWS resources that Altinity creates for the environment.',
        default: [],
        check: (tags, _, path) => duplicates(tags, 'key', path, 'AWS takes each key once'),
      },
    ),
    permissionsBoundaryPolicyArn: field(
      text('an IAM policy ARN, such as arn:aws:iam::123456789012:policy/altinity-boundary', { pattern: `^${ARN_PARTITION}:iam::\\d{12}:policy/\\S+$` }),
      { description: 'The IAM policy that bounds the permissions of the roles Altinity creates for the environment.', immutable: true },
    ),
    resourcePrefix: field(text('a prefix of at least one character', { minLength: 1 }), {
      description: 'The prefix of the names of the AWS resources Altinity creates for the environment.',
      immutable: true,
    }),
    cloudConnect: field(
      { type: 'const', value: true, expected: "true (Altinity manages the environment through the stack's altinitycloud-connect hosts)" },
      { description: "Always true: Altinity manages the environment through the stack's altinitycloud-connect hosts.", default: true, immutable: true },
    ),
  },
  {
    awsAccountID: THE_STACKS_OWN,
    region: THE_STACKS_OWN,
    ...Object.fromEntries(
      [
        'numberOfZones',
        'loadBalancingStrategy',
        'maintenanceWindows',
        'customDomain',
        'customDomains',
        'peeringConnections',
        'endpoints',
        'externalBuckets',
        'backups',
        'iceberg',
        'eksLogging',
        'metricsEndpoint',
        'datadog',
        'kmsKeyARN',
        'clickHouseClusters',
        'clickHouseKeepers',
      ].map((name) => [name, NOT_YET]),
    ),
  },
);

/** The environment's specification, validated, with every default applied. */
export type EnvironmentSpec = Value<typeof ENVIRONMENT>;

/**
 * Validates an environment file's content (parsed YAML or JSON) for a stack in `context.region`.
 * @returns the specification with its defaults applied
 * @throws EnvironmentSpecError listing every problem
 */
export function validateEnvironmentSpec(input: unknown, context: EnvironmentContext): EnvironmentSpec {
  const problems: string[] = [];
  const environment: Record<string, unknown> = {};
  if (isMapping(input)) {
    validateFields(ENVIRONMENT, input, '', { ...context, environment }, problems, environment);
  } else {
    problems.push(`must be ${expectation(ENVIRONMENT)}, not ${shown(input)}`);
  }
  if (problems.length > 0) throw new EnvironmentSpecError(problems);
  return environment as EnvironmentSpec;
}

/**
 * The paths of the fields fixed at creation that differ from `before` to `after`. The zones may
 * only be appended: one removed or moved is a change.
 */
export function immutableChanges(before: EnvironmentSpec, after: EnvironmentSpec): string[] {
  return changedFields(ENVIRONMENT.fields, before, after, '');
}

function changedFields(fields: Fields, before: unknown, after: unknown, path: string): string[] {
  return Object.entries(fields).flatMap(([name, { kind, immutable }]) => {
    const at = pathTo(path, name);
    const [was, is] = [(before as Record<string, unknown>)[name], (after as Record<string, unknown>)[name]];
    if (kind.type === 'object') return changedFields(kind.fields, was, is, at);
    if (immutable === 'append-only') return isPrefix(was as readonly unknown[], is as readonly unknown[]) ? [] : [at];
    return immutable && JSON.stringify(was) !== JSON.stringify(is) ? [at] : [];
  });
}

function isPrefix(start: readonly unknown[], list: readonly unknown[]): boolean {
  return start.every((entry, i) => JSON.stringify(entry) === JSON.stringify(list[i]));
}

/** Adds the value's problems; returns it with its defaults applied, or undefined when it or a part of it is wrong (a repeat in a list leaves it usable). */
function validate(kind: Kind, value: unknown, path: string, scope: Scope, problems: string[]): unknown {
  const refuse = (problem: string) => {
    problems.push(`${path}: ${problem}`);
    return undefined;
  };
  const wrong = () => refuse(`must be ${expectation(kind)}, not ${shown(value)}`);
  switch (kind.type) {
    case 'boolean':
      return typeof value === 'boolean' ? value : wrong();
    case 'integer':
      return Number.isInteger(value) && (value as number) >= kind.minimum ? value : wrong();
    case 'enum':
    case 'const':
      return (kind.type === 'enum' ? kind.values : [kind.value]).includes(value as never) ? value : wrong();
    case 'string': {
      if (typeof value !== 'string') return wrong();
      const length = [...value].length;
      const fits = length >= (kind.minLength ?? 0) && length <= (kind.maxLength ?? length);
      return fits && (kind.pattern === undefined || new RegExp(kind.pattern, 'u').test(value)) ? value : wrong();
    }
    case 'list': {
      if (!Array.isArray(value)) return wrong();
      if (value.length < kind.minItems) return refuse(`must have at least ${entryCount(kind.minItems)}, not ${value.length}`);
      const entries = value.map((entry, i) => validate(kind.items, entry, `${path}[${i}]`, scope, problems));
      if (entries.includes(undefined)) return undefined;
      // A repeat is reported, yet the list still goes on to its field's own checks.
      const written = entries.map((entry) => JSON.stringify(entry));
      written.forEach((entry, i) => {
        const first = written.indexOf(entry);
        if (kind.unique && first < i) problems.push(`${path}[${i}]: ${entry} is also ${path}[${first}]: each entry must be different`);
      });
      return entries;
    }
    case 'object': {
      if (!isMapping(value)) return wrong();
      const validated: Record<string, unknown> = {};
      return validateFields(kind, value, path, scope, problems, validated) ? validated : undefined;
    }
  }
}

/** Validates `given` field by field into `validated`; returns whether every field is valid. */
function validateFields(
  kind: Extract<Kind, { type: 'object' }>,
  given: Readonly<Record<string, unknown>>,
  path: string,
  scope: Scope,
  problems: string[],
  validated: Record<string, unknown>,
): boolean {
  const before = problems.length;
  for (const name of Object.keys(given).filter((name) => !Object.hasOwn(kind.fields, name))) {
    const refusal = kind.refused && Object.hasOwn(kind.refused, name) ? kind.refused[name].problem : unknownField(name, Object.keys(kind.fields));
    problems.push(`${pathTo(path, name)}: ${refusal}`);
  }
  for (const [name, field] of Object.entries(kind.fields)) {
    const at = pathTo(path, name);
    const value = Object.hasOwn(given, name) ? given[name] : defaultOf(field, validated, scope);
    if (value === undefined) {
      if (field.required) problems.push(`${at}: is missing: it must be ${expectation(field.kind)}`);
      continue;
    }
    const problemsBefore = problems.length;
    const checked = validate(field.kind, value, at, scope, problems);
    if (checked === undefined) continue;
    const found = field.check?.(checked as never, scope, at) ?? [];
    problems.push(...found.map(({ at: within = '', problem }) => `${at}${within}: ${problem}`));
    // Only a valid value serves the fields after it (defaults, checks), so that one mistake is reported once.
    if (problems.length === problemsBefore) validated[name] = checked;
  }
  return problems.length === before;
}

function defaultOf(field: Field, object: Readonly<Record<string, unknown>>, scope: Scope): unknown {
  return field.default ?? field.derivedDefault?.value(object, scope) ?? (field.kind.type === 'object' ? {} : undefined);
}

function unknownField(name: string, fields: readonly string[]): string {
  const loosely = (key: string) => key.toLowerCase().replace(/[_-]/g, '');
  const meant = fields.find((field) => loosely(field) === loosely(name));
  return meant ? `unknown field: did you mean ${meant}?` : `unknown field: the fields here are ${fields.join(', ')}`;
}

/** What a value of a kind looks like, to complete "must be …". */
function expectation(kind: Kind): string {
  switch (kind.type) {
    case 'boolean':
      return 'true or false';
    case 'integer':
      return `an integer of at least ${kind.minimum}`;
    case 'string':
    case 'const':
      return kind.expected;
    case 'enum':
      return `one of ${kind.values.join(', ')}`;
    case 'list':
      return `a list of ${kind.minItems > 0 ? `at least ${entryCount(kind.minItems)}` : 'entries'}, each ${expectation(kind.items)}`;
    case 'object':
      return `a mapping of the fields ${Object.keys(kind.fields).join(', ')}`;
  }
}

/** A number of a list's entries in words: 1 entry, 2 entries. */
function entryCount(count: number): string {
  return `${count} ${count === 1 ? 'entry' : 'entries'}`;
}

/** A given value as an error repeats it: scalars as written, truncated; lists and mappings by their kind. */
function shown(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (isMapping(value)) return 'a mapping';
  const written = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return written.length > 60 ? `${written.slice(0, 57)}...` : written;
}

function isMapping(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function pathTo(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

function isZoneOf(zone: string, region: string): boolean {
  return zone.length === region.length + 1 && zone.startsWith(region);
}

function zoneProblems(zone: string, i: number, { region, availabilityZones }: Scope): Problem[] {
  if (!isZoneOf(zone, region)) return [{ at: `[${i}]`, problem: `${zone} is not a zone of the stack's region ${region}: name one such as ${region}a` }];
  if (availabilityZones && !availabilityZones.includes(zone)) {
    return [{ at: `[${i}]`, problem: `${zone} is not available to this account in ${region}: name one of ${availabilityZones.join(', ')}` }];
  }
  return [];
}

/** The environment's zones, once valid: the node groups default to them and must keep within them. */
function environmentZones(scope: Scope): readonly string[] | undefined {
  return scope.environment.zones as readonly string[] | undefined;
}

function notAnEnvironmentZone(zone: string, i: number, scope: Scope): Problem[] {
  const zones = environmentZones(scope);
  if (zones === undefined || zones.includes(zone)) return [];
  return [{ at: `[${i}]`, problem: `${zone} is not one of the environment's zones (${zones.join(', ')}): add it to zones, or leave it out here` }];
}

function checkNetworkAddress(cidr: string): Problem[] {
  const [address, prefix] = cidr.split('/');
  const bits = address.split('.').reduce((sum, octet) => sum * 256 + Number(octet), 0);
  const size = 2 ** (32 - Number(prefix));
  if (bits % size === 0) return [];
  const first = bits - (bits % size);
  const written = [24, 16, 8, 0].map((shift) => Math.floor(first / 2 ** shift) % 256).join('.');
  return [{ problem: `${cidr} is not the first address of its network: write ${written}/${prefix}` }];
}

function overlapWithHosts(cidr: string, scope: Scope): Problem[] {
  const overlapping = (scope.hostNetworkCidrs ?? []).filter((host) => overlaps(cidr, host));
  if (overlapping.length === 0) return [];
  return [{ problem: `${cidr} overlaps the hosts' VPC (${overlapping.join(', ')}): choose a range outside it` }];
}

/** Whether two IPv4 networks in CIDR notation share an address. */
function overlaps(a: string, b: string): boolean {
  const range = (cidr: string) => {
    const [address, prefix] = cidr.split('/');
    const size = 2 ** (32 - Number(prefix ?? 32));
    const first = address.split('.').reduce((sum, octet) => sum * 256 + Number(octet), 0);
    return [first - (first % size), first - (first % size) + size - 1];
  };
  const [[aFirst, aLast], [bFirst, bLast]] = [range(a), range(b)];
  return aFirst <= bLast && bFirst <= aLast;
}

function uncoveredReservations(groups: readonly { readonly reservations: readonly string[] }[]): Problem[] {
  const missing = RESERVATIONS.filter((reservation) => !groups.some((group) => group.reservations.includes(reservation)));
  if (missing.length === 0) return [];
  return [
    {
      problem:
        `no group is reserved for ${missing.join(' or ')}: each of ${RESERVATIONS.join(', ')} needs a group ` +
        "(add it to a group's reservations; a group without reservations takes all three)",
    },
  ];
}

function duplicates<K extends string>(entries: readonly Readonly<Record<K, string>>[], key: K, path: string, why: string): Problem[] {
  return entries.flatMap((entry, i) => {
    const first = entries.findIndex((other) => other[key] === entry[key]);
    return first < i ? [{ at: `[${i}].${key}`, problem: `${entry[key]} is also the ${key} of ${path}[${first}]: each ${key} must be different (${why})` }] : [];
  });
}

/** The JSON Schema (draft 2020-12) of the environment file, for editors and the published reference. */
export function environmentJsonSchema(): object {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'Altinity.Cloud Anywhere environment on AWS (altinitycloud-connect stacks)',
    description:
      "The environment that the stacks create in Altinity.Cloud, with Altinity's own field names. Every field is optional; " +
      "the account and region are the stack's own. The stacks check more than this schema says: the zones' region, " +
      "that the groups take SYSTEM, CLICKHOUSE and ZOOKEEPER, unique names and keys, and the CIDR's first address.",
    ...kindSchema(ENVIRONMENT),
  };
}

function kindSchema(kind: Kind): object {
  switch (kind.type) {
    case 'boolean':
      return { type: 'boolean' };
    case 'integer':
      return { type: 'integer', minimum: kind.minimum };
    case 'string': {
      const { expected: _, type, ...limits } = kind;
      return { type, ...limits };
    }
    case 'enum':
      return { enum: kind.values };
    case 'const':
      return { const: kind.value };
    case 'list':
      return { type: 'array', items: kindSchema(kind.items), minItems: kind.minItems, ...(kind.unique && { uniqueItems: true }) };
    case 'object': {
      const required = Object.keys(kind.fields).filter((name) => kind.fields[name].required);
      return {
        type: 'object',
        properties: Object.fromEntries(Object.entries(kind.fields).map(([name, field]) => [name, fieldSchema(field)])),
        ...(required.length > 0 && { required }),
        additionalProperties: false,
      };
    }
  }
}

function fieldSchema(field: Field): object {
  const description = [
    field.description,
    field.derivedDefault && `Default: ${field.derivedDefault.described}.`,
    field.immutable === true && 'Fixed when the environment is created.',
    field.immutable === 'append-only' && 'Once the environment exists, entries can only be appended: none removed, replaced or moved.',
  ].filter(Boolean);
  return {
    description: description.join(' '),
    ...kindSchema(field.kind),
    ...(field.default !== undefined && { default: field.default }),
  };
}

/**
 * Whether an update may change a field, as `immutableChanges` decides: a list's entries change with
 * the list; a mapping is compared field by field.
 */
export type Changeability = 'immutable' | 'append-only' | 'changeable' | 'by its fields';

/** A field of the environment file as its reference lists it. */
export interface DocumentedField {
  /** From the file's top, dotted, with `[]` for a list's entries: `nodeGroups[].zones`. */
  readonly path: string;
  /** In a word or a few: `boolean`, `list of strings`. */
  readonly type: string;
  /** The value an absent field takes, or in words what it depends on, or that there is none. */
  readonly default: { readonly value: unknown } | { readonly described: string };
  readonly change: Changeability;
  readonly description: string;
  /** What a value must be, as the validator's errors say it. */
  readonly expected: string;
}

/** A name of Altinity's specification that the file may not set, as its reference lists it. */
export interface RefusedField extends Refusal {
  readonly path: string;
}

/** Every field of the environment file, each followed by the fields within it, then the names it refuses. */
export function environmentFieldReference(): Array<DocumentedField | RefusedField> {
  return objectReference(ENVIRONMENT, '');
}

/** `entriesChange`: within a list's entries, the list's changeability, which is theirs too. */
function objectReference(kind: Extract<Kind, { type: 'object' }>, path: string, entriesChange?: Changeability): Array<DocumentedField | RefusedField> {
  const fields = Object.entries(kind.fields).flatMap(([name, field]) => {
    const at = pathTo(path, name);
    const change = entriesChange ?? changeabilityOf(field);
    const documented: DocumentedField = {
      path: at,
      type: typeName(field.kind),
      default: defaultReference(field),
      change,
      description: field.description,
      expected: `${expectation(field.kind)}${field.kind.type === 'list' && field.kind.unique ? '; no entry twice' : ''}`,
    };
    return [documented, ...withinReference(field.kind, at, field.kind.type === 'list' ? change : entriesChange)];
  });
  const refused = Object.entries(kind.refused ?? {}).map(([name, refusal]) => ({ path: pathTo(path, name), ...refusal }));
  return [...fields, ...refused];
}

/** The fields within a mapping, or within each entry of a list of mappings. */
function withinReference(kind: Kind, path: string, entriesChange: Changeability | undefined): Array<DocumentedField | RefusedField> {
  if (kind.type === 'object') return objectReference(kind, path, entriesChange);
  if (kind.type === 'list') return withinReference(kind.items, `${path}[]`, entriesChange);
  return [];
}

function changeabilityOf(field: Field): Changeability {
  if (field.kind.type === 'object') return 'by its fields';
  if (field.immutable === 'append-only') return 'append-only';
  return field.immutable ? 'immutable' : 'changeable';
}

/** As `defaultOf` applies it. */
function defaultReference(field: Field): DocumentedField['default'] {
  if (field.default !== undefined) return { value: field.default };
  if (field.derivedDefault) return { described: field.derivedDefault.described };
  if (field.kind.type === 'object') return { described: "its fields' defaults" };
  return { described: field.required ? 'required' : 'none' };
}

function typeName(kind: Kind): string {
  switch (kind.type) {
    case 'boolean':
    case 'integer':
    case 'string':
      return kind.type;
    case 'enum':
      return 'string';
    case 'const':
      return typeof kind.value;
    case 'list':
      // The entries' type in the plural: a list of strings, a list of lists of strings.
      return `list of ${typeName(kind.items).replace(/^\w+/, (word) => `${word}s`)}`;
    case 'object':
      return 'mapping';
  }
}
