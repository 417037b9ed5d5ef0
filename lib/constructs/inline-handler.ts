import * as path from 'node:path';
import type { Runtime } from 'aws-cdk-lib/aws-lambda';
import { buildSync } from 'esbuild';
import { pack, sha256Of, unpackCommand } from '../shared/packed-text';

/**
 * Bundles and minifies a TypeScript handler from `lambda/<name>/index.ts` into one CommonJS file for
 * the Node.js `runtime`. The AWS SDK v3 stays external: the Lambda Node.js runtime provides it.
 */
export function bundleHandler(name: string, runtime: Runtime): string {
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
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}

/**
 * The code to inline as `Code.ZipFile`, so that the template needs no asset bucket: the bundle,
 * gzip+base64 (plain, it would cost a sixth of what `cdk deploy` sends inline), behind two lines that
 * say how to read it and a loader that compiles it as this very module. Guarantees: one command
 * turns the template back into the bundle byte for byte, and the comment states the bundle's SHA-256.
 */
export function inlineHandlerCode(name: string, bundle: string): string {
  return [
    `// lambda/${name} of altinitycloud-connect-aws, bundled by esbuild (SHA-256 ${sha256Of(bundle)}), gzip+base64.`,
    `// Read it: ${unpackCommand('handler', '<template>')}`,
    `module._compile(require("zlib").gunzipSync(Buffer.from("${pack(Buffer.from(bundle))}","base64")).toString(),__filename);`,
    // A final line break: YAML then writes the code as a literal block instead of escaping every quote.
    '',
  ].join('\n');
}
