import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';

/** The host's bootstrap script, a real file tested by running it under bash; shipped byte for byte. */
export const BOOTSTRAP_SCRIPT_PATH = path.join(__dirname, 'bootstrap.sh');

/** Where the user data leaves the stack's settings on the host; the script reads them from there. */
export const HOST_SETTINGS_FILE = '/etc/altinitycloud-connect/settings';
/** Where the user data installs the script, so that later runs (the watch) use the same file. */
export const HOST_SCRIPT_FILE = '/usr/local/lib/altinitycloud-connect/bootstrap.sh';

/**
 * The settings the stack hands every host, by the shell variable the script reads. None is secret:
 * the token and the certificate are read from SSM at boot.
 */
export interface HostSettings {
  readonly STACK_NAME: string;
  readonly REGION: string;
  /** Logical id of the resource whose CreationPolicy awaits the host's signal. */
  readonly SIGNAL_RESOURCE: string;
  readonly TOKEN_PARAMETER: string;
  readonly CERTIFICATE_PARAMETER: string;
  readonly CONNECT_VERSION: string;
  /** Base URL of the releases; the script appends `v<version>/altinitycloud-connect-<version>-linux-<arch>`. */
  readonly DOWNLOAD_URL: string;
  /** Expected SHA-256 of the binary; empty means not checked. */
  readonly CONNECT_SHA256: string;
}

/**
 * How a reader finds the packed script: a gzip stream's first bytes are `H4sI` in base64, and a long
 * run of base64 follows (the decode command's own text, which the user data repeats, is no match).
 */
export const PACKED_SCRIPT_PATTERN = 'H4sI[A-Za-z0-9+/=]{64,}';

/**
 * The one command that turns the user data, or the whole template that carries it, back into
 * `lib/host/bootstrap.sh`, byte for byte. It is printed in the user data and the README.
 */
export function decodeCommand(file: string): string {
  return `grep -oE '${PACKED_SCRIPT_PATTERN}' ${file} | base64 -d | gunzip`;
}

export function bootstrapScript(): Buffer {
  return fs.readFileSync(BOOTSTRAP_SCRIPT_PATH);
}

export function sha256Of(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

/**
 * The script gzip-compressed and base64-encoded on one line. The gzip header's operating-system byte
 * is fixed to Unix, so that the published template is the same whichever system builds it.
 */
export function packScript(script: Buffer): string {
  const compressed = gzipSync(script, { level: 9 });
  compressed[9] = 3;
  return compressed.toString('base64');
}

/**
 * The user data's text, for `Fn::Sub`: a short plain header that a reviewer reads as it stands,
 * writing each setting to the settings file and then running the script, which it carries gzip+base64 because plain it would cost a third of the template that
 * `cdk deploy` can send inline. Values sit between single quotes: the template's parameter
 * constraints keep quotes and line breaks out of them.
 */
export function userDataText(references: Readonly<Record<keyof HostSettings, string>>, script: Buffer, templateVersion: string): string {
  return [
    '#!/bin/bash',
    `# altinitycloud-connect host, template v${templateVersion}: EC2 user data, run once by cloud-init as root.`,
    `# It writes the stack's settings to ${HOST_SETTINGS_FILE} and runs lib/host/bootstrap.sh of this`,
    `# release, carried below gzip+base64 (SHA-256 ${sha256Of(script)}). To read that script, from this`,
    '# user data or from the template that holds it:',
    `#   ${decodeCommand('<file>')}`,
    'set -euo pipefail',
    'umask 077',
    `mkdir -p ${path.dirname(HOST_SETTINGS_FILE)} ${path.dirname(HOST_SCRIPT_FILE)}`,
    `cat >${HOST_SETTINGS_FILE} <<'SETTINGS_END'`,
    // `references` holds what Fn::Sub substitutes for each setting: a parameter, a pseudo parameter or a variable.
    ...Object.entries(references).map(([name, reference]) => `${name}='\${${reference}}'`),
    'SETTINGS_END',
    `base64 -d <<'SCRIPT_END' | gunzip >${HOST_SCRIPT_FILE}`,
    packScript(script),
    'SCRIPT_END',
    `exec bash ${HOST_SCRIPT_FILE}`,
    '',
  ].join('\n');
}

/** The settings file as the user data writes it, for given values (what the tests give the script). */
export function settingsFileText(settings: Readonly<Record<string, string>>): string {
  return Object.entries(settings)
    .map(([name, value]) => `${name}='${value}'\n`)
    .join('');
}
