import { withParameters } from '../support/console-template';
import type { CfnTemplate } from '../support/templates';

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

  test('break glass reaches them as it reaches a single host: by the stack-id tag that CloudFormation gives the group\'s instances', () => {
    const policies = (variant: CfnTemplate) => variant.Resources.BreakGlassRole.Properties.Policies;
    expect(policies(withParameters({ Replicas: '2', BreakGlass: 'enabled' }))).toEqual(policies(withParameters({ BreakGlass: 'enabled' })));
  });
});
