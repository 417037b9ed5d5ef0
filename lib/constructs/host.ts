import { type CfnCondition, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { HOST_LOGICAL_ID } from '../shared/names';
import { arnOf } from './arns';
import { onlyWhen } from './conditional';
import { HOST_SIGNAL_TIMEOUT, type HostLaunchTemplate } from './host-launch';

export interface ConnectHostProps {
  /** The template the host launches from. */
  readonly launchTemplate: HostLaunchTemplate;
  /** Subnet the host runs in. */
  readonly subnetId: string;
  /**
   * When given, the host exists only while the condition holds.
   *
   * @default - the host always exists
   */
  readonly condition?: CfnCondition;
}

/**
 * The single EC2 instance that runs `altinitycloud-connect --capability aws`.
 *
 * Guarantees: launched from the host launch template (its image, profile, encrypted root volume,
 * user data, IMDSv2 only, detailed monitoring off), in its own subnet; a CreationPolicy,
 * so the resource is complete only when the host signals that Altinity.Cloud sees it connected, or
 * fails with the reason the host reports. EC2's simplified automatic recovery, on by default for
 * such an instance, moves it off failed hardware keeping its instance id (the ARN given to Altinity).
 * The instance's logical id is `Host`, which the stack's events and the host's signal name: one per stack.
 */
export class ConnectHost extends Construct {
  /** The instance resource. */
  readonly instance: ec2.CfnInstance;
  /** `arn:<partition>:ec2:<region>:<account>:instance/<id>`, what the break-glass procedure names. */
  readonly instanceArn: string;

  constructor(scope: Construct, id: string, props: ConnectHostProps) {
    super(scope, id);
    const launch = props.launchTemplate;
    this.instance = new ec2.CfnInstance(this, 'Instance', {
      launchTemplate: launch.specification,
      tags: launch.instanceTags,
      networkInterfaces: [
        {
          deviceIndex: '0',
          subnetId: props.subnetId,
          groupSet: [launch.securityGroupId],
          associatePublicIpAddress: launch.associatePublicIp,
          deleteOnTermination: true,
        },
      ],
    });
    this.instance.overrideLogicalId(HOST_LOGICAL_ID);
    this.instance.cfnOptions.creationPolicy = { resourceSignal: { count: 1, timeout: HOST_SIGNAL_TIMEOUT } };
    this.instanceArn = arnOf('ec2:${AWS::Region}:${AWS::AccountId}:instance/${Id}', { Id: this.instance.ref });

    if (props.condition) onlyWhen(this, props.condition);

    Validations.of(this.instance).acknowledge({
      id: 'AwsSolutions-EC28',
      reason:
        'Basic five-minute metrics are enough for a tunnel host whose health the status command and Altinity watch; detailed monitoring would add cost for every environment.',
    });
    Validations.of(this.instance).acknowledge({
      id: 'AwsSolutions-EC29',
      reason:
        'The stack owns the host: termination protection would make stack deletion and host replacement fail, and a replacement host reconnects with the stored certificate.',
    });
  }
}
