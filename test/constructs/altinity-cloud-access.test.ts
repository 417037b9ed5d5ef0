/**
 * AltinityCloudAccess alone in a small stack, for an API token given as a NoEcho parameter or staged
 * by `cdk deploy`: what an auditor reads in the template — the readable logical ids, the function's
 * settings, its role and what the role may touch, the key and who may use it, and where the token
 * goes. Nothing stands in for anything: the template is what is tested; what the function does with
 * the token is tested in test/lambda/.
 */
import { CfnParameter, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AltinityCloudAccess, type ApiTokenSource, CLOUD_FUNCTION_TIMEOUT } from '../../lib/constructs/altinity-cloud-access';
import { bundleHandler } from '../../lib/constructs/inline-handler';
import { HANDLER_RUNTIME } from '../../lib/constructs/secret-store';
import { CLOUD_FUNCTION_VARIABLES, CLOUD_LOGICAL_IDS, cloudSettingsFromEnvironment, stagedApiTokenPrefix } from '../../lib/shared/cloud-stack-contract';
import { ENV_TAG_KEY } from '../../lib/shared/conventions';
import { unpackHandler } from '../../lib/shared/packed-text';
import { constructStack } from '../support/construct-stack';
import { pathsWhere, stagedApiTokenName } from '../support/templates';

const ENV = 'acme-prod';
const READY_STACK = 'altinity-ready-acme-prod';
const API_URL = 'https://api.altinity.example';
const STAGED_NAME = stagedApiTokenName(ENV);

const sub = (text: string) => ({ 'Fn::Sub': text });
const arn = (rest: string) => sub(`arn:\${AWS::Partition}:${rest}`);
const parameterArn = (name: string) => arn(`ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${name}`);
const SSM_SERVICE = sub('ssm.${AWS::Region}.${AWS::URLSuffix}');
const KEY_ARN = { 'Fn::GetAtt': [CLOUD_LOGICAL_IDS.key, 'Arn'] };
const FUNCTION_ARN = { 'Fn::GetAtt': [CLOUD_LOGICAL_IDS.function, 'Arn'] };

/** A stack holding an AltinityCloudAccess fed by a NoEcho `ApiToken` parameter, or by a token staged as `STAGED_NAME`. */
function accessIn(token: 'parameter' | 'staged' = 'parameter') {
  const stack: Stack = constructStack();
  const tokenSource: ApiTokenSource =
    token === 'staged'
      ? { kind: 'staged', secretName: STAGED_NAME }
      : { kind: 'template-parameter', token: new CfnParameter(stack, 'ApiToken', { noEcho: true, default: '' }).valueAsString };
  const access = new AltinityCloudAccess(stack, 'Access', { envName: ENV, tokenSource, readyStackName: READY_STACK, apiUrl: API_URL });
  const template = Template.fromStack(stack);
  const resources: Record<string, any> = template.toJSON().Resources;
  const [roleId] = Object.keys(template.findResources('AWS::IAM::Role'));
  const [policyId] = Object.keys(template.findResources('AWS::IAM::Policy'));
  return { stack, access, template, resources, roleId, policyId };
}

