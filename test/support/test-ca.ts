import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * A certificate authority of the tests' own, made with the real openssl: it stands in for the public
 * CAs that sign a release mirror's or Altinity.Cloud's certificate, and for Altinity.Cloud's own
 * client-certificate authority. Clients trust it through a file (`CURL_CA_BUNDLE`, a trust store, the
 * real-boot hosts' system bundle), never by switching verification off. Used by the bootstrap
 * sandbox (`npm test`) and the real-boot harness (`npm run test:host`).
 */
export interface TestCa {
  /** PEM file of the CA certificate, for a client's trust store. */
  readonly caFile: string;
  /** The CA certificate itself, for a server that checks client certificates. */
  caPem(): Buffer;
  /** A server certificate and key for `hosts` (IP addresses or names), signed by the CA. */
  serverCertificate(hosts: readonly string[]): { readonly cert: Buffer; readonly key: Buffer };
  /** A client certificate and key (one PEM holding both), signed by the CA. */
  clientCertificate(commonName: string): Buffer;
  remove(): void;
}

/**
 * Makes the CA, whose certificate is named `name`, in a new directory under `parentDir` (the
 * system's temporary directory by default).
 */
export function createTestCa(options: { name?: string; parentDir?: string } = {}): TestCa {
  const dir = fs.mkdtempSync(path.join(options.parentDir ?? os.tmpdir(), 'test-ca-'));
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=${options.name ?? 'altinity-connect test CA'}`,
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.pem'),
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  let serial = 0;
  const issue = (name: string, subject: string, extensions: string): void => {
    openssl(
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-subj',
      subject,
      '-keyout',
      file(`${name}.key`),
      '-out',
      file(`${name}.csr`),
    );
    fs.writeFileSync(file(`${name}.ext`), extensions);
    openssl(
      'x509',
      '-req',
      '-in',
      file(`${name}.csr`),
      '-CA',
      file('ca.pem'),
      '-CAkey',
      file('ca.key'),
      '-set_serial',
      String(++serial),
      '-days',
      '2',
      '-extfile',
      file(`${name}.ext`),
      '-out',
      file(`${name}.pem`),
    );
  };
  return {
    caFile: file('ca.pem'),
    caPem: () => fs.readFileSync(file('ca.pem')),
    serverCertificate(hosts) {
      const name = `server-${serial + 1}`;
      const alternativeNames = hosts.map((host) => (/^[\d.]+$/.test(host) ? `IP:${host}` : `DNS:${host}`)).join(',');
      issue(name, `/CN=${hosts[0]}`, `subjectAltName=${alternativeNames}\nextendedKeyUsage=serverAuth\n`);
      return { cert: fs.readFileSync(file(`${name}.pem`)), key: fs.readFileSync(file(`${name}.key`)) };
    },
    clientCertificate(commonName) {
      const name = `client-${serial + 1}`;
      issue(name, `/CN=${commonName}`, 'extendedKeyUsage=clientAuth\n');
      return Buffer.concat([fs.readFileSync(file(`${name}.pem`)), fs.readFileSync(file(`${name}.key`))]);
    },
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
