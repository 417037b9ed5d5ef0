import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  BOOTSTRAP_SCRIPT_PATH,
  bootstrapScript,
  decodeCommand,
  HOST_SCRIPT_FILE,
  HOST_SETTINGS_FILE,
  type HostSettings,
  shippedScript,
} from '../../lib/host/user-data';
import { toYaml } from '../../lib/release/publish';
import { stagedTokenName } from '../../lib/shared/secret-store-contract';
import { BASE85_DECODER, base85Decode, packScript, sha256Of } from '../../lib/shared/packed-text';
import { certificateParameterName, HOST_GROUP_LOGICAL_ID, HOST_LOGICAL_ID, tokenParameterName } from '../../lib/shared/names';
import { effectiveTemplate } from '../support/effective-template';
import { type CfnTemplate, consoleModeTemplate, deployModeTemplate } from '../support/templates';

/** What the worst case of the user data must leave of EC2's 16,384 bytes. */
const USER_DATA_MARGIN = 256;

type Expression = string | Record<string, unknown>;

const SETTING_NAMES: readonly (keyof HostSettings)[] = [
  'STACK_NAME',
  'STACK_ID',
  'SIGNAL_RESOURCE',
  'REGION',
  'TOKEN_PARAMETER',
  'CERTIFICATE_PARAMETER',
  'EXISTING_CERTIFICATE_PARAMETER',
  'SECRETS_KEY',
  'CONNECT_VERSION',
  'DOWNLOAD_URL',
  'CONNECT_SHA256',
  'ALTINITY_URL',
  'CONNECTION_TIMEOUT',
  'HTTPS_PROXY_URL',
  'NO_PROXY_LIST',
  'CA_CERTIFICATES',
  'HOST_ALIASES',
];

/** How a test writes a reference: `[[Name]]`. */
const ref = (name: string) => `[[${name}]]`;

/**
 * Every text a CloudFormation string expression can take, with each reference written as a
 * recognisable marker: one text per combination of `Fn::If` branches.
 */
function possibleTexts(node: Expression): string[] {
  if (typeof node === 'string') return [node];
  if (typeof node.Ref === 'string') return [ref(node.Ref)];
  const sub = node['Fn::Sub'];
  if (typeof sub === 'string' || Array.isArray(sub)) {
    const [pattern, variables] = typeof sub === 'string' ? [sub, {}] : (sub as [string, Record<string, Expression>]);
    const pieces = pattern.split(/\$\{([^}!]+)\}/);
    return pieces.reduce<string[]>(
      (texts, piece, index) => {
        const options = index % 2 === 0 ? [piece] : piece in variables ? possibleTexts(variables[piece]) : [ref(piece)];
        return texts.flatMap((text) => options.map((option) => text + option));
      },
      [''],
    );
  }
  if (Array.isArray(node['Fn::If'])) {
    const [, whenTrue, whenFalse] = node['Fn::If'] as [string, Expression, Expression];
    return [...possibleTexts(whenTrue), ...possibleTexts(whenFalse)];
  }
  throw new Error(`user data holds an unexpected expression: ${JSON.stringify(node)}`);
}

function userDataOf(template: CfnTemplate): Expression {
  const found: Expression[] = [];
  const visit = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (key === 'UserData') found.push(value as Expression);
      else visit(value);
    }
  };
  for (const resource of Object.values(template.Resources)) visit(resource.Properties);
  expect(found).toHaveLength(1);
  expect(Object.keys(found[0])).toEqual(['Fn::Base64']);
  return (found[0] as Record<string, Expression>)['Fn::Base64'];
}

/** The settings a user data text writes, by name, in the order written. */
function settingsWritten(text: string): [string, string][] {
  const block = /cat >\S+ <<'SETTINGS_END'\n([\s\S]*?)\nSETTINGS_END\n/.exec(text);
  if (!block) throw new Error('the user data writes no settings');
  return block[1].split('\n').map((line) => {
    const setting = /^([A-Z0-9_]+)='([^'\n]*)'$/.exec(line);
    if (!setting) throw new Error(`not a quoted setting: ${line}`);
    return [setting[1], setting[2]];
  });
}

/** Runs the command the header and the README document, as a reviewer would, on a file. */
function decodeAsDocumented(file: string): Buffer {
  return execFileSync('bash', ['-c', decodeCommand(JSON.stringify(file))]);
}

