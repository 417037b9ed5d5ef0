import { Aws, CfnCondition, CfnOutput, Fn, type ICfnConditionExpression, Stack, type StackProps, Tags, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import { BreakGlassAccess } from '../constructs/break-glass';
import { ConnectHost } from '../constructs/host';
import { ConnectHostGroup } from '../constructs/host-group';
import { HostLaunchTemplate } from '../constructs/host-launch';
import { HostIdentity } from '../constructs/host-identity';
import { HostNetworkAccess } from '../constructs/network-access';
import { SecretStore, type TokenSource } from '../constructs/secret-store';
import { ENV_TAG_KEY } from '../shared/conventions';
import { certificateParameterName, HOST_GROUP_LOGICAL_ID, HOST_LOGICAL_ID, OUTPUT_KEYS, secretStoreRolePath, tokenParameterName } from '../shared/names';
import { stagedTokenPrefix } from '../shared/secret-store-contract';
import { ConsoleForm, MAX_REPLICAS, type NetworkDefaults } from './console-form';

export interface ConnectStackProps extends StackProps {
  /** Version of this template, shown in the stack description and the hosts' user data. */
  readonly templateVersion: string;
  /**
   * The environment, when known at synthesis (`cdk deploy -c env=...`): it becomes the default of
   * the environment parameter.
   *
   * @default - the console user types it in
   */
  readonly envName?: string;
  /**
   * The Secrets Manager name under which `cdk deploy -c token=...` staged the token before deployment;
   * the stack moves it under its own key. Then the template has no token parameter at all.
   * @default - a NoEcho `Token` parameter
   */
  readonly stagedToken?: string;
  /**
   * The certificate the cloud stack keeps, when the stacks create the environment from an API token:
   * the default of ExistingCertificateParameter, and the form asks for no token.
   * @default - the hosts log in with a connection token
   */
  readonly existingCertificate?: string;
  /**
   * Where the VPC and subnet defaults come from.
   *
   * @default - the console user picks the VPC and subnets
   */
  readonly networkDefaults?: NetworkDefaults;
  /**
   * SSM parameter holding the AMI id.
   *
   * @default UBUNTU_2004_AMI_PARAMETER
   */
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
      askForToken: props.stagedToken === undefined && props.existingCertificate === undefined,
      existingCertificate: props.existingCertificate,
    });

    const env = form.value('envName');
    // The environment as Fn::Sub patterns name it: `${EnvName}`.
    const envInSub = form.reference('envName');
    // What users look for by environment: the hosts, their roles, network, launch template, break
    // glass. The secret store's function, logs and key carry CloudFormation's stack tags only; their
    // own tags would cost the template's byte budget and nothing looks for them by environment.
    Tags.of(this).add(ENV_TAG_KEY, env, { excludeResourceTypes: ['AWS::Lambda::Function', 'AWS::Logs::LogGroup', 'AWS::KMS::Key'] });
    const condition = (id: string, expression: ICfnConditionExpression) => new CfnCondition(this, id, { expression });
    const singleHost = condition('SingleHost', form.is('replicas', '1'));
    const multipleHosts = condition('MultipleHosts', Fn.conditionNot(singleHost));
    const hasExistingCertificate = condition('HasExistingCertificate', form.isSet('existingCertificate'));
    const breakGlassEnabled = condition('BreakGlassEnabled', form.is('breakGlass', 'enabled'));

    const parameterNames = { token: tokenParameterName(envInSub), certificate: certificateParameterName(envInSub) };
    const secrets = new SecretStore(this, 'Secrets', {
      envName: env,
      names: { ...parameterNames, stagedTokens: stagedTokenPrefix(envInSub), rolePath: secretStoreRolePath(envInSub) },
      tokenSource: tokenSourceOf(props, form),
      existingCertificate: { parameterName: form.value('existingCertificate'), condition: hasExistingCertificate },
    });
    const identity = new HostIdentity(this, 'HostIdentity', {
      description: Fn.sub(`altinitycloud-connect host of Altinity.Cloud environment ${envInSub}`),
      currentFeatures: condition('CurrentPermissions', form.oneOf('permissionProfile', ['current', 'restricted'])),
      scopedIam: condition('ScopedIamPermissions', form.is('permissionProfile', 'restricted')),
      permissionsBoundary: {
        policyArn: form.value('permissionsBoundary'),
        condition: condition('HasPermissionsBoundary', form.isSet('permissionsBoundary')),
      },
    });
    const network = new HostNetworkAccess(this, 'HostNetwork', {
      vpcId: form.value('vpcId'),
    });
    const launchTemplate = new HostLaunchTemplate(this, 'HostLaunch', {
      name: Fn.sub(`altinity-connect-${envInSub}`),
      instanceType: form.value('instanceType'),
      imageParameterName: form.value('amiParameter'),
      securityGroupId: network.securityGroup.attrGroupId,
      associatePublicIp: Token.asAny(form.value('assignPublicIp')),
      instanceProfile: identity.instanceProfile,
      templateVersion: props.templateVersion,
      settings: {
        STACK_NAME: Aws.STACK_NAME,
        STACK_ID: Aws.STACK_ID,
        SIGNAL_RESOURCE: Fn.conditionIf(singleHost.logicalId, HOST_LOGICAL_ID, HOST_GROUP_LOGICAL_ID).toString(),
        REGION: Aws.REGION,
        TOKEN_PARAMETER: secrets.tokenParameterName,
        CERTIFICATE_PARAMETER: Fn.sub(parameterNames.certificate),
        EXISTING_CERTIFICATE_PARAMETER: form.value('existingCertificate'),
        SECRETS_KEY: secrets.key.keyArn,
        CONNECT_VERSION: form.value('connectVersion'),
        DOWNLOAD_URL: form.value('downloadUrl'),
        CONNECT_SHA256: form.value('connectSha256'),
        ALTINITY_URL: form.value('altinityUrl'),
        CONNECTION_TIMEOUT: form.value('connectionTimeout'),
        HTTPS_PROXY_URL: form.value('httpsProxy'),
        NO_PROXY_LIST: form.value('noProxy'),
        CA_CERTIFICATES: form.value('caCertificates'),
        HOST_ALIASES: form.value('hostAliases'),
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
      externalId: form.value('breakGlassExternalId'),
      condition: breakGlassEnabled,
    });

    new CfnOutput(this, OUTPUT_KEYS.instanceId, { value: host.instance.ref, description: 'The host', condition: singleHost });
    new CfnOutput(this, OUTPUT_KEYS.instanceArn, {
      value: host.instanceArn,
      description: 'Give Altinity support, for break glass',
      condition: singleHost,
    });
    new CfnOutput(this, OUTPUT_KEYS.hostGroupName, {
      value: group.group.ref,
      description: 'Hosts: npm run status names them',
      condition: multipleHosts,
    });
    new CfnOutput(this, OUTPUT_KEYS.breakGlassRoleArn, {
      value: breakGlassAccess.role.attrArn,
      description: 'For Altinity support',
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
}

/** The connection token: staged by the app, asked for by the form, or none when the cloud stack signs the certificate. */
function tokenSourceOf(props: ConnectStackProps, form: ConsoleForm): TokenSource {
  if (props.stagedToken !== undefined) return { kind: 'staged', secretName: props.stagedToken };
  return { kind: 'template-parameter', token: props.existingCertificate === undefined ? form.value('token') : '' };
}
