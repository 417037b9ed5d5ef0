import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

/**
 * The code is formatted as Biome writes it and passes its lint rules (`biome.json`), warnings
 * included; `npm run format` fixes what it can. Run here rather than before jest so that Biome, like
 * every process of the suite, has the suite's home: it creates a cache directory in the user's.
 */
const REPO_ROOT = path.resolve(__dirname, '..', '..');

test('Biome finds the code formatted and finds nothing to lint', () => {
  const biome = path.join(REPO_ROOT, 'node_modules', '.bin', 'biome');
  const run = spawnSync(biome, ['ci', '--error-on-warnings', '--colors=off', '--max-diagnostics=50'], { cwd: REPO_ROOT, encoding: 'utf8' });
  expect(run.error).toBeUndefined();
  expect({ exit: run.status, findings: run.status === 0 ? '' : `${run.stdout}${run.stderr}` }).toEqual({ exit: 0, findings: '' });
});
