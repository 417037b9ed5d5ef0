/**
 * The console template's parameters for the common fields, set in the EnvironmentSpec JSON as the
 * function sets them, then judged by the validator as the app judges a file. Nothing stands in for
 * anything.
 */
import {
  CONSOLE_ENVIRONMENT_FIELDS,
  type ConsoleEnvironmentField,
  type ConsoleEnvironmentValues,
  withConsoleFields,
} from '../../lib/shared/console-environment';
import { DEFAULT_NODE_GROUPS, validateEnvironmentSpec } from '../../lib/shared/environment-spec';

const REGION = 'us-east-1';

/** The specification the console's values make with `json`, validated. */
function specOf(json: object, values: ConsoleEnvironmentValues) {
  const { file, problems } = withConsoleFields(json, values);
  expect(problems).toEqual([]);
  return validateEnvironmentSpec(file, { region: REGION });
}

test('empty parameters leave the JSON as it is: {} is the guide example', () => {
  const empty = Object.fromEntries(Object.keys(CONSOLE_ENVIRONMENT_FIELDS).map((name) => [name, '']));
  expect(specOf({}, empty)).toEqual(validateEnvironmentSpec({}, { region: REGION }));
  expect(specOf({ cidr: '10.80.0.0/21', NAT: true }, empty)).toMatchObject({ cidr: '10.80.0.0/21', NAT: true });
});

test('each parameter sets its field, lists split at commas with the spaces around them dropped', () => {
  const spec = specOf(
    { NAT: true },
    {
      Zones: 'us-east-1a, us-east-1b,us-east-1c',
      Cidr: '10.80.0.0/21',
      PublicSourceIpRanges: '203.0.113.0/24 , 198.51.100.0/24',
      ClickHouseNodeType: 'm6i.xlarge',
      ClickHouseCapacityPerZone: '5',
    },
  );
  expect(spec).toMatchObject({
    zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
    cidr: '10.80.0.0/21',
    NAT: true,
    loadBalancers: { public: { enabled: true, sourceIPRanges: ['203.0.113.0/24', '198.51.100.0/24'] } },
  });
  expect(spec.nodeGroups).toEqual([
    expect.objectContaining({ ...DEFAULT_NODE_GROUPS[0], zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'] }),
    expect.objectContaining({ nodeType: 'm6i.xlarge', capacityPerZone: 5, reservations: ['CLICKHOUSE'] }),
  ]);
});

test('the node-group parameters shape the default groups: one given leaves the others at their defaults', () => {
  expect(specOf({}, { SystemNodeType: 't4g.xlarge' }).nodeGroups).toEqual([
    expect.objectContaining({ nodeType: 't4g.xlarge', capacityPerZone: DEFAULT_NODE_GROUPS[0].capacityPerZone, reservations: ['SYSTEM', 'ZOOKEEPER'] }),
    expect.objectContaining(DEFAULT_NODE_GROUPS[1]),
  ]);
});

test('a parameter given for a field the JSON sets too is refused, naming both, whichever field it is', () => {
  const { problems } = withConsoleFields(
    { zones: ['us-east-1a', 'us-east-1b'], nodeGroups: [], loadBalancers: { public: { sourceIPRanges: ['10.0.0.0/8'] } } },
    { Zones: 'us-east-1c,us-east-1d', ClickHouseCapacityPerZone: '3', PublicSourceIpRanges: '203.0.113.0/24', Cidr: '10.80.0.0/21' },
  );
  expect(problems).toEqual([
    'Zones: EnvironmentSpec sets zones too; give it in one place only',
    'ClickHouseCapacityPerZone: EnvironmentSpec sets nodeGroups too; give it in one place only',
    'PublicSourceIpRanges: EnvironmentSpec sets loadBalancers.public.sourceIPRanges too; give it in one place only',
  ]);
});

test.each(Object.keys(CONSOLE_ENVIRONMENT_FIELDS) as ConsoleEnvironmentField[])(
  '%s given while the JSON sets its field too is refused, naming both',
  (name) => {
    const { sets } = CONSOLE_ENVIRONMENT_FIELDS[name];
    const json = sets.split('.').reduceRight<unknown>((inner, key) => ({ [key]: inner }), ['set in the JSON']) as object;
    expect(withConsoleFields(json, { [name]: 'x' }).problems).toEqual([`${name}: EnvironmentSpec sets ${sets} too; give it in one place only`]);
  },
);

test("what the parameters set is judged as the file's field: a zone of another region is refused by its path", () => {
  const { file } = withConsoleFields({}, { Zones: 'eu-west-1a,eu-west-1b' });
  expect(() => validateEnvironmentSpec(file, { region: REGION })).toThrow(/zones\[0\]: .*eu-west-1a/);
});

test("every parameter's pattern admits empty and the values above, and refuses what would not be one value", () => {
  const admits = (name: keyof typeof CONSOLE_ENVIRONMENT_FIELDS, value: string) => new RegExp(CONSOLE_ENVIRONMENT_FIELDS[name].pattern).test(value);
  for (const name of Object.keys(CONSOLE_ENVIRONMENT_FIELDS) as (keyof typeof CONSOLE_ENVIRONMENT_FIELDS)[]) expect(admits(name, '')).toBe(true);
  expect(admits('Zones', 'us-east-1a, us-east-1b')).toBe(true);
  expect(admits('Zones', 'us-east-1a;us-east-1b')).toBe(false);
  expect(admits('Cidr', '10.80.0.0/21')).toBe(true);
  expect(admits('Cidr', '10.80.0.0')).toBe(false);
  expect(admits('ClickHouseNodeType', 'm6i.xlarge')).toBe(true);
  expect(admits('ClickHouseNodeType', 'm6i')).toBe(false);
  expect(admits('ClickHouseCapacityPerZone', '0')).toBe(false);
  expect(admits('ClickHouseCapacityPerZone', '12')).toBe(true);
  expect(admits('PublicSourceIpRanges', '203.0.113.0/24,198.51.100.0/24')).toBe(true);
  expect(admits('PublicSourceIpRanges', '0.0.0.0/0"}')).toBe(false);
});
