/**
 * SecretStore alone in a small stack, with a role granted the hosts' access: the key, the function,
 * its role and the custom resource, for a token given as a parameter or staged, with and without an
 * existing certificate. Nothing stands in for anything; what the function does with SSM and Secrets
 * Manager is tested in test/lambda/secret-store.test.ts.
 */
import { CfnCondition, CfnParameter, Fn, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { bundleHandler } from '../../lib/constructs/inline-handler';
import { HANDLER_RUNTIME, SecretStore, type SecretStoreProps } from '../../lib/constructs/secret-store';
import { SECRET_STORE_LOGICAL_IDS } from '../../lib/shared/names';
import { unpackHandler } from '../../lib/shared/packed-text';
import { constructStack } from '../support/construct-stack';

const NAMES = {
  token: '/altinity-connect/${EnvName}/token',
  certificate: '/altinity-connect/${EnvName}/certificate',
  stagedTokens: 'altinity-connect/${EnvName}/staged/',
  rolePath: '/altinity-connect/${EnvName}/',
};
const sub = (text: string) => ({ 'Fn::Sub': text });
const arn = (rest: string) => sub(`arn:\${AWS::Partition}:${rest}`);
const parameterArn = (name: string) => arn(`ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${name}`);
const SSM_SERVICE = sub('ssm.${AWS::Region}.${AWS::URLSuffix}');

/** A stack holding a SecretStore and a role granted the hosts' access; `options` adds to or replaces the props. */
function secretStoreIn(options: (stack: Stack) => Partial<SecretStoreProps> = () => ({})) {
  const stack = constructStack();
  const envName = new CfnParameter(stack, 'EnvName').valueAsString;
  const token = new CfnParameter(stack, 'Token', { noEcho: true }).valueAsString;
  const hostRole = new iam.Role(stack, 'HostRole', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
  const store = new SecretStore(stack, 'Secrets', { envName, names: NAMES, tokenSource: { kind: 'template-parameter', token }, ...options(stack) });
  store.grantHostAccess(hostRole);
  const template = Template.fromStack(stack);
  const roleOf = (logicalIdPattern: RegExp) => Object.keys(template.findResources('AWS::IAM::Role')).find((id) => logicalIdPattern.test(id))!;
  const statementsOf = (roleId: string) =>
    Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } })).flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement,
    );
  return { template, handlerRole: roleOf(/HandlerRole/), hostRole: roleOf(/^HostRole/), statementsOf };
}

