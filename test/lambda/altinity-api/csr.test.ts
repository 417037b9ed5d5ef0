import { spawnSync } from 'node:child_process';
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { certificateBundle, certificateRequest } from '../../../lambda/altinity-api/csr';
import { ALTINITY_API_FAILURES as FAILURE } from '../../../lambda/altinity-api/failures';
import { signedByTestCa } from '../../support/altinity-cloud-api';
import { createTestCa, type TestCa } from '../../support/test-ca';

/**
 * The environment's certificate request and the connector's certificate file
 * (lambda/altinity-api/csr.ts). The real openssl reads and verifies the request, as Altinity.Cloud's
 * `/sign` would; the test CA (support/test-ca.ts, through the stand-in's signedByTestCa) stands in
 * for the CA that signs it. The production key size (4096 bits) is made once; the other keys are
 * 2048 bits, for speed.
 */

const ENV = 'acme-prod';

/** openssl's reading of a request: its text, and its verdict on the signature (stderr). */
function opensslRead(csrPem: string, ...options: string[]) {
  const openssl = spawnSync('openssl', ['req', '-verify', '-noout', ...options], { input: csrPem, encoding: 'utf8' });
  return { status: openssl.status, text: openssl.stdout, verdict: openssl.stderr };
}

let ca: TestCa;
let request: { privateKey: KeyObject; csrPem: string };

beforeAll(async () => {
  ca = createTestCa();
  request = await certificateRequest(ENV);
});

afterAll(() => ca.remove());

describe('certificateRequest', () => {
  test('makes a 4096-bit RSA key and a request openssl verifies, subject exactly CN=<env>, SHA256withRSA, no attributes', () => {
    expect(request.privateKey.asymmetricKeyType).toBe('rsa');
    expect(request.privateKey.asymmetricKeyDetails?.modulusLength).toBe(4096);
    expect(request.csrPem).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----\n([A-Za-z0-9+/=]{64}\n)+[A-Za-z0-9+/=]{1,64}\n-----END CERTIFICATE REQUEST-----\n$/);
    const read = opensslRead(request.csrPem, '-text', '-subject', '-nameopt', 'RFC2253');
    expect(read.status).toBe(0);
    expect(read.verdict).toMatch(/verify OK/);
    expect(read.text).toMatch(/^subject=CN=acme-prod$/m);
    expect(read.text).toMatch(/Public-Key: \(4096 bit\)/);
    expect(read.text).toMatch(/Signature Algorithm: sha256WithRSAEncryption/);
    expect(read.text).toMatch(/Attributes:\s+\(none\)/);
  });

  test('writes the name as a PrintableString when it can, else as a UTF8String, as Go does', async () => {
    const asn1 = (csrPem: string) => spawnSync('openssl', ['asn1parse'], { input: csrPem, encoding: 'utf8' }).stdout;
    expect(asn1(request.csrPem)).toMatch(/PRINTABLESTRING\s+:acme-prod/);
    const underscored = await certificateRequest('acme_prod', 2048);
    expect(asn1(underscored.csrPem)).toMatch(/UTF8STRING\s+:acme_prod/);
    expect(opensslRead(underscored.csrPem).verdict).toMatch(/verify OK/);
  });

  test("openssl's verdict tells a tampered request", () => {
    const der = Buffer.from(request.csrPem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    der[der.length - 10] ^= 1;
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    expect(opensslRead(tampered).verdict).not.toMatch(/verify OK/);
  });
});

describe('certificateBundle', () => {
  let certificatePem: string;

  beforeAll(() => {
    certificatePem = signedByTestCa(ca, request.csrPem);
  });

  test('is the certificate, then the key in PKCS#1, as the connector reads cloud-connect.pem', () => {
    const bundle = certificateBundle(ENV, certificatePem, request.privateKey);
    expect(bundle).toBe(`${certificatePem.trim()}\n${request.privateKey.export({ type: 'pkcs1', format: 'pem' })}`);
    expect(bundle).toMatch(/-----END CERTIFICATE-----\n-----BEGIN RSA PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+\n-----END RSA PRIVATE KEY-----\n$/);
    const key = createPrivateKey(bundle.slice(bundle.indexOf('-----BEGIN RSA PRIVATE KEY-----')));
    expect(new X509Certificate(bundle).checkPrivateKey(key)).toBe(true);
  });

  test('refuses a certificate for another environment', async () => {
    const other = await certificateRequest('acme-other', 2048);
    expect(() => certificateBundle(ENV, signedByTestCa(ca, other.csrPem), other.privateKey)).toThrow(
      expect.objectContaining({ code: FAILURE.certificateInvalid, message: expect.stringMatching(/names CN=acme-other, not CN=acme-prod/) }),
    );
  });

  test('refuses a certificate for another key', async () => {
    const other = await certificateRequest(ENV, 2048);
    expect(() => certificateBundle(ENV, signedByTestCa(ca, other.csrPem), request.privateKey)).toThrow(
      expect.objectContaining({ code: FAILURE.certificateInvalid, message: expect.stringMatching(/not for the key of the request/) }),
    );
  });

  test('refuses what is not a certificate', () => {
    expect(() => certificateBundle(ENV, 'Internal Server Error', request.privateKey)).toThrow(
      expect.objectContaining({ code: FAILURE.certificateInvalid, message: expect.stringMatching(/not a readable X.509 certificate/) }),
    );
  });

  test('refuses a certificate not valid yet, allowing 5 minutes of clock skew, or expired', () => {
    const certificate = new X509Certificate(certificatePem);
    const notBefore = Date.parse(certificate.validFrom);
    const notAfter = Date.parse(certificate.validTo);
    expect(() => certificateBundle(ENV, certificatePem, request.privateKey, notBefore - 4 * 60_000)).not.toThrow();
    expect(() => certificateBundle(ENV, certificatePem, request.privateKey, notBefore - 6 * 60_000)).toThrow(
      expect.objectContaining({ code: FAILURE.certificateInvalid, message: expect.stringMatching(/is valid only from/) }),
    );
    expect(() => certificateBundle(ENV, certificatePem, request.privateKey, notAfter)).toThrow(
      expect.objectContaining({ code: FAILURE.certificateInvalid, message: expect.stringMatching(/expired on/) }),
    );
  });
});
