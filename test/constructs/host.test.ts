import { singleHost, template } from '../support/console-template';

describe('single host (the default)', () => {
  const host = template.Resources.Host;

  test('exists only with one replica, and then alone', () => {
    expect(host.Condition).toBe('SingleHost');
    expect(template.Conditions?.SingleHost).toEqual({ 'Fn::Equals': [{ Ref: 'Replicas' }, '1'] });
    expect(singleHost.Resources).not.toHaveProperty('HostGroup');
    expect(template.Parameters.Replicas).toMatchObject({ Default: '1', AllowedValues: ['1', '2', '3'] });
  });

  test('launches from the launch template and repeats its hardening', () => {
    expect(host.Properties.LaunchTemplate).toEqual({
      LaunchTemplateId: { Ref: 'HostLaunchTemplate' },
      Version: { 'Fn::GetAtt': ['HostLaunchTemplate', 'LatestVersionNumber'] },
    });
    expect(host.Properties).not.toHaveProperty('UserData');
  });

  test('recovers from hardware failure by itself, keeping its instance id: EC2\'s automatic recovery stays on, with no alarm to keep', () => {
    const launchData = singleHost.Resources.HostLaunchTemplate.Properties.LaunchTemplateData;
    expect(launchData.MaintenanceOptions?.AutoRecovery ?? 'default').toBe('default');
    expect(host.Properties).not.toHaveProperty('MaintenanceOptions');
    expect(Object.values(singleHost.Resources).filter((resource) => resource.Type === 'AWS::CloudWatch::Alarm')).toEqual([]);
  });

  test('takes IMDSv2, its image, type, profile and encrypted gp3 root volume from its launch template, and overrides none of them', () => {
    expect(template.Resources.HostLaunchTemplate.Properties.LaunchTemplateData.MetadataOptions).toMatchObject({ HttpTokens: 'required' });
    for (const property of ['MetadataOptions', 'ImageId', 'InstanceType', 'IamInstanceProfile', 'BlockDeviceMappings']) expect(host.Properties).not.toHaveProperty(property);
  });

  test("is named and tagged with its environment, as every resource users manage is", () => {
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

  test('completes only when the host signals, and starts only after the token is stored', () => {
    expect(host.CreationPolicy).toEqual({ ResourceSignal: { Count: 1, Timeout: 'PT15M' } });
    expect(host.DependsOn).toEqual(expect.arrayContaining(['ConnectSecrets', 'HostRole']));
  });

});
