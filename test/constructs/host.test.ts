/**
 * ConnectHost alone in a small stack, with the launch template it launches from: the single host.
 * Nothing stands in for anything; which subnet, condition and dependencies the stack gives it is
 * tested in test/stack/wiring.test.ts.
 */
import { Token } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ConnectHost } from '../../lib/constructs/host';
import { conditionIn, constructStack, hostLaunchTemplateIn, parameterIn } from '../support/construct-stack';

function hostIn(options: { condition?: boolean } = {}) {
  const stack = constructStack();
  const launchTemplate = hostLaunchTemplateIn(stack, {
    name: 'altinity-connect-acme',
    securityGroupId: parameterIn(stack, 'SecurityGroup'),
    associatePublicIp: Token.asAny(parameterIn(stack, 'AssignPublicIp')),
  });
  const host = new ConnectHost(stack, 'Host', {
    launchTemplate,
    subnetId: 'subnet-0123456789abcdef0',
    condition: options.condition ? conditionIn(stack, 'SingleHost') : undefined,
  });
  return { stack, host, template: Template.fromStack(stack) };
}

describe('ConnectHost', () => {
  test('is one instance, Host, that launches from the latest version of its launch template', () => {
    const { template } = hostIn();
    expect(Object.keys(template.findResources('AWS::EC2::Instance'))).toEqual(['Host']);
    template.hasResourceProperties('AWS::EC2::Instance', {
      LaunchTemplate: Match.objectEquals({
        LaunchTemplateId: { Ref: 'HostLaunchTemplate' },
        Version: { 'Fn::GetAtt': ['HostLaunchTemplate', 'LatestVersionNumber'] },
      }),
    });
  });

  test('takes IMDSv2, its image, type, profile, root volume and user data from its launch template, and overrides none of them', () => {
    const { template } = hostIn();
    const overridable = ['MetadataOptions', 'ImageId', 'InstanceType', 'IamInstanceProfile', 'BlockDeviceMappings', 'UserData'];
    template.hasResourceProperties('AWS::EC2::Instance', Object.fromEntries(overridable.map((property) => [property, Match.absent()])));
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Object.fromEntries(overridable.map((property) => [property, Match.anyValue()])),
    });
  });

  test("has detailed monitoring off, and keeps EC2's automatic recovery, which moves it off failed hardware keeping its instance id: no alarm to keep", () => {
    const { template } = hostIn();
    template.hasResourceProperties('AWS::EC2::Instance', { Monitoring: Match.absent(), MaintenanceOptions: Match.absent() });
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', { LaunchTemplateData: { Monitoring: Match.absent(), MaintenanceOptions: Match.absent() } });
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
  });

  test('repeats the Name tag of its launch template, which its own tags would otherwise replace', () => {
    hostIn().template.hasResourceProperties('AWS::EC2::Instance', { Tags: [{ Key: 'Name', Value: 'altinity-connect-acme' }] });
  });

  test("runs in its own subnet, in the hosts' security group, with the launch template's public address setting", () => {
    hostIn().template.hasResourceProperties('AWS::EC2::Instance', {
      NetworkInterfaces: [
        Match.objectEquals({
          DeviceIndex: '0',
          SubnetId: 'subnet-0123456789abcdef0',
          GroupSet: [{ Ref: 'SecurityGroup' }],
          AssociatePublicIpAddress: { Ref: 'AssignPublicIp' },
          DeleteOnTermination: true,
        }),
      ],
    });
  });

  test("is complete only when the host signals, within the hosts' signal timeout", () => {
    hostIn().template.hasResource('AWS::EC2::Instance', { CreationPolicy: Match.objectEquals({ ResourceSignal: { Count: 1, Timeout: 'PT15M' } }) });
  });

  test("gives the ARN that break glass names, from its instance id, in the stack's partition, region and account", () => {
    const { stack, host } = hostIn();
    expect(stack.resolve(host.instanceArn)).toEqual({
      'Fn::Sub': ['arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:instance/${Id}', { Id: { Ref: 'Host' } }],
    });
  });

  test.each([
    ['exists only while its condition holds, when given one', true, 'SingleHost'],
    ['always exists, when given no condition', false, undefined],
  ])('%s; its launch template exists either way', (_case, condition, expected) => {
    const { template } = hostIn({ condition });
    template.hasResource('AWS::EC2::Instance', { Condition: expected ?? Match.absent() });
    template.hasResource('AWS::EC2::LaunchTemplate', { Condition: Match.absent() });
  });
});
