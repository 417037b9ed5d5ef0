/**
 * The CDK CLI and npm commands as a user runs them, in a throwaway checkout (linked or copied),
 * never in this one.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
/** What a fresh clone does not have: a lookup cache, build output, the published file. */
const NOT_IN_A_CLONE = new Set(['.git', 'cdk.context.json', 'cdk.out', 'dist']);

/**
 * A checkout of this repository to run the CDK CLI in, made of links to the real files. The CLI
 * writes the default VPC it looked up to cdk.context.json in its working directory: here, not in
 * the repository, where parallel tests would share it.
 */
export function linkedCheckout(): { dir: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-checkout-'));
  for (const entry of fs.readdirSync(REPO_ROOT)) {
    if (!NOT_IN_A_CLONE.has(entry)) fs.symlinkSync(path.join(REPO_ROOT, entry), path.join(dir, entry));
  }
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A copy of this checkout's files (those git tracks, and new ones it does not ignore) with
 * node_modules linked: for commands that write into the checkout (npm run publish, npm run docs) or a
 * whole jest run, as in a clone of the repository and never in it.
 */
export function copiedCheckout(): { dir: string; remove(): void } {
  const listed = spawnSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (listed.status !== 0) throw new Error(`git ls-files failed in ${REPO_ROOT}: ${listed.stderr}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'checkout-copy-'));
  for (const file of listed.stdout.split('\0')) {
    if (file === '' || !fs.existsSync(path.join(REPO_ROOT, file))) continue;
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.copyFileSync(path.join(REPO_ROOT, file), path.join(dir, file));
  }
  fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export interface CliRun {
  readonly exitCode: number | null;
  /** stdout and stderr, interleaved as printed. */
  readonly output: string;
}

/**
 * Runs `npx cdk <args>` in `cwd` as a user's shell would, with `env` as the only AWS settings and
 * token: the developer's own profile, variables and ALTINITY_CONNECT_TOKEN are left out (and the
 * AWS config files point nowhere unless `env` names some), so that nothing reaches a real account
 * and the runs see only what the test gives them.
 */
export function runCdk(cwd: string, args: string[], env: Record<string, string>): Promise<CliRun> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(AWS_|CDK_|ALTINITY_CONNECT_TOKEN$)/.test(key)));
  return runCommand('npx', ['cdk', ...args], {
    cwd,
    env: {
      ...inherited,
      AWS_CONFIG_FILE: path.join(cwd, 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(cwd, 'no-aws-credentials'),
      ...env,
      // No network here: the CLI would otherwise ask the npm registry for a newer version.
      CDK_DISABLE_VERSION_CHECK: 'true',
    },
  });
}

/** Runs `command` to its end, with stdout and stderr together as it printed them. */
export function runCommand(command: string, args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<CliRun> {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode) => resolve({ exitCode, output }));
  });
}

/** Every file under `dir`, with its text. */
export function filesUnder(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) files[path.join(entry.parentPath, entry.name)] = fs.readFileSync(path.join(entry.parentPath, entry.name), 'utf8');
  }
  return files;
}
