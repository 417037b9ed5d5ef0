import * as path from 'node:path';
import type { Runtime } from 'aws-cdk-lib/aws-lambda';
import { buildSync } from 'esbuild';

/**
 * Bundles and minifies a TypeScript handler from `lambda/<name>/index.ts` into one CommonJS file for
 * the Node.js `runtime`, small enough to inline as `Code.ZipFile`, so the template needs no asset
 * bucket. The AWS SDK v3 stays external: the Lambda Node.js runtime provides it.
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
