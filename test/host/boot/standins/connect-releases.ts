import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ReleaseLocation } from '../../standins/release-location';

/**
 * The release download as the real boot meets it (github.com/altinity/altinitycloud-connect/releases/download),
 * at https://127.0.0.1:8443 inside the host's namespace, with a certificate of the test CA. It
 * serves the stand-in binary (altinitycloud-connect.sh) under one base URL per behaviour, laid out
 * as the real releases are: <base>/v<version>/altinitycloud-connect-<version>-linux-<arch>. A stack's
 * ConnectDownloadUrl parameter names the base, and its ConnectSha256 the served file's checksum.
 */

export type ServiceBehaviour = 'steady' | 'crashing';

const STAND_IN = fs.readFileSync(path.join(__dirname, 'altinitycloud-connect.sh'), 'utf8');
const RELEASE_PATH = /^\/(steady|crashing)\/v([0-9.]+)\/altinitycloud-connect-([0-9.]+)-linux-(amd64|arm64)$/;

export class ConnectReleases extends ReleaseLocation {
  private readonly binaries: Record<ServiceBehaviour, Buffer>;

  constructor(
    private readonly address: string,
    altinityUrl: string,
  ) {
    const binary = (service: ServiceBehaviour) => Buffer.from(STAND_IN.replaceAll('@@ALTINITY_URL@@', altinityUrl).replaceAll('@@SERVICE@@', service));
    const binaries = { steady: binary('steady'), crashing: binary('crashing') };
    super((requested) => {
      const match = RELEASE_PATH.exec(requested);
      return match && match[2] === match[3] ? binaries[match[1] as ServiceBehaviour] : undefined;
    });
    this.binaries = binaries;
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
