import * as fs from 'node:fs';
import * as path from 'node:path';
import { BASE85_DECODING, packScript, sha256Of, unpackCommand } from '../shared/packed-text';

/** The host's bootstrap script, a real file tested by running it under bash; shipped without its comments. */
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
  /** The stack's id: the owner tag of the certificate parameter the host creates. */
  readonly STACK_ID: string;
  /** The resource that waits for the host's signal: the single host (`Host`) or the group that holds it (`HostGroup`). */
  readonly SIGNAL_RESOURCE: string;
  readonly REGION: string;
  readonly TOKEN_PARAMETER: string;
  /** The stack's own certificate parameter: the first host stores its login's certificate there. */
  readonly CERTIFICATE_PARAMETER: string;
  /** A certificate parameter the customer holds, used instead of a login; empty when there is none. */
  readonly EXISTING_CERTIFICATE_PARAMETER: string;
  /** The stack's KMS key, with which the host encrypts the certificate it stores. */
  readonly SECRETS_KEY: string;
  readonly CONNECT_VERSION: string;
  /** Base URL of the releases; the script appends `v<version>/altinitycloud-connect-<version>-linux-<arch>`. */
  readonly DOWNLOAD_URL: string;
  /** Expected SHA-256 of the binary; empty means not checked. */
  readonly CONNECT_SHA256: string;
  /** Altinity.Cloud, which the tunnel connects to and which says whether it sees the environment connected. */
  readonly ALTINITY_URL: string;
  /** Seconds Altinity.Cloud may take to see the environment connected, at creation and afterwards. */
  readonly CONNECTION_TIMEOUT: string;
  /** HTTP(S) proxy for every outbound call, `http://host:port`; empty for none. */
  readonly HTTPS_PROXY_URL: string;
  /** Hosts and networks reached without the proxy, comma-separated; the metadata service always is. */
  readonly NO_PROXY_LIST: string;
  /** PEM certificates of CAs to trust, line breaks possibly lost; empty for none. */
  readonly CA_CERTIFICATES: string;
  /** `name=address` entries for /etc/hosts, comma-separated; empty for none. */
  readonly HOST_ALIASES: string;
}

/** The command that turns the user data, or the template that holds it, back into the shipped script. */
export function decodeCommand(file: string): string {
  return unpackCommand('host-script', file);
}

export function bootstrapScript(): Buffer {
  return fs.readFileSync(BOOTSTRAP_SCRIPT_PATH);
}

/** Opens a here-document (`<<WORD`, `<<'WORD'`, `<<-WORD`), not a here-string (`<<<`). */
const HEREDOC_START = /(?<!<)<<(-?)\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\2/;

/**
 * The script as the user data carries it: the source without its comment lines and blank lines
 * (the shebang and every line of a here-document kept as they are). EC2 allows 16 KB of user data,
 * which must also hold the settings, a CA bundle among them: the comments' 3 KB do not fit.
 */
export function shippedScript(source: Buffer): Buffer {
  const kept: string[] = [];
  let heredoc: { end: string; tabsStripped: boolean } | undefined;
  for (const [index, line] of source.toString('utf8').split('\n').entries()) {
    if (heredoc) {
      kept.push(line);
      if ((heredoc.tabsStripped ? line.replace(/^\t+/, '') : line) === heredoc.end) heredoc = undefined;
      continue;
    }
    if (index > 0 && /^\s*(#|$)/.test(line)) continue;
    kept.push(line);
    const start = HEREDOC_START.exec(line);
    if (start) heredoc = { end: start[3], tabsStripped: start[1] === '-' };
  }
  return Buffer.from(`${kept.join('\n')}\n`);
}

/**
 * The user data's text, for `Fn::Sub`: a short plain header that a reviewer reads as it stands,
 * writing each setting to the settings file and then running `script` (the shipped script), which it
 * carries gzip+base85 (packed-text.ts) because plain it would cost half of the template that
 * `cdk deploy` can send inline. Values sit between single quotes: the template's parameter constraints keep quotes and
 * line breaks out of them.
 */
export function userDataText(references: Readonly<Record<keyof HostSettings, string>>, script: Buffer, templateVersion: string): string {
  return [
    '#!/bin/bash',
    `# altinitycloud-connect host v${templateVersion}: settings, then lib/host/bootstrap.sh without comments, gzip+base85`,
    `# (SHA-256 ${sha256Of(script)}). Read it: ${decodeCommand('<file>')}`,
    'set -euo pipefail',
    'umask 077',
    `mkdir -p ${path.dirname(HOST_SETTINGS_FILE)} ${path.dirname(HOST_SCRIPT_FILE)}`,
    `cat >${HOST_SETTINGS_FILE} <<'SETTINGS_END'`,
    // `references` holds each setting's value as Fn::Sub writes it: `${Parameter}`, `${Resource.Attribute}`...
    `${settingsFileText(references)}SETTINGS_END`,
    `${BASE85_DECODING.translate} <<'SCRIPT_END' | ${BASE85_DECODING.decode} | gunzip >${HOST_SCRIPT_FILE}`,
    packScript(script),
    'SCRIPT_END',
    `exec bash ${HOST_SCRIPT_FILE}`,
    '',
  ].join('\n');
}

/**
 * The settings file, one `NAME='value'` line per setting: what the user data writes (with references
 * that CloudFormation fills in), and what the tests give the script (with values).
 */
export function settingsFileText(settings: Readonly<Record<string, string>>): string {
  return Object.entries(settings)
    .map(([name, value]) => `${name}='${value}'\n`)
    .join('');
}
