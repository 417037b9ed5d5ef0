import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type * as net from 'node:net';

/**
 * Test plumbing shared by the stand-ins of both host harnesses. A stand-in is what it answers (an
 * `Answer`); a StandInServer serves that, on a Unix socket in the real-boot harness (a forwarder in
 * the host's namespace gives each its address there, see boot/network.ts), on a loopback port in the
 * sandbox, where one server may answer for several stand-ins.
 */

/** How a stand-in answers one request. */
export type Answer = (request: http.IncomingMessage, response: http.ServerResponse) => Promise<void> | void;

export class StandInServer {
  private readonly server: http.Server | https.Server;

  /** Over HTTPS with `tls`, else over plain HTTP. */
  constructor(answer: Answer, tls?: https.ServerOptions) {
    this.server = tls ? https.createServer(tls, handle(answer)) : http.createServer(handle(answer));
  }

  /** On the Unix socket `socketPath`; without one, on a free loopback port. */
  listen(socketPath?: string): Promise<void> {
    if (socketPath !== undefined) fs.rmSync(socketPath, { force: true });
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      const listening = () => {
        this.server.off('error', reject);
        resolve();
      };
      if (socketPath === undefined) this.server.listen(0, '127.0.0.1', listening);
      else this.server.listen(socketPath, listening);
    });
  }

  /** `127.0.0.1:<port>`, once listening on loopback. */
  get address(): string {
    return `127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }
}

/** Closes the server and every connection it holds; keep-alive connections would hold close() open. */
export function closeServer(server: net.Server, connections?: Set<net.Socket>): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    (server as http.Server).closeAllConnections?.();
    for (const socket of connections ?? []) socket.destroy();
  });
}

/** The open connections of a plain net.Server, for closeServer. */
export function trackConnections(server: net.Server): Set<net.Socket> {
  const connections = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
  });
  return connections;
}

export function readBody(request: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** Answers with the stand-in, or 500 with the error's message: a stand-in's bug shows in the host's log. */
function handle(answer: Answer) {
  return (request: http.IncomingMessage, response: http.ServerResponse) => {
    Promise.resolve()
      .then(() => answer(request, response))
      .catch((error: Error) => {
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
        response.end(`stand-in error: ${error.message}`);
      });
  };
}
