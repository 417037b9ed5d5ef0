import { type CfnTemplate, consoleModeTemplate } from '../support/templates';

/**
 * A stack set creates the published template in many accounts and regions at once, and an account
 * may run several environments. A name the template gives a resource explicitly must therefore never
 * collide: IAM names are global to an account (one per account, across every region), so the
 * template must not give any; regional names must carry the environment name, which differs between
 * the environments of one account and region (a stack set has one stack per account and region).
 */

/** Types whose explicit name is unique across all regions of an account, or across AWS. */
const GLOBAL_NAME_PROPERTIES: Readonly<Record<string, readonly string[]>> = {
  'AWS::IAM::Role': ['RoleName'],
  'AWS::IAM::InstanceProfile': ['InstanceProfileName'],
  'AWS::IAM::ManagedPolicy': ['ManagedPolicyName'],
  'AWS::IAM::User': ['UserName'],
  'AWS::IAM::Group': ['GroupName'],
  'AWS::IAM::OIDCProvider': ['Url'],
  'AWS::S3::Bucket': ['BucketName'],
};

/** Types whose explicit name is unique within an account and region. */
const REGIONAL_NAME_PROPERTIES: Readonly<Record<string, readonly string[]>> = {
  'AWS::Logs::LogGroup': ['LogGroupName'],
  'AWS::Lambda::Function': ['FunctionName'],
  'AWS::EC2::LaunchTemplate': ['LaunchTemplateName'],
  'AWS::EC2::SecurityGroup': ['GroupName'],
  'AWS::AutoScaling::AutoScalingGroup': ['AutoScalingGroupName'],
  'AWS::CloudWatch::Alarm': ['AlarmName'],
  'AWS::SSM::Parameter': ['Name'],
  // The custom resource writes SSM parameters under names it derives from the environment name.
  'Custom::ConnectSecrets': ['EnvName'],
};

/**
 * Types without a name of their own (an instance's Name tag is only a label), or whose name is
 * scoped to another resource (an AWS::IAM::Policy is an inline policy: its name is unique per role).
 */
const NAMELESS_TYPES: readonly string[] = ['AWS::EC2::Instance', 'AWS::IAM::Policy', 'AWS::KMS::Key'];

type Resources = CfnTemplate['Resources'];

/** `Type.Property` of each resource that names itself with a global name, by logical id. */
function globalNames(resources: Resources): string[] {
  return Object.entries(resources).flatMap(([logicalId, { Type, Properties }]) =>
    (GLOBAL_NAME_PROPERTIES[Type] ?? []).filter((property) => Properties?.[property] !== undefined).map((property) => `${logicalId}: ${Type}.${property}`),
  );
}

/** Regional names that do not depend on the environment name, by logical id. */
function regionalNamesWithoutEnvironment(resources: Resources): string[] {
  return Object.entries(resources).flatMap(([logicalId, { Type, Properties }]) =>
    (REGIONAL_NAME_PROPERTIES[Type] ?? [])
      .filter((property) => Properties?.[property] !== undefined && !mentionsEnvName(Properties[property]))
      .map((property) => `${logicalId}: ${Type}.${property} = ${JSON.stringify(Properties[property])}`),
  );
}

function mentionsEnvName(value: unknown): boolean {
  const text = JSON.stringify(value);
  return text.includes('{"Ref":"EnvName"}') || text.includes('${EnvName}');
}

describe('names in the published template, for stack sets across accounts and regions', () => {
  const template = consoleModeTemplate();

  test('every resource type is classified here, so that a new one gets looked at', () => {
    const known = new Set([...Object.keys(GLOBAL_NAME_PROPERTIES), ...Object.keys(REGIONAL_NAME_PROPERTIES), ...NAMELESS_TYPES]);
    const unknown = [...new Set(Object.values(template.Resources).map((resource) => resource.Type))].filter((type) => !known.has(type));
    expect(unknown).toEqual([]);
  });

  test('no resource is given an IAM (account-wide) or S3 (AWS-wide) name: CloudFormation generates them', () => {
    expect(globalNames(template.Resources)).toEqual([]);
  });

  test('every regional name it gives carries the environment name', () => {
    expect(regionalNamesWithoutEnvironment(template.Resources)).toEqual([]);
    // The one regional name there is today (the SSM parameters the custom resource writes, below
    // /altinity-connect/<EnvName>/), on which the hosts and the README rely.
    expect(mentionsEnvName(template.Resources.ConnectSecrets.Properties.EnvName)).toBe(true);
  });

  test('an export, if any, carries the environment name: export names are unique in an account and region', () => {
    expect(Object.entries(template.Outputs).filter(([, output]) => output.Export !== undefined && !mentionsEnvName(output.Export.Name))).toEqual([]);
  });

  test('the checks catch an explicit role name, and a regional name without the environment', () => {
    const role = Object.keys(template.Resources).find((id) => template.Resources[id].Type === 'AWS::IAM::Role')!;
    const doctored: Resources = {
      ...template.Resources,
      [role]: { ...template.Resources[role], Properties: { ...template.Resources[role].Properties, RoleName: 'altinity-connect-host' } },
      Logs: { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: '/altinity-connect/secrets' } },
      EnvLogs: { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: { 'Fn::Sub': '/altinity-connect/${EnvName}/secrets' } } },
    };
    expect(globalNames(doctored)).toEqual([`${role}: AWS::IAM::Role.RoleName`]);
    expect(regionalNamesWithoutEnvironment(doctored)).toEqual(['Logs: AWS::Logs::LogGroup.LogGroupName = "/altinity-connect/secrets"']);
  });
});
