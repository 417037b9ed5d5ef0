import * as https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { closeServer, handle, listenOnSocket, readBody } from './http';
import type { TestCa } from './test-ca';

/**
 * Stands in for Altinity.Cloud, as far as a host meets it, at https://127.0.0.1:9443 inside the
 * host's namespace (TLS with a certificate of the test CA):
 * - `POST /login` (token=...): what `altinitycloud-connect login --token=T` calls. An accepted token
 *   gets the environment's certificate and key (cloud-connect.pem); any other 401.
 * - `GET /connect`: what the stand-in binary's service mode calls once it runs, as the real tunnel
 *   connects; it needs the client certificate.
 * - `GET /statuscheck?connected` and `GET /statuscheck`: Altinity's readiness check (peers.md
 *   section 3). They need the client certificate and answer the bodies set by `answerStatuscheck`
 *   (`OK` when connected or ready), which a test may switch while a host runs.
 * Every request is recorded; a request without a valid client certificate gets 401 where one is needed.
 */

export interface AltinityRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  /** Subject CN of a client certificate that the test CA signed, if the request carried one. */
  readonly clientCertificate?: string;
  readonly status: number;
  readonly body: string;
  readonly at: number;
}

export class AltinityCloud {
  readonly requests: AltinityRequest[] = [];
  private readonly acceptedTokens = new Set<string>();
  private statuscheck = { connected: 'OK', ready: 'OK' };
  private readonly server: https.Server;

  constructor(private readonly ca: TestCa) {
    this.server = https.createServer(
      { cert: ca.server.cert, key: ca.server.key, ca: [ca.caCert], requestCert: true, rejectUnauthorized: false },
      handle((request, response) => this.answer(request, response)),
    );
  }

  async listen(socketPath: string): Promise<void> {
    await listenOnSocket(this.server, socketPath);
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }

  /** A token from the Connection Setup panel that login accepts. */
  acceptToken(token: string): void {
    this.acceptedTokens.add(token);
  }

  /** What statuscheck answers from now on (`OK`, or anything else for "not yet", '' for an empty answer). */
  answerStatuscheck(bodies: Partial<{ connected: string; ready: string }>): void {
    this.statuscheck = { ...this.statuscheck, ...bodies };
  }

  /** Recorded requests to one path. */
  requestsTo(path: string): AltinityRequest[] {
    return this.requests.filter((request) => request.path === path);
  }

  private async answer(request: import('node:http').IncomingMessage, response: import('node:http').ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'https://altinity.cloud.stand-in');
    const socket = request.socket as TLSSocket;
    const clientCertificate = socket.authorized ? String(socket.getPeerCertificate()?.subject?.CN ?? '') : undefined;
    const body = (await readBody(request)).toString();
    const reply = (status: number, text: string) => {
      this.requests.push({ method: request.method ?? 'GET', path: url.pathname, query: url.search.slice(1), clientCertificate, status, body: text, at: Date.now() });
      response.writeHead(status, { 'content-type': 'text/plain' }).end(text);
    };
    if (url.pathname === '/login' && request.method === 'POST') {
      const token = new URLSearchParams(body).get('token') ?? '';
      if (!this.acceptedTokens.has(token)) return reply(401, 'invalid or expired token');
      return reply(200, this.ca.clientPem);
    }
    if (url.pathname === '/connect' || url.pathname === '/statuscheck') {
      if (clientCertificate === undefined) return reply(401, 'client certificate required');
      if (url.pathname === '/connect') return reply(200, 'connected');
      return reply(200, url.searchParams.has('connected') ? this.statuscheck.connected : this.statuscheck.ready);
    }
    reply(404, 'not found');
  }
}
