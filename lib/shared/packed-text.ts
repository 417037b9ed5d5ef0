import { createHash } from 'node:crypto';
import { brotliCompressSync, brotliDecompressSync, constants, gunzipSync, gzipSync } from 'node:zlib';

/**
 * Code the template carries compressed and encoded as text, to stay well under what `cdk deploy`
 * sends inline (and the hosts' script under EC2's 16 KB of user data), yet readable by anyone holding
 * the template with one command. Two kinds are carried:
 * - the hosts' script: gzip (every host has gunzip) in base85, which python3's standard library
 *   decodes on every cloud-init host and which is a sixteenth shorter than base64. Its alphabet
 *   (RFC 1924's) has `.` in place of `{`, so that `Fn::Sub` finds no reference in it, and no quote or
 *   backslash: a quoted here-document, YAML and JSON carry it as it is.
 * - the custom resource's handler: brotli (a tenth smaller; Node.js decompresses it) in base64, as the
 *   argument of the loader that decompresses it.
 */
export type PackedKind = 'host-script' | 'handler';

/** The loader's call that the handler's base64 follows: it finds the handler in a YAML or JSON template. */
export const HANDLER_DECOMPRESSION = 'brotliDecompressSync(Buffer.from(';

/** The gzip header of the hosts' script, which names the file: where its Ascii85 starts. */
const SCRIPT_FILE_NAME = 'bootstrap.sh';

/** Python's base85 alphabet (RFC 1924's), with `.` for `{`. */
const BASE85_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`.|}~';

/** How each kind is found in a file: the script by its gzip header's encoding, the handler by its loader. */
const PATTERNS: Readonly<Record<PackedKind, string>> = {
  'host-script': `${escapeRegExp(base85Encode(gzipHeader(SCRIPT_FILE_NAME)).slice(0, 20))}[0-9A-Za-z!#$%&()*+;<=>?@^_\`.|}~-]{64,}`,
  handler: `${escapeRegExp(HANDLER_DECOMPRESSION)}\\\\?"[A-Za-z0-9+/=]{64,}`,
};

export function packedPattern(kind: PackedKind): string {
  return PATTERNS[kind];
}

/** The two commands that turn the script's base85 on stdin into bytes on stdout: what the hosts run. */
export const BASE85_DECODING = {
  /** Puts back the `{` of Python's alphabet. */
  translate: "tr . '{'",
  decode: `python3 -c 'import base64,sys;sys.stdout.buffer.write(base64.b85decode(sys.stdin.read().strip()))'`,
} as const;
export const BASE85_DECODER = `${BASE85_DECODING.translate} | ${BASE85_DECODING.decode}`;

/**
 * The one command that turns `file` (the published YAML template, user data, or for the handler also
 * a JSON template) back into the packed code, byte for byte.
 */
export function unpackCommand(kind: PackedKind, file: string): string {
  if (kind === 'host-script') return `grep -oE '${PATTERNS[kind]}' ${file} | ${BASE85_DECODER} | gunzip`;
  return `grep -oE '${PATTERNS[kind]}' ${file} | sed 's/.*"//' | base64 -d | node -e 'process.stdout.write(require("zlib").brotliDecompressSync(require("fs").readFileSync(0)))'`;
}

/**
 * The hosts' script gzip-compressed and base85-encoded on one line. The header has no time stamp
 * and a fixed system byte (Unix), so that every machine publishes the same template, and names the file.
 */
export function packScript(content: Buffer): string {
  const compressed = gzipSync(content, { level: 9 });
  return base85Encode(Buffer.concat([gzipHeader(SCRIPT_FILE_NAME), compressed.subarray(10)]));
}

/** What `packScript` packed. */
export function unpackScript(packed: string): Buffer {
  return gunzipSync(base85Decode(packed));
}

/** `content` brotli-compressed (best, for text) and base64-encoded on one line. */
export function packBrotli(content: Buffer): string {
  return brotliCompressSync(content, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_SIZE_HINT]: content.length,
    },
  }).toString('base64');
}

/** The handler that `text` (its inline code, or a template that holds it) carries. */
export function unpackHandler(text: string): Buffer {
  const found = new RegExp(PATTERNS.handler).exec(text);
  if (!found) throw new Error('no packed handler in the text');
  return brotliDecompressSync(Buffer.from(found[0].replace(/.*"/, ''), 'base64'));
}

export function sha256Of(content: Buffer | string): string {
  return createHash('sha256').update(content).digest('hex');
}

/** A gzip member header naming `fileName`, with no time stamp and the Unix system byte. */
function gzipHeader(fileName: string): Buffer {
  return Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0x08, 0, 0, 0, 0, 2, 3]), Buffer.from(`${fileName}\0`, 'latin1')]);
}

/**
 * Base85 as Python's `base64.b85encode` writes it, but for `.` in place of `{`: each 4 bytes as 5
 * characters, a last partial group as one character more than it has bytes.
 */
export function base85Encode(bytes: Buffer): string {
  let text = '';
  for (let offset = 0; offset < bytes.length; offset += 4) {
    const length = Math.min(4, bytes.length - offset);
    const group = Buffer.alloc(4);
    bytes.copy(group, 0, offset, offset + length);
    let value = group.readUInt32BE(0);
    const digits = new Array<string>(5);
    for (let index = 4; index >= 0; index--) {
      digits[index] = BASE85_ALPHABET[value % 85];
      value = Math.floor(value / 85);
    }
    text += digits.slice(0, length + 1).join('');
  }
  return text;
}

export function base85Decode(text: string): Buffer {
  const characters = text.replace(/\s+/g, '');
  const bytes: number[] = [];
  for (let offset = 0; offset < characters.length; offset += 5) {
    const group = characters.slice(offset, offset + 5);
    let value = 0;
    for (const character of group.padEnd(5, '~')) {
      const digit = BASE85_ALPHABET.indexOf(character);
      if (digit < 0) throw new Error(`not base85: ${JSON.stringify(character)}`);
      value = value * 85 + digit;
    }
    const word = Buffer.alloc(4);
    word.writeUInt32BE(value >>> 0);
    bytes.push(...word.subarray(0, group.length - 1));
  }
  return Buffer.from(bytes);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^$()[\]{}|\\]/g, '\\$&');
}
