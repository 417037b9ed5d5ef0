/**
 * The console template as a whole: how ConnectStack wires each construct to the console form's
 * parameters, conditions and rules and to the other constructs, read as CloudFormation acts on it for
 * given parameter values (lib's template evaluator stands in for CloudFormation's conditions and
 * intrinsic functions). What each construct guarantees on its own is tested in test/constructs/.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bundleHandler } from '../../lib/constructs/inline-handler';
import {
  DOCUMENTED_MANAGED_POLICIES,
  CURRENT_FEATURE_ACTIONS,
  CURRENT_FEATURE_MANAGED_POLICIES,
  SCOPED_IAM_STATEMENTS,
} from '../../lib/constructs/host-identity';
import { HANDLER_RUNTIME } from '../../lib/constructs/secret-store';
import { toYaml } from '../../lib/release/publish';
import { sha256Of, unpackCommand } from '../../lib/shared/packed-text';
import { ALTINITY_SUPPORT_PRINCIPAL } from '../../lib/stack/console-form';
import {
  assertions,
  CERTIFICATE_PARAMETER,
  hostPolicyStatements,
  isRefTo,
  managedPolicyArn,
  matches,
  parameterArn,
  singleHost,
  template,
  TOKEN_PARAMETER,
  withParameters,
} from '../support/console-template';
import { type CfnTemplate, pathsWhere } from '../support/templates';

describe('break glass', () => {
  test('exists only when enabled, trusted by the chosen principal presenting the external id', () => {
    const role = template.Resources.BreakGlassRole;
    expect(role.Condition).toBe('BreakGlassEnabled');
    expect(template.Conditions?.BreakGlassEnabled).toEqual({ 'Fn::Equals': [{ Ref: 'BreakGlass' }, 'enabled'] });
    expect(
      withParameters({ BreakGlass: 'enabled', BreakGlassExternalId: 'agreed-with-altinity' }).Resources.BreakGlassRole.Properties.AssumeRolePolicyDocument
        .Statement,
    ).toEqual([
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Principal: { AWS: { Ref: 'BreakGlassPrincipal' } },
        Condition: { StringEquals: { 'sts:ExternalId': { Ref: 'BreakGlassExternalId' } } },
      },
    ]);
    expect(template.Parameters.BreakGlassExternalId).toMatchObject({ Default: '', MaxLength: 1224 });
    expect(matches(template.Parameters.BreakGlassExternalId.AllowedPattern, "it's")).toBe(false);
  });

  test('is refused without an external id, and outside the aws partition with the default principal, before anything is created', () => {
    expect(template.Rules?.BreakGlassSettings).toEqual({
      RuleCondition: { 'Fn::Equals': [{ Ref: 'BreakGlass' }, 'enabled'] },
      Assertions: [
        { Assert: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'BreakGlassExternalId' }, ''] }] }, AssertDescription: expect.stringMatching(/BreakGlassExternalId/) },
        {
          Assert: {
            'Fn::Or': [
              { 'Fn::Equals': [{ Ref: 'AWS::Partition' }, 'aws'] },
              { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'BreakGlassPrincipal' }, ALTINITY_SUPPORT_PRINCIPAL] }] },
            ],
          },
          AssertDescription: expect.stringMatching(/BreakGlassPrincipal/),
        },
      ],
    });
  });

  test('no other part of the stack gives the role a policy, and while break glass is disabled the role does not exist', () => {
    const open = withParameters({ BreakGlass: 'enabled' });
    const attached = Object.values(open.Resources).filter(
      (resource) => resource.Type === 'AWS::IAM::Policy' && JSON.stringify(resource.Properties.Roles).includes('BreakGlassRole'),
    );
    expect(attached).toEqual([]);
    expect(withParameters({}).Resources).not.toHaveProperty('BreakGlassRole');
  });
});

describe('several hosts (Replicas above 1)', () => {
  const ha = withParameters({ Replicas: '3' });
  const group = ha.Resources.HostGroup;

  test('run in an Auto Scaling group over the chosen subnets, from the same launch template, instead of the single host', () => {
    expect(ha.Resources).not.toHaveProperty('Host');
    expect(ha.Resources).not.toHaveProperty('HostAutoRecovery');
    expect(group.Properties).toMatchObject({
      MinSize: { Ref: 'Replicas' },
      DesiredCapacity: { Ref: 'Replicas' },
      MaxSize: '4',
      VPCZoneIdentifier: { Ref: 'SubnetIds' },
      LaunchTemplate: { LaunchTemplateId: { Ref: 'HostLaunchTemplate' }, Version: { 'Fn::GetAtt': ['HostLaunchTemplate', 'LatestVersionNumber'] } },
    });
    expect(group.Properties.Tags).toContainEqual({ Key: 'altinity:cloud/env', Value: { Ref: 'EnvName' }, PropagateAtLaunch: true });
  });

  test('creation waits for one signal per host; a rolling update replaces one host at a time and waits for it', () => {
    expect(group.CreationPolicy).toEqual({
      ResourceSignal: { Count: { Ref: 'Replicas' }, Timeout: 'PT15M' },
      AutoScalingCreationPolicy: { MinSuccessfulInstancesPercent: 100 },
    });
    expect(group.UpdatePolicy.AutoScalingRollingUpdate).toMatchObject({
      MaxBatchSize: 1,
      MinInstancesInService: { Ref: 'Replicas' },
      WaitOnResourceSignals: true,
      PauseTime: 'PT15M',
    });
    expect(group.DependsOn).toEqual(expect.arrayContaining(['ConnectSecrets', 'HostRole']));
  });

  test('say where the instance ARNs are, instead of one instance', () => {
    expect(Object.keys(ha.Outputs)).not.toContain('InstanceArn');
    expect(ha.Outputs.HostGroupName).toMatchObject({ Value: { Ref: 'HostGroup' }, Description: expect.stringMatching(/npm run status/) });
  });

  test("break glass reaches them as it reaches a single host: by the stack-id tag that CloudFormation gives the group's instances", () => {
    const policies = (variant: CfnTemplate) => variant.Resources.BreakGlassRole.Properties.Policies;
    expect(policies(withParameters({ Replicas: '2', BreakGlass: 'enabled' }))).toEqual(policies(withParameters({ BreakGlass: 'enabled' })));
  });
});

describe('host identity', () => {
  const hostRole = singleHost.Resources.HostRole.Properties;

  test('with the documented profile and no boundary (the defaults), has exactly the six documented managed policies and no boundary', () => {
    expect(hostRole.ManagedPolicyArns).toEqual(DOCUMENTED_MANAGED_POLICIES.map(managedPolicyArn));
    expect(hostRole).not.toHaveProperty('PermissionsBoundary');
  });

  test('may read its own secret parameters, write only the certificate, signal only its own stack, and change nothing of itself', () => {
    expect(hostPolicyStatements(singleHost)).toEqual([
      {
        Effect: 'Deny',
        NotAction: ['iam:Get*', 'iam:List*', 'iam:PassRole'],
        Resource: [{ 'Fn::GetAtt': ['HostRole', 'Arn'] }, { 'Fn::GetAtt': ['HostInstanceProfile', 'Arn'] }],
      },
      {
        Effect: 'Allow',
        Action: ['ssm:GetParameter', 'ssm:ListTagsForResource'],
        Resource: [parameterArn(TOKEN_PARAMETER), parameterArn(CERTIFICATE_PARAMETER)],
      },
      { Effect: 'Allow', Action: ['ssm:PutParameter', 'ssm:DeleteParameter', 'ssm:AddTagsToResource'], Resource: parameterArn(CERTIFICATE_PARAMETER) },
      { Effect: 'Allow', Action: 'ssm:DescribeParameters', Resource: '*' },
      expect.objectContaining({
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Condition: expect.objectContaining({ StringEquals: expect.objectContaining({ 'kms:EncryptionContext:PARAMETER_ARN': expect.anything() }) }),
      }),
      { Effect: 'Allow', Action: 'cloudformation:SignalResource', Resource: { Ref: 'AWS::StackId' } },
    ]);
  });

  test('the current profile adds what Altinity grants today for newer features, and nothing else changes', () => {
    const current = withParameters({ PermissionProfile: 'current' });
    expect(current.Resources.HostRole.Properties.ManagedPolicyArns).toEqual(
      [...DOCUMENTED_MANAGED_POLICIES, ...CURRENT_FEATURE_MANAGED_POLICIES].map(managedPolicyArn),
    );
    const added = Object.keys(current.Resources).filter((id) => !(id in singleHost.Resources));
    expect(added).toHaveLength(1);
    const [policy] = added.map((id) => current.Resources[id]);
    expect(policy.Properties.Roles).toEqual([{ Ref: 'HostRole' }]);
    expect(policy.Properties.PolicyDocument.Statement).toEqual([{ Effect: 'Allow', Action: [...CURRENT_FEATURE_ACTIONS], Resource: '*' }]);
  });

  test("the restricted profile grants what current does, with the scoped IAM statements of Altinity's module instead of IAMFullAccess", () => {
    const restricted = withParameters({ PermissionProfile: 'restricted' });
    const current = withParameters({ PermissionProfile: 'current' });
    expect(restricted.Resources.HostRole.Properties.ManagedPolicyArns).toEqual(
      current.Resources.HostRole.Properties.ManagedPolicyArns.filter(
        (arn: unknown) => JSON.stringify(arn) !== JSON.stringify(managedPolicyArn('IAMFullAccess')),
      ),
    );
    expect(Object.keys(restricted.Resources).filter((id) => !(id in current.Resources))).toEqual(['HostScopedIam']);
    const scoped = restricted.Resources.HostScopedIam.Properties;
    expect(scoped.Roles).toEqual([{ Ref: 'HostRole' }]);
    expect(scoped.PolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: [...SCOPED_IAM_STATEMENTS.backupUsers],
        Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:user/*-clickhouse-backup' },
      },
      { Effect: 'Allow', Action: [...SCOPED_IAM_STATEMENTS.rolesAndPolicies], Resource: '*' },
      { Effect: 'Allow', Action: ['iam:Get*', 'iam:List*', 'iam:SimulatePrincipalPolicy'], Resource: '*' },
      { Effect: 'Deny', Action: 'iam:Delete*PermissionsBoundary', Resource: '*' },
    ]);
    expect(template.Parameters.PermissionProfile.AllowedValues).toEqual(['documented', 'current', 'restricted']);
  });

  test('a permissions boundary, when given, is set on the host role only', () => {
    const boundary = 'arn:aws:iam::123456789012:policy/altinity-boundary';
    const bounded = withParameters({ PermissionsBoundaryArn: boundary });
    expect(bounded.Resources.HostRole.Properties.PermissionsBoundary).toEqual({ Ref: 'PermissionsBoundaryArn' });
    // On the role, and in the deny that keeps the role from rewriting the policy.
    expect(pathsWhere(bounded.Resources, isRefTo('PermissionsBoundaryArn'))).toEqual([
      'HostRole.Properties.PermissionsBoundary',
      expect.stringMatching(/^HostIdentityRoleDefaultPolicy\w+\.Properties\.PolicyDocument\.Statement\.0\.Resource\.2$/),
    ]);
    expect(matches(template.Parameters.PermissionsBoundaryArn.AllowedPattern, boundary)).toBe(true);
    expect(matches(template.Parameters.PermissionsBoundaryArn.AllowedPattern, 'altinity-boundary')).toBe(false);
  });
});

describe('launch template: every host starts from it', () => {
  const data = template.Resources.HostLaunchTemplate.Properties.LaunchTemplateData;

  test("uses the hosts' instance profile and security group, and the AssignPublicIp answer", () => {
    expect(data.IamInstanceProfile).toEqual({ Arn: { 'Fn::GetAtt': ['HostInstanceProfile', 'Arn'] } });
    expect(data.NetworkInterfaces).toEqual([
      expect.objectContaining({
        DeviceIndex: 0,
        Groups: [{ 'Fn::GetAtt': ['HostSecurityGroup', 'GroupId'] }],
        AssociatePublicIpAddress: { Ref: 'AssignPublicIp' },
      }),
    ]);
  });

  // Stands in for CloudFormation's update: it resolves a parameter of an AWS::SSM::Parameter::Value
  // type again on every update (so a newer Canonical image would reach the launch template, make a new
  // version and replace the hosts in any update), while EC2 resolves `resolve:ssm:` at each launch.
  test('holds the AMI parameter by name, which EC2 resolves at launch: an update that changes no host setting replaces no host', () => {
    expect(data.ImageId).toEqual({ 'Fn::Sub': 'resolve:ssm:${AmiParameter}' });
    const resolvedOnEveryUpdate = Object.entries(template.Parameters).filter(([, parameter]) =>
      String(parameter.Type).startsWith('AWS::SSM::Parameter::Value'),
    );
    expect(resolvedOnEveryUpdate).toEqual([]);
    const withBreakGlass = (breakGlass: string) => withParameters({ BreakGlass: breakGlass, BreakGlassExternalId: 'x-support' }).Resources.HostLaunchTemplate;
    expect(withBreakGlass('enabled')).toEqual(withBreakGlass('disabled'));
  });

  test('carries the user data, one text for a single host and a group alike but for the resource to signal, and never the token', () => {
    expect(Object.keys(data.UserData)).toEqual(['Fn::Base64']);
    const [text, variables] = data.UserData['Fn::Base64']['Fn::Sub'];
    expect(text).not.toContain('Fn::If');
    expect(variables).toEqual({ SIGNAL_RESOURCE: { 'Fn::If': ['SingleHost', 'Host', 'HostGroup'] } });
    expect(pathsWhere(data, isRefTo('Token'))).toEqual([]);
  });
});

describe('user data', () => {
  test('carries no secret: only parameter names, never the token', () => {
    const userData = JSON.stringify(template.Resources.HostLaunchTemplate.Properties.LaunchTemplateData.UserData);
    expect(userData).not.toContain('"Ref":"Token"');
    expect(userData).toContain('/altinity-connect/${EnvName}/token');
    expect(userData).toContain('/altinity-connect/${EnvName}/certificate');
  });
});

describe('single host (the default)', () => {
  const host = template.Resources.Host;

  test('exists only with one replica, and then alone', () => {
    expect(host.Condition).toBe('SingleHost');
    expect(template.Conditions?.SingleHost).toEqual({ 'Fn::Equals': [{ Ref: 'Replicas' }, '1'] });
    expect(singleHost.Resources).not.toHaveProperty('HostGroup');
    expect(template.Parameters.Replicas).toMatchObject({ Default: '1', AllowedValues: ['1', '2', '3'] });
  });

  test("has no alarm anywhere in the stack to keep: EC2's automatic recovery needs none", () => {
    expect(Object.values(singleHost.Resources).filter((resource) => resource.Type === 'AWS::CloudWatch::Alarm')).toEqual([]);
  });

  test('is named and tagged with its environment, as every resource users manage is', () => {
    expect(host.Properties.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'altinity:cloud/env', Value: { Ref: 'EnvName' } },
        { Key: 'Name', Value: { 'Fn::Sub': 'altinity-connect-${EnvName}' } },
      ]),
    );
    const taggable = Object.entries(template.Resources).filter(([, resource]) => resource.Properties?.Tags);
    expect(taggable.length).toBeGreaterThanOrEqual(5);
    for (const [, resource] of taggable) {
      expect(resource.Properties.Tags).toContainEqual(expect.objectContaining({ Key: 'altinity:cloud/env', Value: { Ref: 'EnvName' } }));
    }
  });

  test('runs in the first chosen subnet with the requested public address setting', () => {
    expect(host.Properties.NetworkInterfaces).toEqual([
      expect.objectContaining({
        DeviceIndex: '0',
        SubnetId: { 'Fn::Select': [0, { Ref: 'SubnetIds' }] },
        AssociatePublicIpAddress: { Ref: 'AssignPublicIp' },
        GroupSet: [{ 'Fn::GetAtt': ['HostSecurityGroup', 'GroupId'] }],
      }),
    ]);
  });

  test('starts only after the token is stored and its role can read it', () => {
    expect(host.DependsOn).toEqual(expect.arrayContaining(['ConnectSecrets', 'HostRole']));
  });
});

describe('network access', () => {
  test('nothing in the stack opens the security group inbound, and it is in the chosen VPC', () => {
    expect(assertions.findResources('AWS::EC2::SecurityGroupIngress')).toEqual({});
    expect(template.Resources.HostSecurityGroup.Properties.VpcId).toEqual({ Ref: 'VpcId' });
  });
});

describe('secret store', () => {
  test('the handler the template inlines is the bundle, byte for byte: the documented command reads it back', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'handler-'));
    try {
      const file = path.join(dir, 'template.yaml');
      fs.writeFileSync(file, toYaml(template));
      const unpacked = execFileSync('bash', ['-c', unpackCommand('handler', JSON.stringify(file))], { encoding: 'utf8' });
      // The console's build: its stacks' tokens are never staged.
      expect(unpacked).toBe(bundleHandler('secret-store', HANDLER_RUNTIME, { STAGED_TOKENS: false }));
      expect(template.Resources.SecretsHandler921AA853.Properties.Code.ZipFile).toContain(`SHA-256 ${sha256Of(unpacked)}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
