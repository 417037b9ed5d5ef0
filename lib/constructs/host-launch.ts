import { Aws, Fn, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { renderBootstrapScript } from '../host/user-data';

/** What every altinitycloud-connect host is launched with, alone or in a group. */
export interface HostLaunchTemplateProps {
  /** Name tag of the host(s). */
  readonly name: string;
  readonly instanceType: string;
  /** AMI id (Ubuntu 20.04 by default; the bootstrap script expects apt and systemd). */
  readonly imageId: string;
  readonly securityGroupId: string;
  /** `'true'` or `'false'`: whether a host gets a public IPv4 address whatever the subnet says. */
  readonly associatePublicIp: string;
  readonly instanceProfile: iam.InstanceProfile;
  readonly tokenParameterName: string;
  /** The SecureString holding the certificate: the host reuses it, or stores the one its login produces. */
  readonly certificateParameterName: string;
  readonly connectVersion: string;
  /** Base URL of the altinitycloud-connect releases. */
  readonly downloadUrl: string;
  /** Expected SHA-256 of the binary, or an empty string to skip the check. */
  readonly connectSha256: string;
  /** Logical id of the resource whose CreationPolicy awaits the hosts' signals (may be a token). */
  readonly signalResource: string;
  /** Size of the encrypted gp3 root volume, in GiB. @default 20 */
  readonly rootVolumeGiB?: number;
}

/** How long CloudFormation waits for a host's signal: bootstrap takes about a minute, retries included. */
export const HOST_SIGNAL_TIMEOUT = 'PT15M';

/**
 * The launch template every host starts from, single or in a group.
 *
 * Guarantees: IMDSv2 only (and out of reach of containers a hop further); an encrypted gp3 root
 * volume; the host security group and instance profile; user data that is the bootstrap script with
 * non-secret values filled in (the token is read from SSM at boot, never passed here). The script is
 * carried once, here, which keeps the template small enough for `cdk deploy` without a bootstrap
 * bucket (50 KiB).
 */
export class HostLaunchTemplate extends Construct {
  readonly launchTemplate: ec2.CfnLaunchTemplate;
  /** The settings, for a resource that must repeat some of them (see ConnectHost). */
  readonly props: HostLaunchTemplateProps;
  readonly metadataOptions = { httpTokens: 'required', httpEndpoint: 'enabled', httpPutResponseHopLimit: 1 };
  readonly rootVolume: { deviceName: string; ebs: { volumeType: string; volumeSize: number; encrypted: boolean; deleteOnTermination: boolean } };

  constructor(scope: Construct, id: string, props: HostLaunchTemplateProps) {
    super(scope, id);
    this.props = props;
    this.rootVolume = {
      deviceName: '/dev/sda1',
      ebs: { volumeType: 'gp3', volumeSize: props.rootVolumeGiB ?? 20, encrypted: true, deleteOnTermination: true },
    };
    const tags = [{ key: 'Name', value: props.name }];
    this.launchTemplate = new ec2.CfnLaunchTemplate(this, 'LaunchTemplate', {
      launchTemplateData: {
        instanceType: props.instanceType,
        imageId: props.imageId,
        iamInstanceProfile: { arn: props.instanceProfile.instanceProfileArn },
        networkInterfaces: [
          {
            deviceIndex: 0,
            groups: [props.securityGroupId],
            associatePublicIpAddress: props.associatePublicIp as unknown as boolean,
            deleteOnTermination: true,
          },
        ],
        metadataOptions: this.metadataOptions,
        blockDeviceMappings: [this.rootVolume],
        tagSpecifications: [{ resourceType: 'instance', tags }],
        userData: Fn.base64(
          renderBootstrapScript({
            STACK_NAME: Aws.STACK_NAME,
            REGION: Aws.REGION,
            SIGNAL_RESOURCE: props.signalResource,
            TOKEN_PARAMETER: props.tokenParameterName,
            CERTIFICATE_PARAMETER: props.certificateParameterName,
            CONNECT_VERSION: props.connectVersion,
            DOWNLOAD_URL: props.downloadUrl,
            CONNECT_SHA256: props.connectSha256,
          }),
        ),
      },
    });
  }

  /** What an instance or group names to launch from the current version. */
  get specification() {
    return { launchTemplateId: this.launchTemplate.ref, version: this.launchTemplate.attrLatestVersionNumber };
  }

  /** Lets `grantee` (the hosts' role) send creation signals to this stack. */
  grantSignal(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['cloudformation:SignalResource'], resources: [Stack.of(this).stackId] }),
    );
  }
}
