/**
 * Stands in for the internet while a command runs: an HTTP proxy on loopback that forwards nothing
 * and records every request that reaches it. A child process given it as HTTPS_PROXY/HTTP_PROXY
 * (with loopback, where the emulator is, excepted) cannot reach anything outside the machine through
 * a client that honours the proxy settings, and the test can tell that it tried and where.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface NetworkTripwire {
  /** The variables that send a child's outbound HTTP(S) here. */
  readonly env: Record<string, string>;
  /** What reached the tripwire so far: `CONNECT host:port` or `METHOD url`. */
  readonly attempts: readonly string[];
  stop(): Promise<void>;
}

export async function startNetworkTripwire(): Promise<NetworkTripwire> {
  const attempts: string[] = [];
  const server = http.createServer((request, response) => {
    attempts.push(`${request.method} ${request.url}`);
    response.writeHead(403).end('the tests allow no connection outside this machine\n');
  });
  server.on('connect', (request, socket) => {
    attempts.push(`CONNECT ${request.url}`);
    socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxy = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const loopback = '127.0.0.1,localhost,::1';
  return {
    env: { HTTPS_PROXY: proxy, https_proxy: proxy, HTTP_PROXY: proxy, http_proxy: proxy, NO_PROXY: loopback, no_proxy: loopback },
    attempts,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
