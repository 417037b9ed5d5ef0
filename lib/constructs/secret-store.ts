import { CfnCondition, CustomResource, Duration, Fn, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { bundleHandler } from './inline-handler';
import { arnOf } from './arns';

/** The handler's runtime: supported until 2028, with its own AWS SDK v3, which the bundle leaves out. */
export const HANDLER_RUNTIME = lambda.Runtime.NODEJS_24_X;

/** Where the connection token comes from. */
export type TokenSource =
  /** The token is passed to the custom resource (a NoEcho template parameter) and written by it. */
  | { readonly kind: 'template-parameter'; readonly token: string }
  /** The token was stored before the deployment (`cdk deploy -c token=...`) at this version. */
  | { readonly kind: 'stored'; readonly version: number };

export interface SecretStoreProps {
  /** Environment name, used to tag the parameters. */
  readonly envName: string;
  /** SSM name of the SecureString that holds the connection token. */
  readonly tokenParameterName: string;
  /** SSM name of the SecureString in which the host keeps the certificate that login produces. */
  readonly certificateParameterName: string;
  readonly tokenSource: TokenSource;
  /**
   * A SecureString the customer already holds with a `cloud-connect.pem`, used while `condition`
   * holds: the host then reads it instead of logging in, and the stack never deletes it.
   * @default - the host logs in and keeps the certificate in `certificateParameterName`
   */
  readonly existingCertificate?: { readonly parameterName: string; readonly condition: CfnCondition };
}

/**
 * The environment's secrets as SSM SecureStrings, owned by the stack.
 *
 * Guarantees: the token is written by a Lambda-backed custom resource (CloudFormation cannot create
 * SecureStrings itself), inlined in the template so that no asset bucket is needed; the token is
 * never a resource property other than the custom resource's NoEcho-fed `Token`; deleting the stack
 * deletes both parameters; the function may touch only these two parameters.
 */
export class SecretStore extends Construct {
  readonly tokenParameterName: string;
  readonly certificateParameterName: string;
  /** The certificate parameter the host uses: the existing one when given, else the stack's own. */
  readonly hostCertificateParameterName: string;
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: SecretStoreProps) {
    super(scope, id);
    this.tokenParameterName = props.tokenParameterName;
    this.certificateParameterName = props.certificateParameterName;
    const existing = props.existingCertificate;
    this.hostCertificateParameterName = existing
      ? Fn.conditionIf(existing.condition.logicalId, existing.parameterName, this.certificateParameterName).toString()
      : this.certificateParameterName;

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new iam.Role(this, 'HandlerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Writes and deletes the altinity-connect token and certificate parameters',
    });
    logGroup.grantWrite(role);
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ssm:PutParameter', 'ssm:GetParameter', 'ssm:DeleteParameters', 'ssm:AddTagsToResource'],
        resources: [this.parameterArn(this.tokenParameterName), this.parameterArn(this.certificateParameterName)],
      }),
    );

    const handler = new lambda.Function(this, 'Handler', {
      description: 'Stores the Altinity.Cloud connection token as an SSM SecureString',
      runtime: HANDLER_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromInline(bundleHandler('secret-store', HANDLER_RUNTIME)),
      timeout: Duration.minutes(1),
      memorySize: 256,
      role,
      logGroup,
    });

    const tokenProperties =
      props.tokenSource.kind === 'template-parameter'
        ? { Token: props.tokenSource.token }
        : { StoredTokenVersion: String(props.tokenSource.version) };
    this.resource = new CustomResource(this, 'Parameters', {
      serviceToken: handler.functionArn,
      resourceType: 'Custom::ConnectSecrets',
      properties: {
        EnvName: props.envName,
        TokenParameterName: this.tokenParameterName,
        CertificateParameterName: this.certificateParameterName,
        ...tokenProperties,
      },
    });
    // The function must be able to write its logs and parameters for every event, Delete included.
    this.resource.node.addDependency(role);
  }

  /**
   * Lets the host read the token and its certificate, and claim, store or (after a failed login)
   * withdraw the stack's own certificate parameter.
   */
  grantHostAccess(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ssm:GetParameter'],
        resources: [this.parameterArn(this.tokenParameterName), this.parameterArn(this.hostCertificateParameterName)],
      }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ssm:PutParameter', 'ssm:DeleteParameter'],
        resources: [this.parameterArn(this.certificateParameterName)],
      }),
    );
  }

  private parameterArn(name: string): string {
    // Names start with a slash, which the ARN form omits.
    return arnOf('ssm:${AWS::Region}:${AWS::AccountId}:parameter${Name}', { Name: name });
  }
}
