/**
 * bundleHandler and inlineHandlerCode: the secret-store handler bundled, and inlined as the code of a
 * Lambda function in a small stack. Stand-in: Node.js loading the inlined code as Lambda's Node.js
 * runtime loads index.js, with this checkout's node_modules for the AWS SDK the runtime provides.
 * That the published template carries the console's build is tested in test/stack/wiring.test.ts.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { bundleHandler, inlineHandlerCode } from '../../lib/constructs/inline-handler';
import { HANDLER_RUNTIME } from '../../lib/constructs/secret-store';
import { toYaml } from '../../lib/release/publish';
import { sha256Of, unpackCommand } from '../../lib/shared/packed-text';
import { constructStack } from '../support/construct-stack';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const bundle = bundleHandler('secret-store', HANDLER_RUNTIME);

/** The template of a small stack whose one function's code is `code`, inline. */
function templateWithInlineCode(code: string): Record<string, any> {
  const stack = constructStack();
  new lambda.Function(stack, 'Handler', { runtime: HANDLER_RUNTIME, handler: 'index.handler', code: lambda.Code.fromInline(code) });
  return Template.fromStack(stack).toJSON();
}

function inTemporaryDirectory<T>(use: (dir: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'inline-handler-'));
  try {
    return use(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('bundleHandler', () => {
  test('bundles the handler into one CommonJS file that requires only the AWS SDK, which the runtime provides, and Node.js itself', () => {
    const required = new Set([...bundle.matchAll(/require\("([^"]+)"\)/g)].map(([, name]) => name));
    expect(required).toContain('@aws-sdk/client-ssm');
    expect([...required].filter((name) => !/^(@aws-sdk\/|node:)/.test(name))).toEqual([]);
    expect(bundle).not.toMatch(/PutParameterCommand=class|smithy-client/);
  });

  test('refuses a runtime that is not Node.js', () => {
    expect(() => bundleHandler('secret-store', lambda.Runtime.PYTHON_3_12)).toThrow(/python3\.12 is not a Node.js runtime/);
  });

  test('leaves out the code a variant does not need: without staged tokens, no sweep of them', () => {
    expect(bundleHandler('secret-store', HANDLER_RUNTIME, { STAGED_TOKENS: true })).toContain('DeleteSecretCommand');
    expect(bundleHandler('secret-store', HANDLER_RUNTIME, { STAGED_TOKENS: false })).not.toContain('DeleteSecretCommand');
  });
});

describe('inlineHandlerCode', () => {
  test("a function's inline code carries the bundle byte for byte: the README's command reads it back from the template, YAML or JSON", () => {
    const template = templateWithInlineCode(inlineHandlerCode('secret-store', bundle));
    inTemporaryDirectory((dir) => {
      for (const [name, text] of [
        ['template.yaml', toYaml(template)],
        ['template.json', JSON.stringify(template)],
      ]) {
        const file = path.join(dir, name);
        fs.writeFileSync(file, text);
        const unpacked = execFileSync('bash', ['-c', unpackCommand('handler', JSON.stringify(file))], { encoding: 'utf8' });
        expect({ name, same: unpacked === bundle }).toEqual({ name, same: true });
      }
    });
  });

  test('states what it carries and its SHA-256 on its first line', () => {
    const [firstLine] = inlineHandlerCode('secret-store', bundle).split('\n');
    expect(firstLine).toContain('lambda/secret-store');
    expect(firstLine).toContain(`SHA-256 ${sha256Of(bundle)}`);
  });

  test('loaded as Lambda loads index.js, is the bundle itself: the same module, with its handler', () => {
    const exportsOf = (code: string) =>
      inTemporaryDirectory((dir) => {
        fs.writeFileSync(path.join(dir, 'index.js'), code);
        const script = 'const m = require("./index.js"); console.log(JSON.stringify(Object.entries(m).map(([k, v]) => [k, typeof v])))';
        const env = { ...process.env, NODE_PATH: path.join(REPO_ROOT, 'node_modules') };
        return JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: dir, env, encoding: 'utf8' }));
      });
    const inlined = exportsOf(inlineHandlerCode('secret-store', bundle));
    expect(inlined).toContainEqual(['handler', 'function']);
    expect(inlined).toEqual(exportsOf(bundle));
  });
});