describe('AltinityCloudAccess', () => {
  test('its access resource, key and function keep the readable logical ids the README and the function name', () => {
    const { stack, access, resources, roleId, policyId } = accessIn();
    expect(CLOUD_LOGICAL_IDS).toMatchObject({ access: 'CloudAccess', key: 'CloudKey', function: 'CloudFunction' });
    expect(resources.CloudAccess).toMatchObject({ Type: 'Custom::AltinityCloudAccess', DeletionPolicy: 'Delete' });
    expect(resources.CloudKey).toMatchObject({ Type: 'AWS::KMS::Key', DeletionPolicy: 'Delete' });
    expect(resources.CloudFunction).toMatchObject({ Type: 'AWS::Lambda::Function' });
    // What the environment and the ready stack's slices are served by, and what they need: the key's ARN.
    expect(stack.resolve(access.serviceToken)).toEqual(FUNCTION_ARN);
    expect(stack.resolve(access.key.keyArn)).toEqual(KEY_ARN);
    expect(access.certificateParameterName).toBe(`/altinity-cloud/${ENV}/certificate`);
    // Deleted before its role and the role's policy, so that the function can still act on Delete.
    expect(resources.CloudAccess.DependsOn).toEqual(expect.arrayContaining([roleId, policyId]));
  });

  test("the access resource is told only what triggers an update: the environment, the key, Altinity.Cloud's URL and the token", () => {
    const { resources } = accessIn();
    expect(resources.CloudAccess.Properties).toEqual({
      ServiceToken: FUNCTION_ARN,
      ServiceTimeout: '300',
      EnvName: ENV,
      KeyArn: KEY_ARN,
      ApiUrl: API_URL,
      Token: { Ref: 'ApiToken' },
    });
  });

  test('the API token is never a property but the access resource’s Token, fed by the NoEcho parameter', () => {
    const { template } = accessIn();
    const json = template.toJSON();
    expect(json.Parameters.ApiToken).toMatchObject({ NoEcho: true });
    const isRefToToken = (node: unknown) => JSON.stringify(node) === JSON.stringify({ Ref: 'ApiToken' });
    expect(pathsWhere(json, isRefToToken)).toEqual([`Resources.${CLOUD_LOGICAL_IDS.access}.Properties.Token`]);
  });

  test('with a token cdk deploy staged, the access resource names the staged copy, carries no token, and the stack has no token parameter', () => {
    const { template, resources } = accessIn('staged');
    expect(resources.CloudAccess.Properties).toEqual({
      ServiceToken: FUNCTION_ARN,
      ServiceTimeout: '300',
      EnvName: ENV,
      KeyArn: KEY_ARN,
      ApiUrl: API_URL,
      StagedToken: STAGED_NAME,
    });
    // The small stack's synthesizer adds BootstrapVersion; the construct adds no parameter, NoEcho or not.
    expect(Object.keys(template.toJSON().Parameters ?? {})).toEqual(['BootstrapVersion']);
  });

  test.each([
    ['a NoEcho parameter', 'parameter', {}],
    ['a staged token', 'staged', { STAGED_TOKEN_PREFIX: `altinity-cloud/${ENV}/staged/` }],
  ] as const)('with %s, the function takes its stack, names, key and API from its environment, which only the stack sets', (_, token, staged) => {
    const { resources } = accessIn(token);
    const variables = resources.CloudFunction.Properties.Environment.Variables;
    expect(variables).toEqual({
      STACK_ID: { Ref: 'AWS::StackId' },
      READY_STACK_NAME: READY_STACK,
      ENV_NAME: ENV,
      KEY_ARN: KEY_ARN,
      API_TOKEN_PARAMETER: `/altinity-cloud/${ENV}/api-token`,
      CERTIFICATE_PARAMETER: `/altinity-cloud/${ENV}/certificate`,
      ALTINITY_API_URL: API_URL,
      ...staged,
    });
    // Every variable is one the function reads, and the function finds every setting it needs in them.
    expect(Object.values(CLOUD_FUNCTION_VARIABLES)).toEqual(expect.arrayContaining(Object.keys(variables)));
    const asDeployed = Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, typeof value === 'string' ? value : JSON.stringify(value)]));
    expect(cloudSettingsFromEnvironment(asDeployed)).toMatchObject({
      envName: ENV,
      readyStackName: READY_STACK,
      apiUrl: API_URL,
      stagedTokenPrefix: token === 'staged' ? stagedApiTokenPrefix(ENV) : '',
    });
  });

  test("the function is Lambda's longest-running, its code the inlined altinity-cloud handler, its logs a month in a group of its own", () => {
    const { template, resources } = accessIn();
    const [logGroupId] = Object.keys(template.findResources('AWS::Logs::LogGroup'));
    expect(resources.CloudFunction.Properties).toMatchObject({
      Runtime: HANDLER_RUNTIME.name,
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Timeout: CLOUD_FUNCTION_TIMEOUT.toSeconds(),
      MemorySize: 512,
      LoggingConfig: { LogGroup: { Ref: logGroupId } },
    });
    expect(CLOUD_FUNCTION_TIMEOUT.toSeconds()).toBe(900);
    expect(resources[logGroupId]).toMatchObject({ DeletionPolicy: 'Delete', Properties: { RetentionInDays: 30 } });
    expect(unpackHandler(resources.CloudFunction.Properties.Code.ZipFile).toString('utf8')).toBe(bundleHandler('altinity-cloud', HANDLER_RUNTIME));
  });

  test.each([
    ['a NoEcho parameter', 'parameter'],
    ['a staged token', 'staged'],
  ] as const)("with %s, the function's role, on the environment's IAM path, may touch only the environment's parameters (and staged tokens)", (_, token) => {
    const { template, resources, roleId, policyId } = accessIn(token);
    const staged = token === 'staged';
    expect(resources[roleId].Properties.Path).toBe(`/altinity-cloud/${ENV}/`);
    expect(resources[roleId].Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'lambda.amazonaws.com' } },
    ]);
    expect(resources[roleId].Properties).not.toHaveProperty('ManagedPolicyArns');
    expect(resources[roleId].Properties).not.toHaveProperty('Policies');
    expect(Object.keys(template.findResources('AWS::IAM::Policy'))).toEqual([policyId]);
    const [logGroupId] = Object.keys(template.findResources('AWS::Logs::LogGroup'));
    expect(resources[policyId].Properties.PolicyDocument.Statement).toEqual([
      { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] } },
      {
        Effect: 'Allow',
        Action: ['ssm:GetParameter', 'ssm:PutParameter', 'ssm:DeleteParameter', 'ssm:AddTagsToResource', 'ssm:ListTagsForResource'],
        Resource: parameterArn(`/altinity-cloud/${ENV}/*`),
      },
      { Effect: 'Allow', Action: staged ? ['ssm:DescribeParameters', 'secretsmanager:ListSecrets'] : 'ssm:DescribeParameters', Resource: '*' },
      ...(staged
        ? [
            {
              Effect: 'Allow',
              Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DeleteSecret'],
              Resource: arn(`secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:altinity-cloud/${ENV}/staged/*`),
            },
          ]
        : []),
      {
        Effect: 'Allow',
        Action: ['cloudformation:DescribeStackResource', 'cloudformation:DescribeStacks'],
        Resource: arn('cloudformation:${AWS::Region}:${AWS::AccountId}:stack/*'),
      },
    ]);
  });

  test("the key is the stack's own: the function uses it through SSM; the environment's hosts only decrypt the certificate; administrators cannot use it", () => {
    const { resources, roleId } = accessIn();
    expect(resources.CloudKey.Properties).toMatchObject({ EnableKeyRotation: true, PendingWindowInDays: 7 });
    expect(resources.CloudKey.Properties.KeyPolicy.Statement).toEqual([
      // Administrators: everything but using the key, or granting its use.
      {
        Effect: 'Allow',
        Principal: { AWS: arn('iam::${AWS::AccountId}:root') },
        NotAction: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:CreateGrant'],
        Resource: '*',
      },
      // The function's role, by ARN in a condition (not checked at CreateKey), through SSM only.
      {
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: '*',
        Condition: { StringEquals: { 'kms:ViaService': SSM_SERVICE }, ArnEquals: { 'aws:PrincipalArn': { 'Fn::GetAtt': [roleId, 'Arn'] } } },
      },
      // The hosts, in another stack: decrypt only, through SSM, only the certificate parameter, only
      // roles of this account that carry the environment's tag.
      {
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: 'kms:Decrypt',
        Resource: '*',
        Condition: {
          StringEquals: {
            'kms:ViaService': SSM_SERVICE,
            'kms:EncryptionContext:PARAMETER_ARN': parameterArn(`/altinity-cloud/${ENV}/certificate`),
            'aws:PrincipalAccount': { Ref: 'AWS::AccountId' },
            [`aws:PrincipalTag/${ENV_TAG_KEY}`]: ENV,
          },
        },
      },
    ]);
  });
});
