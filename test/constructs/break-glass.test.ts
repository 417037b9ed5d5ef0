/**
 * BreakGlassAccess alone in a small stack: the role Altinity support assumes, what it may do, and that
 * it exists only while its condition holds. Nothing stands in for anything; the console form's break
 * glass (parameters, rule, output) is tested in test/stack/wiring.test.ts.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { BreakGlassAccess } from '../../lib/constructs/break-glass';
import { conditionIn, constructStack, parameterIn } from '../support/construct-stack';

function breakGlassIn() {
  const stack = constructStack();
  const access = new BreakGlassAccess(stack, 'BreakGlass', {
    trustedPrincipalArn: parameterIn(stack, 'SupportPrincipal'),
    externalId: 'agreed-with-altinity',
    condition: conditionIn(stack, 'BreakGlassEnabled'),
  });
  return { stack, access, template: Template.fromStack(stack) };
}

describe('BreakGlassAccess', () => {
  test('is one role, BreakGlassRole, with no other resource, that exists only while its condition holds: disabling it revokes access', () => {
    const { stack, access, template } = breakGlassIn();
    expect(Object.keys(template.toJSON().Resources)).toEqual(['BreakGlassRole']);
    template.hasResource('AWS::IAM::Role', { Condition: 'BreakGlassEnabled' });
    expect(stack.resolve(access.role.attrArn)).toEqual({ 'Fn::GetAtt': ['BreakGlassRole', 'Arn'] });
  });

  test('trusts only the given principal, presenting the external id', () => {
    breakGlassIn().template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectEquals({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 'sts:AssumeRole',
            Principal: { AWS: { Ref: 'SupportPrincipal' } },
            Condition: { StringEquals: { 'sts:ExternalId': 'agreed-with-altinity' } },
          },
        ],
      }),
    });
  });

  test("may start sessions on this stack's hosts, with SSH over SSM or a plain shell, and nothing else", () => {
    breakGlassIn().template.hasResourceProperties('AWS::IAM::Role', {
      ManagedPolicyArns: Match.absent(),
      PermissionsBoundary: Match.absent(),
      Policies: [
        Match.objectEquals({
          PolicyName: 'StartSessionOnHosts',
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
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
              {
                Effect: 'Allow',
                Action: ['ssm:TerminateSession', 'ssm:ResumeSession'],
                Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:ssm:*:*:session/${!aws:userid}-*' },
              },
            ],
          },
        }),
      ],
    });
  });
});
