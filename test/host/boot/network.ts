import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as net from 'node:net';
import { clientSettingsFor, type MotoServer, untilAnswering } from '../../support/moto-server';
import { deleteNetns, type RunDir } from './run-dir';
import { closeServer, trackConnections } from '../standins/http';

/**
 * Test plumbing: the hosts' network, a namespace of its own with only `lo` and no route out, so that
 * nothing a host does can leave it. Inside it: 169.254.169.254 on `lo`, moto_server on
 * 127.0.0.1:5000, and a forwarder that gives each stand-in server (which listen on Unix sockets in
 * the run directory) its address there. The tests reach moto_server through one more Unix socket,
 * bridged to a loopback port of their own; the namespace has no other door.
 */

/** Where each stand-in answers inside the namespace, as the host sees it. */
export const ADDRESSES = {
  metadata: { host: '169.254.169.254', port: 80 },
  awsEndpoint: { host: '127.0.0.1', port: 4566 },
  releases: { host: '127.0.0.1', port: 8443 },
  altinityCloud: { host: '127.0.0.1', port: 9443 },
  moto: { host: '127.0.0.1', port: 5000 },
} as const;

export type StandInName = Exclude<keyof typeof ADDRESSES, 'moto'>;

/** Copies bytes both ways between two sockets; run with `node -e` inside the namespace. */
const FORWARDER = `
const net = require('node:net');
const fs = require('node:fs');
const { inward, outward } = JSON.parse(process.argv[1]);
let pending = inward.length + outward.length;
const ready = () => { if (--pending === 0) process.stdout.write('ready\\n'); };
const fail = (error) => { console.error(error.message); process.exit(1); };
const join = (a, b) => {
  a.pipe(b); b.pipe(a);
  a.on('error', () => b.destroy()); b.on('error', () => a.destroy());
};
for (const { host, port, socket } of inward) {
  net.createServer((client) => join(client, net.connect(socket))).on('error', fail).listen(port, host, ready);
}
for (const { socket, host, port } of outward) {
  fs.rmSync(socket, { force: true });
  net.createServer((client) => join(client, net.connect(port, host))).on('error', fail).listen(socket, ready);
}
`;

export class HostNetwork {
  /** moto_server, as the tests reach it (through the bridge), in the shape the shared helpers take. */
  moto!: MotoServer;
  private readonly processes: ChildProcess[] = [];
  private readonly bridge = net.createServer();
  private readonly bridged = trackConnections(this.bridge);

  private constructor(
    readonly name: string,
    private readonly runDir: RunDir,
  ) {}

  /** The Unix socket on which a stand-in must listen to answer at its address in the namespace. */
  static socketFor(runDir: RunDir, standIn: StandInName): string {
    return runDir.path(`${standIn}.sock`);
  }

  /**
   * Creates the namespace, starts the forwarder and moto_server in it, and bridges moto_server to a
   * loopback port here. The stand-ins may start listening before or after: the forwarder connects
   * to their sockets per connection.
   */
  static async create(runDir: RunDir): Promise<HostNetwork> {
    const network = new HostNetwork(`hb-${runDir.id}`, runDir);
    try {
      await network.setUp();
      return network;
    } catch (error) {
      await network.stop();
      throw error;
    }
  }

  private async setUp(): Promise<void> {
    const { name, runDir } = this;
    runDir.registerNetns(name);
    execFileSync('ip', ['netns', 'add', name]);
    execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    execFileSync('ip', ['-n', name, 'addr', 'add', `${ADDRESSES.metadata.host}/32`, 'dev', 'lo']);

    const motoSocket = runDir.path('moto.sock');
    const inward = (Object.keys(ADDRESSES) as Array<keyof typeof ADDRESSES>)
      .filter((key): key is StandInName => key !== 'moto')
      .map((key) => ({ ...ADDRESSES[key], socket: HostNetwork.socketFor(runDir, key) }));
    const outward = [{ socket: motoSocket, ...ADDRESSES.moto }];
    const forwarder = this.start('forwarder', [process.execPath, '-e', FORWARDER, JSON.stringify({ inward, outward })]);
    await untilPrinted(forwarder, 'ready', 10_000);
    this.start('moto_server', [motoServerPath(), '-H', ADDRESSES.moto.host, '-p', String(ADDRESSES.moto.port)]);

    this.bridge.on('connection', (client) => {
      const upstream = net.connect(motoSocket);
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.bridge.listen(0, '127.0.0.1', resolve));
    const port = (this.bridge.address() as net.AddressInfo).port;
    const endpoint = `http://127.0.0.1:${port}`;
    this.moto = { ...clientSettingsFor(endpoint), port, stop: () => this.stop() };
    await untilAnswering(`${endpoint}/moto-api/`, 60_000, () => {
      const exited = this.processes.find((child) => child.exitCode !== null || child.signalCode !== null);
      return exited && `${describe(exited)} exited`;
    });
  }

  /** Runs a command inside the namespace, in a process group of its own, registered for the sweep. */
  private start(what: string, command: string[]): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', this.name, ...command], { cwd: this.runDir.path('.'), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid) this.runDir.registerProcess(child.pid, what);
    let output = '';
    const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    Object.assign(child, { what, output: () => output });
    this.processes.push(child);
    return child;
  }

  /** Stops moto_server and the forwarder (by their process groups), closes the bridge, deletes the namespace. */
  async stop(): Promise<void> {
    await Promise.all(this.processes.map((child) => stopProcess(child, this.runDir)));
    await closeServer(this.bridge, this.bridged);
    deleteNetns(this.name);
    this.runDir.forgetNetns(this.name);
  }
}

/** moto_server's own executable: through a pyenv shim each start would cost a second more. */
function motoServerPath(): string {
  return execFileSync('bash', ['-c', '{ command -v pyenv >/dev/null && pyenv which moto_server; } 2>/dev/null || command -v moto_server'], {
    encoding: 'utf8',
  }).trim();
}

function untilPrinted(child: ChildProcess, text: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`${describe(child)} printed no '${text}' within ${timeoutMs} ms`)), timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(text)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`${describe(child)} exited before printing '${text}'`));
    });
  });
}

function describe(child: ChildProcess): string {
  const { what, output } = child as ChildProcess & { what?: string; output?: () => string };
  return `${what ?? 'process'} (pid ${child.pid})${output ? `: ${output().trim().split('\n').slice(-5).join('\n')}` : ''}`;
}

/** SIGTERM to the process group, SIGKILL after 5 s. */
export async function stopProcess(child: ChildProcess, runDir: RunDir): Promise<void> {
  const pid = child.pid;
  if (!pid) return;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }, 5_000);
    await exited;
    clearTimeout(timer);
  }
  // The group may outlive its leader (a child that ignored SIGTERM): the sweep would find nothing, make sure.
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Gone, as expected.
  }
  runDir.forgetProcess(pid);
}
