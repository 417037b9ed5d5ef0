import { ALTINITY_SUPPORT_PRINCIPAL } from '../../lib/stack/console-form';
import { matches, template, withParameters } from '../support/console-template';

describe('break glass', () => {
  test('exists only when enabled, trusted by the chosen principal presenting the external id', () => {
    const role = template.Resources.BreakGlassRole;
    expect(role.Condition).toBe('BreakGlassEnabled');
    expect(template.Conditions?.BreakGlassEnabled).toEqual({ 'Fn::Equals': [{ Ref: 'BreakGlass' }, 'enabled'] });
    expect(withParameters({ BreakGlass: 'enabled', BreakGlassExternalId: 'agreed-with-altinity' }).Resources.BreakGlassRole.Properties.AssumeRolePolicyDocument.Statement).toEqual([
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
            'Fn::Or': [{ 'Fn::Equals': [{ Ref: 'AWS::Partition' }, 'aws'] }, { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'BreakGlassPrincipal' }, ALTINITY_SUPPORT_PRINCIPAL] }] }],
          },
          AssertDescription: expect.stringMatching(/BreakGlassPrincipal/),
        },
      ],
    });
  });

  test('may start sessions on this stack\'s hosts, with SSH over SSM or a plain shell, and nothing else', () => {
    const open = withParameters({ BreakGlass: 'enabled' });
    const role = open.Resources.BreakGlassRole.Properties;
    const attached = Object.values(open.Resources).filter((resource) => resource.Type === 'AWS::IAM::Policy' && JSON.stringify(resource.Properties.Roles).includes('BreakGlassRole'));
    expect(attached).toEqual([]);
    const statements = role.Policies.flatMap((policy: { PolicyDocument: { Statement: unknown[] } }) => policy.PolicyDocument.Statement);
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: 'ssm:StartSession',
        Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:instance/*' },
        // CloudFormation tags every instance it launches, the group's too, with the stack's id.
        Condition: { StringEquals: { 'ssm:resourceTag/aws:cloudformation:stack-id': { Ref: 'AWS::StackId' } } },
      },
      {
        Effect: 'Allow',
        Action: 'ssm:StartSession',
        Resource: [
          { 'Fn::Sub': 'arn:${AWS::Partition}:ssm:${AWS::Region}:*:document/AWS-StartSSHSession' },
          { 'Fn::Sub': 'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:document/SSM-SessionManagerRunShell' },
        ],
      },
      { Effect: 'Allow', Action: ['ssm:TerminateSession', 'ssm:ResumeSession'], Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:ssm:*:*:session/${!aws:userid}-*' } },
    ]);
    expect(withParameters({}).Resources).not.toHaveProperty('BreakGlassRole');
  });
});
