import { randomUUID } from 'node:crypto';
import type * as https from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { TestCa } from '../../support/test-ca';
import { type Answer, readBody } from './http';

/**
 * Stands in for Altinity.Cloud, as far as a host meets it: at https://127.0.0.1:9443 inside the
 * real-boot host's namespace, beside the release location in the sandbox (TLS with a certificate of
 * the test CA, `serverTls`):
 * - `POST /login` (token=...): what `altinitycloud-connect login --token=T` calls. A token issued for
 *   an environment (`issueToken`) gets that environment's certificate and key (cloud-connect.pem,
 *   a client certificate of the test CA whose subject CN is the environment's name); any other 401.
 *   The sandbox's stand-in binary logs in without asking: there, only statuscheck is asked.
 * - `GET /connect`: what the real boot's stand-in binary's service mode calls once it runs, as the
 *   real tunnel connects; it needs the client certificate.
 * - `GET /statuscheck?connected` and `GET /statuscheck`: Altinity's readiness check (peers.md
 *   section 3). They need the client certificate and answer, for the environment it names, the
 *   bodies set by `answerStatuscheck` (`OK` when connected or ready, the default), which a test may
 *   switch while a host runs.
 * Every request is recorded with the environment of its client certificate; a request without a
 * valid client certificate gets 401 where one is needed. Any client certificate the test CA signed
 * names its environment by its CN, whether login issued it or not: one that the API stand-in's
 * `/sign` issued (test/support/altinity-cloud-api.ts, same CA) is that environment's too.
 */

export interface AltinityRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  /** Subject CN of a client certificate that the test CA signed (the environment), if the request carried one. */
  readonly clientCertificate?: string;
  readonly status: number;
  readonly body: string;
  readonly at: number;
}

interface StatuscheckBodies {
  readonly connected: string;
  readonly ready: string;
}

export class AltinityCloud {
  readonly requests: AltinityRequest[] = [];
  /** Token → environment name. */
  private readonly tokens = new Map<string, string>();
  /** Environment name → its cloud-connect.pem (certificate and key). */
  private readonly certificates = new Map<string, string>();
  private readonly statuschecks = new Map<string, StatuscheckBodies>();

  constructor(private readonly ca: TestCa) {}

  /** The TLS settings of a server that answers for it: its `certificate`, and a request for the client's. */
  serverTls(certificate: { readonly cert: Buffer; readonly key: Buffer }): https.ServerOptions {
    return { ...certificate, ca: [this.ca.caPem()], requestCert: true, rejectUnauthorized: false };
  }

  /**
   * A token from the Connection Setup panel of `environment`, which login accepts. The environment's
   * certificate is issued now (openssl), not while a host waits for its login.
   */
  issueToken(environment: string): string {
    const token = `boot-token-${randomUUID()}`;
    this.tokens.set(token, environment);
    this.certificateOf(environment);
    return token;
  }

  /** The environment's cloud-connect.pem, as login hands it out (issued on first use). */
  certificateOf(environment: string): string {
    let pem = this.certificates.get(environment);
    if (!pem) {
      pem = this.ca.clientCertificate(environment).toString();
      this.certificates.set(environment, pem);
    }
    return pem;
  }

  /**
   * What statuscheck answers the environment from now on (`OK`, or anything else for "not yet", ''
   * for an empty answer); by default `OK` to both.
   */
  answerStatuscheck(environment: string, bodies: Partial<StatuscheckBodies>): void {
    this.statuschecks.set(environment, { ...this.statuscheckOf(environment), ...bodies });
  }

  /** Recorded requests to one path, for one environment (by client certificate) when given. */
  requestsTo(path: string, environment?: string): AltinityRequest[] {
    return this.requests.filter((request) => request.path === path && (environment === undefined || request.clientCertificate === environment));
  }

  readonly answer: Answer = async (request, response) => {
    const url = new URL(request.url ?? '/', 'https://altinity.cloud.stand-in');
    const socket = request.socket as TLSSocket;
    const clientCertificate = socket.authorized ? String(socket.getPeerCertificate()?.subject?.CN ?? '') : undefined;
    const body = (await readBody(request)).toString();
    const reply = (status: number, text: string) => {
      this.requests.push({
        method: request.method ?? 'GET',
        path: url.pathname,
        query: url.search.slice(1),
        clientCertificate,
        status,
        body: text,
        at: Date.now(),
      });
      response.writeHead(status, { 'content-type': 'text/plain' }).end(text);
    };
    if (url.pathname === '/login' && request.method === 'POST') {
      const environment = this.tokens.get(new URLSearchParams(body).get('token') ?? '');
      if (environment === undefined) return reply(401, 'invalid or expired token');
      return reply(200, this.certificateOf(environment));
    }
    if (url.pathname === '/connect' || url.pathname === '/statuscheck') {
      if (clientCertificate === undefined) return reply(401, 'client certificate required');
      if (url.pathname === '/connect') return reply(200, 'connected');
      const bodies = this.statuscheckOf(clientCertificate);
      return reply(200, url.searchParams.has('connected') ? bodies.connected : bodies.ready);
    }
    reply(404, 'not found');
  };

  private statuscheckOf(environment: string): StatuscheckBodies {
    return this.statuschecks.get(environment) ?? { connected: 'OK', ready: 'OK' };
  }
}
