import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Stands in for the public CAs behind github.com (the release download) and Altinity.Cloud, and for
 * Altinity.Cloud's own client-certificate authority: a test CA made with openssl for this run only.
 * The host trusts it through its system CA bundle (see hostCaBundle), as it trusts the real ones.
 */
export interface TestCa {
  readonly caCert: string;
  /** For the stand-in servers at https://127.0.0.1:<port>. */
  readonly server: { cert: string; key: string };
  /** What the Altinity.Cloud stand-in hands out at login: certificate and key in one PEM, as cloud-connect.pem. */
  readonly clientPem: string;
}

export function createTestCa(dir: string, clientName: string): TestCa {
  fs.mkdirSync(dir, { recursive: true });
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const newKey = (name: string) => openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file(name));

  newKey('ca.key');
  openssl('req', '-x509', '-new', '-key', 'ca.key', '-days', '2', '-subj', '/CN=altinity-connect host-boot test CA', '-out', 'ca.pem',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');

  const issue = (name: string, subject: string, extensions: string) => {
    newKey(`${name}.key`);
    openssl('req', '-new', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`);
    fs.writeFileSync(file(`${name}.ext`), extensions);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2',
      '-extfile', `${name}.ext`, '-out', `${name}.pem`);
  };
  issue('server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  issue('client', `/CN=${clientName}`, 'extendedKeyUsage=clientAuth\n');

  const read = (name: string) => fs.readFileSync(file(name), 'utf8');
  return {
    caCert: read('ca.pem'),
    server: { cert: read('server.pem'), key: read('server.key') },
    clientPem: read('client.pem') + read('client.key'),
  };
}

/** The root file system's CA bundle with the test CA appended: bound over the host's own bundle. */
export function hostCaBundle(rootfs: string, ca: TestCa, out: string): string {
  const bundle = fs.readFileSync(path.join(rootfs, 'etc/ssl/certs/ca-certificates.crt'), 'utf8');
  fs.writeFileSync(out, `${bundle.trimEnd()}\n${ca.caCert}`);
  return out;
}
