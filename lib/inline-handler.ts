import * as path from 'node:path';
import { buildSync } from 'esbuild';

/** Node.js runtime the inlined handlers are built for; its own AWS SDK v3 is used, not bundled. */
export const HANDLER_NODE_TARGET = 'node24';

/**
 * Bundles and minifies a TypeScript handler from `lambda/<name>/index.ts` into one CommonJS file,
 * small enough to inline as `Code.ZipFile`, so the template needs no asset bucket.
 * The AWS SDK v3 stays external: the Lambda Node.js runtime provides it.
 */
export function bundleHandler(name: string): string {
  const result = buildSync({
    entryPoints: [path.join(__dirname, '..', 'lambda', name, 'index.ts')],
    bundle: true,
    minify: true,
    platform: 'node',
    target: HANDLER_NODE_TARGET,
    format: 'cjs',
    external: ['@aws-sdk/*'],
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}
