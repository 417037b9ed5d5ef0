import { CfnCondition, CustomResource, Duration, Fn, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { arnOf } from './arns';
import { bundleHandler, inlineHandlerCode } from './inline-handler';

/** The handler's runtime: supported until 2028, with its own AWS SDK v3, which the bundle leaves out. */
export const HANDLER_RUNTIME = lambda.Runtime.NODEJS_24_X;

/** How long KMS keeps the deleted stack's key before destroying it: the shortest wait KMS allows. */
export const KEY_DELETION_WINDOW_DAYS = 7;

/** Where the connection token comes from. */
export type TokenSource =
  /** The token is passed to the custom resource (a NoEcho template parameter) and written by it. */
  | { readonly kind: 'template-parameter'; readonly token: string }
  /** `cdk deploy -c token=...` staged it under this name; the custom resource moves it. */
  | { readonly kind: 'staged'; readonly parameterName: string };

export interface SecretStoreProps {
  /** Environment name, used to tag the parameters. */
  readonly envName: string;
  /**
   * SSM names, as `Fn::Sub` patterns over the template's parameters (for example
   * `/altinity-connect/${EnvName}/token`): the token's SecureString, the one in which the host keeps
   * the certificate that login produces, and the environment's prefix, below which both are and
   * below which `cdk deploy` stages the token.
   */
  readonly parameterNames: { readonly token: string; readonly certificate: string; readonly prefix: string };
  /** Where the token comes from. */
  readonly tokenSource: TokenSource;
  /**
   * A SecureString the customer already holds with a `cloud-connect.pem`, used while `condition`
   * holds: the host then reads it instead of logging in, and the stack never writes or deletes it.
   * @default - the host logs in and keeps the certificate in `parameterNames.certificate`
   */
  readonly existingCertificate?: { readonly parameterName: string; readonly condition: CfnCondition };
}

/**
 * The environment's secrets as SSM SecureStrings, owned by the stack.
 *
 * Guarantees: both are encrypted with a KMS key of the stack's own, which only the principals
 * granted here (the hosts' role and the handler's role) may use, through SSM, to encrypt and
 * decrypt; account administrators keep the key's administration, not its use. The token is written
 * by a Lambda-backed custom resource (CloudFormation cannot create SecureStrings itself), inlined in
 * the template so that no asset bucket is needed; the token is never a resource property other than
 * the custom resource's NoEcho-fed `Token`. Every parameter it writes is tagged with the owning stack's
 * id, and it touches none that another live stack owns. Deleting the stack deletes both parameters
 * and schedules the key's deletion. CloudFormation waits at most `ServiceTimeout` for an answer.
 */
export class SecretStore extends Construct {
  /** The name of the token's SecureString. */
  readonly tokenParameterName: string;
  private readonly tokenParameterArn: string;
  private readonly certificateParameterArn: string;
  /** The certificate parameter the host reads: the existing one while its condition holds, else the stack's own. */
  private readonly hostCertificateParameterArn: string;
  /** The key that encrypts both parameters. */
  readonly key: kms.Key;
  /** The custom resource that writes the token: hosts must not start before it. */
  readonly resource: CustomResource;
  private readonly handlerRole: iam.Role;
  /** The key policy's one statement for its users: principals are added as they are granted. */
  private readonly keyUse = new iam.PolicyStatement({
    actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'],
    resources: ['*'],
    conditions: { StringEquals: { 'kms:ViaService': Fn.sub('ssm.${AWS::Region}.amazonaws.com') } },
  });

  constructor(scope: Construct, id: string, props: SecretStoreProps) {
    super(scope, id);
    const names = props.parameterNames;
    this.tokenParameterName = Fn.sub(names.token);
    this.tokenParameterArn = parameterArnOf(names.token);
    this.certificateParameterArn = parameterArnOf(names.certificate);
    const existing = props.existingCertificate;
    this.hostCertificateParameterArn = existing
      ? Fn.conditionIf(existing.condition.logicalId, parameterArnOf('${Name}', { Name: existing.parameterName }), this.certificateParameterArn).toString()
      : this.certificateParameterArn;

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.handlerRole = new iam.Role(this, 'HandlerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Writes and deletes the altinity-connect token and certificate parameters',
    });
    logGroup.grantWrite(this.handlerRole);
    // The environment's own names only: the token, the certificate, the staged tokens and their path.
    this.handlerRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ssm:GetParameter', 'ssm:GetParametersByPath', 'ssm:PutParameter', 'ssm:DeleteParameter', 'ssm:AddTagsToResource', 'ssm:ListTagsForResource'],
        resources: [parameterArnOf(`${names.prefix}/*`)],
      }),
    );
    // Whether a parameter's owner still exists.
    this.handlerRole.addToPolicy(
      new iam.PolicyStatement({ actions: ['cloudformation:DescribeStacks'], resources: [arnOf('cloudformation:${AWS::Region}:${AWS::AccountId}:stack/*')] }),
    );
    Validations.of(this.handlerRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudformation:<AWS::Region>:<AWS::AccountId>:stack/*]',
      reason: 'A parameter may be owned by any stack of this account and region: the handler reads whether that stack still exists, nothing more.',
    });
    Validations.of(this.handlerRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter${names.prefix.replace(/\$\{(\w+)\}/g, '<$1>')}/*]`,
      reason: "The environment's own parameters: cdk deploy stages the token under a new name each deployment, below this prefix.",
    });

    this.key = new kms.Key(this, 'Key', {
      description: 'Encrypts the altinity-connect token and certificate parameters of one stack',
      enableKeyRotation: true,
      pendingWindow: Duration.days(KEY_DELETION_WINDOW_DAYS),
      removalPolicy: RemovalPolicy.DESTROY,
      policy: new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({
            principals: [new iam.ArnPrincipal(arnOf('iam::${AWS::AccountId}:root'))],
            notActions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'],
            resources: ['*'],
          }),
          this.keyUse,
        ],
      }),
    });
    this.grantKeyUse(this.handlerRole);

    const handler = new lambda.Function(this, 'Handler', {
      description: 'Stores the Altinity.Cloud connection token as an SSM SecureString',
      runtime: HANDLER_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromInline(inlineHandlerCode('secret-store', bundleHandler('secret-store', HANDLER_RUNTIME))),
      timeout: Duration.minutes(1),
      memorySize: 256,
      role: this.handlerRole,
      logGroup,
    });

    const tokenProperties =
      props.tokenSource.kind === 'template-parameter' ? { Token: props.tokenSource.token } : { StagedTokenParameter: props.tokenSource.parameterName };
    this.resource = new CustomResource(this, 'Parameters', {
      serviceToken: handler.functionArn,
      resourceType: 'Custom::ConnectSecrets',
      serviceTimeout: Duration.minutes(5),
      // The handler derives the parameter names from the environment name, as parameterNames do.
      properties: { EnvName: props.envName, KeyId: this.key.keyArn, ...tokenProperties },
    });
    // The function must be able to write its logs and parameters for every event, Delete included.
    this.resource.node.addDependency(this.handlerRole);
  }

  /**
   * Lets the host read the token and its certificate, and claim, store or (after a failed login)
   * withdraw the stack's own certificate parameter, encrypted with the stack's key. It may write no
   * customer's parameter.
   */
  grantHostAccess(grantee: iam.IGrantable & { readonly roleArn: string }): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ssm:GetParameter'],
        resources: [this.tokenParameterArn, this.hostCertificateParameterArn],
      }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ssm:PutParameter', 'ssm:DeleteParameter', 'ssm:AddTagsToResource'],
        resources: [this.certificateParameterArn],
      }),
    );
    this.grantKeyUse(grantee);
  }

  /** The key policy lets `grantee` encrypt and decrypt with the key, through SSM only. */
  private grantKeyUse(grantee: iam.IGrantable & { readonly roleArn: string }): void {
    this.keyUse.addPrincipals(new iam.ArnPrincipal(grantee.roleArn));
  }
}

/** The ARN of the parameter an `Fn::Sub` name pattern names, as one `Fn::Sub` (names start with the slash the ARN omits). */
function parameterArnOf(namePattern: string, variables?: Record<string, string>): string {
  return arnOf(`ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${namePattern}`, variables);
}
