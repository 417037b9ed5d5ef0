/**
 * HostNetworkAccess alone in a small stack: the hosts' security group. Nothing stands in for
 * anything; that nothing else in the stack opens the group is tested in test/stack/wiring.test.ts.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { HostNetworkAccess } from '../../lib/constructs/network-access';
import { constructStack, parameterIn } from '../support/construct-stack';

function networkAccessIn() {
  const stack = constructStack();
  const access = new HostNetworkAccess(stack, 'Network', { vpcId: parameterIn(stack, 'VpcId') });
  return { stack, access, template: Template.fromStack(stack) };
}

describe('HostNetworkAccess', () => {
  test('admits nothing inbound: no ingress rule, in the group or beside it', () => {
    const { template } = networkAccessIn();
    template.hasResourceProperties('AWS::EC2::SecurityGroup', { SecurityGroupIngress: Match.absent() });
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });

  test('allows all outbound traffic, over IPv4 and IPv6', () => {
    networkAccessIn().template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupEgress: [
        Match.objectEquals({ IpProtocol: '-1', CidrIp: '0.0.0.0/0', Description: 'Outbound to Altinity.Cloud and AWS APIs' }),
        Match.objectEquals({ IpProtocol: '-1', CidrIpv6: '::/0', Description: 'Outbound to Altinity.Cloud and AWS APIs' }),
      ],
    });
  });

  test('is one security group, HostSecurityGroup, in the given VPC', () => {
    const { stack, access, template } = networkAccessIn();
    expect(Object.keys(template.toJSON().Resources)).toEqual(['HostSecurityGroup']);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', { VpcId: { Ref: 'VpcId' } });
    expect(stack.resolve(access.securityGroup.attrGroupId)).toEqual({ 'Fn::GetAtt': ['HostSecurityGroup', 'GroupId'] });
  });
});
