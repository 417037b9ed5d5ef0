/**
 * ConnectHostGroup alone in a small stack, with the launch template its hosts launch from: several
 * hosts in an Auto Scaling group. Nothing stands in for anything. A failed host marking itself
 * unhealthy is the bootstrap script's part (test/host/); the Replicas parameter, the condition and
 * the outputs the stack gives the group are tested in test/stack/wiring.test.ts.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ConnectHost } from '../../lib/constructs/host';
import { ConnectHostGroup } from '../../lib/constructs/host-group';
import { conditionIn, constructStack, hostLaunchTemplateIn, parameterIn } from '../support/construct-stack';

function groupIn(options: { condition?: boolean } = {}) {
  const stack = constructStack();
  const launchTemplate = hostLaunchTemplateIn(stack);
  new ConnectHostGroup(stack, 'Hosts', {
    launchTemplate,
    subnetIds: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'],
    replicas: parameterIn(stack, 'Replicas'),
    maxReplicas: 3,
    condition: options.condition ? conditionIn(stack, 'MultipleHosts') : undefined,
  });
  return { template: Template.fromStack(stack) };
}

describe('ConnectHostGroup', () => {
  test('is one Auto Scaling group, HostGroup, of the given number of hosts over the given subnets, with room for one more during an update', () => {
    const { template } = groupIn();
    expect(Object.keys(template.findResources('AWS::AutoScaling::AutoScalingGroup'))).toEqual(['HostGroup']);
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      MinSize: { Ref: 'Replicas' },
      DesiredCapacity: { Ref: 'Replicas' },
      MaxSize: '4',
      VPCZoneIdentifier: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'],
      HealthCheckType: 'EC2',
    });
  });

  test('launches every host from the latest version of the launch template a single host uses: the same hardening and bootstrap', () => {
    const stack = constructStack();
    const launchTemplate = hostLaunchTemplateIn(stack);
    new ConnectHostGroup(stack, 'Hosts', { launchTemplate, subnetIds: ['subnet-0123456789abcdef0'], replicas: '2', maxReplicas: 3 });
    new ConnectHost(stack, 'Host', { launchTemplate, subnetId: 'subnet-0123456789abcdef0' });
    const template = Template.fromStack(stack);
    const specification = { LaunchTemplateId: { Ref: 'HostLaunchTemplate' }, Version: { 'Fn::GetAtt': ['HostLaunchTemplate', 'LatestVersionNumber'] } };
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { LaunchTemplate: Match.objectEquals(specification) });
    template.hasResourceProperties('AWS::EC2::Instance', { LaunchTemplate: Match.objectEquals(specification) });
    template.resourceCountIs('AWS::EC2::LaunchTemplate', 1);
  });

  test("creation waits for one success signal per host, within the hosts' signal timeout", () => {
    groupIn().template.hasResource('AWS::AutoScaling::AutoScalingGroup', {
      CreationPolicy: Match.objectEquals({
        ResourceSignal: { Count: { Ref: 'Replicas' }, Timeout: 'PT15M' },
        AutoScalingCreationPolicy: { MinSuccessfulInstancesPercent: 100 },
      }),
    });
  });

  test('a rolling update starts one new host at a time and waits for its signal before retiring an old one, with nothing else replacing hosts meanwhile', () => {
    groupIn().template.hasResource('AWS::AutoScaling::AutoScalingGroup', {
      UpdatePolicy: Match.objectEquals({
        AutoScalingRollingUpdate: {
          MaxBatchSize: 1,
          MinInstancesInService: { Ref: 'Replicas' },
          PauseTime: 'PT15M',
          WaitOnResourceSignals: true,
          SuspendProcesses: ['HealthCheck', 'ReplaceUnhealthy', 'AZRebalance'],
        },
      }),
    });
  });

  test.each([
    ['exists only while its condition holds, when given one', true, 'MultipleHosts'],
    ['always exists, when given no condition', false, undefined],
  ])('%s; its launch template exists either way', (_case, condition, expected) => {
    const { template } = groupIn({ condition });
    template.hasResource('AWS::AutoScaling::AutoScalingGroup', { Condition: expected ?? Match.absent() });
    template.hasResource('AWS::EC2::LaunchTemplate', { Condition: Match.absent() });
  });
});
