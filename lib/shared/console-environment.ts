import { DEFAULT_CIDR, DEFAULT_NODE_GROUPS } from './environment-spec';

const [SYSTEM_GROUP, CLICKHOUSE_GROUP] = DEFAULT_NODE_GROUPS;

/**
 * The console template's parameters for the environment file's most common fields, beside the
 * `EnvironmentSpec` JSON that holds any of them. A parameter left empty leaves its field to the JSON
 * (or to its default); one given sets it, and one given for a field the JSON sets too is refused,
 * naming both, so that no value silently wins. The node-group parameters shape the default groups
 * (SYSTEM and ZOOKEEPER on one, CLICKHOUSE on the other); a JSON with node groups of its own is
 * where theirs are given.
 */
export const CONSOLE_ENVIRONMENT_FIELDS = {
  Zones: {
    sets: 'zones',
    description: "Availability zones of this region, at least 2, comma-separated (us-east-1a,us-east-1b); empty: the region's zones a and b.",
    pattern: '^$|^[a-z0-9-]+( *, *[a-z0-9-]+)*$',
    expects: 'zone names separated by commas',
  },
  Cidr: {
    sets: 'cidr',
    description: `The environment VPC's private IPv4 range, /16 to /21, not overlapping the hosts' VPC; empty: ${DEFAULT_CIDR}.`,
    pattern: '^$|^[0-9.]+/[0-9]+$',
    expects: 'an IPv4 range in CIDR notation',
  },
  SystemNodeType: {
    sets: 'nodeGroups',
    description: `EC2 instance type of the nodes for ${SYSTEM_GROUP.reservations.join(' and ')}; empty: ${SYSTEM_GROUP.nodeType}.`,
    pattern: '^$|^[a-z][a-z0-9-]*\\.[a-z0-9-]+$',
    expects: 'an EC2 instance type such as m6i.large',
  },
  ClickHouseNodeType: {
    sets: 'nodeGroups',
    description: `EC2 instance type of the nodes for ClickHouse; empty: ${CLICKHOUSE_GROUP.nodeType}.`,
    pattern: '^$|^[a-z][a-z0-9-]*\\.[a-z0-9-]+$',
    expects: 'an EC2 instance type such as m6i.large',
  },
  ClickHouseCapacityPerZone: {
    sets: 'nodeGroups',
    description: `The most ClickHouse nodes in each zone; empty: ${CLICKHOUSE_GROUP.capacityPerZone}.`,
    pattern: '^$|^[1-9][0-9]{0,3}$',
    expects: 'a whole number from 1 to 9999',
  },
  PublicSourceIpRanges: {
    sets: 'loadBalancers.public.sourceIPRanges',
    description: "IPv4 ranges that may reach ClickHouse's public load balancer, comma-separated; empty: 0.0.0.0/0, anyone.",
    pattern: '^$|^[0-9./]+( *, *[0-9./]+)*$',
    expects: 'IPv4 ranges in CIDR notation separated by commas',
  },
} as const;

export type ConsoleEnvironmentField = keyof typeof CONSOLE_ENVIRONMENT_FIELDS;

/** The parameters' values as the environment resource receives them: empty for one left empty. */
export type ConsoleEnvironmentValues = Partial<Record<ConsoleEnvironmentField, string>>;

/**
 * The environment file that the JSON and the parameters make together, for the validator to judge.
 * @returns the file, and a problem for every parameter given for a field the JSON sets too
 */
export function withConsoleFields(file: unknown, values: ConsoleEnvironmentValues): { file: unknown; problems: string[] } {
  const given = (Object.keys(CONSOLE_ENVIRONMENT_FIELDS) as ConsoleEnvironmentField[]).filter((name) => (values[name] ?? '').trim() !== '');
  if (given.length === 0 || !isMapping(file)) return { file, problems: [] };
  const problems = given
    .filter((name) => valueAt(file, CONSOLE_ENVIRONMENT_FIELDS[name].sets) !== undefined)
    .map((name) => `${name}: EnvironmentSpec sets ${CONSOLE_ENVIRONMENT_FIELDS[name].sets} too; give it in one place only`);
  if (problems.length > 0) return { file, problems };

  const merged = structuredClone(file);
  const list = (text: string) => text.split(',').map((entry) => entry.trim());
  const value = (name: ConsoleEnvironmentField) => values[name]?.trim() || undefined;
  if (value('Zones')) merged.zones = list(value('Zones') as string);
  if (value('Cidr')) merged.cidr = value('Cidr');
  if (value('PublicSourceIpRanges')) {
    const loadBalancers = isMapping(merged.loadBalancers) ? merged.loadBalancers : {};
    const publicOne = isMapping(loadBalancers.public) ? loadBalancers.public : {};
    merged.loadBalancers = { ...loadBalancers, public: { ...publicOne, sourceIPRanges: list(value('PublicSourceIpRanges') as string) } };
  }
  if (value('SystemNodeType') || value('ClickHouseNodeType') || value('ClickHouseCapacityPerZone')) {
    merged.nodeGroups = [
      { ...SYSTEM_GROUP, nodeType: value('SystemNodeType') ?? SYSTEM_GROUP.nodeType },
      {
        ...CLICKHOUSE_GROUP,
        nodeType: value('ClickHouseNodeType') ?? CLICKHOUSE_GROUP.nodeType,
        capacityPerZone: value('ClickHouseCapacityPerZone') ? Number(value('ClickHouseCapacityPerZone')) : CLICKHOUSE_GROUP.capacityPerZone,
      },
    ];
  }
  return { file: merged, problems: [] };
}

function valueAt(file: Record<string, unknown>, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (isMapping(node) ? node[key] : undefined), file);
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
