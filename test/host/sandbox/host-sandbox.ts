/**
 * Stands in for an EC2 host: a temporary directory in which the bootstrap script runs under bash,
 * with stand-ins for the commands that would touch the machine (see HostSandbox).
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bootstrapScript, type HostSettings, settingsFileText, shippedScript } from '../../../lib/host/user-data';

const HERE = __dirname;

/**
 * The real AWS CLI's executable: the first on PATH, which the test setup chose (test/harness/tools.ts);
 * behind a pyenv shim, the program the shim runs, since through the shim every call costs a second more.
 */
const REAL_AWS = execFileSync(
  'bash',
  ['-c', 'aws=$(command -v aws) || exit 1; case $aws in */shims/aws) pyenv which aws 2>/dev/null || echo "$aws" ;; *) echo "$aws" ;; esac'],
  {
    encoding: 'utf8',
  },
).trim();

/**
 * At most this many scripts run at once. A test file starts all its scenarios together: on a
 * two-core machine dozens of bash and AWS CLI processes at once starve one another, and what a
 * scenario measures of itself ("fails in seconds", "gives up at its deadline") would measure the
 * crowd instead. A run's log starts when its slot does.
 */
const RUNS_AT_ONCE = 2 * os.availableParallelism();
let runsInProgress = 0;
const runsWaiting: (() => void)[] = [];

async function inRunSlot<T>(work: () => Promise<T>): Promise<T> {
  if (runsInProgress < RUNS_AT_ONCE) runsInProgress += 1;
  else await new Promise<void>((resolve) => runsWaiting.push(resolve));
  try {
    return await work();
  } finally {
    // The slot passes straight to the next waiting run, so that a newcomer cannot take it meanwhile.
    const next = runsWaiting.shift();
    if (next) next();
    else runsInProgress -= 1;
  }
}

/** How the stand-ins behave (see the files under test/host/sandbox/). */
export interface StandInBehaviour {
  readonly STANDIN_LOGIN?: 'ok' | 'reject';
  readonly STANDIN_SERVICE?: 'steady' | 'crashing';
  readonly STANDIN_APT?: 'ok' | 'offline' | 'locked-once';
  /** Whether apt has an awscli package: none on Ubuntu 24.04. */
  readonly STANDIN_AWSCLI_CANDIDATE?: 'yes' | 'none';
}

export interface BootOptions {
  /** Endpoint the AWS CLI (and the script's reachability probe) uses for every service. */
  readonly awsEndpoint: string;
  readonly imdsUrl: string;
  /** The CA that signs the release location's certificate: curl trusts it, as a host trusts the public CAs. */
  readonly caFile: string;
  /** The client certificate and key that the stand-in login writes, as Altinity.Cloud's would be. */
  readonly certificateFile: string;
  /** Arguments of the script, e.g. `watch`. @default none: the bootstrap */
  readonly args?: readonly string[];
  readonly standIns?: StandInBehaviour;
  /** Whether `uname -m` says aarch64. */
  readonly arm64?: boolean;
  /** Environment variables to set or change, e.g. a BOOTSTRAP_ path. */
  readonly environment?: Record<string, string>;
}

/** What one run of the script left behind. */
export interface BootRun {
  readonly exitCode: number | null;
  /** Standard output and error together, as cloud-init forwards them to the console. */
  readonly console: string;
  /** What this run added to the log file. */
  readonly log: string;
  /** Every stand-in call, in order: the command name, then its arguments. */
  readonly calls: readonly (readonly string[])[];
}

/**
 * A host's file system in a temporary directory: the script runs there with bash as on the host,
 * with its paths pointed into the directory and stand-ins first on PATH for the commands that would
 * touch the machine (apt-get, apt-cache, snap, systemctl, journalctl, update-ca-certificates). The
 * AWS CLI is absent until apt-get or snap installs it, as on an Ubuntu AMI; it is then the real AWS
 * CLI, recording its arguments. The script is the one the user data carries (without its comments),
 * installed where the user data installs it.
 */
export class HostSandbox {
  readonly root: string;
  private runs = 0;

