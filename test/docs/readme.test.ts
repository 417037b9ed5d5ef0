import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONTEXT_KEYS } from '../../lib/stack/app-input';
import { readmeSections, regenerateReadme } from '../../lib/docs/readme-sections';
import { certificateParameterName, tokenParameterName } from '../../lib/shared/names';
import { stagedTokenPrefix } from '../../lib/shared/secret-store-contract';
import { unpackCommand } from '../../lib/shared/packed-text';
import { consoleModeTemplate } from '../support/templates';
import { REQUIREMENTS_FILE, VENV_DIR } from '../harness/tools';

/** The README promises what the code does: generated tables, commands, options, labels and paths. */
const REPO_ROOT = path.resolve(__dirname, '..', '..');
const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
const scripts = Object.keys((JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: object }).scripts);
const template = consoleModeTemplate();
const GENERATED = /<!-- generated:([a-z-]+) begin[^>]*-->[\s\S]*?<!-- generated:\1 end -->/g;
const handWritten = readme.replace(GENERATED, '');

test('the generated tables agree with the console template and the status command (else run npm run docs)', () => {
  expect(readme).toBe(regenerateReadme(readme, readmeSections(template)));
});

test('every parameter and output of the console template is in the tables', () => {
  for (const key of [...Object.keys(template.Parameters), ...Object.keys(template.Outputs)]) expect(readme).toContain(`| \`${key}\` |`);
});

