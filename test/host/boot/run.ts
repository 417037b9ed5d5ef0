import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { installMissingTools, missingPrivilege, nspawnWorks } from './preflight';
import { cachedRootfs, ensureRootfs, ROOTFS_BEING_BUILT_ENV } from './rootfs';
import { RunDir } from './run-dir';

/**
 * `npm run test:host`: the real-boot harness. Checks that this machine can boot a host (root,
 * network namespaces, overlayfs, systemd-nspawn; it installs debootstrap and systemd-container when
 * missing), builds or reuses the cached root file system, runs the scenarios with jest, then sweeps
 * whatever a failed run may have left (processes, namespace, temporary directory) and prints the
 * timings. Arguments go to jest (e.g. `npm run test:host -- -t connected`).
 *
 * `npm run test:host -- --prepare` only checks the machine, installs the tools and builds the root
 * file system (two minutes, mostly download and unpacking), so that a machine can be made ready
 * ahead of the runs that boot hosts.
 *
 * A machine that cannot boot hosts fails the command with one line saying why; with
 * ALLOW_SKIP_HOST_TESTS=1 it says that it skipped instead and succeeds. It never skips silently.
 */

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
/** The argument that makes the command prepare the machine and stop before booting anything. */
const PREPARE_ONLY = '--prepare';
const say = (line: string) => process.stdout.write(`test:host: ${line}\n`);

function cannotRun(reason: string): never {
  if (process.env.ALLOW_SKIP_HOST_TESTS === '1') {
    say(`skipped: ${reason} (ALLOW_SKIP_HOST_TESTS=1)`);
    process.exit(0);
  }
  process.stderr.write(`test:host: cannot boot hosts here: ${reason}; set ALLOW_SKIP_HOST_TESTS=1 to skip\n`);
  process.exit(1);
}

async function main(): Promise<number> {
  const started = Date.now();
  const reason = missingPrivilege() ?? installMissingTools(say) ?? nspawnWorks();
  if (reason) cannotRun(reason);
  if (process.argv[2] === PREPARE_ONLY) {
    const rootfs = await ensureRootfs(say);
    say(rootfs.built ? `root file system built in ${rootfs.seconds.toFixed(1)} s: ${rootfs.path}` : `root file system taken from the cache: ${rootfs.path}`);
    return 0;
  }

  // A cold run builds the root file system while jest sets up the rest (moto_server, the template).
  const cached = cachedRootfs();
  if (cached) say(`root file system taken from the cache: ${cached}`);
  const rootfsBuild = cached ? undefined : ensureRootfs(say);

  const abandoned = RunDir.sweepAbandoned();
  if (abandoned.length > 0) say(`cleaned up after an earlier run that was killed: ${abandoned.join(', ')}`);
  const runDir = RunDir.create();
  let jest: ReturnType<typeof spawn> | undefined;
  const interrupt = (signal: NodeJS.Signals) => {
    jest?.kill(signal);
    setTimeout(() => jest?.kill('SIGKILL'), 30_000).unref();
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);

  let exitCode = 1;
  let builtIn = '';
  try {
    jest = spawn(process.execPath, [require.resolve('jest/bin/jest'), '--config', path.join(__dirname, 'jest.config.js'), ...process.argv.slice(2)], {
      cwd: REPO_ROOT,
      stdio: 'inherit',
      env: {
        // As in npm test: the SDK's notice about Node.js 22 is for whoever updates the lock file.
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        ...process.env,
        [RunDir.ENV]: runDir.root,
        ...(rootfsBuild ? { [ROOTFS_BEING_BUILT_ENV]: '1' } : {}),
      },
    });
    rootfsBuild?.then(
      (rootfs) => {
        builtIn = `root file system built in ${rootfs.seconds.toFixed(1)} s`;
        say(`${builtIn}: ${rootfs.path}`);
      },
      (error: Error) => {
        process.stderr.write(`test:host: ${error.message}\n`);
        jest?.kill('SIGTERM');
      },
    );
    exitCode = await new Promise<number>((resolve) => jest!.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
  } finally {
    // A build that outlives jest (which failed early) finishes for the next run rather than run on orphaned.
    await rootfsBuild?.catch(() => undefined);
    const timings = readTimings(runDir);
    const leftovers = runDir.sweep();
    if (builtIn) say(builtIn);
    for (const timing of timings) {
      say(
        `${timing.scenario}: ${Object.entries(timing.seconds)
          .map(([what, value]) => `${what} ${value.toFixed(1)} s`)
          .join(', ')}`,
      );
    }
    if (leftovers.length > 0) say(`cleaned up what the run left: ${leftovers.join(', ')}`);
    const total = ((Date.now() - started) / 1000).toFixed(1);
    say(`total ${total} s${leftovers.length === 0 ? '; the run left nothing behind' : ''}`);
    if (leftovers.length > 0 && exitCode === 0) {
      process.stderr.write('test:host: the tests passed but did not clean up after themselves\n');
      exitCode = 1;
    }
  }
  return exitCode;
}

function readTimings(runDir: RunDir): Array<{ scenario: string; seconds: Record<string, number> }> {
  try {
    return fs
      .readFileSync(runDir.path('timings.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
  } catch {
    return [];
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`test:host: ${error.message}\n`);
    process.exit(1);
  },
);
