import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { Template } from 'aws-cdk-lib/assertions';
import { buildEnvironmentStacks, connectApp } from '../../lib/stack/app';
import { CONTEXT_KEYS } from '../../lib/stack/app-input';
import { GENERATED_DOCS, markedTables, regeneratedDocs } from '../../lib/docs/generated-docs';
import { validateEnvironmentSpec } from '../../lib/shared/environment-spec';
import { certificateParameterName, tokenParameterName } from '../../lib/shared/names';
import { stagedTokenPrefix } from '../../lib/shared/secret-store-contract';
import { unpackCommand } from '../../lib/shared/packed-text';
import { consoleEnvironmentTemplate, consoleModeTemplate, INLINE_TEMPLATE_LIMIT, TEMPLATE_BUDGET } from '../support/templates';
import { REQUIREMENTS_FILE, VENV_DIR } from '../harness/tools';

/**
 * The documentation promises what the code does: the user's README.md, CONTRIBUTING.md and the
 * reference in docs/, their generated tables, commands, options, group names and field keys, paths and links.
 */
const REPO_ROOT = path.resolve(__dirname, '..', '..');
const read = (file: string) => fs.readFileSync(path.join(REPO_ROOT, file), 'utf8');
/** Every Markdown file of the documentation, by its path from the repository's root. */
const DOC_FILES = [
  'README.md',
  'CONTRIBUTING.md',
  ...fs
    .readdirSync(path.join(REPO_ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];
const docs: Readonly<Record<string, string>> = Object.fromEntries(DOC_FILES.map((file) => [file, read(file)]));
const readme = docs['README.md'];
const scripts = Object.keys((JSON.parse(read('package.json')) as { scripts: object }).scripts);
const template = consoleModeTemplate();
const GENERATED = /<!-- generated:([a-z-]+) begin[^>]*-->[\s\S]*?<!-- generated:\1 end -->/g;
const handWrittenOf = (text: string) => text.replace(GENERATED, '');
/** The README's hand-written text. */
const handWritten = handWrittenOf(readme);
/** The hand-written text of every file of the documentation. */
const allHandWritten = DOC_FILES.map((file) => handWrittenOf(docs[file])).join('\n');
const ENVIRONMENT_REFERENCE = 'docs/environment-file.md';

test('the generated tables in docs/ agree with the console templates and the status command (else run npm run docs)', () => {
  const templates = { connect: template, cloud: consoleEnvironmentTemplate('cloud'), ready: consoleEnvironmentTemplate('ready') };
  for (const { file, current, updated } of regeneratedDocs(templates, read)) expect({ file, text: current }).toEqual({ file, text: updated });
});

test('only the files of docs/ that GENERATED_DOCS names hold generated tables: README.md and CONTRIBUTING.md link to them', () => {
  const generatedFiles = GENERATED_DOCS.map((doc) => doc.file);
  expect(DOC_FILES).toEqual(expect.arrayContaining(generatedFiles));
  for (const file of [...DOC_FILES, 'CHANGELOG.md'].filter((candidate) => !generatedFiles.includes(candidate))) {
    expect({ file, tables: markedTables(read(file)) }).toEqual({ file, tables: [] });
  }
});

test('every parameter and output of the console template is in the tables', () => {
  for (const key of Object.keys(template.Parameters)) expect(docs['docs/parameters.md']).toContain(`| \`${key}\` |`);
  for (const key of Object.keys(template.Outputs)) expect(docs['docs/outputs.md']).toContain(`| \`${key}\` |`);
});

test('it opens with the two commands that work on a fresh clone', () => {
  const firstBlock = readme.match(/```sh\n([\s\S]*?)```/)?.[1] ?? '';
  const commands = firstBlock
    .split('\n')
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter(Boolean);
  expect(commands).toEqual(['npm ci && npm run publish', 'npm test']);
});

test('it says what a fresh machine needs: a Node.js that engines accepts, and, in CONTRIBUTING.md, where npm test gets its tools', () => {
  const opening = handWritten.slice(0, handWritten.indexOf('\n## '));
  const { engines } = JSON.parse(read('package.json')) as { engines: { node: string } };
  expect(engines.node).toBe('^20.12.0 || ^22.0.0 || >=24.0.0');
  expect(opening).toContain('with Node.js 22 (20 from 20.12, and 24, work too');
  expect(opening).toContain('`python3`');
  expect(opening).toContain('](CONTRIBUTING.md#what-a-fresh-machine-needs)');
  const tools = section('CONTRIBUTING.md', 'What a fresh machine needs');
  for (const named of [REQUIREMENTS_FILE, VENV_DIR, 'python3', 'shellcheck', 'moto_server', 'cfn-lint', 'aws']) expect(tools).toContain(`\`${named}\``);
});

test('CONTRIBUTING.md opens with the one root cause, with the limits and the budget the tests hold the template to', () => {
  const first = handWrittenOf(docs['CONTRIBUTING.md']).match(/^## (.+)$/m)?.[1];
  expect(first).toBe('One root cause: no bootstrap, so every byte counts');
  const rootCause = section('CONTRIBUTING.md', first ?? '');
  const inWords = (bytes: number) => bytes.toLocaleString('en-US');
  for (const figure of [
    `${inWords(INLINE_TEMPLATE_LIMIT)} bytes`,
    `${inWords(TEMPLATE_BUDGET)} bytes`,
    `${inWords(INLINE_TEMPLATE_LIMIT - TEMPLATE_BUDGET)} under`,
    '16 KB',
  ]) {
    expect(rootCause).toContain(figure);
  }
  for (const guard of ['test/stack/template-size.test.ts', 'test/host/user-data.test.ts']) expect(rootCause).toContain(`\`${guard}\``);
});

test('every npm script it names exists', () => {
  const named = [...allHandWritten.matchAll(/npm run (?:-s )?([a-z][\w:-]*)/g)].map((match) => match[1]);
  expect(named.length).toBeGreaterThan(0);
  for (const script of named) expect(scripts).toContain(script);
});

test('every -c option it shows is one the app reads, and it explains each of them', () => {
  const shown = new Set([...allHandWritten.matchAll(/-c ([a-zA-Z]+)=/g)].map((match) => match[1]));
  expect([...shown].sort()).toEqual([...CONTEXT_KEYS].sort());
});

test('every --parameters value it shows names a template parameter, with a value the parameter accepts', () => {
  const given = [...allHandWritten.matchAll(/--parameters ([A-Za-z]+)=([^\s`]*)/g)].map((match) => ({ key: match[1], value: match[2] }));
  expect(given.length).toBeGreaterThan(0);
  for (const { key, value } of given) {
    expect(Object.keys(template.Parameters)).toContain(key);
    const { AllowedValues, AllowedPattern } = template.Parameters[key] as { AllowedValues?: string[]; AllowedPattern?: string };
    if (AllowedValues) expect(AllowedValues).toContain(value);
    if (AllowedPattern) expect(value).toMatch(new RegExp(AllowedPattern));
  }
});

/** The hand-written text of one `## ` section of a file. */
function section(file: string, heading: string): string {
  const text = handWrittenOf(docs[file]);
  const start = text.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`${file} has no section "## ${heading}"`);
  const end = text.indexOf('\n## ', start + 1);
  return text.slice(start, end < 0 ? undefined : end);
}

test('the console walkthrough takes the form group by group, in its order, naming each field under its own group', () => {
  const form = template.Metadata!['AWS::CloudFormation::Interface'] as {
    ParameterGroups: Array<{ Label: { default: string }; Parameters: string[] }>;
  };
  const bullets = [...section('README.md', 'Create the stack in the console').matchAll(/^ {3}- \*\*([^*]+)\*\*:([\s\S]*?)(?=^ {3}- |^\s*$)/gm)];
  expect(bullets.map((bullet) => bullet[1])).toEqual(form.ParameterGroups.map((group) => group.Label.default));
  for (const [, label, text] of bullets) {
    const group = form.ParameterGroups.find((candidate) => candidate.Label.default === label)!;
    const fields = new Set(group.Parameters);
    const named = [...text.matchAll(/\*\*([^*]+)\*\*/g)].map((match) => match[1]);
    expect({ group: label, outside: named.filter((field) => !fields.has(field)) }).toEqual({ group: label, outside: [] });
  }
});

test('the resource table lists every resource with a readable logical id, and only resources of the template', () => {
  const table = section('README.md', 'What the stack creates');
  const listed = [...table.matchAll(/^\| (`[A-Za-z]+`(?:, `[A-Za-z]+`)*) \|/gm)].flatMap((match) => match[1].split(', ').map((id) => id.slice(1, -1)));
  // CDK names the rest with a hash suffix; the stack gives readable ids to what people look for in the events.
  const readable = Object.keys(template.Resources).filter((id) => !/[0-9A-F]{8}$/.test(id));
  expect([...listed].sort()).toEqual([...readable].sort());
});

test('the outputs it names as outputs exist', () => {
  const named = [...allHandWritten.matchAll(/`([A-Z][A-Za-z]+)`(?:,? (?:and|or) `([A-Z][A-Za-z]+)`)? outputs?\b/g)].flatMap((match) =>
    match.slice(1).filter(Boolean),
  );
  expect(named).toEqual(expect.arrayContaining(['InstanceArn', 'HostGroupName']));
  for (const key of named) expect([...Object.keys(template.Outputs), ...apiModeOutputKeys()]).toContain(key);
});

/** The outputs of the stacks of API-token mode, which the README describes beside the console template's. */
function apiModeOutputKeys(): string[] {
  const app = connectApp();
  const stacks = buildEnvironmentStacks(
    app,
    {
      mode: 'deploy',
      envName: 'acme-prod',
      network: { kind: 'given', vpcId: 'vpc-01234567', subnetIds: ['subnet-01234567'] },
      environment: { file: 'acme-prod.yaml', onStackDelete: 'keep' },
    },
    { templateVersion: '0.0.0', spec: validateEnvironmentSpec({}, { region: 'us-east-1' }), apiUrl: 'https://anywhere.altinity.cloud' },
  );
  return [stacks.cloud, stacks.ready].flatMap((stack) => Object.keys(Template.fromStack(stack).toJSON().Outputs ?? {}));
}

test('the SSM parameters and staged secrets it names are the ones the stack writes and the hosts read', () => {
  const paths = [...allHandWritten.matchAll(/\/altinity-connect\/(<[a-z ]+>)\/[a-z]+/g)];
  expect(paths.length).toBeGreaterThan(0);
  for (const [name, env] of paths) expect([tokenParameterName(env), certificateParameterName(env)]).toContain(name);
  const staged = [...allHandWritten.matchAll(/(?<![/\w])altinity-connect\/(<[a-z ]+>)\/[a-z]+\//g)];
  expect(staged.length).toBeGreaterThan(0);
  for (const [name, env] of staged) expect(name).toBe(stagedTokenPrefix(env));
});

/** A file's text without its code blocks, which hold no heading. */
const withoutCodeBlocks = (text: string) => text.replace(/^ *```[\s\S]*?^ *```$/gm, '');
/** A file's text without any code, which holds no link. */
const prose = (text: string) => withoutCodeBlocks(text).replace(/`[^`\n]*`/g, '');

/** The anchors GitHub gives a file's headings. */
function anchorsOf(file: string): Set<string> {
  const headings = [...withoutCodeBlocks(read(file)).matchAll(/^#{1,6} (.+)$/gm)].map((match) => match[1]);
  return new Set(
    headings.map((heading) =>
      heading
        .toLowerCase()
        .replace(/[^\w\- ]/g, '')
        .replace(/ /g, '-'),
    ),
  );
}

test('every link between the documents leads to a file that exists, and every anchor to a heading of it', () => {
  const broken: string[] = [];
  let count = 0;
  for (const file of [...DOC_FILES, 'CHANGELOG.md']) {
    for (const [, target] of prose(read(file)).matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target)) continue;
      count += 1;
      const [linked, anchor] = target.split('#');
      const targetFile = linked === '' ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), linked));
      if (!fs.existsSync(path.join(REPO_ROOT, targetFile))) broken.push(`${file}: ${target} (no such file)`);
      else if (anchor !== undefined && !anchorsOf(targetFile).has(anchor)) broken.push(`${file}: ${target} (no such heading)`);
    }
  }
  expect(count).toBeGreaterThan(50);
  expect(broken).toEqual([]);
});

test('the README points to CONTRIBUTING.md and to every generated reference file', () => {
  const linked = new Set([...prose(readme).matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((match) => match[1]));
  for (const file of ['CONTRIBUTING.md', ...GENERATED_DOCS.map((doc) => doc.file)]) expect(linked).toContain(file);
});

test("the environment file's reference gives one example, a file the validator accepts for the region it names", () => {
  const text = handWrittenOf(docs[ENVIRONMENT_REFERENCE]);
  const examples = [...text.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((match) => match[1]);
  expect(examples).toHaveLength(1);
  const region = 'us-east-1';
  expect(text).toContain(`For a stack in ${region}:`);
  expect(() => validateEnvironmentSpec(parse(examples[0]), { region })).not.toThrow();
});

test("every bold phrase outside the tables is a group or a field of a console form (API-token mode's included), as the console shows it", () => {
  // The form has no ParameterLabels (their bytes went to the template's budget): the console shows each key.
  const form = template.Metadata!['AWS::CloudFormation::Interface'];
  const labels = new Set<string>([
    ...Object.keys(template.Parameters!),
    ...(['cloud', 'ready'] as const).flatMap((kind) => Object.keys(consoleEnvironmentTemplate(kind).Parameters ?? {})),
    ...(form.ParameterGroups as Array<{ Label: { default: string } }>).map((group) => group.Label.default),
  ]);
  const bold = [...allHandWritten.matchAll(/\*\*([^*]+)\*\*/g)].map((match) => match[1]);
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
  const table = section('README.md', 'Permissions boundary')
    .split('\n')
    .filter((line) => /^\s+\| `/.test(line));
  const listed = new Set(table.flatMap((line) => [...line.split('|')[1].matchAll(/`([a-z0-9-]+:[A-Za-z*]+)`/g)].map((match) => match[1])));
  expect([...listed].sort()).toEqual([...new Set([...called, ...implied])].sort());
});

test('the host paths it sends people to are the ones the bootstrap script uses', () => {
  const bootstrap = fs.readFileSync(path.join(REPO_ROOT, 'lib', 'host', 'bootstrap.sh'), 'utf8');
  const paths = [...new Set([...allHandWritten.matchAll(/\/var\/log\/altinitycloud-connect[\w.-]*/g)].map((match) => match[0]))];
  expect(paths.length).toBeGreaterThan(0);
  for (const logPath of paths) expect(bootstrap).toContain(logPath);
  expect(bootstrap).toMatch(/SERVICE=altinitycloud-connect\b/);
});

test('the changelog has an entry for the version in package.json', () => {
  const { version } = JSON.parse(read('package.json')) as { version: string };
  expect(read('CHANGELOG.md')).toMatch(new RegExp(`^## \\[${version.replace(/\./g, '\\.')}\\] - \\d{4}-\\d{2}-\\d{2}$`, 'm'));
});
