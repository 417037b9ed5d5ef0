/**
 * The CDK CLI and npm commands as a user runs them, in a throwaway checkout (linked or copied),
 * never in this one.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startNetworkTripwire } from '../support/network-tripwire';

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

/**
 * The environment of a user's shell for a command run in `cwd`: the developer's own AWS profile and
 * variables, CDK variables and ALTINITY_CONNECT_TOKEN are left out, and so are the test processes'
 * own AWS settings; the AWS config files point nowhere and no instance metadata is asked, so that
 * nothing reaches a real account and a command sees only the AWS settings a test gives it.
 */
function usersShell(cwd: string): NodeJS.ProcessEnv {
  return {
    ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(AWS_|CDK_|ALTINITY_CONNECT_TOKEN$)/.test(key))),
    AWS_CONFIG_FILE: path.join(cwd, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(cwd, 'no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

export interface CliRun {
  readonly exitCode: number | null;
  /** stdout and stderr, interleaved as printed. */
  readonly output: string;
}

export interface CdkRun extends CliRun {
  /** What the CLI or the app tried to reach outside this machine (only a run with notices on may). */
  readonly networkAttempts: readonly string[];
}

/**
 * The CDK CLI's own settings that keep it off the network: no notices (`--no-notices`), no telemetry
 * and no version check. The CLI keeps its home (account cache, notices, telemetry state) in
 * CDK_HOME, else in `.cdk` of the user database's home directory, whatever HOME says.
 */
const CDK_OFFLINE = { args: ['--no-notices'], env: { CDK_DISABLE_CLI_TELEMETRY: 'true', CDK_DISABLE_VERSION_CHECK: 'true' } };

/**
 * Runs `npx cdk <args>` in `cwd` as a user's shell would (`usersShell`), with `env` as the only AWS
 * settings and token. Every run is the CLI's first on a new machine: a CDK home of its own, empty,
 * removed afterwards. Outbound HTTP goes to a tripwire: a run that tries to reach the network fails,
 * but with `notices: true`, which turns the CLI's notices on to show what the tripwire would see.
 */
export async function runCdk(cwd: string, args: string[], env: Record<string, string> = {}, options: { notices?: boolean } = {}): Promise<CdkRun> {
  const cdkHome = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-home-'));
  const tripwire = await startNetworkTripwire();
  try {
    // `--notices` rather than the CLI's default, which leaves notices off wherever CI is set.
    const run = await runCommand('npx', ['cdk', ...args, ...(options.notices ? ['--notices'] : CDK_OFFLINE.args)], {
      cwd,
      env: {
        ...usersShell(cwd),
        ...tripwire.env,
        ...env,
        ...CDK_OFFLINE.env,
        CDK_HOME: cdkHome,
      },
    });
    if (!options.notices && tripwire.attempts.length > 0) {
      throw new Error(`cdk ${args.join(' ')} tried to reach the network, which no test allows: ${tripwire.attempts.join(', ')}\n${run.output}`);
    }
    return { ...run, networkAttempts: [...tripwire.attempts] };
  } finally {
    await tripwire.stop();
    fs.rmSync(cdkHome, { recursive: true, force: true });
  }
}

/**
 * Runs the app alone, as the CDK CLI runs it: the `app` command of cdk.json in `cwd`, with the
 * context in the variable the CLI sets, in a user's shell (`usersShell`) with `env`. What it prints is
 * the app's own.
 */
export function runAppAsTheCliDoes(cwd: string, context: Record<string, string>, env: Record<string, string>): Promise<CliRun> {
  const { app } = JSON.parse(fs.readFileSync(path.join(cwd, 'cdk.json'), 'utf8')) as { app: string };
  const [command, ...args] = app.split(' ');
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'app-out-'));
  return runCommand(command, args, {
    cwd,
    env: {
      ...usersShell(cwd),
      ...env,
      CDK_OUTDIR: outDir,
      CDK_CONTEXT_JSON: JSON.stringify(context),
    },
  }).finally(() => fs.rmSync(outDir, { recursive: true, force: true }));
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
