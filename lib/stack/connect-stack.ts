import { CfnCondition, CfnElement, CfnOutput, Fn, ICfnConditionExpression, Stack, StackProps, Tags, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { BreakGlassAccess } from '../constructs/break-glass';
import { ConnectHost } from '../constructs/host';
import { ConnectHostGroup } from '../constructs/host-group';
import { HostLaunchTemplate } from '../constructs/host-launch';
import { HostIdentity } from '../constructs/host-identity';
import { HostNetworkAccess } from '../constructs/network-access';
import { SecretStore } from '../constructs/secret-store';
import { HOST_ROLE_LOGICAL_ID, SECRETS_KEY_LOGICAL_ID } from '../shared/logical-ids';
import { certificateParameterName, ENV_TAG_KEY, HOST_GROUP_LOGICAL_ID, HOST_LOGICAL_ID, OUTPUT_KEYS, secretParameterPrefix, tokenParameterName } from '../shared/names';
import { ConsoleForm, MAX_REPLICAS, type NetworkDefaults } from './console-form';

export interface ConnectStackProps extends StackProps {
  /** Version of this template, shown in the stack description and the hosts' user data. */
  readonly templateVersion: string;
  /**
   * The environment, when known at synthesis (`cdk deploy -c env=...`): it becomes the default of
   * the environment parameter. @default - the console user types it in
   */
  readonly envName?: string;
  /**
   * Where `cdk deploy -c token=...` staged the token before deployment; the stack moves it under
   * its own key. Then the template has no token parameter at all. @default - a NoEcho `Token` parameter
   */
  readonly stagedTokenParameter?: string;
  /** Where the VPC and subnet defaults come from. @default - the console user picks the VPC and subnets */
  readonly networkDefaults?: NetworkDefaults;
  /** SSM parameter holding the AMI id. @default UBUNTU_2004_AMI_PARAMETER */
  readonly amiParameterName?: string;
}

/**
 * The altinitycloud-connect host stack: the console form (parameters, rules, labels) and the
 * constructs wired to it.
 */
export class ConnectStack extends Stack {
  constructor(scope: Construct, id: string, props: ConnectStackProps) {
    super(scope, id, {
      description: `Altinity.Cloud Anywhere: altinitycloud-connect host for an AWS environment (template v${props.templateVersion})`,
      ...props,
    });

    const form = new ConsoleForm(this, {
      envName: props.envName,
      network: this.resolveNetworkDefaults(props.networkDefaults),
      amiParameterName: props.amiParameterName,
      askForToken: props.stagedTokenParameter === undefined,
    });

    const env = form.value('envName');
    // The environment as Fn::Sub patterns name it: `${EnvName}`.
    const envInSub = form.reference('envName');
    // Not the key: moto_server's CloudFormation cannot create a tagged key, and CloudFormation's own
    // aws:cloudformation:stack-id tag names the key's stack anyway.
    Tags.of(this).add(ENV_TAG_KEY, env, { excludeResourceTypes: ['AWS::KMS::Key'] });
    const condition = (id: string, expression: ICfnConditionExpression) => new CfnCondition(this, id, { expression });
    const singleHost = condition('SingleHost', Fn.conditionEquals(form.value('replicas'), '1'));
    const multipleHosts = condition('MultipleHosts', Fn.conditionNot(singleHost));
    const hasExistingCertificate = condition('HasExistingCertificate', Fn.conditionNot(Fn.conditionEquals(form.value('existingCertificate'), '')));
    const breakGlassEnabled = condition('BreakGlassEnabled', Fn.conditionEquals(form.value('breakGlass'), 'enabled'));

    const parameterNames = {
      token: tokenParameterName(envInSub),
      certificate: certificateParameterName(envInSub),
      prefix: secretParameterPrefix(envInSub),
    };
    const secrets = new SecretStore(this, 'Secrets', {
      envName: env,
      parameterNames,
      tokenSource:
        props.stagedTokenParameter === undefined
          ? { kind: 'template-parameter', token: form.value('token') }
          : { kind: 'staged', parameterName: props.stagedTokenParameter },
      existingCertificate: { parameterName: form.value('existingCertificate'), condition: hasExistingCertificate },
    });
    const identity = new HostIdentity(this, 'HostIdentity', {
      description: Fn.sub(`altinitycloud-connect host of Altinity.Cloud environment ${envInSub}`),
      currentFeatures: condition(
        'CurrentPermissions',
        Fn.conditionOr(Fn.conditionEquals(form.value('permissionProfile'), 'current'), Fn.conditionEquals(form.value('permissionProfile'), 'restricted')),
      ),
      scopedIam: condition('ScopedIamPermissions', Fn.conditionEquals(form.value('permissionProfile'), 'restricted')),
      permissionsBoundary: {
        policyArn: form.value('permissionsBoundary'),
        condition: condition('HasPermissionsBoundary', Fn.conditionNot(Fn.conditionEquals(form.value('permissionsBoundary'), ''))),
      },
    });
    const network = new HostNetworkAccess(this, 'HostNetwork', {
      vpcId: form.value('vpcId'),
    });
    const launchTemplate = new HostLaunchTemplate(this, 'HostLaunch', {
      name: Fn.sub(`altinity-connect-${envInSub}`),
      instanceType: form.value('instanceType'),
      imageId: form.value('amiParameter'),
      securityGroupId: network.securityGroup.attrGroupId,
      associatePublicIp: Token.asAny(form.value('assignPublicIp')),
      instanceProfile: identity.instanceProfile,
      templateVersion: props.templateVersion,
      // As Fn::Sub references: what the user data writes into the hosts' settings file, where
      // CloudFormation fills them in. The key by the readable logical id it is given below.
      settings: {
        STACK_NAME: '${AWS::StackName}',
        STACK_ID: '${AWS::StackId}',
        REGION: '${AWS::Region}',
        TOKEN_PARAMETER: parameterNames.token,
        CERTIFICATE_PARAMETER: parameterNames.certificate,
        EXISTING_CERTIFICATE_PARAMETER: form.reference('existingCertificate'),
        SECRETS_KEY: `\${${SECRETS_KEY_LOGICAL_ID}.Arn}`,
        CONNECT_VERSION: form.reference('connectVersion'),
        DOWNLOAD_URL: form.reference('downloadUrl'),
        CONNECT_SHA256: form.reference('connectSha256'),
        ALTINITY_URL: form.reference('altinityUrl'),
        CONNECTION_TIMEOUT: form.reference('connectionTimeout'),
        HTTPS_PROXY_URL: form.reference('httpsProxy'),
        NO_PROXY_LIST: form.reference('noProxy'),
        CA_CERTIFICATES: form.reference('caCertificates'),
        HOST_ALIASES: form.reference('hostAliases'),
      },
    });
    const host = new ConnectHost(this, 'Host', { launchTemplate, subnetId: Fn.select(0, form.list('subnetIds')), condition: singleHost });
    const group = new ConnectHostGroup(this, 'HostGroup', {
      launchTemplate,
      subnetIds: form.list('subnetIds'),
      replicas: form.value('replicas'),
      maxReplicas: MAX_REPLICAS,
      condition: multipleHosts,
    });
    secrets.grantHostAccess(identity.role);
    launchTemplate.grantSignal(identity.role);
    // Hosts read the token at boot: it must be stored, and the role able to read it, first.
    host.instance.node.addDependency(secrets.resource, identity.role);
    group.group.node.addDependency(secrets.resource, identity.role);

    const breakGlassAccess = new BreakGlassAccess(this, 'BreakGlassAccess', {
      trustedPrincipalArn: form.value('breakGlassPrincipal'),
      externalId: {
        value: form.value('breakGlassExternalId'),
        condition: condition('HasBreakGlassExternalId', Fn.conditionNot(Fn.conditionEquals(form.value('breakGlassExternalId'), ''))),
      },
      condition: breakGlassEnabled,
    });

    this.readableLogicalIds({
      [HOST_LOGICAL_ID]: host.instance,
      [HOST_ROLE_LOGICAL_ID]: identity.role.node.defaultChild as CfnElement,
      HostInstanceProfile: identity.instanceProfile.node.defaultChild as CfnElement,
      ...(identity.scopedIamPolicy ? { HostScopedIam: identity.scopedIamPolicy.node.defaultChild as CfnElement } : {}),
      HostSecurityGroup: network.securityGroup,
      ConnectSecrets: secrets.resource.node.defaultChild as CfnElement,
      [SECRETS_KEY_LOGICAL_ID]: secrets.key.node.defaultChild as CfnElement,
      [HOST_GROUP_LOGICAL_ID]: group.group,
      HostLaunchTemplate: launchTemplate.launchTemplate,
      BreakGlassRole: breakGlassAccess.role,
    });

    new CfnOutput(this, OUTPUT_KEYS.instanceId, { value: host.instance.ref, description: 'The host', condition: singleHost });
    new CfnOutput(this, OUTPUT_KEYS.instanceArn, {
      value: host.instanceArn,
      description: 'For Altinity support, with break glass',
      condition: singleHost,
    });
    new CfnOutput(this, OUTPUT_KEYS.hostGroupName, {
      value: group.group.ref,
      description: 'Auto Scaling group of the hosts (their ARNs: npm run status)',
      condition: multipleHosts,
    });
    new CfnOutput(this, OUTPUT_KEYS.breakGlassRoleArn, {
      value: breakGlassAccess.role.attrArn,
      description: 'Role Altinity support assumes for break glass',
      condition: breakGlassEnabled,
    });
    new CfnOutput(this, 'HostRoleArn', { value: identity.role.roleArn, description: 'Role of the hosts' });
    new CfnOutput(this, 'SecurityGroupId', { value: network.securityGroup.attrGroupId, description: 'Security group of the hosts' });
    new CfnOutput(this, 'TokenParameterName', {
      value: secrets.tokenParameterName,
      description: 'SSM SecureString of the token',
    });
  }

  /** The VPC and subnets to offer as defaults: given ones, or the default VPC's public subnets, looked up. */
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
