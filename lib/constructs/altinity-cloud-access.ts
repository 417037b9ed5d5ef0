import { Aws, CustomResource, Duration, Fn, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  type AccessProperties,
  apiTokenParameterName,
  CLOUD_FUNCTION_VARIABLES,
  CLOUD_LOGICAL_IDS,
  CLOUD_RESOURCE_TYPES,
  type CloudFunctionSettings,
  cloudCertificateParameterName,
  cloudFunctionRolePath,
  cloudParameterPrefix,
  stagedApiTokenPrefix,
} from '../shared/cloud-stack-contract';
import { ENV_TAG_KEY } from '../shared/conventions';
import { bundleHandler, inlineHandlerCode } from './inline-handler';
import { readableLogicalId } from './readable-id';
import { keyAdministration, parameterArnOf, secretKeeperRole, ssmService } from './secret-keeper';
import { HANDLER_RUNTIME, KEY_DELETION_WINDOW_DAYS } from './secret-store';

/** Where the API token comes from. */
export type ApiTokenSource =
  /** A NoEcho template parameter's value; empty keeps the stored token. */
  | { readonly kind: 'template-parameter'; readonly token: string }
  /** `cdk deploy` staged it in Secrets Manager under this name; the function moves it. */
  | { readonly kind: 'staged'; readonly secretName: string };

export interface AltinityCloudAccessProps {
  /** The Altinity.Cloud environment. */
  readonly envName: string;
  /**
   * The environment as `Fn::Sub` patterns name it, when `envName` is a template parameter's value
   * (`${EnvName}`), so that the names built from it stay one `Fn::Sub` each.
   * @default - envName, known at synthesis
   */
  readonly envInSub?: string;
  /** Where the API token comes from. */
  readonly tokenSource: ApiTokenSource;
  /** The stack whose slices wait for the environment (`readyStackNameFor`): the function serves them too. */
  readonly readyStackName: string;
  /** Altinity.Cloud's API, which the function calls with the token. */
  readonly apiUrl: string;
}

/** What the function may spend on one event: Lambda's most, so that a slice of the ready stack's wait is as long as it can be. */
export const CLOUD_FUNCTION_TIMEOUT = Duration.minutes(15);

/**
 * The Altinity.Cloud API token and the environment's certificate, and the one function that uses the
 * token.
 *
 * Guarantees: the token and the certificate are SecureStrings under a KMS key of the stack's own.
 * Only the function's role, by ARN and through SSM, may encrypt or decrypt with it; the environment's
 * hosts may decrypt the certificate alone (the key checks the parameter's ARN in the encryption
 * context), and are told apart by the environment's tag on their role, since they belong to another
 * stack; account administrators keep the key's administration, not its use. The function takes what
 * it acts on from its settings, which only this stack sets; it serves this construct's resources and
 * the ready stack's slices, and nothing else. Its code is inlined: no asset bucket is needed.
 */
export class AltinityCloudAccess extends Construct {
  /** The function's ARN: the service token of the environment and the ready stack's slices. */
  readonly serviceToken: string;
  readonly certificateParameterName: string;
  readonly resource: CustomResource;
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: AltinityCloudAccessProps) {
    super(scope, id);
    const env = props.envName;
    const sub = props.envInSub ?? env;
    const named = (pattern: string) => (props.envInSub === undefined ? pattern : Fn.sub(pattern));
    const staged = props.tokenSource.kind === 'staged';
    this.certificateParameterName = named(cloudCertificateParameterName(sub));

    const logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    const role = secretKeeperRole(this, 'HandlerRole', {
      rolePath: named(cloudFunctionRolePath(sub)),
      parameterPrefix: cloudParameterPrefix(sub),
      parametersAre: "The environment's own parameters: the API token and the certificate.",
      stagedTokenPrefix: staged ? stagedApiTokenPrefix(sub) : undefined,
      logGroup,
    });

    this.key = new kms.Key(this, 'Key', {
      description: `Altinity.Cloud API token and certificate of ${env}`,
      enableKeyRotation: true,
      pendingWindow: Duration.days(KEY_DELETION_WINDOW_DAYS),
      removalPolicy: RemovalPolicy.DESTROY,
      policy: new iam.PolicyDocument({
        statements: [
          keyAdministration(),
          // The function, by ARN in a condition, which KMS does not check at CreateKey, so that a role
          // IAM has not propagated yet cannot fail the key's creation.
          new iam.PolicyStatement({
            principals: [new iam.AnyPrincipal()],
            actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'],
            resources: ['*'],
            conditions: { StringEquals: { 'kms:ViaService': ssmService() }, ArnEquals: { 'aws:PrincipalArn': role.roleArn } },
          }),
          // The hosts, of the connect stack: the certificate alone, through SSM, by roles of this
          // account carrying the environment's tag. Reading it takes ssm:GetParameter on it too.
          new iam.PolicyStatement({
            principals: [new iam.AnyPrincipal()],
            actions: ['kms:Decrypt'],
            resources: ['*'],
            conditions: {
              StringEquals: {
                'kms:ViaService': ssmService(),
                'kms:EncryptionContext:PARAMETER_ARN': parameterArnOf(cloudCertificateParameterName(sub)),
                'aws:PrincipalAccount': Aws.ACCOUNT_ID,
                [`aws:PrincipalTag/${ENV_TAG_KEY}`]: env,
              },
            },
          }),
        ],
      }),
    });
    readableLogicalId(this.key, CLOUD_LOGICAL_IDS.key);

    const settings: CloudFunctionSettings = {
      stackId: Aws.STACK_ID,
      readyStackName: props.readyStackName,
      envName: env,
      keyArn: this.key.keyArn,
      apiTokenParameter: named(apiTokenParameterName(sub)),
      certificateParameter: this.certificateParameterName,
      stagedTokenPrefix: staged ? named(stagedApiTokenPrefix(sub)) : '',
      apiUrl: props.apiUrl,
    };
    const handler = new lambda.Function(this, 'Function', {
      description: `Calls Altinity.Cloud's API for ${env}, the only reader of its API token`,
      runtime: HANDLER_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromInline(inlineHandlerCode('altinity-cloud', bundleHandler('altinity-cloud', HANDLER_RUNTIME))),
      timeout: CLOUD_FUNCTION_TIMEOUT,
      memorySize: 512,
      role,
      logGroup,
      environment: Object.fromEntries(
        Object.entries(settings)
          .filter(([, value]) => value !== '')
          .map(([setting, value]) => [CLOUD_FUNCTION_VARIABLES[setting as keyof CloudFunctionSettings], value]),
      ),
    });
    readableLogicalId(handler, CLOUD_LOGICAL_IDS.function);
    this.serviceToken = handler.functionArn;

    const properties: AccessProperties =
      props.tokenSource.kind === 'staged'
        ? { EnvName: env, KeyArn: this.key.keyArn, ApiUrl: props.apiUrl, StagedToken: props.tokenSource.secretName }
        : { EnvName: env, KeyArn: this.key.keyArn, ApiUrl: props.apiUrl, Token: props.tokenSource.token };
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: this.serviceToken,
      resourceType: CLOUD_RESOURCE_TYPES.access,
      serviceTimeout: Duration.minutes(5),
      properties: { ...properties },
    });
    readableLogicalId(this.resource, CLOUD_LOGICAL_IDS.access);
    // The function must be able to write its logs and parameters for every event, Delete included.
    this.resource.node.addDependency(role);
  }
}
