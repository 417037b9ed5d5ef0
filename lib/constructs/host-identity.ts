import { Aws, type CfnCondition, Fn, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { arnOf } from './arns';
import { HOST_INSTANCE_PROFILE_LOGICAL_ID, HOST_ROLE_LOGICAL_ID, PARAMETER_KEYS } from '../shared/names';
import { onlyWhen } from './conditional';
import { readableLogicalId } from './readable-id';

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

/** What Altinity's own Terraform module grants beyond the guide, for newer features (Route 53, SQS, S3 Tables). */
export const CURRENT_FEATURE_MANAGED_POLICIES = ['AmazonRoute53FullAccess', 'AmazonSQSFullAccess', 'AmazonS3TablesFullAccess'] as const;

/** MSK private connectivity and multi-region endpoints, which Altinity's module grants inline. */
export const CURRENT_FEATURE_ACTIONS = [
  'kafka:CreateVpcConnection',
  'kafka:DeleteVpcConnection',
  'kafka:DescribeVpcConnection',
  'kafka:ListVpcConnections',
  'kafka:GetBootstrapBrokers',
  'kafka:DescribeCluster',
  'kafka:DescribeClusterV2',
  'vpce:AllowMultiRegion',
] as const;

/**
 * What Altinity's Terraform module grants instead of IAMFullAccess under `restricted_iam_permissions`
 * (its iam.tf): users limited to backup users' names, roles, policies, instance profiles, OIDC
 * providers and service-linked roles, and reading IAM. Its Get and List actions are left out of the
 * first two statements: `iam:Get*` and `iam:List*` on every resource, in the third, grant them.
 */
export const SCOPED_IAM_STATEMENTS = {
  backupUsers: ['iam:CreateUser', 'iam:DeleteUser', 'iam:TagUser', 'iam:PutUserPolicy', 'iam:DeleteUserPolicy', 'iam:CreateAccessKey', 'iam:DeleteAccessKey'],
  // Wildcards that match exactly the role, role-policy and instance-profile actions of iam.tf, with
  // iam:GetRole and iam:PassRole among them (checked against cfn-lint's catalog of IAM actions); the
  // rest by name. IAM has no condition that limits them to the roles Altinity creates: the README
  // says what they allow on the account's other roles and policies.
  rolesAndPolicies: [
    'iam:*Role',
    'iam:*RolePolicy',
    'iam:*InstanceProfile',
    'iam:CreatePolicy',
    'iam:DeletePolicy',
    'iam:CreatePolicyVersion',
    'iam:DeletePolicyVersion',
    'iam:TagPolicy',
    'iam:UntagPolicy',
    'iam:CreateOpenIDConnectProvider',
    'iam:DeleteOpenIDConnectProvider',
    'iam:TagOpenIDConnectProvider',
    'iam:UntagOpenIDConnectProvider',
  ],
  read: ['iam:Get*', 'iam:List*', 'iam:SimulatePrincipalPolicy'],
} as const;

/** What the hosts may still do to their own role, instance profile and boundary policy: read them, and pass the role. */
export const SELF_READ_ACTIONS = ['iam:Get*', 'iam:List*', 'iam:PassRole'] as const;

/**
 * What the scoped statements allow only for roles and users that carry the stack's permissions
 * boundary, when one is set: creating them, giving them policies, changing their boundary. Every
 * identity the hosts make or change is then held by the same boundary as the hosts.
 */
export const BOUNDARY_REQUIRED_ACTIONS = [
  'iam:CreateRole',
  'iam:CreateUser',
  // The role, user and group policies and permissions boundaries (groups have none: refused).
  'iam:Put*',
  'iam:Attach*',
  'iam:Detach*',
  'iam:DeleteRolePolicy',
  'iam:DeleteUserPolicy',
] as const;

/** The IAM users Altinity creates for ClickHouse backups, the only ones the scoped statements let it manage. */
export const BACKUP_USER_NAME_PATTERN = '*-clickhouse-backup';

export interface HostIdentityProps {
  /** Description shown on the role in the IAM console. */
  readonly description: string;
  /**
   * While this holds, the role also has what Altinity's newer features need.
   *
   * @default - never
   */
  readonly currentFeatures?: CfnCondition;
  /**
   * While this holds, the scoped IAM statements replace IAMFullAccess.
   *
   * @default - never
   */
  readonly scopedIam?: CfnCondition;
  /**
   * Permissions boundary policy ARN, applied while `condition` holds.
   *
   * @default - none
   */
  readonly permissionsBoundary?: { readonly policyArn: string; readonly condition: CfnCondition };
}

/**
 * The altinitycloud-connect host's IAM role and instance profile.
 *
 * Guarantees: the documented managed policies (partition-aware ARNs) plus the EKS inline policy of
 * the guide, written as valid JSON (`eks:*`, and `iam:PassRole` only to EKS); the current-features
 * additions and the permissions boundary only while their conditions hold. In every profile, an
 * explicit deny keeps the role from changing its own policies, trust, boundary or instance profile,
 * and the boundary policy it runs under. With the scoped statements and a boundary, every role or
 * user it creates or gives policies to must carry that same boundary. Anything else the host needs is
 * granted by the construct that owns the resource (`grant*` methods). The role, its instance profile
 * and the scoped statements have the logical ids `HostRole`, `HostInstanceProfile` and `HostScopedIam`,
 * which the README and the status command's hints name: one per stack.
 */
export class HostIdentity extends Construct {
  /** The hosts' role, to which other constructs grant what the hosts need of their resources. */
  readonly role: iam.Role;
  /** The instance profile that gives the hosts the role. */
  readonly instanceProfile: iam.InstanceProfile;
  /** The scoped IAM statements, when the construct has them. */
  readonly scopedIamPolicy?: iam.Policy;

  constructor(scope: Construct, id: string, props: HostIdentityProps) {
    super(scope, id);
    const current = props.currentFeatures;
    const awsManagedArn = (name: string) => arnOf(`iam::aws:policy/${name}`);
    const scoped = props.scopedIam;
    // IAMFullAccess is left out while the scoped statements replace it.
    const awsManaged = (name: string) =>
      iam.ManagedPolicy.fromManagedPolicyArn(
        this,
        name,
        scoped && name === 'IAMFullAccess' ? Fn.conditionIf(scoped.logicalId, Aws.NO_VALUE, awsManagedArn(name)).toString() : awsManagedArn(name),
      );
    const documentedPolicies = DOCUMENTED_MANAGED_POLICIES.map((name) => ({ name, policy: awsManaged(name) }));
    const currentFeaturePolicies = current
      ? CURRENT_FEATURE_MANAGED_POLICIES.map((name) => ({
          name,
          policy: iam.ManagedPolicy.fromManagedPolicyArn(
            this,
            `${name}IfCurrent`,
            Fn.conditionIf(current.logicalId, awsManagedArn(name), Aws.NO_VALUE).toString(),
          ),
        }))
      : [];
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: props.description,
      managedPolicies: [...documentedPolicies.map(({ policy }) => policy), ...currentFeaturePolicies.map(({ policy }) => policy)],
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
    const boundary = props.permissionsBoundary;
    if (boundary) {
      (this.role.node.defaultChild as iam.CfnRole).permissionsBoundary = Fn.conditionIf(
        boundary.condition.logicalId,
        boundary.policyArn,
        Aws.NO_VALUE,
      ).toString();
      Validations.of(this.role).acknowledge({
        id: 'CloudFormation-Validate::W1030',
        reason: 'The boundary parameter may be empty by design: the role gets a boundary only when it is not (Fn::If with AWS::NoValue).',
      });
    }
    this.instanceProfile = new iam.InstanceProfile(this, 'InstanceProfile', { role: this.role });
    readableLogicalId(this.role, HOST_ROLE_LOGICAL_ID);
    readableLogicalId(this.instanceProfile, HOST_INSTANCE_PROFILE_LOGICAL_ID);
    // In every profile: the hosts may read their own role, profile and boundary, and change none of them.
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        effect: iam.Effect.DENY,
        notActions: [...SELF_READ_ACTIONS],
        resources: [
          this.role.roleArn,
          this.instanceProfile.instanceProfileArn,
          ...(boundary ? [Fn.conditionIf(boundary.condition.logicalId, boundary.policyArn, Aws.NO_VALUE).toString()] : []),
        ],
      }),
    );

    const findings = Validations.of(this.role);
    const stack = Stack.of(this);
    // cdk-nag names a plain ARN with its pseudo parameters in brackets, and a conditional one by its CloudFormation form.
    const findingOf = (name: string, policy: iam.IManagedPolicy) => {
      const arn = JSON.stringify(stack.resolve(policy.managedPolicyArn));
      return `AwsSolutions-IAM4[Policy::${arn.includes('Fn::If') ? arn : `arn:<AWS::Partition>:iam::aws:policy/${name}`}]`;
    };
    for (const { name, policy } of documentedPolicies) {
      findings.acknowledge({
        id: findingOf(name, policy),
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

    for (const { name, policy } of currentFeaturePolicies) {
      findings.acknowledge({
        id: findingOf(name, policy),
        reason: `Altinity's current features (${PARAMETER_KEYS.permissionProfile} current) need ${name}, as Altinity's own Terraform module grants it.`,
      });
    }
    if (scoped) {
      const { backupUsers, rolesAndPolicies, read } = SCOPED_IAM_STATEMENTS;
      this.scopedIamPolicy = new iam.Policy(this, 'ScopedIam', {
        roles: [this.role],
        statements: [
          new iam.PolicyStatement({ actions: [...backupUsers], resources: [arnOf(`iam::\${AWS::AccountId}:user/${BACKUP_USER_NAME_PATTERN}`)] }),
          new iam.PolicyStatement({ actions: [...rolesAndPolicies], resources: ['*'] }),
          new iam.PolicyStatement({ actions: [...read], resources: ['*'] }),
          // No identity loses its boundary: Altinity's provisioning removes none.
          new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ['iam:Delete*PermissionsBoundary'], resources: ['*'] }),
        ],
      });
      if (boundary) {
        // A fifth statement while the boundary is set; none without it.
        const statement = boundaryOnEveryIdentity(boundary.policyArn).toStatementJson();
        (this.scopedIamPolicy.node.defaultChild as iam.CfnPolicy).addPropertyOverride(
          'PolicyDocument.Statement.4',
          Fn.conditionIf(boundary.condition.logicalId, statement, Aws.NO_VALUE),
        );
      }
      readableLogicalId(this.scopedIamPolicy, 'HostScopedIam');
      onlyWhen(this.scopedIamPolicy, scoped);
      const scopedFindings = Validations.of(this.scopedIamPolicy);
      for (const [id, reason] of [
        [
          'Resource::*',
          "The roles, policies, instance profiles and OIDC providers Altinity creates for the environment get names it chooses later; this is the scoped alternative to IAMFullAccess that Altinity's module offers.",
        ],
        [
          `Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:user/${BACKUP_USER_NAME_PATTERN}`,
          'Only the backup users Altinity creates, by the suffix its module uses.',
        ],
        ['Action::iam:Get*', "Reading IAM, as Altinity's module grants it under restricted_iam_permissions."],
        ...['iam:*Role', 'iam:*RolePolicy', 'iam:*InstanceProfile'].map((pattern) => [
          `Action::${pattern}`,
          "Exactly the role, role-policy and instance-profile actions of Altinity's module under restricted_iam_permissions, and their reads.",
        ]),
        ['Action::iam:List*', "Reading IAM, as Altinity's module grants it under restricted_iam_permissions."],
      ]) {
        scopedFindings.acknowledge({ id: `AwsSolutions-IAM5[${id}]`, reason });
      }
    }
    if (current) {
      const currentFeatures = new iam.Policy(this, 'CurrentFeatures', {
        roles: [this.role],
        statements: [new iam.PolicyStatement({ actions: [...CURRENT_FEATURE_ACTIONS], resources: ['*'] })],
      });
      onlyWhen(currentFeatures, current);
      Validations.of(currentFeatures).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: "Altinity's current features: MSK clusters and endpoints are chosen later by the customer through Altinity, so no ARN is known here.",
      });
    }
  }
}

/** Denies the boundary-required actions on any role or user that does not carry `boundaryArn`. */
function boundaryOnEveryIdentity(boundaryArn: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    effect: iam.Effect.DENY,
    actions: [...BOUNDARY_REQUIRED_ACTIONS],
    resources: ['*'],
    conditions: { StringNotEquals: { 'iam:PermissionsBoundary': boundaryArn } },
  });
}
