/**
 * The one place where a template is changed for moto_server, which stands in for CloudFormation and
 * EC2 but lacks what real AWS has. Each change makes the emulator do what AWS does with the template
 * as published; none is in the published template:
 * - moto has no Canonical public AMI parameters and resolves a parameter's Default before the value
 *   given, so the AMI parameter's Default names a parameter the test created;
 * - EC2 resolves a launch template's `resolve:ssm:` image when it launches an instance, moto's EC2
 *   does not, so the emulator's CloudFormation resolves it instead: the AMI parameter gets
 *   CloudFormation's AMI-parameter type and the launch template refers to it;
 * - moto's AWS::EC2::Instance ignores LaunchTemplate, so the single host repeats what EC2 takes from
 *   its launch template (type, image, instance profile, root volume);
 * - moto's CloudFormation cannot create a tagged KMS key, so the keys' tags are left out (the secret
 *   store's, and the API-token mode cloud stack's);
 * - moto's `Fn::Sub` with a variable map runs Python's `string.Template` over the whole text, which
 *   turns `$$` into `$` and `$name` into a variable (the user data's base85 holds both), so each
 *   such `Fn::Sub` becomes the `Fn::Join` of its pieces: the same string, as CloudFormation makes it;
 * - moto leaves an `Fn::If` that yields `AWS::NoValue` in a policy's statement or resource list as
 *   a null element, where AWS drops the element; so such a list becomes an `Fn::If` between the
 *   list with and without it;
 * - moto cannot update a custom resource: it drops it from the stack, after which an output that
 *   reads one of its attributes fails every DescribeStacks with HTTP 500; so such outputs (the cloud
 *   stack's SpecRevision) are left out, and tests read the value from the function's answer.
 */
import { CLOUD_LOGICAL_IDS } from '../../lib/shared/cloud-stack-contract';
import { HOST_INSTANCE_PROFILE_LOGICAL_ID, HOST_LOGICAL_ID, SECRET_STORE_LOGICAL_IDS } from '../../lib/shared/names';

type Template = {
  Parameters?: Record<string, { Default?: unknown; Type?: string; AllowedPattern?: string }>;
  Resources: Record<string, { Type: string; Properties?: Record<string, any> }>;
  Outputs?: Record<string, { Value: unknown }>;
};

/** `amiParameterName`: the parameter the test created, for a template with hosts (an AmiParameter). */
export function forTheEmulator<T extends object>(template: T, amiParameterName?: string): T {
  const changed = structuredClone(template) as unknown as Template;
  const ami = changed.Parameters?.AmiParameter;
  if (ami) {
    if (amiParameterName === undefined) throw new Error('the template has an AmiParameter: name the parameter that holds the AMI');
    ami.Default = amiParameterName;
    ami.Type = 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>';
    delete ami.AllowedPattern;
  }
  for (const resource of Object.values(changed.Resources)) {
    if (resource.Type === 'AWS::EC2::LaunchTemplate') resource.Properties!.LaunchTemplateData.ImageId = { Ref: 'AmiParameter' };
  }
  const host = changed.Resources[HOST_LOGICAL_ID];
  if (host) {
    const launchTemplateId = host.Properties!.LaunchTemplate.LaunchTemplateId.Ref as string;
    const data = changed.Resources[launchTemplateId].Properties!.LaunchTemplateData;
    Object.assign(host.Properties!, {
      InstanceType: data.InstanceType,
      ImageId: data.ImageId,
      IamInstanceProfile: { Ref: HOST_INSTANCE_PROFILE_LOGICAL_ID },
      BlockDeviceMappings: data.BlockDeviceMappings,
    });
  }
  for (const key of [SECRET_STORE_LOGICAL_IDS.key, CLOUD_LOGICAL_IDS.key]) delete changed.Resources[key]?.Properties?.Tags;
  for (const [name, output] of Object.entries(changed.Outputs ?? {})) {
    const [logicalId] = (output.Value as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'] ?? [];
    if (logicalId !== undefined && changed.Resources[logicalId]?.Type.startsWith('Custom::')) delete changed.Outputs?.[name];
  }
  return withNoValueElementsLifted(withSubsJoined(changed)) as unknown as T;
}

const isNoValue = (node: unknown) => (node as { Ref?: unknown })?.Ref === 'AWS::NoValue';

/** Lists in policies: moto's IAM stores a null statement or resource, while elsewhere it skips nulls. */
const POLICY_LISTS = new Set(['Statement', 'Resource']);

function withNoValueElementsLifted(node: unknown, key?: string): unknown {
  if (Array.isArray(node)) {
    if (!POLICY_LISTS.has(key ?? '')) return node.map((element) => withNoValueElementsLifted(element));
    const index = node.findIndex((element) => {
      const branches = (element as { 'Fn::If'?: unknown[] })?.['Fn::If'];
      return Array.isArray(branches) && isNoValue(branches[2]);
    });
    if (index < 0) return node.map((element) => withNoValueElementsLifted(element));
    const [condition, element] = (node[index] as { 'Fn::If': [string, unknown, unknown] })['Fn::If'];
    const withIt = [...node.slice(0, index), element, ...node.slice(index + 1)];
    const withoutIt = [...node.slice(0, index), ...node.slice(index + 1)];
    return { 'Fn::If': [condition, withNoValueElementsLifted(withIt, key), withNoValueElementsLifted(withoutIt, key)] };
  }
  if (typeof node !== 'object' || node === null) return node;
  return Object.fromEntries(Object.entries(node).map(([name, value]) => [name, withNoValueElementsLifted(value, name)]));
}

function withSubsJoined(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withSubsJoined);
  if (typeof node !== 'object' || node === null) return node;
  const sub = (node as { 'Fn::Sub'?: unknown })['Fn::Sub'];
  if (Array.isArray(sub)) {
    const [text, variables] = sub as [string, Record<string, unknown>];
    const pieces = text.split(/(\$\{[^}!]+\})/).filter((piece) => piece !== '');
    return {
      'Fn::Join': [
        '',
        pieces.map((piece) => {
          const name = /^\$\{([^}]+)\}$/.exec(piece)?.[1];
          if (name !== undefined && name in variables) return withSubsJoined(variables[name]);
          return piece.includes('${') ? { 'Fn::Sub': piece } : piece;
        }),
      ],
    };
  }
  return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, withSubsJoined(value)]));
}

/**
 * A function that nobody runs, and its role: the resources a test's own template needs for a function
 * to exist on the emulator (moto looks a custom resource's function up, and tests name one).
 * `functionProperties` adds to the function's.
 */
export function idleFunctionResources(functionProperties: Record<string, unknown> = {}): Record<'Role' | 'Function', object> {
  return {
    Role: {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        },
      },
    },
    Function: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: { 'Fn::GetAtt': ['Role', 'Arn'] },
        Code: { ZipFile: 'exports.handler = async () => {};' },
        ...functionProperties,
      },
    },
  };
}
