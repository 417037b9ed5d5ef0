import { isRefTo, template, withParameters } from '../support/console-template';
import { pathsWhere } from '../support/templates';

describe('launch template: every host starts from it', () => {
  const data = template.Resources.HostLaunchTemplate.Properties.LaunchTemplateData;

  test('requires IMDSv2, encrypts a gp3 root volume, and uses the host profile and security group', () => {
    expect(data.MetadataOptions).toMatchObject({ HttpTokens: 'required', HttpEndpoint: 'enabled' });
    expect(data.BlockDeviceMappings).toEqual([{ DeviceName: '/dev/sda1', Ebs: expect.objectContaining({ VolumeType: 'gp3', Encrypted: true }) }]);
    expect(data.IamInstanceProfile).toEqual({ Arn: { 'Fn::GetAtt': ['HostInstanceProfile', 'Arn'] } });
    expect(data.NetworkInterfaces).toEqual([
      expect.objectContaining({ DeviceIndex: 0, Groups: [{ 'Fn::GetAtt': ['HostSecurityGroup', 'GroupId'] }], AssociatePublicIpAddress: { Ref: 'AssignPublicIp' } }),
    ]);
  });

  // Stands in for CloudFormation's update: it resolves a parameter of an AWS::SSM::Parameter::Value
  // type again on every update (so a newer Canonical image would reach the launch template, make a new
  // version and replace the hosts in any update), while EC2 resolves `resolve:ssm:` at each launch.
  test('holds the AMI parameter by name, which EC2 resolves at launch: an update that changes no host setting replaces no host', () => {
    expect(data.ImageId).toEqual({ 'Fn::Sub': 'resolve:ssm:${AmiParameter}' });
    const resolvedOnEveryUpdate = Object.entries(template.Parameters).filter(([, parameter]) => String(parameter.Type).startsWith('AWS::SSM::Parameter::Value'));
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
