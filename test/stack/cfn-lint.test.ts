import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { publishEnvironmentTemplates, publishTemplate } from '../../lib/release/publish';
import {
  asTheCdkCliSendsIt,
  environmentModeInput,
  environmentModeTemplates,
  fullEnvironmentSpec,
  TEST_TEMPLATE_VERSION,
  stagedApiTokenName,
} from '../support/templates';

test("cfn-lint finds nothing in the published templates, API-token mode's included (ignored checks live in .cfnlintrc.yaml, with reasons)", () => {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfn-lint-'));
  try {
    const files = [publishTemplate(TEST_TEMPLATE_VERSION, outDir), ...Object.values(publishEnvironmentTemplates(TEST_TEMPLATE_VERSION, outDir))];
    expect(files).toHaveLength(3);
    let output = '';
    try {
      output = execFileSync('cfn-lint', ['--format', 'parseable', '--', ...files], {
        cwd: path.join(__dirname, '..', '..'),
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (error) {
      const failed = error as { stdout?: string; stderr?: string; status?: number };
      output = `exit ${failed.status}\n${failed.stdout ?? ''}${failed.stderr ?? ''}`;
    }
    expect(output.trim()).toBe('');
  } finally {
    fs.rmSync(outDir, { recursive: true, force: true });
  }
});

test('every check ignored in .cfnlintrc.yaml carries a reason', () => {
  const config = fs.readFileSync(path.join(__dirname, '..', '..', '.cfnlintrc.yaml'), 'utf8').split('\n');
  const ignored = config.map((line, index) => ({ line, index })).filter(({ line }) => /^\s+- [EWI]\d{4}/.test(line));
  expect(ignored.length).toBeGreaterThan(0);
  for (const { index } of ignored) expect(config[index - 1]).toMatch(/^\s+#/);
});

test("cfn-lint finds nothing in API-token mode's templates: the cloud stack (API token as a parameter and staged), the connect stack, the ready stack", () => {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfn-lint-environment-'));
  try {
    const envName = environmentModeInput().envName;
    const parameter = environmentModeTemplates({ spec: fullEnvironmentSpec() });
    const staged = environmentModeTemplates({
      spec: fullEnvironmentSpec(),
      stagedApiToken: stagedApiTokenName(envName),
    });
    const templates = { 'cloud-parameter': parameter.cloud, 'cloud-staged': staged.cloud, connect: parameter.connect, ready: parameter.ready };
    const files = Object.entries(templates).map(([name, template]) => {
      const file = path.join(outDir, `${name}.yaml`);
      fs.writeFileSync(file, asTheCdkCliSendsIt(template));
      return file;
    });
    let output = '';
    try {
      output = execFileSync('cfn-lint', ['--format', 'parseable', '--', ...files], {
        cwd: path.join(__dirname, '..', '..'),
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (error) {
      const failed = error as { stdout?: string; stderr?: string; status?: number };
      output = `exit ${failed.status}\n${failed.stdout ?? ''}${failed.stderr ?? ''}`;
    }
    expect(output.trim()).toBe('');
  } finally {
    fs.rmSync(outDir, { recursive: true, force: true });
  }
});