describe('SecretStore', () => {
  test('its custom resource and key keep readable logical ids, and the resource is told only what triggers an update', () => {
    const { template } = secretStoreIn();
    expect(template.toJSON().Resources[SECRET_STORE_LOGICAL_IDS.resource]).toMatchObject({
      Type: 'Custom::ConnectSecrets',
      DeletionPolicy: 'Delete',
      Properties: {
        EnvName: { Ref: 'EnvName' },
        KeyArn: { 'Fn::GetAtt': [SECRET_STORE_LOGICAL_IDS.key, 'Arn'] },
        Token: { Ref: 'Token' },
        ServiceTimeout: '300',
      },
    });
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete', Properties: { EnableKeyRotation: true, PendingWindowInDays: 7 } });
  });

  test('the function takes its stack, resource, names and key from its environment, which only the stack sets', () => {
    const { template } = secretStoreIn();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Environment: {
        Variables: {
          STACK_ID: { Ref: 'AWS::StackId' },
          RESOURCE_ID: SECRET_STORE_LOGICAL_IDS.resource,
          ENV_NAME: { Ref: 'EnvName' },
          KEY_ARN: { 'Fn::GetAtt': [SECRET_STORE_LOGICAL_IDS.key, 'Arn'] },
          TOKEN_PARAMETER: sub(NAMES.token),
          CERTIFICATE_PARAMETER: sub(NAMES.certificate),
        },
      },
    });
    // Without a staged token or an existing certificate, the function is told of neither.
    const [fn] = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(Object.keys(fn.Properties.Environment.Variables).sort()).toEqual([
      'CERTIFICATE_PARAMETER',
      'ENV_NAME',
      'KEY_ARN',
      'RESOURCE_ID',
      'STACK_ID',
      'TOKEN_PARAMETER',
    ]);
  });

  test("the function's role, on the environment's IAM path, may touch only the environment's parameters, and staged tokens when there are", () => {
    const expected = (staged: boolean) => [
      {
        Effect: 'Allow',
        Action: ['ssm:GetParameter', 'ssm:PutParameter', 'ssm:DeleteParameter', 'ssm:AddTagsToResource', 'ssm:ListTagsForResource'],
        Resource: parameterArn('/altinity-connect/${EnvName}/*'),
      },
      { Effect: 'Allow', Action: staged ? ['ssm:DescribeParameters', 'secretsmanager:ListSecrets'] : 'ssm:DescribeParameters', Resource: '*' },
      ...(staged
        ? [
            {
              Effect: 'Allow',
              Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DeleteSecret'],
              Resource: arn(`secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:${NAMES.stagedTokens}*`),
            },
          ]
        : []),
      {
        Effect: 'Allow',
        Action: ['cloudformation:DescribeStackResource', 'cloudformation:DescribeStacks'],
        Resource: arn('cloudformation:${AWS::Region}:${AWS::AccountId}:stack/*'),
      },
    ];
    for (const staged of [false, true]) {
      const { template, handlerRole, statementsOf } = secretStoreIn(() =>
        staged ? { tokenSource: { kind: 'staged', secretName: 'altinity-connect/acme/staged/0123' } } : {},
      );
      expect(template.toJSON().Resources[handlerRole].Properties).toMatchObject({ Path: sub(NAMES.rolePath) });
      expect(template.toJSON().Resources[handlerRole].Properties).not.toHaveProperty('ManagedPolicyArns');
      expect({ staged, statements: statementsOf(handlerRole).filter((statement) => !JSON.stringify(statement.Action).includes('logs:')) }).toEqual({
        staged,
        statements: expected(staged),
      });
    }
  });

  test("the key is the stack's own: only its two roles use it, through SSM; administrators administer it, and grant nothing", () => {
    const { template, handlerRole, hostRole } = secretStoreIn();
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: arn('iam::${AWS::AccountId}:root') },
            NotAction: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:CreateGrant'],
            Resource: '*',
          },
          {
            Effect: 'Allow',
            // Any principal, narrowed to the two roles by a condition, which KMS does not check at
            // CreateKey as it checks principals: a role IAM has not propagated yet cannot fail it.
            Principal: { AWS: '*' },
            Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'],
            Resource: '*',
            Condition: {
              StringEquals: { 'kms:ViaService': SSM_SERVICE },
              ArnEquals: { 'aws:PrincipalArn': [{ 'Fn::GetAtt': [handlerRole, 'Arn'] }, { 'Fn::GetAtt': [hostRole, 'Arn'] }] },
            },
          },
        ],
      },
    });
  });

  test("the hosts read the token and their certificate, check who wrote them, and write only the stack's certificate", () => {
    const { hostRole, statementsOf } = secretStoreIn();
    expect(statementsOf(hostRole)).toEqual([
      { Effect: 'Allow', Action: ['ssm:GetParameter', 'ssm:ListTagsForResource'], Resource: [parameterArn(NAMES.token), parameterArn(NAMES.certificate)] },
      { Effect: 'Allow', Action: ['ssm:PutParameter', 'ssm:DeleteParameter', 'ssm:AddTagsToResource'], Resource: parameterArn(NAMES.certificate) },
      { Effect: 'Allow', Action: 'ssm:DescribeParameters', Resource: '*' },
    ]);
  });

  test('with an existing certificate, the hosts may decrypt exactly that parameter, through SSM, whatever customer key encrypts it', () => {
    const { template, hostRole } = secretStoreIn((stack) => {
      const parameterName = new CfnParameter(stack, 'ExistingCertificateParameter').valueAsString;
      const condition = new CfnCondition(stack, 'HasExistingCertificate', { expression: Fn.conditionNot(Fn.conditionEquals(parameterName, '')) });
      return { existingCertificate: { parameterName, condition } };
    });
    const existingArn = {
      'Fn::Sub': ['arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${Name}', { Name: { Ref: 'ExistingCertificateParameter' } }],
    };
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: hostRole }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Action: ['ssm:GetParameter', 'ssm:ListTagsForResource'],
            Resource: [parameterArn(NAMES.token), { 'Fn::If': ['HasExistingCertificate', existingArn, parameterArn(NAMES.certificate)] }],
          },
          // Without a parameter named, the context names none, and the statement allows nothing.
          {
            Effect: 'Allow',
            Action: 'kms:Decrypt',
            Resource: '*',
            Condition: { StringEquals: { 'kms:ViaService': SSM_SERVICE, 'kms:EncryptionContext:PARAMETER_ARN': existingArn } },
          },
        ]),
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { EXISTING_CERTIFICATE_PARAMETER: { Ref: 'ExistingCertificateParameter' } } },
    });
  });

  test('with a token cdk deploy staged, the resource names the staged copy and carries no token', () => {
    const { template } = secretStoreIn(() => ({
      tokenSource: { kind: 'staged', secretName: 'altinity-connect/acme/staged/0123456789abcdef0123456789abcdef' },
    }));
    const properties = template.toJSON().Resources[SECRET_STORE_LOGICAL_IDS.resource].Properties;
    expect(properties).toMatchObject({ StagedToken: 'altinity-connect/acme/staged/0123456789abcdef0123456789abcdef' });
    expect(properties).not.toHaveProperty('Token');
  });

  test("the function's code is the handler built for its token source: the code for staged tokens only when the token was staged", () => {
    for (const staged of [false, true]) {
      const { template } = secretStoreIn(() => (staged ? { tokenSource: { kind: 'staged', secretName: 'altinity-connect/acme/staged/0123' } } : {}));
      const [fn] = Object.values(template.findResources('AWS::Lambda::Function'));
      const built = unpackHandler(fn.Properties.Code.ZipFile).toString('utf8') === bundleHandler('secret-store', HANDLER_RUNTIME, { STAGED_TOKENS: staged });
      expect({ staged, built }).toEqual({ staged, built: true });
    }
  });
});
