import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readEnvironmentFile } from '../../lib/shared/environment-file';
import { EnvironmentSpecError, validateEnvironmentSpec } from '../../lib/shared/environment-spec';

/**
 * Reading the environment file that `-c environment=<file>` names: YAML or JSON, its errors naming
 * the file and the field or line. Files are written in a temporary directory of the test's own.
 */

const REGION = 'us-east-1';
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'environment-file-'));
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function written(name: string, content: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

const read = (file: string) => readEnvironmentFile(file, { region: REGION });

/** A message that begins with `start` as written, then matches `rest`. */
const startingWith = (start: string, rest = '') => new RegExp(`^${start.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}${rest}`);

const GUIDE_EXAMPLE_YAML = `# The Terraform example of Altinity's provisioning guide, in Altinity's field names.
zones: [us-east-1a, us-east-1b]
cidr: 10.67.0.0/21
loadBalancers:
  public:
    enabled: true
    sourceIPRanges: [0.0.0.0/0]
nodeGroups:
  - nodeType: t4g.large
    capacityPerZone: 10
    reservations: [SYSTEM, ZOOKEEPER]
  - nodeType: m6i.large
    capacityPerZone: 10
    reservations: [CLICKHOUSE]
`;

test("the guide's example, as YAML, is the default environment", () => {
  expect(read(written('guide.yaml', GUIDE_EXAMPLE_YAML))).toEqual(validateEnvironmentSpec({}, { region: REGION }));
});

test('.yml and .json files are read too, to the same specification', () => {
  const json = JSON.stringify({ zones: ['us-east-1a', 'us-east-1c'], NAT: true, tags: [{ key: 'team', value: 'data' }] });
  const yaml = 'zones: [us-east-1a, us-east-1c]\nNAT: true\ntags:\n  - {key: team, value: data}\n';
  expect(read(written('env.yml', yaml))).toEqual(read(written('env.json', json)));
  expect(read(written('env.JSON', json))).toMatchObject({ zones: ['us-east-1a', 'us-east-1c'], NAT: true });
});

test('a wrong field is named after the file', () => {
  const file = written('capacity.yaml', 'nodeGroups:\n  - nodeType: m6i.large\n    capacityPerZone: 0\n');
  expect(() => read(file)).toThrow(`environment file ${file}: nodeGroups[0].capacityPerZone: must be an integer of at least 1, not 0`);
});

test('every problem of the file is listed under its name, and callers get them one by one', () => {
  const file = written('several.json', JSON.stringify({ cidr: '10.67.0.0/24', NAT: 'no', region: 'us-east-1' }));
  let thrown: unknown;
  try {
    read(file);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(EnvironmentSpecError);
  expect((thrown as Error).message).toMatch(startingWith(`environment file ${file} has 3 problems:\n- region: `));
  expect((thrown as EnvironmentSpecError).problems).toEqual([
    "region: is not set in the file: the stack's own account and region are used",
    'cidr: must be a private IPv4 network (RFC 1918) of /16 to /21 in CIDR notation, such as 10.67.0.0/21, not "10.67.0.0/24"',
    'NAT: must be true or false, not "no"',
  ]);
});

test("YAML 1.1's yes and no are text, which a boolean field refuses", () => {
  const file = written('yes.yaml', 'NAT: yes\n');
  expect(() => read(file)).toThrow(`environment file ${file}: NAT: must be true or false, not "yes"`);
});

test('YAML that does not parse is refused with its line and column', () => {
  const file = written('broken.yaml', 'zones: [us-east-1a, us-east-1b\ncidr: 10.67.0.0/21\n');
  expect(() => read(file)).toThrow(startingWith(`environment file ${file}: `, 'line \\d+, column \\d+: '));
});

test('a key given twice is refused rather than one of the two taken', () => {
  const file = written('twice.yaml', 'NAT: true\ncidr: 10.67.0.0/21\nNAT: false\n');
  expect(() => read(file)).toThrow(`environment file ${file}: line 3, column 1: Map keys must be unique`);
});

test('several YAML documents in one file are refused', () => {
  const file = written('two.yaml', 'NAT: true\n---\nNAT: false\n');
  expect(() => read(file)).toThrow(startingWith(`environment file ${file}: line 2, column 1: Source contains multiple documents`));
});

test('an unknown YAML tag is refused, not read as text', () => {
  const file = written('tag.yaml', 'cidr: !cidr 10.67.0.0/21\n');
  expect(() => read(file)).toThrow(`environment file ${file}: line 1, column 7: Unresolved tag: !cidr`);
});

test('an empty file is refused, saying how to take every default', () => {
  const file = written('empty.yaml', '# nothing yet\n');
  expect(() => read(file)).toThrow(`environment file ${file}: is empty: write the fields to set, or {} to take every default`);
  expect(read(written('braces.yaml', '{}\n'))).toEqual(validateEnvironmentSpec({}, { region: REGION }));
});

test('JSON that does not parse is refused as JSON', () => {
  const file = written('broken.json', '{"zones": [}');
  expect(() => read(file)).toThrow(startingWith(`environment file ${file}: is not valid JSON: `));
});

test('a file that cannot be read says why', () => {
  const missing = path.join(dir, 'missing.yaml');
  expect(() => read(missing)).toThrow(`environment file ${missing}: cannot be read: no such file`);
  const directory = path.join(dir, 'a-directory.yaml');
  fs.mkdirSync(directory);
  expect(() => read(directory)).toThrow(`environment file ${directory}: cannot be read: it is a directory`);
});

test('a file that is neither YAML nor JSON by its extension is refused before it is read', () => {
  const file = path.join(dir, 'environment.tf');
  expect(() => read(file)).toThrow(`environment file ${file}: must be YAML (.yaml or .yml) or JSON (.json), by its extension`);
});
