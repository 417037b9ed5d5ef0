import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

/**
 * Code the template carries gzip-compressed and base64-encoded, to stay well under what `cdk deploy`
 * sends inline, yet readable by anyone holding the template with one command. Two kinds are carried:
 * the hosts' script, whose gzip header names its file, and the custom resource's handler, whose does
 * not; the header's flag byte tells their base64 apart, so each command finds exactly its own.
 */
export type PackedKind = 'host-script' | 'handler';

/** How each kind's base64 begins (the gzip magic, then the flag byte) and is found in a file. */
const PATTERNS: Readonly<Record<PackedKind, string>> = {
  'host-script': 'H4sICA[A-Za-z0-9+/=]{64,}',
  handler: 'H4sIAA[A-Za-z0-9+/=]{64,}',
};

export function packedPattern(kind: PackedKind): string {
  return PATTERNS[kind];
}

/** The one command that turns `file` (a template, or user data) back into the packed code, byte for byte. */
export function unpackCommand(kind: PackedKind, file: string): string {
  return `grep -oE '${PATTERNS[kind]}' ${file} | base64 -d | gunzip`;
}

/**
 * `content` gzip-compressed and base64-encoded on one line. The header has no time stamp and a fixed
 * system byte (Unix), so that every machine publishes the same template; a file name when given.
 */
export function pack(content: Buffer, fileName?: string): string {
  const compressed = gzipSync(content, { level: 9 });
  compressed[9] = 3;
  if (fileName === undefined) return compressed.toString('base64');
  compressed[3] = 0x08;
  return Buffer.concat([compressed.subarray(0, 10), Buffer.from(`${fileName}\0`, 'latin1'), compressed.subarray(10)]).toString('base64');
}

export function sha256Of(content: Buffer | string): string {
  return createHash('sha256').update(content).digest('hex');
}
