import * as fs from 'node:fs';
import type * as http from 'node:http';
import type * as net from 'node:net';

/**
 * Test plumbing shared by the stand-in servers: they listen on Unix sockets in the run directory,
 * and a forwarder inside the host's network namespace gives each its address there
 * (169.254.169.254:80, 127.0.0.1:<port>); see network.ts.
 */

export function listenOnSocket(server: net.Server, socketPath: string): Promise<void> {
  fs.rmSync(socketPath, { force: true });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
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

/** Answers with the handler, or 500 with the error's message: a stand-in's bug shows in the host's log. */
export function handle(answer: (request: http.IncomingMessage, response: http.ServerResponse) => Promise<void> | void) {
  return (request: http.IncomingMessage, response: http.ServerResponse) => {
    Promise.resolve()
      .then(() => answer(request, response))
      .catch((error: Error) => {
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
        response.end(`stand-in error: ${error.message}`);
      });
  };
}
