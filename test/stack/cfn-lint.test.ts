import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { publishTemplate } from '../../lib/release/publish';
import { TEST_TEMPLATE_VERSION } from '../support/templates';

test('cfn-lint finds nothing in the published template (ignored checks live in .cfnlintrc.yaml, with reasons)', () => {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfn-lint-'));
  try {
    const file = publishTemplate(TEST_TEMPLATE_VERSION, outDir);
    let output = '';
    try {
      output = execFileSync('cfn-lint', ['--format', 'parseable', '--', file], {
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
