import { CfnOutput, CfnParameter, Fn, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { AltinityCloudAccess } from '../constructs/altinity-cloud-access';
import { AltinityEnvironment } from '../constructs/altinity-environment';
import { API_TOKEN_PARAMETER, cloudFunctionExportName } from '../shared/cloud-stack-contract';
import { CONSOLE_ENVIRONMENT_FIELDS } from '../shared/console-environment';
import { DEFAULT_ALTINITY_URL, ENV_TAG_KEY, readyStackNameFor } from '../shared/conventions';
import type { EnvironmentSpec } from '../shared/environment-spec';
import { ALTINITY_URL_PATTERN, consoleForm, envNameParameter } from './console-form';

/** CloudFormation's most for a parameter's value: the console's specification must fit in it. */
const MAX_PARAMETER_BYTES = 4096;

export interface CloudStackProps extends StackProps {
  /** Version of this template, shown in the stack description. */
  readonly templateVersion: string;
  /**
   * The environment.
   * @default - an `EnvName` parameter: the console's template
   */
  readonly envName?: string;
  /**
   * The environment file's specification, validated.
   * @default - an `EnvironmentSpec` parameter holding it as JSON, which the function validates
   */
  readonly spec?: EnvironmentSpec;
  /**
   * The Secrets Manager name under which the app staged the API token.
   * @default - a NoEcho `ApiToken` parameter, empty to keep the stored token
   */
  readonly stagedToken?: string;
  /**
   * Altinity.Cloud's API.
   * @default - an `AltinityApiUrl` parameter, whose default is DEFAULT_ALTINITY_URL
   */
  readonly apiUrl?: string;
}

/**
 * The first of an environment's stacks in API-token mode: the API token and the certificate signed
 * with it, the one function that uses the token, and the environment's specification in
 * Altinity.Cloud. The connect stack's hosts use the certificate; the ready stack, the function.
 * Without the app's values it is the console's template, with parameters in their place.
 */
export class CloudStack extends Stack {
  /** Where the certificate is: the connect stack's ExistingCertificateParameter. */
  readonly certificateParameterName: string;

  constructor(scope: Construct, id: string, props: CloudStackProps) {
    super(scope, id, {
      description: `Altinity.Cloud Anywhere: API token, certificate and specification of ${props.envName ?? 'an environment'}, created from the API token (template v${props.templateVersion})`,
      ...props,
    });
    const parameter = (name: string, properties: ConstructorParameters<typeof CfnParameter>[2]) => new CfnParameter(this, name, properties).valueAsString;
    const envName =
      props.envName ?? parameter('EnvName', envNameParameter('The environment to create in Altinity.Cloud; name this stack altinity-cloud-<it>.'));
    const envInSub = props.envName === undefined ? '${EnvName}' : undefined;
    const named = (pattern: (env: string) => string) => (envInSub === undefined ? pattern(envName) : Fn.sub(pattern(envInSub)));
    Tags.of(this).add(ENV_TAG_KEY, envName);
    const token =
      props.stagedToken === undefined
        ? parameter(API_TOKEN_PARAMETER, {
            type: 'String',
            noEcho: true,
            default: '',
            description: 'Altinity.Cloud Anywhere API token (My Account > Anywhere API Access); empty keeps the stored one.',
          })
        : undefined;
    const spec =
      props.spec ??
      parameter('EnvironmentSpec', {
        type: 'String',
        default: '{}',
        maxLength: MAX_PARAMETER_BYTES,
        description: 'The rest of the environment file, as JSON (docs/environment-file.md): fields the parameters above do not set; {} sets none.',
      });
    const consoleFields =
      props.spec === undefined
        ? Object.fromEntries(
            Object.entries(CONSOLE_ENVIRONMENT_FIELDS).map(([name, { description, pattern, expects }]) => [
              name,
              parameter(name, { type: 'String', default: '', allowedPattern: pattern, description, constraintDescription: `must be empty or ${expects}` }),
            ]),
          )
        : undefined;
    const apiUrl =
      props.apiUrl ??
      parameter('AltinityApiUrl', {
        type: 'String',
        default: DEFAULT_ALTINITY_URL,
        allowedPattern: ALTINITY_URL_PATTERN,
        description: 'Change it only if Altinity tells you to.',
        constraintDescription: 'must be an https:// URL without a trailing slash',
      });
    if (props.envName === undefined && props.spec === undefined) {
      consoleForm(this, [
        ['Altinity.Cloud environment', ['EnvName', API_TOKEN_PARAMETER]],
        ['The environment (docs/environment-file.md)', [...Object.keys(CONSOLE_ENVIRONMENT_FIELDS), 'EnvironmentSpec']],
        ['Advanced', ['AltinityApiUrl']],
      ]);
    }
    const access = new AltinityCloudAccess(this, 'Access', {
      envName,
      envInSub,
      tokenSource: token === undefined ? { kind: 'staged', secretName: props.stagedToken ?? '' } : { kind: 'template-parameter', token },
      readyStackName: named(readyStackNameFor),
      apiUrl,
    });
    const environment = new AltinityEnvironment(this, 'Environment', { serviceToken: access.serviceToken, envName, spec, consoleFields });
    // The environment's calls need the stored token.
    environment.node.addDependency(access.resource);
    this.certificateParameterName = access.certificateParameterName;
    new CfnOutput(this, 'FunctionArn', {
      value: access.serviceToken,
      exportName: named(cloudFunctionExportName),
      description: 'Calls Altinity.Cloud for the ready stack',
    });
    new CfnOutput(this, 'CertificateParameterName', { value: access.certificateParameterName, description: "The hosts' certificate (SecureString)" });
    new CfnOutput(this, 'SpecRevision', { value: environment.specRevision, description: "The specification's revision in Altinity.Cloud" });
  }
}
