import { CURRENT_FEATURE_ACTIONS, CURRENT_FEATURE_MANAGED_POLICIES, DOCUMENTED_MANAGED_POLICIES, SCOPED_IAM_STATEMENTS } from '../../lib/constructs/host-identity';
import {
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
import { pathsWhere } from '../support/templates';

describe('host identity', () => {
  const hostRole = singleHost.Resources.HostRole.Properties;

  test('has exactly the six documented managed policies, partition-aware, and no boundary by default', () => {
    expect(hostRole.ManagedPolicyArns).toEqual(DOCUMENTED_MANAGED_POLICIES.map(managedPolicyArn));
    expect(hostRole).not.toHaveProperty('PermissionsBoundary');
    expect([...DOCUMENTED_MANAGED_POLICIES].sort()).toEqual(
      ['AWSLambda_FullAccess', 'AmazonEC2FullAccess', 'AmazonS3FullAccess', 'AmazonSSMManagedInstanceCore', 'AmazonVPCFullAccess', 'IAMFullAccess'].sort(),
    );
  });

  test('has the EKS inline policy as valid JSON: eks:* and PassRole only to EKS', () => {
    expect(hostRole.Policies).toEqual([
      {
        PolicyName: 'EksFullAccess',
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: 'eks:*', Resource: '*' },
            { Effect: 'Allow', Action: 'iam:PassRole', Resource: '*', Condition: { StringEquals: { 'iam:PassedToService': 'eks.amazonaws.com' } } },
          ],
        },
      },
    ]);
  });

  test('may read its own secret parameters, write only the certificate, signal only its own stack, and change nothing of itself', () => {
    expect(hostPolicyStatements(singleHost)).toEqual([
      {
        Effect: 'Deny',
        NotAction: ['iam:Get*', 'iam:List*', 'iam:PassRole'],
        Resource: [{ 'Fn::GetAtt': ['HostRole', 'Arn'] }, { 'Fn::GetAtt': ['HostInstanceProfile', 'Arn'] }],
      },
      { Effect: 'Allow', Action: ['ssm:GetParameter', 'ssm:ListTagsForResource'], Resource: [parameterArn(TOKEN_PARAMETER), parameterArn(CERTIFICATE_PARAMETER)] },
      { Effect: 'Allow', Action: ['ssm:PutParameter', 'ssm:DeleteParameter', 'ssm:AddTagsToResource'], Resource: parameterArn(CERTIFICATE_PARAMETER) },
      { Effect: 'Allow', Action: 'ssm:DescribeParameters', Resource: '*' },
      expect.objectContaining({ Effect: 'Allow', Action: 'kms:Decrypt', Condition: expect.objectContaining({ StringEquals: expect.objectContaining({ 'kms:EncryptionContext:PARAMETER_ARN': expect.anything() }) }) }),
      { Effect: 'Allow', Action: 'cloudformation:SignalResource', Resource: { Ref: 'AWS::StackId' } },
    ]);
  });

  test('the current profile adds what Altinity grants today for newer features, and nothing else changes', () => {
    const current = withParameters({ PermissionProfile: 'current' });
    expect(current.Resources.HostRole.Properties.ManagedPolicyArns).toEqual(
      [...DOCUMENTED_MANAGED_POLICIES, ...CURRENT_FEATURE_MANAGED_POLICIES].map(managedPolicyArn),
    );
    expect(CURRENT_FEATURE_MANAGED_POLICIES).toEqual(['AmazonRoute53FullAccess', 'AmazonSQSFullAccess', 'AmazonS3TablesFullAccess']);
    const added = Object.keys(current.Resources).filter((id) => !(id in singleHost.Resources));
    expect(added).toHaveLength(1);
    const [policy] = added.map((id) => current.Resources[id]);
    expect(policy.Properties.Roles).toEqual([{ Ref: 'HostRole' }]);
    expect(policy.Properties.PolicyDocument.Statement).toEqual([{ Effect: 'Allow', Action: [...CURRENT_FEATURE_ACTIONS], Resource: '*' }]);
    expect(CURRENT_FEATURE_ACTIONS).toEqual(expect.arrayContaining(['kafka:CreateVpcConnection', 'vpce:AllowMultiRegion']));
  });

  test('the restricted profile grants what current does, with the scoped IAM statements of Altinity\'s module instead of IAMFullAccess', () => {
    const restricted = withParameters({ PermissionProfile: 'restricted' });
    const current = withParameters({ PermissionProfile: 'current' });
    expect(restricted.Resources.HostRole.Properties.ManagedPolicyArns).toEqual(
      current.Resources.HostRole.Properties.ManagedPolicyArns.filter((arn: unknown) => JSON.stringify(arn) !== JSON.stringify(managedPolicyArn('IAMFullAccess'))),
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
    // No write on users other than the backup users, and nothing of IAMFullAccess's account-wide writes.
    const granted = scoped.PolicyDocument.Statement.flatMap((statement: { Action: string[] }) => statement.Action);
    for (const action of ['iam:*', 'iam:CreateLoginProfile', 'iam:AttachUserPolicy', 'iam:CreateGroup', 'iam:UpdateAccountPasswordPolicy']) expect(granted).not.toContain(action);
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
