import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONTEXT_KEYS } from '../lib/app-input';
import { readmeSections, regenerateReadme } from '../lib/docs/readme-sections';
import { consoleModeTemplate } from './support/templates';

/** The README promises what the code does: generated tables, commands, options, labels and paths. */
const REPO_ROOT = path.resolve(__dirname, '..');
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

test('every npm script it names exists', () => {
  const named = [...handWritten.matchAll(/npm run (?:-s )?([a-z][\w:-]*)/g)].map((match) => match[1]);
  expect(named.length).toBeGreaterThan(0);
  for (const script of named) expect(scripts).toContain(script);
});

test('every -c option it shows is one the app reads, and it explains each of them', () => {
  const shown = new Set([...handWritten.matchAll(/-c ([a-zA-Z]+)=/g)].map((match) => match[1]));
  expect([...shown].sort()).toEqual([...CONTEXT_KEYS].sort());
});

test('every --parameters value it shows names a template parameter', () => {
  const given = [...handWritten.matchAll(/--parameters ([A-Za-z]+)=/g)].map((match) => match[1]);
  expect(given.length).toBeGreaterThan(0);
  for (const key of given) expect(Object.keys(template.Parameters)).toContain(key);
});

test('every bold phrase outside the tables is a label of the console form, as the console shows it', () => {
  const form = template.Metadata!['AWS::CloudFormation::Interface'];
  const labels = new Set<string>([
    ...Object.values(form.ParameterLabels as Record<string, { default: string }>).map((label) => label.default),
    ...(form.ParameterGroups as Array<{ Label: { default: string } }>).map((group) => group.Label.default),
  ]);
  const bold = [...handWritten.matchAll(/\*\*([^*]+)\*\*/g)].map((match) => match[1]);
  expect(bold.length).toBeGreaterThan(5);
  expect(bold.filter((phrase) => !labels.has(phrase))).toEqual([]);
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