test('it opens with the two commands that work on a fresh clone', () => {
  const firstBlock = readme.match(/```sh\n([\s\S]*?)```/)?.[1] ?? '';
  const commands = firstBlock.split('\n').map((line) => line.replace(/#.*$/, '').trim()).filter(Boolean);
  expect(commands).toEqual(['npm ci && npm run publish', 'npm test']);
});

test('it says what a fresh machine needs: a Node.js that engines accepts, and where npm test gets its tools', () => {
  const opening = handWritten.slice(0, handWritten.indexOf('\n## '));
  const { engines } = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
  expect(engines.node).toBe('^20.12.0 || ^22.0.0 || >=24.0.0');
  expect(opening).toContain('with Node.js 22 (20 from 20.12, and 24, work too');
  for (const named of [REQUIREMENTS_FILE, VENV_DIR, 'python3', 'shellcheck', 'moto_server', 'cfn-lint', 'aws']) expect(opening).toContain(`\`${named}\``);
});

test('every npm script it names exists', () => {
  const named = [...handWritten.matchAll(/npm run (?:-s )?([a-z][\w:-]*)/g)].map((match) => match[1]);
  expect(named.length).toBeGreaterThan(0);
  for (const script of named) expect(scripts).toContain(script);
});

test('every -c option it shows is one the app reads, and it explains each of them', () => {
  const shown = new Set([...handWritten.matchAll(/-c ([a-zA-Z]+)=/g)].map((match) => match[1]));
  expect([...shown].sort()).toEqual([...CONTEXT_KEYS].sort());
});

test('every --parameters value it shows names a template parameter, with a value the parameter accepts', () => {
  const given = [...handWritten.matchAll(/--parameters ([A-Za-z]+)=([^\s`]*)/g)].map((match) => ({ key: match[1], value: match[2] }));
  expect(given.length).toBeGreaterThan(0);
  for (const { key, value } of given) {
    expect(Object.keys(template.Parameters)).toContain(key);
    const { AllowedValues, AllowedPattern } = template.Parameters[key] as { AllowedValues?: string[]; AllowedPattern?: string };
    if (AllowedValues) expect(AllowedValues).toContain(value);
    if (AllowedPattern) expect(value).toMatch(new RegExp(AllowedPattern));
  }
});

/** The hand-written text of one `## ` section. */
function section(heading: string): string {
  const start = handWritten.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README.md has no section "## ${heading}"`);
  const end = handWritten.indexOf('\n## ', start + 1);
  return handWritten.slice(start, end < 0 ? undefined : end);
}

test('the console walkthrough takes the form group by group, in its order, naming each field under its own group', () => {
  const form = template.Metadata!['AWS::CloudFormation::Interface'] as {
    ParameterGroups: Array<{ Label: { default: string }; Parameters: string[] }>;
  };
  const bullets = [...section('Create the stack in the console').matchAll(/^ {3}- \*\*([^*]+)\*\*:([\s\S]*?)(?=^ {3}- |^\s*$)/gm)];
  expect(bullets.map((bullet) => bullet[1])).toEqual(form.ParameterGroups.map((group) => group.Label.default));
  for (const [, label, text] of bullets) {
    const group = form.ParameterGroups.find((candidate) => candidate.Label.default === label)!;
    const fields = new Set(group.Parameters);
    const named = [...text.matchAll(/\*\*([^*]+)\*\*/g)].map((match) => match[1]);
    expect({ group: label, outside: named.filter((field) => !fields.has(field)) }).toEqual({ group: label, outside: [] });
  }
});

test('the resource table lists every resource with a readable logical id, and only resources of the template', () => {
  const table = section('What the stack creates');
  const listed = [...table.matchAll(/^\| (`[A-Za-z]+`(?:, `[A-Za-z]+`)*) \|/gm)].flatMap((match) => match[1].split(', ').map((id) => id.slice(1, -1)));
  // CDK names the rest with a hash suffix; the stack gives readable ids to what people look for in the events.
  const readable = Object.keys(template.Resources).filter((id) => !/[0-9A-F]{8}$/.test(id));
  expect([...listed].sort()).toEqual([...readable].sort());
});

test('the outputs it names as outputs exist', () => {
  const named = [...handWritten.matchAll(/`([A-Z][A-Za-z]+)`(?:,? (?:and|or) `([A-Z][A-Za-z]+)`)? outputs?\b/g)].flatMap((match) => match.slice(1).filter(Boolean));
  expect(named).toEqual(expect.arrayContaining(['InstanceArn', 'HostGroupName']));
  for (const key of named) expect(Object.keys(template.Outputs)).toContain(key);
});

test('the SSM parameters and staged secrets it names are the ones the stack writes and the hosts read', () => {
  const paths = [...handWritten.matchAll(/\/altinity-connect\/(<[a-z ]+>)\/[a-z]+/g)];
  expect(paths.length).toBeGreaterThan(0);
  for (const [name, env] of paths) expect([tokenParameterName(env), certificateParameterName(env)]).toContain(name);
  const staged = [...handWritten.matchAll(/(?<![/\w])altinity-connect\/(<[a-z ]+>)\/[a-z]+\//g)];
  expect(staged.length).toBeGreaterThan(0);
  for (const [name, env] of staged) expect(name).toBe(stagedTokenPrefix(env));
});

test('every link to a section of the README leads to a heading', () => {
  const anchors = new Set(
    [...readme.matchAll(/^#{2,} (.+)$/gm)].map((match) => match[1].toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-')),
  );
  const links = [...readme.matchAll(/\]\(#([^)]+)\)/g)].map((match) => match[1]);
  expect(links.length).toBeGreaterThan(0);
  expect(links.filter((link) => !anchors.has(link))).toEqual([]);
});

test('every bold phrase outside the tables is a group or a field of the console form, as the console shows it', () => {
  // The form has no ParameterLabels (their bytes went to the template's budget): the console shows each key.
  const form = template.Metadata!['AWS::CloudFormation::Interface'];
  const labels = new Set<string>([
    ...Object.keys(template.Parameters!),
    ...(form.ParameterGroups as Array<{ Label: { default: string } }>).map((group) => group.Label.default),
  ]);
  const bold = [...handWritten.matchAll(/\*\*([^*]+)\*\*/g)].map((match) => match[1]);
  expect(bold.length).toBeGreaterThan(5);
  expect(bold.filter((phrase) => !labels.has(phrase))).toEqual([]);
});

test('the commands it gives to read the shipped script and handler are the ones that unpack them', () => {
  // Run against every variant in test/host/user-data.test.ts and test/constructs/inline-handler.test.ts.
  expect(handWritten).toContain(`${unpackCommand('host-script', '"$f"')} > shipped.sh`);
  expect(handWritten).toContain(`${unpackCommand('handler', '"$f"')} > handler.js`);
});

test("the least a permissions boundary must allow is every AWS call the hosts' script makes, and what those calls imply", () => {
  const bootstrap = fs.readFileSync(path.join(REPO_ROOT, 'lib', 'host', 'bootstrap.sh'), 'utf8');
  const pascal = (command: string) => command.replace(/(^|-)([a-z])/g, (_, __, letter: string) => letter.toUpperCase());
  const called = new Set([...bootstrap.matchAll(/\baws_call ([a-z0-9-]+) ([a-z0-9-]+)/g)].map(([, service, command]) => `${service}:${pascal(command)}`));
  expect(called.size).toBeGreaterThan(5);
  // put-parameter --tags needs AddTagsToResource too; SSM encrypts and decrypts with the key on the caller's behalf.
  const implied = ['ssm:AddTagsToResource', 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'];
  const table = section('Permissions boundary').split('\n').filter((line) => /^\s+\| `/.test(line));
  const listed = new Set(table.flatMap((line) => [...line.split('|')[1].matchAll(/`([a-z0-9-]+:[A-Za-z*]+)`/g)].map((match) => match[1])));
  expect([...listed].sort()).toEqual([...new Set([...called, ...implied])].sort());
});

test('the host paths it sends people to are the ones the bootstrap script uses', () => {
  const bootstrap = fs.readFileSync(path.join(REPO_ROOT, 'lib', 'host', 'bootstrap.sh'), 'utf8');
  const paths = [...new Set([...handWritten.matchAll(/\/var\/log\/altinitycloud-connect[\w.-]*/g)].map((match) => match[0]))];
  expect(paths.length).toBeGreaterThan(0);
  for (const logPath of paths) expect(bootstrap).toContain(logPath);
  expect(bootstrap).toMatch(/SERVICE=altinitycloud-connect\b/);
});

test('the changelog has an entry for the version in package.json', () => {
  const { version } = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  expect(fs.readFileSync(path.join(REPO_ROOT, 'CHANGELOG.md'), 'utf8')).toMatch(new RegExp(`^## \\[${version.replace(/\./g, '\\.')}\\] - \\d{4}-\\d{2}-\\d{2}$`, 'm'));
});
