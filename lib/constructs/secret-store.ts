import { Aws, type CfnCondition, CustomResource, Duration, Fn, Lazy, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { SECRET_STORE_LOGICAL_IDS, SECRET_STORE_RESOURCE_TYPE } from '../shared/names';
import { SECRET_STORE_VARIABLES, type SecretStoreProperties, type SecretStoreSettings } from '../shared/secret-store-contract';
import { bundleHandler, inlineHandlerCode } from './inline-handler';
import { keyAdministration, parameterArnOf, secretKeeperRole, ssmService } from './secret-keeper';
import { readableLogicalId } from './readable-id';

/** The handler's runtime: supported until 2028, with its own AWS SDK v3, which the bundle leaves out. */
export const HANDLER_RUNTIME = lambda.Runtime.NODEJS_24_X;

/** How long KMS keeps the deleted stack's key before destroying it: the shortest wait KMS allows. */
export const KEY_DELETION_WINDOW_DAYS = 7;

/** What the key's users may do with it, through SSM only. */
const KEY_USE = ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'];

/** Where the connection token comes from. */
export type TokenSource =
  /** The token is passed to the custom resource (a NoEcho template parameter) and written by it. */
  | { readonly kind: 'template-parameter'; readonly token: string }
  /** `cdk deploy -c token=...` staged it in Secrets Manager under this name; the custom resource moves it. */
  | { readonly kind: 'staged'; readonly secretName: string };

export interface SecretStoreProps {
  /** Environment name, used to tag the parameters. */
  readonly envName: string;
  /**
   * Names, as `Fn::Sub` patterns over the template's parameters (for example
   * `/altinity-connect/${EnvName}/token`): the token's SecureString; the one in which the hosts keep
   * the certificate that login produces; the Secrets Manager prefix of the tokens `cdk deploy`
   * stages; and the IAM path of the function's role, the only one that may read a staged token.
   */
  readonly names: { readonly token: string; readonly certificate: string; readonly stagedTokens: string; readonly rolePath: string };
  /** Where the token comes from. */
  readonly tokenSource: TokenSource;
  /**
   * A SecureString the customer already holds with a `cloud-connect.pem`, used while `condition`
   * holds: the hosts then read it instead of logging in, and the stack never writes or deletes it.
   * @default - the hosts log in and keep the certificate in `names.certificate`
   */
  readonly existingCertificate?: { readonly parameterName: string; readonly condition: CfnCondition };
}

/**
 * The environment's secrets as SSM SecureStrings, owned by the stack.
 *
 * Guarantees: both are encrypted with a KMS key of the stack's own, whose policy lets only the roles
 * granted here (the hosts' and the function's), by ARN, use it, through SSM, to encrypt and decrypt;
 * account administrators keep the key's administration, not its use nor grants of it. The token is written by a Lambda-backed
 * custom resource (CloudFormation cannot create SecureStrings itself), inlined in the template so
 * that no asset bucket is needed. The function takes its stack, resource, names and key from its own
 * environment and acts only on requests for that resource while CloudFormation works on it (an event
 * sent in that window by someone who may invoke the function cannot be told from CloudFormation's: it
 * can store a token of its choosing, at the stack's names, under its key); the token is never a
 * resource property other than the NoEcho-fed `Token`. Every parameter it writes is tagged with the
 * owning stack's id, and it touches none that another live stack owns. Deleting the stack deletes
 * both parameters and schedules the key's deletion. CloudFormation waits at most `ServiceTimeout`.
 */
export class SecretStore extends Construct {
  /** The name of the token's SecureString. */
  readonly tokenParameterName: string;
  /** The key that encrypts both parameters. */
  readonly key: kms.Key;
  /** The custom resource that writes the token: hosts must not start before it. */
  readonly resource: CustomResource;
  private readonly tokenParameterArn: string;
  private readonly certificateParameterArn: string;
  /** The certificate parameter the hosts read: the existing one while its condition holds, else the stack's own. */
  private readonly hostCertificateParameterArn: string;
  private readonly existingCertificate?: SecretStoreProps['existingCertificate'];
  /** The roles the key policy lets use the key. */
  private readonly keyUsers: string[] = [];

  constructor(scope: Construct, id: string, props: SecretStoreProps) {
    super(scope, id);
    const names = props.names;
    this.tokenParameterName = Fn.sub(names.token);
    this.tokenParameterArn = parameterArnOf(names.token);
    this.certificateParameterArn = parameterArnOf(names.certificate);
    this.existingCertificate = props.existingCertificate;
    const existing = props.existingCertificate;
    this.hostCertificateParameterArn = existing
      ? Fn.conditionIf(existing.condition.logicalId, parameterArnOf('${Name}', { Name: existing.parameterName }), this.certificateParameterArn).toString()
      : this.certificateParameterArn;

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const staged = props.tokenSource.kind === 'staged';
    const handlerRole = secretKeeperRole(this, 'HandlerRole', {
      rolePath: Fn.sub(names.rolePath),
      parameterPrefix: parentOf(names.token),
      parametersAre: "The environment's own parameters: the token and the certificate, whose names the function's settings give.",
      stagedTokenPrefix: staged ? names.stagedTokens : undefined,
      logGroup,
    });

    this.key = new kms.Key(this, 'Key', {
      description: 'altinity-connect secrets of one stack',
      enableKeyRotation: true,
      pendingWindow: Duration.days(KEY_DELETION_WINDOW_DAYS),
      removalPolicy: RemovalPolicy.DESTROY,
      policy: new iam.PolicyDocument({
        statements: [
          keyAdministration(),
          // Use, through SSM, by the roles named here: named in a condition, which KMS does not check
          // at CreateKey as it checks principals, so that a role IAM has not propagated yet cannot
          // fail the key's creation.
          new iam.PolicyStatement({
            principals: [new iam.AnyPrincipal()],
            actions: KEY_USE,
            resources: ['*'],
            conditions: {
              StringEquals: { 'kms:ViaService': ssmService() },
              ArnEquals: { 'aws:PrincipalArn': Lazy.list({ produce: () => this.keyUsers }) },
            },
          }),
        ],
      }),
    });
    readableLogicalId(this.key, SECRET_STORE_LOGICAL_IDS.key);
    this.grantKeyUse(handlerRole);

    const settings: Record<keyof SecretStoreSettings, string> = {
      stackId: Aws.STACK_ID,
      resourceId: SECRET_STORE_LOGICAL_IDS.resource,
      envName: props.envName,
      keyArn: this.key.keyArn,
      tokenParameter: Fn.sub(names.token),
      certificateParameter: Fn.sub(names.certificate),
      stagedTokenPrefix: staged ? Fn.sub(names.stagedTokens) : '',
      existingCertificateParameter: existing ? existing.parameterName : '',
    };
    const handler = new lambda.Function(this, 'Handler', {
      description: 'Keeps the altinity-connect secrets',
      runtime: HANDLER_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      // The console's build leaves out the code for staged tokens, which its stacks never have.
      code: lambda.Code.fromInline(inlineHandlerCode('secret-store', bundleHandler('secret-store', HANDLER_RUNTIME, { STAGED_TOKENS: staged }))),
      timeout: Duration.minutes(1),
      memorySize: 256,
      role: handlerRole,
      logGroup,
      environment: Object.fromEntries(
        Object.entries(settings)
          .filter(([, value]) => value !== '')
          .map(([setting, value]) => [SECRET_STORE_VARIABLES[setting as keyof SecretStoreSettings], value]),
      ),
    });

    const properties: SecretStoreProperties =
      props.tokenSource.kind === 'template-parameter'
        ? { EnvName: props.envName, KeyArn: this.key.keyArn, Token: props.tokenSource.token }
        : { EnvName: props.envName, KeyArn: this.key.keyArn, StagedToken: props.tokenSource.secretName };
    this.resource = new CustomResource(this, 'Parameters', {
      serviceToken: handler.functionArn,
      resourceType: SECRET_STORE_RESOURCE_TYPE,
      serviceTimeout: Duration.minutes(5),
      properties: { ...properties },
    });
    readableLogicalId(this.resource, SECRET_STORE_LOGICAL_IDS.resource);
    // The function must be able to write its logs and parameters for every event, Delete included.
    this.resource.node.addDependency(handlerRole);
  }

  /**
   * Lets the hosts read the token and their certificate, check who wrote them, and claim, store or
   * (after a failed login) withdraw the stack's own certificate parameter, encrypted with the stack's
   * key. They may write no customer's parameter; a customer's certificate under a key of the
   * customer's they may decrypt, through SSM, for that one parameter.
   */
  grantHostAccess(role: iam.IRole): void {
    const principal = role.grantPrincipal;
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ssm:GetParameter', 'ssm:ListTagsForResource'],
        resources: [this.tokenParameterArn, this.hostCertificateParameterArn],
      }),
    );
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['ssm:PutParameter', 'ssm:DeleteParameter', 'ssm:AddTagsToResource'], resources: [this.certificateParameterArn] }),
    );
    // Before trusting a parameter: its type and key (DescribeParameters names no resource), and its owner's tag.
    principal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ssm:DescribeParameters'], resources: ['*'] }));
    this.grantKeyUse(role);
    if (this.existingCertificate) {
      // A key of the customer's that this stack does not know: only through SSM, only for that one
      // parameter (without one, the context names no parameter, and the statement allows nothing).
      principal.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: ['*'],
          conditions: {
            StringEquals: {
              'kms:ViaService': ssmService(),
              'kms:EncryptionContext:PARAMETER_ARN': parameterArnOf('${Name}', { Name: this.existingCertificate.parameterName }),
            },
          },
        }),
      );
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: "The customer's key is not known here: decryption is limited to SSM and to the one parameter named in ExistingCertificateParameter.",
      });
    }
  }

  /** Lets `role` encrypt and decrypt with the key, through SSM only. */
  private grantKeyUse(role: iam.IRole): void {
    this.keyUsers.push(role.roleArn);
  }
}

function parentOf(name: string): string {
  return name.slice(0, name.lastIndexOf('/'));
}
