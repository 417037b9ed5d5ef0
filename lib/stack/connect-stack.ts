import { CfnCondition, CfnElement, CfnOutput, CfnParameter, CfnRule, Fn, ICfnConditionExpression, Lazy, Stack, StackProps, Tags } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { BreakGlassAccess } from '../constructs/break-glass';
import { ConnectHost } from '../constructs/host';
import { ConnectHostGroup } from '../constructs/host-group';
import { HostLaunchTemplate } from '../constructs/host-launch';
import { HostIdentity } from '../constructs/host-identity';
import { HostNetworkAccess } from '../constructs/network-access';
import { SecretStore } from '../constructs/secret-store';
import {
  certificateParameterName,
  ENV_NAME_DESCRIPTION,
  ENV_NAME_PATTERN,
  ENV_TAG_KEY,
  HOST_GROUP_LOGICAL_ID,
  HOST_LOGICAL_ID,
  OUTPUT_KEYS,
  tokenParameterName,
} from '../shared/names';

/** Canonical's public SSM parameter for the current Ubuntu 20.04 (amd64) AMI. */
export const UBUNTU_2004_AMI_PARAMETER = '/aws/service/canonical/ubuntu/server/20.04/stable/current/amd64/hvm/ebs-gp2/ami-id';
/** altinitycloud-connect release installed unless the user picks another. */
export const DEFAULT_CONNECT_VERSION = '0.61.0';
export const DEFAULT_DOWNLOAD_URL = 'https://github.com/altinity/altinitycloud-connect/releases/download';
/** The principal Altinity support acts as, from the break-glass procedure. */
export const ALTINITY_SUPPORT_PRINCIPAL = 'arn:aws:iam::313342380333:role/AnywhereAdmin';

/** Most hosts a stack runs; the host group holds one more during a rolling update. */
export const MAX_REPLICAS = 3;

/** Where the VPC and subnet defaults come from when the app deploys from a clone. */
export type NetworkDefaults =
  | { readonly kind: 'given'; readonly vpcId: string; readonly subnetIds: readonly string[] }
  | { readonly kind: 'default-vpc' };

export interface ConnectStackProps extends StackProps {
  /** Version of this template, shown in the stack description. */
  readonly templateVersion: string;
  /**
   * The environment, when known at synthesis (`cdk deploy -c env=...`): it becomes the default of
   * the environment parameter. @default - the console user types it in
   */
  readonly envName?: string;
  /**
   * Version of the token that was stored in SSM before deployment (`cdk deploy -c token=...`).
   * Then the template has no token parameter at all. @default - a NoEcho `Token` parameter
   */
  readonly storedTokenVersion?: number;
  /** @default - the console user picks the VPC and subnets */
  readonly networkDefaults?: NetworkDefaults;
  /** SSM parameter holding the AMI id. @default UBUNTU_2004_AMI_PARAMETER */
  readonly amiParameterName?: string;
}

/**
 * The altinitycloud-connect host stack: the parameters a user fills in, the rules and console
 * metadata that check and explain them, and the constructs wired to them.
 */
