import { DescribeVpcsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { NetworkDefaults } from '../stack/console-form';

/**
 * The IPv4 ranges of the VPC the hosts go into (the one given with `-c vpc`, or the default VPC), so
 * that the app refuses an environment `cidr` that overlaps them before anything is created.
 * Undefined when the account has no default VPC to look at.
 */
export async function hostNetworkCidrs(ec2: EC2Client, network: NetworkDefaults): Promise<string[] | undefined> {
  const request = network.kind === 'given' ? { VpcIds: [network.vpcId] } : { Filters: [{ Name: 'is-default', Values: ['true'] }] };
  const { Vpcs } = await ec2.send(new DescribeVpcsCommand(request));
  const [vpc] = Vpcs ?? [];
  if (!vpc) return undefined;
  const associated = (vpc.CidrBlockAssociationSet ?? []).flatMap((association) => (association.CidrBlock ? [association.CidrBlock] : []));
  return associated.length > 0 ? associated : [vpc.CidrBlock ?? ''].filter(Boolean);
}
