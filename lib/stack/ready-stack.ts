import { CfnParameter, type Duration, Fn, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { EnvironmentReadiness } from '../constructs/environment-readiness';
import { cloudFunctionExportName, ON_STACK_DELETE, type OnStackDelete } from '../shared/cloud-stack-contract';
import { ENV_TAG_KEY } from '../shared/conventions';
import { consoleForm, envNameParameter } from './console-form';

export interface ReadyStackProps extends StackProps {
  readonly templateVersion: string;
  /**
   * The environment.
   * @default - an `EnvName` parameter: the console's template
   */
  readonly envName?: string;
  /**
   * A digest of the environment's specification: a new one waits again.
   * @default - a `SpecRevision` parameter, which the console user sets to the cloud stack's output
   */
  readonly specDigest?: string;
  /**
   * What deleting the stack does to the environment.
   * @default - an `OnStackDelete` parameter, keep by default
   */
  readonly onStackDelete?: OnStackDelete;
  /**
   * How long to wait for readiness, and for deprovisioning.
   * @default - EnvironmentReadiness's default
   */
  readonly wait?: Duration;
}

/**
 * The last of an environment's stacks in API-token mode, deployed after the hosts: it completes when
 * Altinity.Cloud reports the environment ready, and its deletion, which comes before the hosts',
 * deletes the environment when the user opted in. Without the app's values it is the console's
 * template, with parameters in their place.
 */
export class ReadyStack extends Stack {
  constructor(scope: Construct, id: string, props: ReadyStackProps) {
    super(scope, id, {
      description: `Altinity.Cloud Anywhere: waits until ${props.envName ?? 'an environment'}, created from an API token, is ready (template v${props.templateVersion})`,
      ...props,
    });
    const parameter = (name: string, properties: ConstructorParameters<typeof CfnParameter>[2]) => new CfnParameter(this, name, properties).valueAsString;
    const envName =
      props.envName ?? parameter('EnvName', envNameParameter('As in the altinity-cloud-<env> stack; this stack must be named altinity-ready-<it>.'));
    Tags.of(this).add(ENV_TAG_KEY, envName);
    new EnvironmentReadiness(this, 'Readiness', {
      serviceToken: Fn.importValue(props.envName === undefined ? Fn.sub(cloudFunctionExportName('${EnvName}')) : cloudFunctionExportName(envName)),
      envName,
      specDigest:
        props.specDigest ??
        parameter('SpecRevision', {
          type: 'String',
          default: '1',
          description: "The cloud stack's SpecRevision output: update this stack with the new one after changing the environment, to wait for it.",
        }),
      onStackDelete:
        props.onStackDelete ??
        parameter('OnStackDelete', {
          type: 'String',
          default: ON_STACK_DELETE.keep,
          allowedValues: Object.values(ON_STACK_DELETE),
          description: 'What deleting this stack does to the environment: keep it, delete it, or delete it with its ClickHouse clusters.',
        }),
      wait: props.wait,
    });
    if (props.envName === undefined) consoleForm(this, [['Altinity.Cloud environment', ['EnvName', 'SpecRevision', 'OnStackDelete']]]);
  }
}
