import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/**
 * The managed policies the provisioning guide (method 3) requires on the host's role. Altinity uses
 * them, through the altinitycloud-connect tunnel, to build the EKS environment in this account.
 */
export const DOCUMENTED_MANAGED_POLICIES = [
  'IAMFullAccess',
  'AmazonEC2FullAccess',
  'AmazonVPCFullAccess',
  'AmazonS3FullAccess',
  'AWSLambda_FullAccess',
  // Lets Altinity support reach the host over SSM (the break-glass procedure).
  'AmazonSSMManagedInstanceCore',
] as const;

export interface HostIdentityProps {
  /** Description shown on the role in the IAM console. */
  readonly description: string;
}

/**
 * The altinitycloud-connect host's IAM role and instance profile.
 *
 * Guarantees: exactly the documented managed policies (partition-aware ARNs) plus the EKS inline
 * policy of the guide, written as valid JSON (`eks:*`, and `iam:PassRole` only to EKS). Anything
 * else the host needs is granted by the construct that owns the resource (`grant*` methods).
 */
export class HostIdentity extends Construct {
  readonly role: iam.Role;
  readonly instanceProfile: iam.InstanceProfile;

  constructor(scope: Construct, id: string, props: HostIdentityProps) {
    super(scope, id);
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: props.description,
      managedPolicies: DOCUMENTED_MANAGED_POLICIES.map((name) => iam.ManagedPolicy.fromAwsManagedPolicyName(name)),
      inlinePolicies: {
        EksFullAccess: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({ actions: ['eks:*'], resources: ['*'] }),
            new iam.PolicyStatement({
              actions: ['iam:PassRole'],
              resources: ['*'],
              conditions: { StringEquals: { 'iam:PassedToService': 'eks.amazonaws.com' } },
            }),
          ],
        }),
      },
    });
    this.instanceProfile = new iam.InstanceProfile(this, 'InstanceProfile', { role: this.role });
  }
}
