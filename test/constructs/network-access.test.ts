import { assertions, template } from '../support/console-template';

describe('network access', () => {
  test('the security group admits nothing inbound and allows all outbound', () => {
    const group = template.Resources.HostSecurityGroup.Properties;
    expect(group).not.toHaveProperty('SecurityGroupIngress');
    expect(assertions.findResources('AWS::EC2::SecurityGroupIngress')).toEqual({});
    expect(group.SecurityGroupEgress).toEqual([
      expect.objectContaining({ IpProtocol: '-1', CidrIp: '0.0.0.0/0' }),
      expect.objectContaining({ IpProtocol: '-1', CidrIpv6: '::/0' }),
    ]);
    expect(group.VpcId).toEqual({ Ref: 'VpcId' });
  });
});
