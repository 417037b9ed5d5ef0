import { Validations } from 'aws-cdk-lib';
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

    const findings = Validations.of(this.role);
    for (const name of DOCUMENTED_MANAGED_POLICIES) {
      findings.acknowledge({
        id: `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${name}]`,
        reason: `Required by Altinity: the provisioning guide lists ${name} on the connect host's role; Altinity builds and runs the EKS environment with it.`,
      });
    }
    findings.acknowledge({
      id: 'AwsSolutions-IAM5[Action::eks:*]',
      reason: "The provisioning guide's EKS policy: Altinity creates and manages the environment's EKS clusters, whose names are not known in advance.",
    });
    findings.acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'EKS clusters and the roles passed to EKS are created later by Altinity; iam:PassRole is limited to EKS by the iam:PassedToService condition.',
    });
  }
}
