/**
 * The guard over a user's checkout: what global-setup.ts records before the tests and
 * global-teardown.ts compares after them.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * What a user's checkout holds of its own that the tests must leave as they found it: the CDK CLI's
 * output and lookup cache (after a `cdk deploy`) and the published template (after `npm run publish`).
 */
export const USER_STATE_PATHS = ['cdk.out', 'dist', 'cdk.context.json'] as const;

/** Every entry under the user-state paths of `root`, by relative path: its kind, size, time and content digest. */
export type Fingerprint = Record<string, string>;

function describe(file: string, stat: fs.Stats): string {
  if (stat.isSymbolicLink()) return `link -> ${fs.readlinkSync(file)}`;
  if (stat.isDirectory()) return `dir mode ${stat.mode.toString(8)} mtime ${stat.mtimeMs}`;
  const digest = stat.isFile() ? createHash('sha256').update(fs.readFileSync(file)).digest('hex') : 'special';
  return `file mode ${stat.mode.toString(8)} size ${stat.size} mtime ${stat.mtimeMs} sha256 ${digest}`;
}

export function fingerprint(root: string): Fingerprint {
  const entries: Fingerprint = {};
  const visit = (relative: string) => {
    const full = path.join(root, relative);
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(full);
    } catch {
      return;
    }
    entries[relative] = describe(full, stat);
    if (stat.isDirectory()) for (const name of fs.readdirSync(full).sort()) visit(path.join(relative, name));
  };
  for (const top of USER_STATE_PATHS) {
    visit(top);
    entries[top] ??= 'absent';
  }
  return entries;
}

/** What differs between two fingerprints, one line per path: created, removed or changed. */
export function changesBetween(before: Fingerprint, after: Fingerprint): string[] {
  const paths = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const changes: string[] = [];
  for (const entry of paths) {
    const was = before[entry] ?? 'absent';
    const is = after[entry] ?? 'absent';
    if (was === is) continue;
    if (was === 'absent') changes.push(`${entry}: created`);
    else if (is === 'absent') changes.push(`${entry}: removed`);
    else changes.push(`${entry}: changed`);
  }
  return changes;
}
