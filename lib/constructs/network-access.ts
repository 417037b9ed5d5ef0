import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';

export interface HostNetworkAccessProps {
  /** VPC the host runs in. */
  readonly vpcId: string;
}

/**
 * The host's security group. Guarantees: no inbound rule of any kind (the host dials out to
 * Altinity.Cloud, and support reaches it through SSM, not through an open port); all outbound
 * traffic allowed, over IPv4 and IPv6, as the provisioning guide requires. Its logical id is
 * `HostSecurityGroup`, readable in the stack's events: one per stack.
 */
export class HostNetworkAccess extends Construct {
  /** The security group resource. */
  readonly securityGroup: ec2.CfnSecurityGroup;

  constructor(scope: Construct, id: string, props: HostNetworkAccessProps) {
    super(scope, id);
    this.securityGroup = new ec2.CfnSecurityGroup(this, 'SecurityGroup', {
      vpcId: props.vpcId,
      // A literal: cdk-nag cannot check an intrinsic here, and changing it would replace the group.
      groupDescription: 'altinitycloud-connect host: no inbound, all outbound',
      securityGroupEgress: [
        { ipProtocol: '-1', cidrIp: '0.0.0.0/0', description: 'Outbound to Altinity.Cloud and AWS APIs' },
        { ipProtocol: '-1', cidrIpv6: '::/0', description: 'Outbound to Altinity.Cloud and AWS APIs' },
      ],
    });
    this.securityGroup.overrideLogicalId('HostSecurityGroup');
  }
}
