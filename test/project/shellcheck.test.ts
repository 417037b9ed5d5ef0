import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Every shell script the repository tracks passes `shellcheck -S warning`: the `.sh` files, and the
 * files whose first line starts bash or sh (the stand-ins, .ci/run). `-x` follows the stand-ins'
 * `source` of record.sh, which their directives name relative to the repository root.
 */
const REPO_ROOT = path.resolve(__dirname, '..', '..');

function trackedFiles(): string[] {
  const listed = spawnSync('git', ['ls-files', '-z'], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (listed.status !== 0) throw new Error(`git ls-files failed in ${REPO_ROOT}: ${listed.stderr.trim()}`);
  return listed.stdout.split('\0').filter((file) => file !== '' && fs.existsSync(path.join(REPO_ROOT, file)));
}

function isShellScript(file: string): boolean {
  if (file.endsWith('.sh')) return true;
  const firstLine = fs.readFileSync(path.join(REPO_ROOT, file), 'utf8').split('\n', 1)[0];
  return /^#!\s*\S*\/(?:env\s+)?(?:ba)?sh\b/.test(firstLine);
}

test('shellcheck -S warning finds nothing in any tracked shell script', () => {
  const scripts = trackedFiles().filter(isShellScript);
  expect(scripts).toEqual(expect.arrayContaining(['lib/host/bootstrap.sh', 'test/host/sandbox/record.sh', '.ci/run']));
  const run = spawnSync('shellcheck', ['-x', '-S', 'warning', '--format', 'gcc', ...scripts], { cwd: REPO_ROOT, encoding: 'utf8' });
  expect(run.error).toBeUndefined();
  expect({ exit: run.status, findings: `${run.stdout}${run.stderr}` }).toEqual({ exit: 0, findings: '' });
});
