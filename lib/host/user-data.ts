import * as fs from 'node:fs';
import * as path from 'node:path';
import { Fn } from 'aws-cdk-lib';

/** The host's bootstrap script, a real file tested by running it under bash. */
export const BOOTSTRAP_SCRIPT_PATH = path.join(__dirname, 'bootstrap.sh');

/** A whole-line comment, but not the shebang. */
const COMMENT_LINE = /^[ \t]*#(?!!).*\n/gm;

/**
 * The script as hosts receive it: without its whole-line comments, which explain it here in the
 * repository but would cost 3 KiB of the 50 KiB template that `cdk deploy` can send inline.
 */
export function shippedScript(script = fs.readFileSync(BOOTSTRAP_SCRIPT_PATH, 'utf8')): string {
  return script.replace(COMMENT_LINE, '');
}

/** The values the stack fills into the script, by placeholder name (`@@NAME@@` in the file). */
export interface BootstrapValues {
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

const PLACEHOLDER = /@@([A-Z0-9_]+)@@/g;

/**
 * The shipped bootstrap script with each `@@NAME@@` replaced by its value, as one CloudFormation string
 * (`Fn::Join`), so that values may be tokens such as parameter references. Fails when the script
 * and the values disagree, so that a renamed placeholder cannot slip through as literal text.
 */
export function renderBootstrapScript(values: BootstrapValues, script = shippedScript()): string {
  const known = new Map(Object.entries(values));
  const used = new Set<string>();
  const parts = script.split(PLACEHOLDER).map((part, index) => {
    if (index % 2 === 0) return part;
    const value = known.get(part);
    if (value === undefined) throw new Error(`bootstrap.sh uses @@${part}@@, which the stack does not fill in`);
    used.add(part);
    return value;
  });
  const unused = [...known.keys()].filter((name) => !used.has(name));
  if (unused.length > 0) throw new Error(`bootstrap.sh no longer uses ${unused.map((n) => `@@${n}@@`).join(', ')}`);
  return Fn.join('', parts);
}