export class ConnectStack extends Stack {
  constructor(scope: Construct, id: string, props: ConnectStackProps) {
    super(scope, id, {
      description: `Altinity.Cloud Anywhere: altinitycloud-connect host for an AWS environment (template v${props.templateVersion})`,
      ...props,
    });

    const envName = new CfnParameter(this, 'EnvName', {
      type: 'String',
      description:
        'Name of your Altinity.Cloud Anywhere environment, exactly as shown in the Altinity Cloud Manager. ' +
        `It must begin with your Altinity.Cloud account name. Use ${ENV_NAME_DESCRIPTION}.`,
      allowedPattern: ENV_NAME_PATTERN,
      constraintDescription: `must be ${ENV_NAME_DESCRIPTION}, for example acme-prod`,
      default: props.envName,
    });
    const token =
      props.storedTokenVersion === undefined
        ? new CfnParameter(this, 'Token', {
            type: 'String',
            noEcho: true,
            default: '',
            description:
              'Connection token from the Connection Setup panel of the Altinity Cloud Manager. Stored encrypted in SSM ' +
              'Parameter Store, never in the template or user data. Leave empty only when giving an existing certificate below.',
          })
        : undefined;
    const existingCertificate = new CfnParameter(this, 'ExistingCertificateParameter', {
      type: 'String',
      default: '',
      allowedPattern: '^(/[a-zA-Z0-9_.\\-/]+)?$',
      description:
        'Optional: an SSM SecureString holding a cloud-connect.pem from an earlier altinitycloud-connect login. ' +
        'The hosts then use it instead of the token. Leave empty to log in with the token.',
      constraintDescription: 'must be empty or an SSM parameter name starting with /, for example /altinity/acme-prod/cloud-connect.pem',
    });

    const networkDefaults = this.resolveNetworkDefaults(props.networkDefaults);
    const vpcId = new CfnParameter(this, 'VpcId', {
      type: 'AWS::EC2::VPC::Id',
      description: 'VPC in which the altinitycloud-connect host runs.',
      default: networkDefaults?.vpcId,
    });
    const subnetIds = new CfnParameter(this, 'SubnetIds', {
      type: 'List<AWS::EC2::Subnet::Id>',
      description:
        'Subnets of that VPC for the hosts (one host starts in the first). They need a route to the internet: ' +
        'an internet gateway, or a NAT gateway for private subnets.',
      default: networkDefaults?.subnetIds.join(','),
    });
    const assignPublicIp = new CfnParameter(this, 'AssignPublicIp', {
      type: 'String',
      allowedValues: ['true', 'false'],
      default: 'true',
      description:
        'Give hosts a public IPv4 address even if the subnet does not auto-assign one (the most common cause of a host ' +
        'that cannot reach Altinity.Cloud). false only for private subnets behind a NAT gateway.',
    });
    const instanceType = new CfnParameter(this, 'InstanceType', {
      type: 'String',
      default: 't3.micro',
      allowedPattern: '^(?!t[0-9][a-z]*\\.nano$)[a-z][a-z0-9-]*\\.[0-9]*[a-z0-9]+$',
      description: 'EC2 instance type of the host. t3.micro is enough; t2.micro is the smallest supported.',
      constraintDescription: 'must be an EC2 instance type no smaller than t2.micro, for example t3.micro (nano sizes are too small)',
    });
    const replicas = new CfnParameter(this, 'Replicas', {
      // A string with a list, not a Number: the console shows a menu, and every engine compares it as text.
      type: 'String',
      allowedValues: Array.from({ length: MAX_REPLICAS }, (_, index) => String(index + 1)),
      default: '1',
      description:
        `How many hosts run altinitycloud-connect. One host recovers from hardware failure by itself, keeping its ` +
        'instance id; more run in an Auto Scaling group over the subnets, and break glass then targets the group.',
    });
    const amiParameter = new CfnParameter(this, 'AmiParameter', {
      type: 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>',
      default: props.amiParameterName ?? UBUNTU_2004_AMI_PARAMETER,
      description:
        'SSM parameter holding the AMI id. Default: Canonical\'s current Ubuntu 20.04 LTS (amd64), as the provisioning guide ' +
        'specifies. An arm64 AMI needs an arm64 instance type such as t4g.micro.',
    });
    const connectVersion = new CfnParameter(this, 'ConnectVersion', {
      type: 'String',
      default: DEFAULT_CONNECT_VERSION,
      allowedPattern: '^[0-9]+\\.[0-9]+\\.[0-9]+$',
      description: 'altinitycloud-connect release to install.',
      constraintDescription: 'must be a release version such as 0.61.0 (no leading v)',
    });
    const downloadUrl = new CfnParameter(this, 'ConnectDownloadUrl', {
      type: 'String',
      default: DEFAULT_DOWNLOAD_URL,
      allowedPattern: '^https://[^\\s\'"]+[^/\\s\'"]$',
      description:
        'Releases location: the host fetches <this URL>/v<version>/altinitycloud-connect-<version>-linux-<arch>. Change it only for a mirror.',
      constraintDescription: 'must be an https:// URL without a trailing slash or quotes',
    });
    const connectSha256 = new CfnParameter(this, 'ConnectSha256', {
      type: 'String',
      default: '',
      allowedPattern: '^([a-f0-9]{64})?$',
      description: 'Optional SHA-256 of the binary: the host then refuses a download that does not match.',
      constraintDescription: 'must be empty or 64 lowercase hexadecimal characters',
    });
    const breakGlass = new CfnParameter(this, 'BreakGlass', {
      type: 'String',
      allowedValues: ['disabled', 'enabled'],
      default: 'disabled',
      description:
        'Let Altinity support open SSM sessions on the hosts for troubleshooting (break glass). Update to disabled to revoke it.',
    });
    const breakGlassPrincipal = new CfnParameter(this, 'BreakGlassPrincipal', {
      type: 'String',
      default: ALTINITY_SUPPORT_PRINCIPAL,
      allowedPattern: '^arn:aws[a-z-]*:iam::[0-9]{12}:(root|role/[\\w+=,.@/-]+|user/[\\w+=,.@/-]+)$',
      description: 'IAM principal that may assume the break-glass role. Keep the default unless Altinity support tells you otherwise.',
      constraintDescription: 'must be an IAM role, user or account root ARN, for example arn:aws:iam::313342380333:role/AnywhereAdmin',
    });

    const permissionProfile = new CfnParameter(this, 'PermissionProfile', {
      type: 'String',
      allowedValues: ['documented', 'current'],
      default: 'documented',
      description:
        'documented: exactly the provisioning guide\'s policies. current: adds what Altinity\'s Terraform module grants for newer ' +
        'features (Route 53, SQS, S3 Tables, MSK VPC connections, multi-region VPC endpoints).',
    });
    const permissionsBoundary = new CfnParameter(this, 'PermissionsBoundaryArn', {
      type: 'String',
      default: '',
      allowedPattern: '^(arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/[\\w+=,.@/-]+)?$',
      description: 'Optional: ARN of a managed policy to set as the host role\'s permissions boundary.',
      constraintDescription: 'must be empty or an IAM policy ARN, for example arn:aws:iam::123456789012:policy/altinity-boundary',
    });

    if (token) {
      new CfnRule(this, 'TokenOrCertificate', {
        assertions: [
          {
            assert: Fn.conditionOr(
              Fn.conditionAnd(Fn.conditionNot(Fn.conditionEquals(token.valueAsString, '')), Fn.conditionEquals(existingCertificate.valueAsString, '')),
              Fn.conditionAnd(Fn.conditionEquals(token.valueAsString, ''), Fn.conditionNot(Fn.conditionEquals(existingCertificate.valueAsString, ''))),
            ),
            assertDescription:
              'Give exactly one of Connection token (from the Altinity Cloud Manager) or Existing certificate parameter: paste the token, or name the certificate parameter, not both.',
          },
        ],
      });
    }
    new CfnRule(this, 'SubnetsInVpc', {
      assertions: [
        {
          assert: Fn.conditionEachMemberEquals(Fn.valueOfAll('AWS::EC2::Subnet::Id', 'VpcId'), vpcId.valueAsString),
          assertDescription: 'Every subnet in SubnetIds must belong to the VPC chosen in VpcId: pick subnets of that VPC.',
        },
      ],
    });

    this.templateOptions.metadata = {
      'AWS::CloudFormation::Interface': {
        ParameterGroups: [
          { Label: { default: 'Altinity.Cloud environment' }, Parameters: ['EnvName', ...(token ? ['Token'] : []), 'ExistingCertificateParameter'] },
          { Label: { default: 'Network' }, Parameters: ['VpcId', 'SubnetIds', 'AssignPublicIp'] },
          { Label: { default: 'Host' }, Parameters: ['Replicas', 'InstanceType', 'AmiParameter', 'ConnectVersion', 'ConnectDownloadUrl', 'ConnectSha256'] },
          { Label: { default: 'Permissions' }, Parameters: ['PermissionProfile', 'PermissionsBoundaryArn'] },
          { Label: { default: 'Break glass: Altinity support access' }, Parameters: ['BreakGlass', 'BreakGlassPrincipal'] },
        ],
        ParameterLabels: {
          EnvName: { default: 'Environment name' },
          ...(token ? { Token: { default: 'Connection token' } } : {}),
          ExistingCertificateParameter: { default: 'Existing certificate parameter (optional)' },
          Replicas: { default: 'Number of hosts' },
          PermissionProfile: { default: 'Permission profile' },
          PermissionsBoundaryArn: { default: 'Permissions boundary (optional)' },
          VpcId: { default: 'VPC' },
          SubnetIds: { default: 'Subnets' },
          AssignPublicIp: { default: 'Assign a public IPv4 address' },
          InstanceType: { default: 'Instance type' },
          AmiParameter: { default: 'AMI (SSM parameter)' },
          ConnectVersion: { default: 'altinitycloud-connect version' },
          ConnectDownloadUrl: { default: 'Download location' },
          ConnectSha256: { default: 'Binary SHA-256 (optional)' },
          BreakGlass: { default: 'Break-glass access' },
          BreakGlassPrincipal: { default: 'Altinity support principal' },
        },
      },
    };

    const env = envName.valueAsString;
    Tags.of(this).add(ENV_TAG_KEY, env);
    const condition = (id: string, expression: ICfnConditionExpression) => new CfnCondition(this, id, { expression });
    const singleHost = condition('SingleHost', Fn.conditionEquals(replicas.valueAsString, '1'));
    const multipleHosts = condition('MultipleHosts', Fn.conditionNot(singleHost));
    const hasExistingCertificate = condition('HasExistingCertificate', Fn.conditionNot(Fn.conditionEquals(existingCertificate.valueAsString, '')));
    const breakGlassEnabled = condition('BreakGlassEnabled', Fn.conditionEquals(breakGlass.valueAsString, 'enabled'));

    const secrets = new SecretStore(this, 'Secrets', {
      envName: env,
      // Fn::Sub of the parameter by name: one line in the template, where interpolation would write a list.
      tokenParameterName: Fn.sub(tokenParameterName('${EnvName}')),
      certificateParameterName: Fn.sub(certificateParameterName('${EnvName}')),
      tokenSource: token
        ? { kind: 'template-parameter', token: token.valueAsString }
        : { kind: 'stored', version: props.storedTokenVersion! },
      existingCertificate: { parameterName: existingCertificate.valueAsString, condition: hasExistingCertificate },
    });
    const identity = new HostIdentity(this, 'HostIdentity', {
      description: Fn.sub('altinitycloud-connect host of Altinity.Cloud environment ${EnvName}'),
      currentFeatures: condition('CurrentPermissions', Fn.conditionEquals(permissionProfile.valueAsString, 'current')),
      permissionsBoundary: {
        policyArn: permissionsBoundary.valueAsString,
        condition: condition('HasPermissionsBoundary', Fn.conditionNot(Fn.conditionEquals(permissionsBoundary.valueAsString, ''))),
      },
    });
    const network = new HostNetworkAccess(this, 'HostNetwork', {
      vpcId: vpcId.valueAsString,
    });
    const launchTemplate = new HostLaunchTemplate(this, 'HostLaunch', {
      name: Fn.sub('altinity-connect-${EnvName}'),
      instanceType: instanceType.valueAsString,
      imageId: amiParameter.valueAsString,
      securityGroupId: network.securityGroup.attrGroupId,
      associatePublicIp: assignPublicIp.valueAsString,
      instanceProfile: identity.instanceProfile,
      tokenParameterName: secrets.tokenParameterName,
      certificateParameterName: secrets.hostCertificateParameterName,
      connectVersion: connectVersion.valueAsString,
      downloadUrl: downloadUrl.valueAsString,
      connectSha256: connectSha256.valueAsString,
      // Lazy: the host and the group are declared below, and both launch from this template.
      signalResource: Lazy.string({ produce: () => Fn.conditionIf(singleHost.logicalId, host.instance.logicalId, group.group.logicalId).toString() }),
    });
    const host = new ConnectHost(this, 'Host', { launchTemplate, subnetId: Fn.select(0, subnetIds.valueAsList), condition: singleHost });
    const group = new ConnectHostGroup(this, 'HostGroup', {
      launchTemplate,
      subnetIds: subnetIds.valueAsList,
      replicas: replicas.valueAsString,
      maxReplicas: MAX_REPLICAS,
      condition: multipleHosts,
    });
    secrets.grantHostAccess(identity.role);
    launchTemplate.grantSignal(identity.role);
    // Hosts read the token at boot: it must be stored, and the role able to read it, first.
    host.instance.node.addDependency(secrets.resource, identity.role);
    group.group.node.addDependency(secrets.resource, identity.role);

    const breakGlassAccess = new BreakGlassAccess(this, 'BreakGlassAccess', {
      trustedPrincipalArn: breakGlassPrincipal.valueAsString,
      targets: [
        { target: { instanceArn: host.instanceArn }, condition: singleHost },
        { target: { autoScalingGroupName: group.group.ref }, condition: multipleHosts },
      ],
      condition: breakGlassEnabled,
    });

    this.readableLogicalIds({
      [HOST_LOGICAL_ID]: host.instance,
      HostRole: identity.role.node.defaultChild as CfnElement,
      HostInstanceProfile: identity.instanceProfile.node.defaultChild as CfnElement,
      HostSecurityGroup: network.securityGroup,
      ConnectSecrets: secrets.resource.node.defaultChild as CfnElement,
      HostAutoRecovery: host.autoRecovery,
      [HOST_GROUP_LOGICAL_ID]: group.group,
      HostLaunchTemplate: launchTemplate.launchTemplate,
      BreakGlassRole: breakGlassAccess.role,
    });

    new CfnOutput(this, OUTPUT_KEYS.instanceId, { value: host.instance.ref, description: 'EC2 instance running altinitycloud-connect', condition: singleHost });
    new CfnOutput(this, OUTPUT_KEYS.instanceArn, {
      value: host.instanceArn,
      description: 'Send this ARN to Altinity support when you enable break-glass access',
      condition: singleHost,
    });
    new CfnOutput(this, OUTPUT_KEYS.hostGroupName, {
      value: group.group.ref,
      description:
        'Auto Scaling group of the hosts. Their instance ARNs (for break glass): npm run status -- --env <name>, or the EC2 console',
      condition: multipleHosts,
    });
    new CfnOutput(this, OUTPUT_KEYS.breakGlassRoleArn, {
      value: breakGlassAccess.role.attrArn,
      description: 'Role Altinity support assumes for break-glass access (present only while it is enabled)',
      condition: breakGlassEnabled,
    });
    new CfnOutput(this, 'HostRoleArn', { value: identity.role.roleArn, description: 'IAM role of the altinitycloud-connect host' });
    new CfnOutput(this, 'SecurityGroupId', { value: network.securityGroup.attrGroupId, description: 'Security group of the host: no inbound rules' });
    new CfnOutput(this, 'TokenParameterName', {
      value: secrets.tokenParameterName,
      description: 'SSM SecureString that holds the connection token',
    });
  }

  private resolveNetworkDefaults(defaults: NetworkDefaults | undefined): { vpcId: string; subnetIds: readonly string[] } | undefined {
    if (defaults?.kind === 'given') return defaults;
    if (defaults?.kind === 'default-vpc') {
      const vpc = ec2.Vpc.fromLookup(this, 'DefaultVpc', { isDefault: true });
      return { vpcId: vpc.vpcId, subnetIds: vpc.publicSubnets.map((subnet) => subnet.subnetId) };
    }
    return undefined;
  }

  /** Console users read these ids in the stack's events; hashed CDK ids would tell them nothing. */
  private readableLogicalIds(resources: Record<string, CfnElement>): void {
    for (const [logicalId, resource] of Object.entries(resources)) {
      resource.overrideLogicalId(logicalId);
    }
  }
}
