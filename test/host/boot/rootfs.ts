import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Stands in for the host's AMI (Canonical's Ubuntu 20.04): a Debian 12 (bookworm) root file system
 * with systemd and cloud-init, built by debootstrap from Debian's mirror (Ubuntu's archive is not
 * reachable here; see ../shared/reference/real-boot.md). It is built once and cached outside the
 * repository, keyed by everything that goes into it; hosts boot it read-only under an overlay.
 */

export const ROOTFS_SUITE = 'bookworm';
export const ROOTFS_VARIANT = 'minbase';
/**
 * systemd and cloud-init, and what the host script uses of the base system. python3-cffi-backend
 * must be named: debootstrap does not resolve the virtual dependency of python3-cryptography.
 */
export const ROOTFS_PACKAGES = [
  'systemd',
  'systemd-sysv',
  'dbus',
  'curl',
  'ca-certificates',
  'iproute2',
  'cloud-init',
  'python3-cffi-backend',
  'procps',
  'gzip',
];
/** minbase has no `locales` package; cloud-init's locale module fails without this setting. */
export const CLOUD_CFG = { path: 'etc/cloud/cloud.cfg.d/99-test.cfg', text: 'locale: false\n' };
/** Bump when the build steps change in a way the inputs above do not show. */
const RECIPE = 1;
/** A cold build takes 70–110 s on an idle machine; a busy one has taken over 6 minutes. */
export const BUILD_BOUND_MS = 15 * 60_000;
/** Set by the runner while it builds the root file system, so that jest waits for it instead of building a second one. */
export const ROOTFS_BEING_BUILT_ENV = 'HOST_BOOT_ROOTFS_BEING_BUILT';
/** Written last: a directory without it is an interrupted build, never used. */
const COMPLETE_MARKER = '.rootfs-complete';

export function rootfsCacheRoot(): string {
  const cacheHome = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cacheHome, 'altinity-connect-host-rootfs');
}

/** The cache key: a hash of the suite, variant, package list, cloud-init setting and recipe. */
export function rootfsKey(): string {
  const inputs = JSON.stringify({
    suite: ROOTFS_SUITE,
    variant: ROOTFS_VARIANT,
    packages: ROOTFS_PACKAGES,
    cloudCfg: CLOUD_CFG,
    recipe: RECIPE,
    arch: os.arch(),
  });
  return createHash('sha256').update(inputs).digest('hex').slice(0, 16);
}

export function rootfsPath(): string {
  return path.join(rootfsCacheRoot(), rootfsKey());
}

export function cachedRootfs(): string | undefined {
  const dir = rootfsPath();
  return fs.existsSync(path.join(dir, COMPLETE_MARKER)) ? dir : undefined;
}

/** The Debian mirror that this machine's apt uses, else Debian's own redirector. */
export function debianMirror(): string {
  const files = ['/etc/apt/sources.list', ...listDir('/etc/apt/sources.list.d').map((name) => path.join('/etc/apt/sources.list.d', name))];
  for (const file of files) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    // One-line style: `deb [options] URI suite components`; deb822 style: `URIs: URI`.
    const candidates = [...text.matchAll(/^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/gm)]
      .filter((match) => match[2] === ROOTFS_SUITE)
      .map((match) => match[1])
      .concat([...text.matchAll(/^\s*URIs:\s*(\S+)/gm)].map((match) => match[1]));
    const mirror = candidates.find((uri) => /^https?:\/\//.test(uri) && !/security/.test(uri));
    if (mirror) return mirror.replace(/\/$/, '');
  }
  return 'http://deb.debian.org/debian';
}

function listDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir).filter((name) => name.endsWith('.list') || name.endsWith('.sources'));
  } catch {
    return [];
  }
}

/**
 * The root file system for the tests: the cached one, or the one the runner is building meanwhile
 * (the tests' own set-up, moto_server and the template, goes on in parallel), else built here.
 */
export async function rootfsForTests(): Promise<string> {
  if (!process.env[ROOTFS_BEING_BUILT_ENV]) return (await ensureRootfs()).path;
  const deadline = Date.now() + BUILD_BOUND_MS;
  for (;;) {
    const cached = cachedRootfs();
    if (cached) return cached;
    if (Date.now() > deadline) throw new Error(`the runner built no root file system within ${BUILD_BOUND_MS / 60_000} minutes`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

export interface RootfsResult {
  readonly path: string;
  /** Whether this call built it (false: taken from the cache). */
  readonly built: boolean;
  readonly seconds: number;
}

/**
 * The cached root file system, built first when missing. A build goes to a directory of its own and
 * is renamed into place when complete, so an interrupted or concurrent build never leaves a
 * half-built tree where a boot would use it.
 */
export async function ensureRootfs(progress: (line: string) => void = () => {}): Promise<RootfsResult> {
  const started = Date.now();
  const cached = cachedRootfs();
  if (cached) return { path: cached, built: false, seconds: (Date.now() - started) / 1000 };

  const target = rootfsPath();
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const building = `${target}.build-${process.pid}`;
  const logFile = `${target}.build.log`;
  fs.rmSync(building, { recursive: true, force: true });
  const mirror = debianMirror();
  progress(`building the host root file system (debootstrap ${ROOTFS_SUITE} from ${mirror}; log ${logFile})`);
  try {
    await debootstrap(building, mirror, logFile);
    fs.writeFileSync(path.join(building, CLOUD_CFG.path), CLOUD_CFG.text);
    fs.writeFileSync(path.join(building, COMPLETE_MARKER), `${new Date().toISOString()} ${rootfsKey()}\n`);
    try {
      fs.renameSync(building, target);
    } catch (error) {
      // Another run completed the same build first: use it.
      if (!cachedRootfs()) throw error;
      fs.rmSync(building, { recursive: true, force: true });
    }
  } catch (error) {
    fs.rmSync(building, { recursive: true, force: true });
    throw error;
  }
  return { path: target, built: true, seconds: (Date.now() - started) / 1000 };
}

function debootstrap(dir: string, mirror: string, logFile: string): Promise<void> {
  const log = fs.openSync(logFile, 'w');
  // Downloaded packages are kept next to the trees: a changed package list downloads only what is new.
  const debs = path.join(rootfsCacheRoot(), 'debs');
  fs.mkdirSync(debs, { recursive: true });
  const args = [`--variant=${ROOTFS_VARIANT}`, `--include=${ROOTFS_PACKAGES.join(',')}`, `--cache-dir=${debs}`, ROOTFS_SUITE, dir, mirror];
  const child = spawn('debootstrap', args, { stdio: ['ignore', log, log] });
  const killer = setTimeout(() => child.kill('SIGKILL'), BUILD_BOUND_MS);
  return new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(killer);
      fs.closeSync(log);
      if (code === 0) return resolve();
      const tail = fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-5).join('\n');
      reject(new Error(`debootstrap ${args.join(' ')} failed (${signal ?? `exit ${code}`}); see ${logFile}:\n${tail}`));
    });
  });
}
