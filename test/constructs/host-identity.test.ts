/**
 * HostIdentity alone in a small stack: the hosts' role and instance profile, with each optional
 * prop (current features, scoped IAM, permissions boundary) given and not. Nothing stands in for
 * anything; what the role decides once every construct has granted it its part, per permission
 * profile, is evaluated in test/stack/host-ceiling.test.ts, and how the stack ties the props to the
 * console form in test/stack/wiring.test.ts.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import {
  BOUNDARY_REQUIRED_ACTIONS,
  CURRENT_FEATURE_ACTIONS,
  CURRENT_FEATURE_MANAGED_POLICIES,
  DOCUMENTED_MANAGED_POLICIES,
  HostIdentity,
  SCOPED_IAM_STATEMENTS,
  SELF_READ_ACTIONS,
} from '../../lib/constructs/host-identity';
import { conditionIn, constructStack, parameterIn } from '../support/construct-stack';
import { pathsWhere } from '../support/templates';

interface Options {
  readonly currentFeatures?: boolean;
  readonly scopedIam?: boolean;
  readonly permissionsBoundary?: boolean;
}

function identityIn(options: Options = {}) {
  const stack = constructStack();
  const identity = new HostIdentity(stack, 'HostIdentity', {
    description: 'altinitycloud-connect host of Altinity.Cloud environment acme',
    currentFeatures: options.currentFeatures ? conditionIn(stack, 'CurrentPermissions') : undefined,
    scopedIam: options.scopedIam ? conditionIn(stack, 'ScopedIamPermissions') : undefined,
    permissionsBoundary: options.permissionsBoundary
      ? { policyArn: parameterIn(stack, 'PermissionsBoundaryArn'), condition: conditionIn(stack, 'HasPermissionsBoundary') }
      : undefined,
  });
  const template = Template.fromStack(stack);
  return { stack, identity, template, resources: template.toJSON().Resources as Record<string, any> };
}

const managedPolicyArn = (name: string) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:iam::aws:policy/${name}` });
const onlyWhen = (condition: string, value: unknown) => ({ 'Fn::If': [condition, value, { Ref: 'AWS::NoValue' }] });
const ROLE_AND_PROFILE = [{ 'Fn::GetAtt': ['HostRole', 'Arn'] }, { 'Fn::GetAtt': ['HostInstanceProfile', 'Arn'] }];
const selfChangeDenial = (resources: unknown[]) => ({ Effect: 'Deny', NotAction: [...SELF_READ_ACTIONS], Resource: resources });

describe('HostIdentity', () => {
  test('is a role for EC2, HostRole, given to the hosts by the instance profile HostInstanceProfile', () => {
    const { stack, identity, template } = identityIn();
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectEquals({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'ec2.amazonaws.com' } })] },
      Description: 'altinitycloud-connect host of Altinity.Cloud environment acme',
    });
    expect(Object.keys(template.findResources('AWS::IAM::Role'))).toEqual(['HostRole']);
    template.hasResourceProperties('AWS::IAM::InstanceProfile', Match.objectEquals({ Roles: [{ Ref: 'HostRole' }] }));
    expect(stack.resolve(identity.instanceProfile.instanceProfileArn)).toEqual({ 'Fn::GetAtt': ['HostInstanceProfile', 'Arn'] });
  });

  test('has exactly the six documented managed policies, partition-aware, and no boundary and no condition, when given none', () => {
    const { template, resources } = identityIn();
    template.hasResourceProperties('AWS::IAM::Role', {
      ManagedPolicyArns: DOCUMENTED_MANAGED_POLICIES.map(managedPolicyArn),
      PermissionsBoundary: Match.absent(),
    });
    expect([...DOCUMENTED_MANAGED_POLICIES].sort()).toEqual(
      ['AWSLambda_FullAccess', 'AmazonEC2FullAccess', 'AmazonS3FullAccess', 'AmazonSSMManagedInstanceCore', 'AmazonVPCFullAccess', 'IAMFullAccess'].sort(),
    );
    expect(Object.values(resources).filter((resource) => resource.Condition)).toEqual([]);
  });

  test('has the EKS inline policy as valid JSON: eks:* and PassRole only to EKS', () => {
    identityIn().template.hasResourceProperties('AWS::IAM::Role', {
      Policies: [
        Match.objectEquals({
          PolicyName: 'EksFullAccess',
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Allow', Action: 'eks:*', Resource: '*' },
              { Effect: 'Allow', Action: 'iam:PassRole', Resource: '*', Condition: { StringEquals: { 'iam:PassedToService': 'eks.amazonaws.com' } } },
            ],
          },
        }),
      ],
    });
  });

  test('may read its role and instance profile and pass the role, and change nothing of either; without other props, that is its one policy', () => {
    const { template } = identityIn();
    template.resourceCountIs('AWS::IAM::Policy', 1);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: 'HostRole' }],
      PolicyDocument: { Statement: [Match.objectEquals(selfChangeDenial(ROLE_AND_PROFILE))] },
    });
  });

  describe('current features', () => {
    test('while their condition holds, add the managed policies and the MSK and endpoint actions that Altinity grants today for newer features', () => {
      const { template } = identityIn({ currentFeatures: true });
      template.hasResourceProperties('AWS::IAM::Role', {
        ManagedPolicyArns: [
          ...DOCUMENTED_MANAGED_POLICIES.map(managedPolicyArn),
          ...CURRENT_FEATURE_MANAGED_POLICIES.map((name) => onlyWhen('CurrentPermissions', managedPolicyArn(name))),
        ],
      });
      template.hasResource('AWS::IAM::Policy', {
        Condition: 'CurrentPermissions',
        Properties: {
          Roles: [{ Ref: 'HostRole' }],
          PolicyDocument: { Statement: [Match.objectEquals({ Effect: 'Allow', Action: [...CURRENT_FEATURE_ACTIONS], Resource: '*' })] },
        },
      });
      expect(CURRENT_FEATURE_MANAGED_POLICIES).toEqual(['AmazonRoute53FullAccess', 'AmazonSQSFullAccess', 'AmazonS3TablesFullAccess']);
      expect(CURRENT_FEATURE_ACTIONS).toEqual(expect.arrayContaining(['kafka:CreateVpcConnection', 'vpce:AllowMultiRegion']));
    });

    test('change nothing else', () => {
      const without = identityIn().resources;
      const withCurrent = identityIn({ currentFeatures: true }).resources;
      const added = Object.keys(withCurrent).filter((id) => !(id in without));
      expect(added.map((id) => withCurrent[id].Condition)).toEqual(['CurrentPermissions']);
      const { ManagedPolicyArns: _withArns, ...roleWith } = withCurrent.HostRole.Properties;
      const { ManagedPolicyArns: _withoutArns, ...roleWithout } = without.HostRole.Properties;
      expect(roleWith).toEqual(roleWithout);
      for (const id of Object.keys(without).filter((id) => id !== 'HostRole')) expect(withCurrent[id]).toEqual(without[id]);
    });
  });

  describe('scoped IAM', () => {
    test("while its condition holds, replaces IAMFullAccess with the scoped statements of Altinity's module, as HostScopedIam", () => {
      const { template } = identityIn({ scopedIam: true });
      template.hasResourceProperties('AWS::IAM::Role', {
        ManagedPolicyArns: [
          { 'Fn::If': ['ScopedIamPermissions', { Ref: 'AWS::NoValue' }, managedPolicyArn('IAMFullAccess')] },
          ...DOCUMENTED_MANAGED_POLICIES.filter((name) => name !== 'IAMFullAccess').map(managedPolicyArn),
        ],
      });
      expect(Object.keys(template.findResources('AWS::IAM::Policy', { Condition: 'ScopedIamPermissions' }))).toEqual(['HostScopedIam']);
      template.hasResource('AWS::IAM::Policy', {
        Condition: 'ScopedIamPermissions',
        Properties: {
          Roles: [{ Ref: 'HostRole' }],
          PolicyDocument: {
            Statement: Match.exact([
              {
                Effect: 'Allow',
                Action: [...SCOPED_IAM_STATEMENTS.backupUsers],
                Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:user/*-clickhouse-backup' },
              },
              { Effect: 'Allow', Action: [...SCOPED_IAM_STATEMENTS.rolesAndPolicies], Resource: '*' },
              { Effect: 'Allow', Action: ['iam:Get*', 'iam:List*', 'iam:SimulatePrincipalPolicy'], Resource: '*' },
              { Effect: 'Deny', Action: 'iam:Delete*PermissionsBoundary', Resource: '*' },
            ]),
          },
        },
      });
    });

    test("grant no write on users other than the backup users, and none of IAMFullAccess's account-wide writes", () => {
      const { resources } = identityIn({ scopedIam: true });
      const granted = resources.HostScopedIam.Properties.PolicyDocument.Statement.flatMap((statement: { Action: string | string[] }) => statement.Action);
      for (const action of ['iam:*', 'iam:CreateLoginProfile', 'iam:AttachUserPolicy', 'iam:CreateGroup', 'iam:UpdateAccountPasswordPolicy'])
        expect(granted).not.toContain(action);
    });

    test('with a permissions boundary, add a fifth statement while it is set: every role or user the hosts create or give policies to must carry it', () => {
      const { template } = identityIn({ scopedIam: true, permissionsBoundary: true });
      const boundaryOnEveryIdentity = {
        Effect: 'Deny',
        Action: [...BOUNDARY_REQUIRED_ACTIONS],
        Resource: '*',
        Condition: { StringNotEquals: { 'iam:PermissionsBoundary': { Ref: 'PermissionsBoundaryArn' } } },
      };
      template.hasResource('AWS::IAM::Policy', {
        Condition: 'ScopedIamPermissions',
        Properties: {
          PolicyDocument: {
            Statement: [
              Match.anyValue(),
              Match.anyValue(),
              Match.anyValue(),
              Match.anyValue(),
              Match.exact(onlyWhen('HasPermissionsBoundary', boundaryOnEveryIdentity)),
            ],
          },
        },
      });
    });

    test('are absent, and IAMFullAccess unconditional, when not asked for', () => {
      const { template } = identityIn({ permissionsBoundary: true });
      expect(Object.keys(template.findResources('AWS::IAM::Policy'))).not.toContain('HostScopedIam');
      template.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.arrayWith([managedPolicyArn('IAMFullAccess')]) });
    });
  });

  describe('permissions boundary', () => {
    test('while its condition holds, is set on the role, and in the denial that keeps the role from rewriting it; nowhere else', () => {
      const { template, resources } = identityIn({ permissionsBoundary: true, currentFeatures: true });
      const boundary = onlyWhen('HasPermissionsBoundary', { Ref: 'PermissionsBoundaryArn' });
      template.hasResourceProperties('AWS::IAM::Role', { PermissionsBoundary: boundary });
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: 'HostRole' }],
        PolicyDocument: { Statement: [Match.objectEquals(selfChangeDenial([...ROLE_AND_PROFILE, boundary]))] },
      });
      const isBoundary = (node: unknown) => JSON.stringify(node) === JSON.stringify({ Ref: 'PermissionsBoundaryArn' });
      expect(pathsWhere(resources, isBoundary)).toEqual([
        'HostRole.Properties.PermissionsBoundary.Fn::If.1',
        expect.stringMatching(/^HostIdentityRoleDefaultPolicy\w+\.Properties\.PolicyDocument\.Statement\.0\.Resource\.2\.Fn::If\.1$/),
      ]);
    });

    test('is absent when not given', () => {
      const { template } = identityIn({ scopedIam: true, currentFeatures: true });
      template.hasResourceProperties('AWS::IAM::Role', { PermissionsBoundary: Match.absent() });
      template.hasResourceProperties('AWS::IAM::Policy', { PolicyDocument: { Statement: [Match.objectEquals(selfChangeDenial(ROLE_AND_PROFILE))] } });
    });
  });
});