describe('the host user data', () => {
  const template = consoleModeTemplate();
  const texts = possibleTexts(userDataOf(template));
  const valuesOf = (name: string) => [...new Set(texts.map((text) => Object.fromEntries(settingsWritten(text))[name]))].sort();
  let dir: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'user-data-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('carries bootstrap.sh without its comment lines: the documented command gets it back from the published YAML, and diff shows nothing else removed', () => {
    const published = path.join(dir, 'template.yaml');
    fs.writeFileSync(published, toYaml(template));
    const shipped = decodeAsDocumented(published);
    expect(shipped.equals(shippedScript(bootstrapScript()))).toBe(true);
    const shippedFile = path.join(dir, 'shipped.sh');
    fs.writeFileSync(shippedFile, shipped);
    // What a reviewer runs: diff exits 1 when the files differ, which they do by the comments.
    const difference = spawnSync('diff', [shippedFile, BOOTSTRAP_SCRIPT_PATH], { encoding: 'utf8' }).stdout;
    const changes = difference.split('\n').filter((line) => /^[<>] /.test(line) || line === '>');
    expect(changes.length).toBeGreaterThan(0);
    expect(changes.filter((line) => !/^>( \s*#.*|\s*)$/.test(line))).toEqual([]);
    execFileSync('bash', ['-n', shippedFile]);
  });

  test('carries it byte for byte in every variant, and the command finds it in the JSON that cdk deploy synthesizes too', () => {
    const variants = {
      'cdk-deploy-stored-token.json': deployModeTemplate(
        { mode: 'deploy', envName: 'acme-prod', network: { kind: 'given', vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123456789abcdef0'] } },
        stagedTokenName('acme-prod', 'a-token'),
      ),
      'cdk-deploy-parameters-token.json': deployModeTemplate({
        mode: 'deploy',
        envName: 'acme-prod',
        network: { kind: 'given', vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123456789abcdef0'] },
      }),
    };
    for (const [name, variant] of Object.entries(variants)) {
      const file = path.join(dir, name);
      fs.writeFileSync(file, JSON.stringify(variant, null, 1));
      expect({ name, identical: decodeAsDocumented(file).equals(shippedScript(bootstrapScript())) }).toEqual({ name, identical: true });
    }
  });

  test("states the shipped script's SHA-256, its source and how to read it, in the header", () => {
    const sha256 = sha256Of(shippedScript(bootstrapScript()));
    for (const text of texts) {
      expect(text).toContain(`SHA-256 ${sha256}`);
      expect(text).toContain('lib/host/bootstrap.sh');
      expect(text).toContain(decodeCommand('<file>'));
    }
  });

  test('is a short plain header that writes the settings, unpacks the script and runs it, whatever the conditions', () => {
    for (const text of texts) {
      const lines = text.split('\n');
      expect(lines[0]).toBe('#!/bin/bash');
      expect(lines.filter((line) => !/^\S{200,}$/.test(line)).length).toBeLessThan(35);
      expect(text).toContain(`cat >${HOST_SETTINGS_FILE} <<'SETTINGS_END'`);
      expect(text).toContain(`| gunzip >${HOST_SCRIPT_FILE}`);
      expect(text.trimEnd().split('\n').at(-1)).toBe(`exec bash ${HOST_SCRIPT_FILE}`);
    }
  });

  test('writes each setting the script reads, once, and the script reads each one', () => {
    const script = fs.readFileSync(BOOTSTRAP_SCRIPT_PATH, 'utf8');
    for (const text of texts) expect(settingsWritten(text).map(([name]) => name)).toEqual(SETTING_NAMES);
    for (const name of SETTING_NAMES) expect({ name, read: new RegExp(`\\$\\{?${name}\\b`).test(script) }).toEqual({ name, read: true });
  });

  test("fills in the stack's name, region, parameter names and release settings, and no secret", () => {
    const expected: Partial<Record<keyof HostSettings, string>> = {
      STACK_NAME: ref('AWS::StackName'),
      STACK_ID: ref('AWS::StackId'),
      REGION: ref('AWS::Region'),
      TOKEN_PARAMETER: tokenParameterName(ref('EnvName')),
      CERTIFICATE_PARAMETER: certificateParameterName(ref('EnvName')),
      SECRETS_KEY: ref('SecretsKey.Arn'),
      CONNECT_VERSION: ref('ConnectVersion'),
      DOWNLOAD_URL: ref('ConnectDownloadUrl'),
      CONNECT_SHA256: ref('ConnectSha256'),
      ALTINITY_URL: ref('AltinityCloudUrl'),
      CONNECTION_TIMEOUT: ref('ConnectionTimeout'),
    };
    for (const [name, value] of Object.entries(expected)) expect({ [name]: valuesOf(name) }).toEqual({ [name]: [value] });
    expect(texts.filter((text) => text.includes(ref('Token')))).toEqual([]);
  });

  test("names the stack's certificate parameter, and the one the user gave instead, if any", () => {
    expect(valuesOf('CERTIFICATE_PARAMETER')).toEqual([certificateParameterName(ref('EnvName'))]);
    expect(valuesOf('EXISTING_CERTIFICATE_PARAMETER')).toEqual([ref('ExistingCertificateParameter')]);
    expect(template.Parameters.ExistingCertificateParameter.Default).toBe('');
  });

  test("the script signals exactly the resources whose creation waits for the hosts' signals: the host, or the group that holds it", () => {
    const waiting = Object.entries(template.Resources)
      .filter(([, resource]) => resource.CreationPolicy?.ResourceSignal !== undefined)
      .map(([logicalId]) => logicalId)
      .sort();
    expect(waiting).toEqual([HOST_GROUP_LOGICAL_ID, HOST_LOGICAL_ID].sort());
    // The stack says which: the host does not guess from what the metadata service may not show yet.
    expect([...valuesOf('SIGNAL_RESOURCE')].sort()).toEqual(waiting);
    const signalled = (replicas: string) => {
      const [text] = possibleTexts(
        userDataOf(effectiveTemplate(template, { EnvName: 'acme', Token: 'x', VpcId: 'vpc-1', SubnetIds: 'subnet-1', Replicas: replicas })),
      );
      return Object.fromEntries(settingsWritten(text)).SIGNAL_RESOURCE;
    };
    expect(['1', '2', '3'].map(signalled)).toEqual([HOST_LOGICAL_ID, HOST_GROUP_LOGICAL_ID, HOST_GROUP_LOGICAL_ID]);
  });

  test('every value it writes comes from a parameter whose constraint keeps quotes and line breaks out', () => {
    const quoteFree = (pattern: string) => !new RegExp(pattern).test("'") && !new RegExp(pattern).test('a\nb');
    for (const text of texts) {
      for (const [, value] of settingsWritten(text)) {
        for (const [, name] of value.matchAll(/\[\[([^\]]+)\]\]/g)) {
          // Pseudo parameters and the attributes of the stack's own resources hold no quote.
          if (name.startsWith('AWS::') || name.includes('.')) continue;
          const parameter = template.Parameters[name];
          expect({ name, constrained: Boolean(parameter.AllowedValues) || (parameter.AllowedPattern && quoteFree(parameter.AllowedPattern)) }).toEqual({
            name,
            constrained: true,
          });
        }
      }
    }
  });

  test('the header is sound bash: shellcheck finds nothing in it with sample values', () => {
    const header = texts[0]
      .replace(/\[\[[^\]]+\]\]/g, 'sample')
      .split('\n')
      .filter((line) => !/^\S{200,}$/.test(line))
      .join('\n');
    const file = path.join(dir, 'header.sh');
    fs.writeFileSync(file, header);
    expect(execFileSync('shellcheck', ['--severity=style', file], { encoding: 'utf8' })).toBe('');
  });

  test('stays within the 16 KB EC2 allows with every parameter at its longest, and 256 bytes to spare', () => {
    const longest = (name: string) => {
      const parameter = template.Parameters[name];
      if (parameter.AllowedValues) return Math.max(...parameter.AllowedValues.map((value: string) => value.length));
      if (parameter.MaxLength === undefined) throw new Error(`${name} reaches the user data without a MaxLength`);
      return Number(parameter.MaxLength);
    };
    // A 128-character stack name, in the longest partition (aws-us-gov) and region names.
    const longestReference: Record<string, number> = { 'AWS::StackName': 128, 'AWS::StackId': 235, 'AWS::Region': 20, 'SecretsKey.Arn': 95 };
    const worst = texts.map((text) => text.replace(/\[\[([^\]]+)\]\]/g, (_, name: string) => 'x'.repeat(longestReference[name] ?? longest(name))));
    // 15,827 bytes today. The margin keeps room for what this count cannot see (a longer key ARN in a
    // partition to come), and makes a change that eats into it say so here, not at a customer's launch.
    expect(Math.max(...worst.map((text) => Buffer.byteLength(text)))).toBeLessThanOrEqual(16 * 1024 - USER_DATA_MARGIN);
  });
});

describe('shippedScript', () => {
  const ship = (text: string) => shippedScript(Buffer.from(text)).toString();

  test('drops comment and blank lines, and keeps the shebang and trailing comments', () => {
    expect(ship('#!/bin/bash\n# why\n\n  # indented why\nset -e # inline\n')).toBe('#!/bin/bash\nset -e # inline\n');
  });

  test('keeps every line of a here-document, whatever it holds, and knows a here-string opens none', () => {
    const script =
      'cat <<EOF\n# kept\n\nEOF\n# dropped\ncat <<\'UNIT\'\n[Unit]\n\n# kept\nUNIT\nread -r x <<<"$y"\n# dropped\ncat <<-END\n\t# kept\n\tEND\n# dropped\n';
    expect(ship(script)).toBe('cat <<EOF\n# kept\n\nEOF\ncat <<\'UNIT\'\n[Unit]\n\n# kept\nUNIT\nread -r x <<<"$y"\ncat <<-END\n\t# kept\n\tEND\n');
  });
});

describe('packScript', () => {
  test("writes a gzip header with no time stamp, a fixed system byte and the file's name, so that every machine publishes the same template", () => {
    const packed = base85Decode(packScript(bootstrapScript()));
    expect([...packed.subarray(0, 10)]).toEqual([0x1f, 0x8b, 8, 0x08, 0, 0, 0, 0, 2, 3]);
    expect(packed.subarray(10, 23).toString('latin1')).toBe('bootstrap.sh\0');
  });

  test("uses no quote, backslash or '{' (no Fn::Sub reference), and python3's base85 decoder reads it back", () => {
    const packed = packScript(bootstrapScript());
    expect(packed).not.toMatch(/["'\\{\s]/);
    const decoded = execFileSync('bash', ['-c', BASE85_DECODER], { input: packed });
    expect(gunzipSync(decoded)).toEqual(bootstrapScript());
  });
});
