import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Test plumbing, no stand-in: one temporary directory per run of the harness, holding everything
 * the run creates on this machine (sockets, certificates, seeds, the hosts' overlay layers) and a
 * register of what must not outlive it: the processes it started and the network namespaces it
 * added. The tests clean up after themselves; `sweep()` is the safety net that `npm run test:host`
 * runs once jest has exited, however it exited.
 */
export class RunDir {
  /** The variable through which the runner hands its directory to jest. */
  static readonly ENV = 'HOST_BOOT_RUN_DIR';

  private constructor(readonly root: string) {
    for (const dir of ['processes', 'netns']) fs.mkdirSync(path.join(root, dir), { recursive: true });
  }

  /**
   * A new directory, owned by this process. Short, under /tmp: it holds Unix sockets, whose paths
   * are limited to 107 bytes.
   */
  static create(): RunDir {
    const dir = new RunDir(fs.mkdtempSync(RUN_DIR_PREFIX));
    fs.writeFileSync(dir.path('owner'), `${process.pid} ${startTimeOf(process.pid) ?? ''}\n`);
    return dir;
  }

  /**
   * Sweeps the directories of runs whose owner is gone without cleaning up (killed with SIGKILL,
   * say); another run that is still going is left alone. Returns what it cleaned.
   */
  static sweepAbandoned(): string[] {
    const cleaned: string[] = [];
    for (const entry of fs.readdirSync(path.dirname(RUN_DIR_PREFIX))) {
      const root = path.join(path.dirname(RUN_DIR_PREFIX), entry);
      if (!root.startsWith(RUN_DIR_PREFIX)) continue;
      let owner: string[];
      try {
        owner = fs.readFileSync(path.join(root, 'owner'), 'utf8').trim().split(' ');
      } catch {
        continue;
      }
      const [pid, startTime] = owner;
      if (startTime && startTimeOf(Number(pid)) === startTime) continue;
      cleaned.push(...new RunDir(root).sweep(), `directory ${root}`);
    }
    return cleaned;
  }

  /** The runner's directory when jest runs under it, else a new one. */
  static forTests(): RunDir {
    const given = process.env[RunDir.ENV];
    return given ? new RunDir(given) : RunDir.create();
  }

  /** A short id for names that live outside the directory (namespaces, machine names). */
  get id(): string {
    return path
      .basename(this.root)
      .replace(/^host-boot-/, '')
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '');
  }

  path(...parts: string[]): string {
    return path.join(this.root, ...parts);
  }

  /** Records a started process, with its start time so that a reused pid is never mistaken for it. */
  registerProcess(pid: number, what: string): void {
    fs.writeFileSync(this.path('processes', String(pid)), `${startTimeOf(pid) ?? ''}\n${what}\n`);
  }

  forgetProcess(pid: number): void {
    fs.rmSync(this.path('processes', String(pid)), { force: true });
  }

  registerNetns(name: string): void {
    fs.writeFileSync(this.path('netns', name), '');
  }

  forgetNetns(name: string): void {
    fs.rmSync(this.path('netns', name), { force: true });
  }

  /**
   * Kills every registered process that still runs (its whole process group), deletes every
   * registered namespace and removes the directory. Returns what it had to clean: empty when the
   * tests cleaned up after themselves.
   */
  sweep(): string[] {
    const cleaned: string[] = [];
    if (!fs.existsSync(this.root)) return cleaned;
    for (const entry of fs.readdirSync(this.path('processes'))) {
      const pid = Number(entry);
      const [startTime, what] = fs.readFileSync(this.path('processes', entry), 'utf8').split('\n');
      if (startTime && startTimeOf(pid) === startTime) {
        killGroup(pid);
        cleaned.push(`process ${pid} (${what})`);
      }
    }
    for (const dir of nspawnLeftovers(`hb-${this.id}-`)) {
      removeNspawnLeftover(dir);
      cleaned.push(`directory ${dir}`);
    }
    for (const name of fs.readdirSync(this.path('netns'))) {
      if (fs.existsSync(`/run/netns/${name}`)) {
        deleteNetns(name);
        cleaned.push(`network namespace ${name}`);
      }
    }
    fs.rmSync(this.root, { recursive: true, force: true });
    return cleaned;
  }

  /** Removes the directory only: for the tests' own cleanup, which has stopped everything first. */
  remove(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

const RUN_DIR_PREFIX = '/tmp/host-boot-';

/** Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot. */
export function startTimeOf(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** SIGKILL to the process group that `pid` leads (processes are started detached), else to the process. */
export function killGroup(pid: number): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      // Gone already, or not a group leader.
    }
  }
}

/** Where systemd-nspawn keeps a machine's mount propagation directory; one it killed leaves it behind. */
const NSPAWN_PROPAGATE = '/run/systemd/nspawn/propagate';

function nspawnLeftovers(machinePrefix: string): string[] {
  try {
    return fs
      .readdirSync(NSPAWN_PROPAGATE)
      .filter((name) => name.startsWith(machinePrefix))
      .map((name) => path.join(NSPAWN_PROPAGATE, name));
  } catch {
    return [];
  }
}

function removeNspawnLeftover(dir: string): void {
  try {
    fs.rmdirSync(dir);
  } catch {
    // Not empty (still in use) or gone.
  }
}

/** Removes what systemd-nspawn leaves of a machine that was killed rather than powered off. */
export function removeNspawnLeftovers(machine: string): void {
  for (const dir of nspawnLeftovers(machine)) removeNspawnLeftover(dir);
}

export function deleteNetns(name: string): void {
  try {
    execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
  } catch {
    // Already gone.
  }
}

export function isRoot(): boolean {
  return os.userInfo().uid === 0;
}
