import { Aws, CfnCreationPolicy, Fn, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { renderBootstrapScript } from '../host/user-data';

export interface ConnectHostProps {
  /** Name tag of the instance. */
  readonly name: string;
  readonly instanceType: string;
  /** AMI id (Ubuntu 20.04 by default; the bootstrap script expects apt and systemd). */
  readonly imageId: string;
  readonly subnetId: string;
  readonly securityGroupId: string;
  /** `'true'` or `'false'`: whether the host gets a public IPv4 address whatever the subnet says. */
  readonly associatePublicIp: string;
  readonly instanceProfile: iam.InstanceProfile;
  readonly tokenParameterName: string;
  readonly certificateParameterName: string;
  readonly connectVersion: string;
  /** Base URL of the altinitycloud-connect releases. */
  readonly downloadUrl: string;
  /** Expected SHA-256 of the binary, or an empty string to skip the check. */
  readonly connectSha256: string;
  /** How long CloudFormation waits for the host's signal, as an ISO 8601 duration. @default PT15M */
  readonly signalTimeout?: string;
  /** Size of the encrypted gp3 root volume, in GiB. @default 20 */
  readonly rootVolumeGiB?: number;
}

/**
 * The EC2 instance that runs `altinitycloud-connect --capability aws`.
 *
 * Guarantees: IMDSv2 only; an encrypted gp3 root volume; user data that is the bootstrap script
 * with non-secret values filled in (the token is read from SSM at boot, never passed here); and a
 * CreationPolicy, so the resource is complete only when the host signals that login succeeded and
 * the service runs, or fails with the reason the host reports.
 */
export class ConnectHost extends Construct {
  readonly instance: ec2.CfnInstance;
  /** `arn:<partition>:ec2:<region>:<account>:instance/<id>`, what the break-glass procedure names. */
  readonly instanceArn: string;

  constructor(scope: Construct, id: string, props: ConnectHostProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.instance = new ec2.CfnInstance(this, 'Instance', {
      instanceType: props.instanceType,
      imageId: props.imageId,
      iamInstanceProfile: props.instanceProfile.instanceProfileName,
      networkInterfaces: [
        {
          deviceIndex: '0',
          subnetId: props.subnetId,
          groupSet: [props.securityGroupId],
          associatePublicIpAddress: props.associatePublicIp as unknown as boolean,
          deleteOnTermination: true,
        },
      ],
      metadataOptions: { httpTokens: 'required', httpEndpoint: 'enabled', httpPutResponseHopLimit: 1 },
      blockDeviceMappings: [
        {
          deviceName: '/dev/sda1',
          ebs: { volumeType: 'gp3', volumeSize: props.rootVolumeGiB ?? 20, encrypted: true, deleteOnTermination: true },
        },
      ],
      monitoring: false,
      tags: [{ key: 'Name', value: props.name }],
    });
    this.instance.cfnOptions.creationPolicy = {
      resourceSignal: { count: 1, timeout: props.signalTimeout ?? 'PT15M' },
    } satisfies CfnCreationPolicy;
    this.instance.userData = Fn.base64(
      renderBootstrapScript({
        STACK_NAME: Aws.STACK_NAME,
        REGION: stack.region,
        SIGNAL_RESOURCE: this.instance.logicalId,
        TOKEN_PARAMETER: props.tokenParameterName,
        CERTIFICATE_PARAMETER: props.certificateParameterName,
        CONNECT_VERSION: props.connectVersion,
        DOWNLOAD_URL: props.downloadUrl,
        CONNECT_SHA256: props.connectSha256,
      }),
    );
    Validations.of(this.instance).acknowledge({
      id: 'AwsSolutions-EC28',
      reason: "Basic five-minute metrics are enough for a tunnel host whose health the status command and Altinity watch; detailed monitoring would add cost for every environment.",
    });
    Validations.of(this.instance).acknowledge({
      id: 'AwsSolutions-EC29',
      reason: 'The stack owns the host: termination protection would make stack deletion and host replacement fail, and a replacement host reconnects with the stored certificate.',
    });
    this.instanceArn = `arn:${stack.partition}:ec2:${stack.region}:${stack.account}:instance/${this.instance.ref}`;
  }

  /** Lets `grantee` send this host's creation signal (the host's own role). */
  grantSignal(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['cloudformation:SignalResource'], resources: [Stack.of(this).stackId] }),
    );
  }
}
