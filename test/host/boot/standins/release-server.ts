import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import { closeServer, handle, listenOnSocket } from './http';

/**
 * Stands in for the release download (github.com/altinity/altinitycloud-connect/releases/download)
 * at https://127.0.0.1:8443 inside the host's namespace, with a certificate of the test CA. It
 * serves the stand-in binary (altinitycloud-connect.sh) under one base URL per behaviour, laid out
 * as the real releases are: <base>/v<version>/altinitycloud-connect-<version>-linux-<arch>. A stack's
 * ConnectDownloadUrl parameter names the base, and its ConnectSha256 the served file's checksum.
 */

export type ServiceBehaviour = 'steady' | 'crashing';

const STAND_IN = fs.readFileSync(path.join(__dirname, 'altinitycloud-connect.sh'), 'utf8');

export class ReleaseServer {
  /** Downloads, in order: path and when (ms since the epoch). */
  readonly downloads: { path: string; at: number }[] = [];
  private readonly server: https.Server;
  private readonly binaries: Record<ServiceBehaviour, Buffer>;

  constructor(tls: { readonly cert: Buffer; readonly key: Buffer }, private readonly address: string, altinityUrl: string) {
    const binary = (service: ServiceBehaviour) => Buffer.from(STAND_IN.replaceAll('@@ALTINITY_URL@@', altinityUrl).replaceAll('@@SERVICE@@', service));
    this.binaries = { steady: binary('steady'), crashing: binary('crashing') };
    this.server = https.createServer(tls, handle((request, response) => {
      const url = request.url ?? '/';
      const match = /^\/(steady|crashing)\/v([0-9.]+)\/altinitycloud-connect-([0-9.]+)-linux-(amd64|arm64)$/.exec(url);
      if (request.method !== 'GET' || !match || match[2] !== match[3]) return void response.writeHead(404).end('Not Found');
      this.downloads.push({ path: url, at: Date.now() });
      response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(this.binaries[match[1] as ServiceBehaviour]);
    }));
  }

  async listen(socketPath: string): Promise<void> {
    await listenOnSocket(this.server, socketPath);
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }

  /** The ConnectDownloadUrl of releases whose service behaves so. */
  baseUrl(service: ServiceBehaviour): string {
    return `${this.address}/${service}`;
  }

  /** The ConnectSha256 of that release's binary. */
  sha256(service: ServiceBehaviour): string {
    return createHash('sha256').update(this.binaries[service]).digest('hex');
  }
}
