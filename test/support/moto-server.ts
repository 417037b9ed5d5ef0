/**
 * Stands in for an AWS account: a moto_server emulator per test file, and the settings that point
 * SDK clients and child processes at it.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/** A running `moto_server` on a free loopback port, and the environment that points AWS clients at it. */
export interface MotoServer {
  readonly endpoint: string;
  readonly port: number;
  /** Variables for a child process or SDK client: endpoint, dummy credentials, region. */
  readonly env: Record<string, string>;
  /** Settings for an AWS SDK client in this process. */
  readonly clientConfig: { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } };
  stop(): Promise<void>;
}

export const TEST_REGION = 'us-east-1';

async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Longest one readiness probe may wait for an answer before the next is sent. */
const PROBE_TIMEOUT_MS = 5_000;

/**
 * Polls `url` until it answers with a status below 500. Each probe has a deadline of its own: a
 * probe sent while the server was still starting can go unanswered for good (the real-boot
 * harness's, through its forwarders, beside a busy `npm test`), and one such probe would otherwise
 * hang the whole wait. `gone` says why waiting is pointless (the server exited), or nothing.
 */
export async function untilAnswering(url: string, timeoutMs: number, gone: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const reason = gone();
    if (reason) throw new Error(reason);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(Math.min(PROBE_TIMEOUT_MS, Math.max(deadline - Date.now(), 1))) });
      await response.body?.cancel();
      if (response.status < 500) return;
    } catch {
      // Not answering yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

/** What points a child process (`env`) or an SDK client (`clientConfig`) at the moto_server on `endpoint`. */
export function clientSettingsFor(endpoint: string): Pick<MotoServer, 'endpoint' | 'env' | 'clientConfig'> {
  return {
    endpoint,
    env: {
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_SESSION_TOKEN: '',
      AWS_REGION: TEST_REGION,
      AWS_DEFAULT_REGION: TEST_REGION,
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    clientConfig: { endpoint, region: TEST_REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } },
  };
}

/** Starts test/support/one-request-at-a-time.js before moto_server's port, and gives the front's. */
async function startFront(motoPort: number): Promise<{ port: number; stop: () => Promise<void> }> {
  const front = spawn(process.execPath, [path.join(__dirname, 'one-request-at-a-time.js'), String(motoPort)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => front.once('exit', () => resolve()));
  // The front exits when its stdin closes; waiting for it leaves the test's worker no open pipe.
  const stop = () => {
    if (front.exitCode === null && front.signalCode === null) front.stdin?.end();
    return exited;
  };
  const port = await new Promise<number>((listening, failed) => {
    let said = '';
    front.stdout?.on('data', (chunk: Buffer) => {
      said += chunk.toString();
      const port = /^listening (\d+)\n/.exec(said)?.[1];
      if (port) listening(Number(port));
    });
    front.once('exit', (code) => failed(new Error(`the front before moto_server exited with code ${code} before listening`)));
  });
  return { port, stop };
}

/**
 * Starts `moto_server` (see ../shared/ENVIRONMENT.md) on a free loopback port, behind a front that
 * passes it one request at a time (one-request-at-a-time.js says why), and waits until it answers. Each call gets its own server, so
 * test files stay independent.
 */
export async function startMotoServer(): Promise<MotoServer> {
  const motoPort = await freeLoopbackPort();
  // moto_server writes files (its request recording) into its working directory: one of its own, never the checkout.
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'moto-server-'));
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(motoPort)], { cwd: workDir, stdio: ['ignore', 'ignore', 'pipe'] });
  child.once('exit', () => fs.rmSync(workDir, { recursive: true, force: true }));
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  let front: Awaited<ReturnType<typeof startFront>> | undefined;
  try {
    front = await startFront(motoPort);
    await untilAnswering(`http://127.0.0.1:${front.port}/moto-api/`, 30_000, () =>
      child.exitCode === null ? undefined : `moto_server exited with code ${child.exitCode} before answering`,
    );
  } catch (error) {
    child.kill('SIGKILL');
    await front?.stop();
    throw new Error(`${(error as Error).message}\n${stderr}`);
  }
  const { port, stop: stopFront } = front;
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    ...clientSettingsFor(endpoint),
    port,
    stop: async () => {
      const motoExited = new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
      await Promise.all([stopFront(), motoExited]);
    },
  };
}
