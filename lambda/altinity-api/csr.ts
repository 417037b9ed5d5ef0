import { generateKeyPair, type KeyObject, sign, X509Certificate } from 'node:crypto';
import { promisify } from 'node:util';
import { CodedFailure } from '../../lib/shared/failures';
import { ALTINITY_API_FAILURES as FAILURE } from './failures';

/**
 * The environment's certificate as Altinity's Terraform provider obtains it: an RSA key made here,
 * which never leaves, and a PKCS#10 request that `POST /sign` answers with the certificate. Node has
 * no request builder, and a dependency would cost the inlined bundle more than these few DER lines.
 */

/** A certificate's start may lie this far ahead of our clock: `/sign` dates it by Altinity's. */
const CLOCK_SKEW_MS = 5 * 60_000;

/** DER of one element: `tag`, then the length of `content` (< 64 KiB), then `content`. */
function der(tag: number, ...content: Uint8Array[]): Buffer {
  const body = Buffer.concat(content);
  const n = body.length;
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...length]), body]);
}

const SEQUENCE = 0x30;
const SET = 0x31;
const VERSION_1 = Buffer.from([0x02, 0x01, 0x00]);
const COMMON_NAME_OID = Buffer.from([0x06, 0x03, 0x55, 0x04, 0x03]); // 2.5.4.3
const SHA256_WITH_RSA = Buffer.from([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00]); // 1.2.840.113549.1.1.11, NULL
const NO_ATTRIBUTES = Buffer.from([0xa0, 0x00]);

/**
 * A new RSA key and a request, subject exactly `CN=<envName>`, no attributes, signed SHA256withRSA, as
 * the provider's. The name is a PrintableString when it can be, as Go writes it, else a UTF8String.
 */
export async function certificateRequest(envName: string, modulusLength = 4096): Promise<{ readonly privateKey: KeyObject; readonly csrPem: string }> {
  const { privateKey, publicKey } = await promisify(generateKeyPair)('rsa', { modulusLength });
  const nameTag = /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(envName) ? 0x13 : 0x0c;
  const subject = der(SEQUENCE, der(SET, der(SEQUENCE, COMMON_NAME_OID, der(nameTag, Buffer.from(envName)))));
  const info = der(SEQUENCE, VERSION_1, subject, publicKey.export({ type: 'spki', format: 'der' }), NO_ATTRIBUTES);
  const request = der(SEQUENCE, info, der(SEQUENCE, SHA256_WITH_RSA), der(0x03, Buffer.from([0]), sign('sha256', info, privateKey)));
  const lines = request.toString('base64').match(/.{1,64}/g) ?? [];
  return { privateKey, csrPem: `-----BEGIN CERTIFICATE REQUEST-----\n${lines.join('\n')}\n-----END CERTIFICATE REQUEST-----\n` };
}

/**
 * The connector's `cloud-connect.pem`: the certificate `/sign` answered, then the key in PKCS#1, as
 * the provider writes it; but only once the certificate names `envName`, belongs to `privateKey` and
 * is valid at `now`, where the provider checks nothing.
 */
export function certificateBundle(envName: string, certificatePem: string, privateKey: KeyObject, now = Date.now()): string {
  const invalid = (why: string) => new CodedFailure(FAILURE.certificateInvalid, `the certificate Altinity.Cloud signed for ${envName} ${why}`);
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(certificatePem);
  } catch {
    throw invalid('is not a readable X.509 certificate');
  }
  const names = certificate.subject.split('\n').filter((part) => part.startsWith('CN='));
  if (names.length !== 1 || names[0] !== `CN=${envName}`) throw invalid(`names ${names.join(', ') || 'no CN'}, not CN=${envName}`);
  if (!certificate.checkPrivateKey(privateKey)) throw invalid('is not for the key of the request');
  const notBefore = Date.parse(certificate.validFrom);
  const notAfter = Date.parse(certificate.validTo);
  // Negated, so that a date Node could not read (NaN) fails too.
  if (!(notBefore <= now + CLOCK_SKEW_MS)) throw invalid(`is valid only from ${certificate.validFrom}`);
  if (!(now < notAfter)) throw invalid(`expired on ${certificate.validTo}`);
  const key = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  return `${certificatePem.trim()}\n${key}`;
}
