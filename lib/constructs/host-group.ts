import { type CfnCondition, Token, Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import { Construct } from 'constructs';
import { HOST_GROUP_LOGICAL_ID } from '../shared/names';
import { onlyWhen } from './conditional';
import { HOST_SIGNAL_TIMEOUT, type HostLaunchTemplate } from './host-launch';

export interface ConnectHostGroupProps {
  /** The template every host launches from. */
  readonly launchTemplate: HostLaunchTemplate;
  /** Subnets the hosts are spread over. */
  readonly subnetIds: string[];
  /** How many hosts run, as text (a parameter reference). */
  readonly replicas: string;
  /** Upper bound of `replicas`: the group may hold one more host while a rolling update replaces one. */
  readonly maxReplicas: number;
  /**
   * When given, the group exists only while the condition holds.
   *
   * @default - the group always exists
   */
  readonly condition?: CfnCondition;
}

/**
 * Several altinitycloud-connect hosts in an Auto Scaling group, for high availability.
 *
 * Guarantees: the same launch template, hence the same hardening and bootstrap, as a single host;
 * creation waits for one success signal per host; a rolling update starts one new host at a time
 * and waits for its signal before retiring an old one; a host whose bootstrap fails marks itself
 * unhealthy and the group replaces it. The group's logical id is `HostGroup`, which the stack's events
 * and the hosts' signals name: one per stack.
 */
export class ConnectHostGroup extends Construct {
  /** The Auto Scaling group resource. */
  readonly group: autoscaling.CfnAutoScalingGroup;

  constructor(scope: Construct, id: string, props: ConnectHostGroupProps) {
    super(scope, id);
    this.group = new autoscaling.CfnAutoScalingGroup(this, 'Group', {
      minSize: props.replicas,
      maxSize: String(props.maxReplicas + 1),
      desiredCapacity: props.replicas,
      vpcZoneIdentifier: props.subnetIds,
      launchTemplate: props.launchTemplate.specification,
      healthCheckType: 'EC2',
    });
    this.group.overrideLogicalId(HOST_GROUP_LOGICAL_ID);
    this.group.cfnOptions.creationPolicy = {
      resourceSignal: { count: Token.asNumber(props.replicas), timeout: HOST_SIGNAL_TIMEOUT },
      autoScalingCreationPolicy: { minSuccessfulInstancesPercent: 100 },
    };
    this.group.cfnOptions.updatePolicy = {
      autoScalingRollingUpdate: {
        maxBatchSize: 1,
        minInstancesInService: Token.asNumber(props.replicas),
        pauseTime: HOST_SIGNAL_TIMEOUT,
        waitOnResourceSignals: true,
        // The stack uses no alarm or schedule to suspend.
        suspendProcesses: ['HealthCheck', 'ReplaceUnhealthy', 'AZRebalance'],
      },
    };
    if (props.condition) onlyWhen(this, props.condition);

    Validations.of(this.group).acknowledge({
      id: 'AwsSolutions-AS3',
      reason: 'Scaling events are visible in the stack events and the status command; a notification topic per environment would have no subscriber.',
    });
  }
}
