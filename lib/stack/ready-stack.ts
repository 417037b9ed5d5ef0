import { type Duration, Fn, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { EnvironmentReadiness } from '../constructs/environment-readiness';
import type { OnStackDelete } from '../shared/cloud-stack-contract';
import { ENV_TAG_KEY } from '../shared/conventions';

export interface ReadyStackProps extends StackProps {
  readonly templateVersion: string;
  readonly envName: string;
  /** The cloud stack's export of its function's ARN. */
  readonly functionExportName: string;
  /** A digest of the environment's specification: a new one waits again. */
  readonly specDigest: string;
  readonly onStackDelete: OnStackDelete;
  /**
   * How long to wait for readiness, and for deprovisioning.
   * @default - EnvironmentReadiness's default
   */
  readonly wait?: Duration;
}

/**
 * The last of an environment's stacks in API-token mode, deployed after the hosts: it completes when
 * Altinity.Cloud reports the environment ready, and its deletion, which comes before the hosts',
 * deletes the environment when the user opted in.
 */
export class ReadyStack extends Stack {
  constructor(scope: Construct, id: string, props: ReadyStackProps) {
    super(scope, id, {
      description: `Altinity.Cloud Anywhere: waits until environment ${props.envName} is ready (template v${props.templateVersion})`,
      ...props,
    });
    Tags.of(this).add(ENV_TAG_KEY, props.envName);
    new EnvironmentReadiness(this, 'Readiness', {
      serviceToken: Fn.importValue(props.functionExportName),
      envName: props.envName,
      specDigest: props.specDigest,
      onStackDelete: props.onStackDelete,
      wait: props.wait,
    });
  }
}
