import { CfnOutput, CfnParameter, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { AltinityCloudAccess } from '../constructs/altinity-cloud-access';
import { AltinityEnvironment } from '../constructs/altinity-environment';
import { ENV_TAG_KEY, readyStackNameFor } from '../shared/conventions';
import type { EnvironmentSpec } from '../shared/environment-spec';

/** The template parameter that carries the API token when the app did not stage it. */
export const API_TOKEN_PARAMETER = 'ApiToken';

export interface CloudStackProps extends StackProps {
  /** Version of this template, shown in the stack description. */
  readonly templateVersion: string;
  readonly envName: string;
  /** The environment file's specification, validated. */
  readonly spec: EnvironmentSpec;
  /**
   * The Secrets Manager name under which the app staged the API token.
   * @default - a NoEcho `ApiToken` parameter, empty to keep the stored token
   */
  readonly stagedToken?: string;
  /** Altinity.Cloud's API. */
  readonly apiUrl: string;
}

/**
 * The first of an environment's stacks in API-token mode: the API token and the certificate signed
 * with it, the one function that uses the token, and the environment's specification in
 * Altinity.Cloud. The connect stack's hosts use the certificate; the ready stack, the function.
 */
export class CloudStack extends Stack {
  /** Where the certificate is: the connect stack's ExistingCertificateParameter. */
  readonly certificateParameterName: string;
  /** The export that holds the function's ARN, which the ready stack imports. */
  readonly functionExportName: string;

  constructor(scope: Construct, id: string, props: CloudStackProps) {
    super(scope, id, {
      description: `Altinity.Cloud Anywhere: API token, certificate and specification of environment ${props.envName} (template v${props.templateVersion})`,
      ...props,
    });
    Tags.of(this).add(ENV_TAG_KEY, props.envName);
    const token =
      props.stagedToken === undefined
        ? new CfnParameter(this, API_TOKEN_PARAMETER, {
            type: 'String',
            noEcho: true,
            default: '',
            description: 'Altinity.Cloud Anywhere API token (My Account > Anywhere API Access); empty keeps the stored one.',
          }).valueAsString
        : undefined;
    const access = new AltinityCloudAccess(this, 'Access', {
      envName: props.envName,
      tokenSource: token === undefined ? { kind: 'staged', secretName: props.stagedToken ?? '' } : { kind: 'template-parameter', token },
      readyStackName: readyStackNameFor(props.envName),
      apiUrl: props.apiUrl,
    });
    const environment = new AltinityEnvironment(this, 'Environment', { serviceToken: access.serviceToken, envName: props.envName, spec: props.spec });
    // The environment's calls need the stored token.
    environment.node.addDependency(access.resource);
    this.certificateParameterName = access.certificateParameterName;
    this.functionExportName = `${this.stackName}:FunctionArn`;
    new CfnOutput(this, 'FunctionArn', {
      value: access.serviceToken,
      exportName: this.functionExportName,
      description: 'Calls Altinity.Cloud for the ready stack',
    });
    new CfnOutput(this, 'CertificateParameterName', { value: access.certificateParameterName, description: "The hosts' certificate (SecureString)" });
    new CfnOutput(this, 'SpecRevision', { value: environment.specRevision, description: "The specification's revision in Altinity.Cloud" });
  }
}
