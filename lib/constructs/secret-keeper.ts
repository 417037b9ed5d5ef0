import { Fn, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { arnOf } from './arns';

/**
 * The role of a function that keeps an environment's secrets (the secret store's, and the one that
 * calls Altinity.Cloud): both write SecureStrings below one path, owned by their stack, and take the
 * token that `cdk deploy` staged, which only roles on their IAM path may read.
 */
export interface SecretKeeperRoleProps {
  /** The role's IAM path: a staged token's policy names it. */
  readonly rolePath: string;
  /** The SSM path below which the function writes, as an `Fn::Sub` pattern (`/altinity-connect/${EnvName}`). */
  readonly parameterPrefix: string;
  /** What those parameters are, for the reason the broad grant is acknowledged. */
  readonly parametersAre: string;
  /**
   * The Secrets Manager prefix of the tokens staged for the function, as an `Fn::Sub` pattern.
   * @default - none: the token comes as a template parameter
   */
  readonly stagedTokenPrefix?: string;
  /** Where the function logs. */
  readonly logGroup: logs.ILogGroup;
}

/**
 * Guarantees: the role may write its logs; read, write, tag and delete the parameters below
 * `parameterPrefix` and no others; tell which key encrypts a parameter; read and delete the tokens
 * staged below `stagedTokenPrefix`; and ask CloudFormation about stacks of its account and region
 * (whether a parameter's owner still exists, and what it says of the resource an event names).
 */
export function secretKeeperRole(scope: Construct, id: string, props: SecretKeeperRoleProps): iam.Role {
  const role = new iam.Role(scope, id, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), path: props.rolePath });
  props.logGroup.grantWrite(role);
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: ['ssm:GetParameter', 'ssm:PutParameter', 'ssm:DeleteParameter', 'ssm:AddTagsToResource', 'ssm:ListTagsForResource'],
      resources: [parameterArnOf(`${props.parameterPrefix}/*`)],
    }),
  );
  const staged = props.stagedTokenPrefix !== undefined;
  // Which key encrypts a parameter, and which staged tokens are left: these calls name no resource.
  role.addToPolicy(new iam.PolicyStatement({ actions: ['ssm:DescribeParameters', ...(staged ? ['secretsmanager:ListSecrets'] : [])], resources: ['*'] }));
  if (staged) {
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DeleteSecret'],
        resources: [arnOf(`secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:${props.stagedTokenPrefix}*`)],
      }),
    );
  }
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: ['cloudformation:DescribeStackResource', 'cloudformation:DescribeStacks'],
      resources: [arnOf('cloudformation:${AWS::Region}:${AWS::AccountId}:stack/*')],
    }),
  );
  const findings = Validations.of(role);
  findings.acknowledge({
    id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudformation:<AWS::Region>:<AWS::AccountId>:stack/*]',
    reason:
      'A parameter may be owned by any stack of this account and region: the function reads whether that stack still exists, and what CloudFormation says of the resource an event names.',
  });
  findings.acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'DescribeParameters and ListSecrets name no resource: they tell which key encrypts a parameter and which staged tokens are left, no value.',
  });
  findings.acknowledge({
    id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter${nagPattern(props.parameterPrefix)}/*]`,
    reason: props.parametersAre,
  });
  if (staged) {
    findings.acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${nagPattern(props.stagedTokenPrefix ?? '')}*]`,
      reason: 'The tokens cdk deploy stages for this environment, each named by a digest of its token, which Secrets Manager suffixes.',
    });
  }
  return role;
}

/** The key policy's first statement: administration, delegated to IAM, without using the key or granting its use. */
export function keyAdministration(): iam.PolicyStatement {
  return new iam.PolicyStatement({
    principals: [new iam.ArnPrincipal(arnOf('iam::${AWS::AccountId}:root'))],
    notActions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:CreateGrant'],
    resources: ['*'],
  });
}

/** SSM's endpoint in this region, as `kms:ViaService` names it: the partition's own domain (amazonaws.com.cn in China). */
export function ssmService(): string {
  return Fn.sub('ssm.${AWS::Region}.${AWS::URLSuffix}');
}

/** The ARN of the parameter an `Fn::Sub` name pattern names, as one `Fn::Sub` (names start with the slash the ARN omits). */
export function parameterArnOf(namePattern: string, variables?: Record<string, string>): string {
  return arnOf(`ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${namePattern}`, variables);
}

/** An `Fn::Sub` pattern as cdk-nag writes it in a finding's id. */
function nagPattern(pattern: string): string {
  return pattern.replace(/\$\{(\w+)\}/g, '<$1>');
}
