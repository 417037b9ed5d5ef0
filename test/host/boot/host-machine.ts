import { type ChildProcess, execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { killGroup, removeNspawnLeftovers, type RunDir } from './run-dir';

/**
 * Stands in for the EC2 instance: the root file system booted by systemd-nspawn with its own
 * systemd as PID 1, in the hosts' network namespace, with cloud-init's NoCloud seed (meta-data with
 * the instance id; user-data exactly as the launch template carries it) where EC2's datasource would
 * be. The root file system stays pristine under an overlay whose upper layer is this host's disk: it
 * survives a reboot (nspawn exits, the test starts it again on the same layer, as EC2 restarts an
 * instance on its volume), and the host's files stay readable after it powered off.
 */

/** A file or directory of the test's, bound read-only into the host (test plumbing). */
export interface Bind {
  readonly source: string;
  readonly target: string;
}

export interface HostMachineOptions {
  readonly runDir: RunDir;
  /** Machine name: also the host's name for systemd. */
  readonly name: string;
  readonly rootfs: string;
  /** Network namespace to boot in (its name under /run/netns). */
  readonly netns: string;
  readonly instanceId: string;
  /** The user data, byte for byte, as cloud-init's NoCloud `user-data`. */
  readonly userData: Buffer;
  readonly binds: readonly Bind[];
}

export interface UnitState {
  readonly activeState: string;
  readonly subState: string;
  readonly unitFileState: string;
  readonly nRestarts: number;
  readonly mainPid: number;
}

/** nspawn's exit status when the container's systemd rebooted. */
const REBOOT_EXIT_STATUS = 133;
const POWER_OFF_BOUND_MS = 20_000;

export class HostMachine {
  /** When the current boot began (nspawn started), ms since the epoch. */
  bootedAt = 0;
  /** When the first boot began. */
  firstBootAt = 0;
  private nspawn: ChildProcess | undefined;
  private leader = 0;
  private readonly dir: string;
  private readonly upper: string;
  private readonly logFile: string;
  private boots = 0;

  constructor(private readonly options: HostMachineOptions) {
    this.dir = options.runDir.path('hosts', options.name);
    this.upper = path.join(this.dir, 'disk');
    this.logFile = path.join(this.dir, 'nspawn.log');
    const seed = path.join(this.dir, 'seed');
    fs.mkdirSync(seed, { recursive: true });
    fs.mkdirSync(this.upper, { recursive: true });
    fs.writeFileSync(path.join(seed, 'meta-data'), `instance-id: ${options.instanceId}\nlocal-hostname: ${options.name}\n`);
    fs.writeFileSync(path.join(seed, 'user-data'), options.userData);
  }

  get running(): boolean {
    return this.nspawn !== undefined && this.nspawn.exitCode === null && this.nspawn.signalCode === null;
  }

  /** Boots the host: the first time a first boot, later a reboot on the same disk. */
  async boot(): Promise<void> {
    if (this.running) throw new Error(`${this.options.name} is running already`);
    const { name, rootfs, netns, binds } = this.options;
    const args = [
      '--quiet',
      `--directory=${rootfs}`,
      '--boot',
      // No system bus on this machine: nspawn must neither register nor create a scope unit.
      '--register=no',
      '--keep-unit',
      '--console=passive',
      `--machine=${name}`,
      `--overlay=${rootfs}:${this.upper}:/`,
      `--bind-ro=${path.join(this.dir, 'seed')}:/var/lib/cloud/seed/nocloud`,
      ...binds.map((bind) => `--bind-ro=${bind.source}:${bind.target}`),
      `--network-namespace-path=/run/netns/${netns}`,
    ];
    const log = fs.openSync(this.logFile, 'a');
    fs.writeSync(log, `--- boot ${this.boots + 1}: systemd-nspawn ${args.join(' ')}\n`);
    this.bootedAt = Date.now();
    if (this.boots === 0) this.firstBootAt = this.bootedAt;
    this.boots += 1;
    const child = spawn('systemd-nspawn', args, { detached: true, stdio: ['ignore', log, log] });
    fs.closeSync(log);
    this.nspawn = child;
    if (child.pid) this.options.runDir.registerProcess(child.pid, `systemd-nspawn ${name}`);
    this.leader = await this.findLeader(child);
    this.options.runDir.registerProcess(this.leader, `systemd of ${name}`);
  }

  /** `systemctl reboot` inside; nspawn exits with 133 and the host boots again on the same disk. */
  async reboot(): Promise<void> {
    const exited = this.exitOf();
    await this.exec(['systemctl', 'reboot']);
    const status = await withBound(exited, POWER_OFF_BOUND_MS, `${this.options.name} did not go down for its reboot`);
    if (status !== REBOOT_EXIT_STATUS) throw new Error(`systemd-nspawn exited with ${status} on reboot, not ${REBOOT_EXIT_STATUS}`);
    this.forgetProcesses();
    await this.boot();
  }

  /** `systemctl poweroff` inside; when the host does not go down within its bound, kills it. */
  async powerOff(): Promise<void> {
    if (!this.running) return this.forgetProcesses();
    const exited = this.exitOf();
    try {
      await this.exec(['systemctl', 'poweroff']);
      await withBound(exited, POWER_OFF_BOUND_MS, 'no power-off');
    } catch {
      // Killing the container's PID 1 ends its PID namespace, and nspawn with it.
      killGroup(this.leader);
      if (this.nspawn?.pid) killGroup(this.nspawn.pid);
      await withBound(exited, 5_000, 'not killed').catch(() => undefined);
      removeNspawnLeftovers(this.options.name);
    }
    this.forgetProcesses();
  }

  /** Runs a command inside the host (all its namespaces), as root. */
  exec(command: string[], timeoutMs = 30_000): Promise<{ status: number; stdout: string; stderr: string }> {
    if (!this.running) return Promise.reject(new Error(`${this.options.name} is not running`));
    return new Promise((resolve) => {
      execFile('nsenter', ['-t', String(this.leader), '-a', ...command], { timeout: timeoutMs, encoding: 'utf8' }, (error, stdout, stderr) => {
        const status = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ status, stdout, stderr });
      });
    });
  }

  async unit(name: string): Promise<UnitState> {
    const shown = await this.exec(['systemctl', 'show', name, '--property=ActiveState,SubState,UnitFileState,NRestarts,MainPID']);
    const value = (key: string) => new RegExp(`^${key}=(.*)$`, 'm').exec(shown.stdout)?.[1] ?? '';
    return {
      activeState: value('ActiveState'),
      subState: value('SubState'),
      unitFileState: value('UnitFileState'),
      nRestarts: Number(value('NRestarts') || 0),
      mainPid: Number(value('MainPID') || 0),
    };
  }

  /** Waits until cloud-init has finished this boot; returns its status: done, or error when a script failed. */
  async cloudInitFinished(boundMs: number): Promise<string> {
    const { stdout } = await this.exec(['cloud-init', 'status', '--wait'], boundMs);
    const status = /^status: (\w+)/m.exec(stdout)?.[1];
    if (!status) throw new Error(`cloud-init status --wait gave no status within ${boundMs / 1000} s: ${stdout.trim()}`);
    return status;
  }

  /** A unit's journal, messages only, every boot. */
  async journal(unit: string): Promise<string> {
    return (await this.exec(['journalctl', '--unit', unit, '--no-pager', '--output', 'cat'])).stdout;
  }

  /** A file the host wrote, read from its disk (the overlay's upper layer); '' when it wrote none. */
  file(hostPath: string): string {
    try {
      return fs.readFileSync(path.join(this.upper, hostPath), 'utf8');
    } catch {
      return '';
    }
  }

  /** What to show when a scenario fails: the host's logs and nspawn's. */
  diagnostics(): string {
    const tail = (text: string, lines = 60) => text.trimEnd().split('\n').slice(-lines).join('\n');
    return [
      `--- /var/log/altinitycloud-connect-bootstrap.log\n${tail(this.file('/var/log/altinitycloud-connect-bootstrap.log'))}`,
      `--- /var/log/cloud-init-output.log\n${tail(this.file('/var/log/cloud-init-output.log'), 40)}`,
      `--- systemd-nspawn\n${tail(readOr(this.logFile), 20)}`,
    ].join('\n');
  }

  private exitOf(): Promise<number | null> {
    const child = this.nspawn;
    if (!child || !this.running) return Promise.resolve(child?.exitCode ?? null);
    return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  private forgetProcesses(): void {
    if (this.nspawn?.pid) this.options.runDir.forgetProcess(this.nspawn.pid);
    if (this.leader) this.options.runDir.forgetProcess(this.leader);
  }

  /** The container's PID 1: nspawn's child running systemd. */
  private async findLeader(child: ChildProcess): Promise<number> {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`systemd-nspawn exited (${child.exitCode ?? child.signalCode}):\n${readOr(this.logFile).trim().split('\n').slice(-10).join('\n')}`);
      }
      const leader = childrenOf(child.pid!).find((pid) => commOf(pid) === 'systemd');
      if (leader) return leader;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`no systemd under systemd-nspawn ${child.pid} within 15 s`);
  }
}

function childrenOf(parent: number): number[] {
  const children: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent) children.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return children;
}

function commOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

function readOr(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

export function withBound<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, bound]).finally(() => clearTimeout(timer));
}