  /** A host whose user data wrote `settings`: the tracked script then runs as it is, unchanged. */
  constructor(settings: HostSettings, options: { awsPreinstalled?: boolean } = {}) {
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), 'connect-host-'));
    for (const dir of ['installed-bin', 'home', 'var/log', 'etc/altinitycloud-connect', 'usr/local/lib/altinitycloud-connect']) {
      fs.mkdirSync(this.path(dir), { recursive: true });
    }
    fs.writeFileSync(path.join(this.configDir, 'settings'), settingsFileText({ ...settings }));
    fs.writeFileSync(this.scriptFile, shippedScript(bootstrapScript()));
    fs.writeFileSync(this.hostsFile, '127.0.0.1 localhost\n::1 ip6-localhost ip6-loopback\n');
    if (options.awsPreinstalled) fs.symlinkSync(path.join(HERE, 'packages/aws'), this.path('installed-bin/aws'));
  }

  path(relative: string): string {
    return path.join(this.root, relative);
  }

  get logFile(): string {
    return this.path('var/log/altinitycloud-connect-bootstrap.log');
  }
  get configDir(): string {
    return this.path('etc/altinitycloud-connect');
  }
  get binDir(): string {
    return this.path('usr/local/bin');
  }
  get systemdDir(): string {
    return this.path('etc/systemd/system');
  }
  get scriptFile(): string {
    return this.path('usr/local/lib/altinitycloud-connect/bootstrap.sh');
  }
  get hostsFile(): string {
    return this.path('etc/hosts');
  }
  /** Where the system trust store takes a CA of the user's (/usr/local/share/ca-certificates). */
  get caDir(): string {
    return this.path('usr/local/share/ca-certificates');
  }
  /** The system's CA bundle, as update-ca-certificates rebuilds it. */
  get caBundle(): string {
    return this.path('etc/ssl/certs/ca-certificates.crt');
  }

  /** Every file under the sandbox with its contents, except the stand-ins' call records. */
  files(): Map<string, string> {
    const files = new Map<string, string>();
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (entry.isFile() && !entry.name.startsWith('calls-')) files.set(path.relative(this.root, full), fs.readFileSync(full, 'utf8'));
      }
    };
    walk(this.root);
    return files;
  }

  /** Runs the script once, when one of the run slots is free. */
  run(options: BootOptions): Promise<BootRun> {
    return inRunSlot(() => this.runNow(options));
  }

  private async runNow(options: BootOptions): Promise<BootRun> {
    this.runs += 1;
    const record = this.path(`calls-${this.runs}`);
    fs.writeFileSync(record, '');
    const pathDirs = [path.join(HERE, 'standins'), ...(options.arm64 ? [path.join(HERE, 'arm64')] : []), this.path('installed-bin')];
    const env: Record<string, string> = {
      PATH: [...pathDirs, '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'].join(':'),
      HOME: this.path('home'),
      LANG: 'C.UTF-8',
      // On a host the AWS CLI takes the instance role's credentials from the metadata service.
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL: options.awsEndpoint,
      CURL_CA_BUNDLE: options.caFile,
      STANDIN_CERTIFICATE: options.certificateFile,
      BOOTSTRAP_STATUSCHECK_POLL_SECONDS: '1',
      BOOTSTRAP_LOG_FILE: this.logFile,
      BOOTSTRAP_CONFIG_DIR: this.configDir,
      BOOTSTRAP_BIN_DIR: this.binDir,
      BOOTSTRAP_SYSTEMD_DIR: this.systemdDir,
      BOOTSTRAP_IMDS_URL: options.imdsUrl,
      BOOTSTRAP_HOSTS_FILE: this.hostsFile,
      BOOTSTRAP_CA_DIR: this.caDir,
      BOOTSTRAP_CA_BUNDLE: this.caBundle,
      BOOTSTRAP_SETTLE_SECONDS: '0',
      BOOTSTRAP_APT_LOCK_PAUSE_SECONDS: '0',
      STANDIN_LIB: path.join(HERE, 'record.sh'),
      STANDIN_RECORD: record,
      STANDIN_STATE: this.root,
      STANDIN_INSTALL_DIR: this.path('installed-bin'),
      STANDIN_AWS_PACKAGE: path.join(HERE, 'packages/aws'),
      STANDIN_REAL_AWS: REAL_AWS,
      STANDIN_SYSTEM_CAS: options.caFile,
      ...options.standIns,
      ...options.environment,
    };
    const logBefore = this.readLog().length;
    const { exitCode, output } = await new Promise<{ exitCode: number | null; output: string }>((resolve, reject) => {
      const child = spawn('bash', [this.scriptFile, ...(options.args ?? [])], { env, cwd: this.root, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ exitCode: code, output }));
    });
    return {
      exitCode,
      console: output,
      log: this.readLog().slice(logBefore),
      calls: fs
        .readFileSync(record, 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => line.split('\x1f')),
    };
  }

  private readLog(): string {
    return fs.existsSync(this.logFile) ? fs.readFileSync(this.logFile, 'utf8') : '';
  }

  remove(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}
