import * as path from 'node:path';
import type { Runtime } from 'aws-cdk-lib/aws-lambda';
import { buildSync } from 'esbuild';
import { HANDLER_DECOMPRESSION, packBrotli, sha256Of } from '../shared/packed-text';

/**
 * Bundles and minifies a TypeScript handler from `lambda/<name>/index.ts` into one CommonJS file for
 * the Node.js `runtime`. The AWS SDK v3 stays external: the Lambda Node.js runtime provides it.
 * `defines` replaces global identifiers by constant values, so that code a variant does not need is
 * left out.
 */
export function bundleHandler(name: string, runtime: Runtime, defines: Readonly<Record<string, boolean>> = {}): string {
  const nodeVersion = /^nodejs(\d+)\.x$/.exec(runtime.name)?.[1];
  if (nodeVersion === undefined) throw new Error(`${runtime.name} is not a Node.js runtime`);
  const result = buildSync({
    entryPoints: [path.join(__dirname, '..', '..', 'lambda', name, 'index.ts')],
    bundle: true,
    minify: true,
    platform: 'node',
    target: `node${nodeVersion}`,
    format: 'cjs',
    external: ['@aws-sdk/*'],
    legalComments: 'none',
    define: Object.fromEntries(Object.entries(defines).map(([identifier, value]) => [identifier, String(value)])),
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}

/**
 * The code to inline as `Code.ZipFile`, so that the template needs no asset bucket: the bundle,
 * brotli+base64 (plain, it would cost a quarter of what `cdk deploy` sends inline), behind a line
 * that states its SHA-256 and a loader that compiles it as this very module. Guarantees: one command,
 * `unpackCommand('handler', ...)`, which the README gives, turns the template back into the bundle
 * byte for byte.
 */
export function inlineHandlerCode(name: string, bundle: string): string {
  return [
    `// lambda/${name} of altinitycloud-connect-aws, bundled by esbuild (SHA-256 ${sha256Of(bundle)}), brotli+base64: README.md says how to read it.`,
    `module._compile(require("zlib").${HANDLER_DECOMPRESSION}"${packBrotli(Buffer.from(bundle))}","base64")).toString(),__filename);`,
    // A final line break: YAML then writes the code as a literal block instead of escaping every quote.
    '',
  ].join('\n');
}
