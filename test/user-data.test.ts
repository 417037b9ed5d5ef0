import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildConnectStack } from '../lib/stack/app';
import { type BootstrapValues, renderBootstrapScript, shippedScript } from '../lib/host/user-data';
import { certificateParameterName, tokenParameterName } from '../lib/shared/names';
import { fillPlaceholders } from './bootstrap/sandbox';

type Expression = string | Record<string, unknown>;

const ref = (name: string) => `<<Ref ${name}>>`;

/**
 * Every text a CloudFormation string expression can take, with each reference written as a
 * recognisable marker (`<<Ref Name>>`): one text per combination of `Fn::If` branches.
 */
function possibleTexts(node: Expression): string[] {
  if (typeof node === 'string') return [node];
  if (typeof node.Ref === 'string') return [ref(node.Ref)];
  if (typeof node['Fn::Sub'] === 'string') return [node['Fn::Sub'].replace(/\$\{([^}!]+)\}/g, (_, name: string) => ref(name))];
  if (Array.isArray(node['Fn::If'])) {
    const [, whenTrue, whenFalse] = node['Fn::If'] as [string, Expression, Expression];
    return [...possibleTexts(whenTrue), ...possibleTexts(whenFalse)];
  }
  if (Array.isArray(node['Fn::Join'])) {
    const [separator, parts] = node['Fn::Join'] as [string, Expression[]];
    return parts.reduce<string[]>(
      (texts, part) => texts.flatMap((text) => possibleTexts(part).map((partText) => (text === '' ? partText : `${text}${separator}${partText}`))),
      [''],
    );
  }
  throw new Error(`user data holds an unexpected expression: ${JSON.stringify(node)}`);
}

/** The values a text holds in the script's placeholders, or undefined when it is not the script with values filled in. */
function placeholderValues(text: string): Record<string, string> | undefined {
  const script = shippedScript();
  const names: string[] = [];
  const pattern = script
    .split(/@@([A-Z0-9_]+)@@/)
    .map((part, index) => {
      if (index % 2 === 0) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(part);
      // Values sit between single quotes in the script: a quote or a line break in one would break it.
      return "([^'\\n]*)";
    })
    .join('');
  const match = new RegExp(`^${pattern}$`).exec(text);
  return match ? Object.fromEntries(names.map((name, index) => [name, match[index + 1]])) : undefined;
}

function findUserData(resources: Record<string, { Properties?: unknown }>): Expression[] {
  const found: Expression[] = [];
  const visit = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (key === 'UserData') found.push(value as Expression);
      else visit(value);
    }
  };
  for (const resource of Object.values(resources)) visit(resource.Properties);
  return found;
}

describe('the host user data in the console template', () => {
  const stack = buildConnectStack(new App(), { mode: 'console' }, { templateVersion: '0.0.0-test' });
  const template = Template.fromStack(stack).toJSON() as {
    Parameters: Record<string, unknown>;
    Resources: Record<string, { Properties?: unknown; CreationPolicy?: { ResourceSignal?: unknown } }>;
  };
  const userData = findUserData(template.Resources);
  const texts = userData.length === 1 ? possibleTexts((userData[0] as Record<string, Expression>)['Fn::Base64']) : [];
  const filledIn = texts.map(placeholderValues);
  const valuesOf = (name: keyof BootstrapValues) => [...new Set(filledIn.map((values) => values?.[name]))].sort();

  test('is exactly bootstrap.sh with a value in each placeholder, whatever the template\'s conditions', () => {
    expect(userData).toHaveLength(1);
    expect(Object.keys(userData[0])).toEqual(['Fn::Base64']);
    expect(texts.length).toBeGreaterThan(0);
    expect(texts.filter((text) => placeholderValues(text) === undefined)).toEqual([]);
  });

  test('fills in the stack\'s name, region, parameter names and release settings, and no secret', () => {
    const expected: Omit<BootstrapValues, 'SIGNAL_RESOURCE' | 'CERTIFICATE_PARAMETER'> = {
      STACK_NAME: ref('AWS::StackName'),
      REGION: ref('AWS::Region'),
      TOKEN_PARAMETER: tokenParameterName(ref('EnvName')),
      CONNECT_VERSION: ref('ConnectVersion'),
      DOWNLOAD_URL: ref('ConnectDownloadUrl'),
      CONNECT_SHA256: ref('ConnectSha256'),
    };
    for (const [name, value] of Object.entries(expected)) expect({ [name]: valuesOf(name as keyof BootstrapValues) }).toEqual({ [name]: [value] });
    expect(texts.filter((text) => text.includes(ref('Token')))).toEqual([]);
  });

  test('names the stack\'s certificate parameter, or another SSM parameter the user gave', () => {
    const certificateParameters = valuesOf('CERTIFICATE_PARAMETER');
    expect(certificateParameters).toContain(certificateParameterName(ref('EnvName')));
    const others = certificateParameters.filter((value) => value !== certificateParameterName(ref('EnvName')));
    for (const other of others) expect(Object.keys(template.Parameters).map(ref)).toContain(other);
  });

  test('signals exactly the resources whose creation waits for the hosts\' signals', () => {
    const waiting = Object.entries(template.Resources)
      .filter(([, resource]) => resource.CreationPolicy?.ResourceSignal !== undefined)
      .map(([logicalId]) => logicalId)
      .sort();
    expect(waiting).toContain('Host');
    expect(valuesOf('SIGNAL_RESOURCE')).toEqual(waiting);
  });

  test('stays within the 16 KB EC2 allows, with long values', () => {
    const longest: BootstrapValues = {
      STACK_NAME: 's'.repeat(128),
      REGION: 'ap-southeast-5',
      SIGNAL_RESOURCE: 'HostGroup',
      TOKEN_PARAMETER: tokenParameterName('e'.repeat(63)),
      CERTIFICATE_PARAMETER: `/${'p'.repeat(299)}`,
      CONNECT_VERSION: '100.100.100',
      DOWNLOAD_URL: `https://${'m'.repeat(292)}`,
      CONNECT_SHA256: 'f'.repeat(64),
    };
    expect(Buffer.byteLength(fillPlaceholders(longest))).toBeLessThanOrEqual(16 * 1024);
  });
});

describe('renderBootstrapScript', () => {
  const values: BootstrapValues = {
    STACK_NAME: 'a',
    REGION: 'b',
    SIGNAL_RESOURCE: 'c',
    TOKEN_PARAMETER: 'd',
    CERTIFICATE_PARAMETER: 'e',
    CONNECT_VERSION: 'f',
    DOWNLOAD_URL: 'g',
    CONNECT_SHA256: 'h',
  };
  const everyPlaceholder = Object.keys(values).map((name) => `@@${name}@@`).join('\n');

  test('refuses a placeholder the stack does not fill in', () => {
    expect(() => renderBootstrapScript(values, `${everyPlaceholder}\n@@INSTANCE_TYPE@@`)).toThrow(
      'bootstrap.sh uses @@INSTANCE_TYPE@@, which the stack does not fill in',
    );
  });

  test('refuses a value the script no longer uses', () => {
    expect(() => renderBootstrapScript(values, everyPlaceholder.replace('@@CONNECT_SHA256@@', ''))).toThrow(
      'bootstrap.sh no longer uses @@CONNECT_SHA256@@',
    );
  });
});
