import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { cachedRootfs } from './rootfs';
import { deleteNetns, isRoot } from './run-dir';

/**
 * Test plumbing: what the machine must allow before a host can boot here (root, network namespaces,
 * overlayfs, systemd-nspawn), and the Debian packages the harness installs when they are missing.
 */

/** Debian packages, by the command the harness needs from them. */
const TOOLS: Record<string, string> = { debootstrap: 'debootstrap', 'systemd-nspawn': 'systemd-container' };

/** Why hosts cannot boot on this machine, in one line; undefined when they can. */
export function missingPrivilege(): string | undefined {
  if (!isRoot()) return `not root (uid ${process.getuid?.()}): network namespaces and systemd-nspawn need root`;
  const probe = `hbprobe${process.pid}`;
  const added = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (added.error || added.status !== 0) {
    return `cannot create network namespaces (ip netns add: ${firstLine(added.stderr) || added.error?.message || `exit ${added.status}`})`;
  }
  deleteNetns(probe);
  if (
    !fs
      .readFileSync('/proc/filesystems', 'utf8')
      .split('\n')
      .some((line) => line.trim().endsWith('overlay'))
  ) {
    return 'the kernel offers no overlayfs, which the hosts boot on';
  }
  return undefined;
}

export function hasCommand(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Installs the Debian packages of the tools that are missing (debootstrap only when the root file
 * system must be built). Returns a one-line reason when a tool stays unavailable.
 */
export function installMissingTools(log: (line: string) => void): string | undefined {
  const needed = Object.keys(TOOLS).filter((command) => !hasCommand(command) && (command !== 'debootstrap' || !cachedRootfs()));
  if (needed.length === 0) return undefined;
  const packages = needed.map((command) => TOOLS[command]);
  log(`installing ${packages.join(' ')} (Debian packages)`);
  const apt = (args: string[]) =>
    spawnSync('apt-get', ['-q', '-y', '-o', 'DPkg::Lock::Timeout=300', ...args], {
      encoding: 'utf8',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  let result = apt(['install', '--no-install-recommends', ...packages]);
  if (result.status !== 0) {
    apt(['update']);
    result = apt(['install', '--no-install-recommends', ...packages]);
  }
  const still = needed.filter((command) => !hasCommand(command));
  if (still.length === 0) return undefined;
  return `no ${still.join(' or ')}: apt-get install ${packages.join(' ')} failed (${aptError(result.stderr) || `exit ${result.status}`})`;
}

/** systemd-nspawn answers, i.e. it is installed and runs on this machine. */
export function nspawnWorks(): string | undefined {
  const version = spawnSync('systemd-nspawn', ['--version'], { encoding: 'utf8' });
  if (version.status !== 0) return `systemd-nspawn does not run (${firstLine(version.stderr) || version.error?.message})`;
  return undefined;
}

function firstLine(text: string | undefined): string {
  return (text ?? '').trim().split('\n')[0] ?? '';
}

/** apt's last error line (`E: ...`), else its last line. */
function aptError(text: string | undefined): string {
  const lines = (text ?? '').trim().split('\n');
  return lines.filter((line) => line.startsWith('E:')).pop() ?? lines.pop() ?? '';
}
