import {
  assertions,
  CERTIFICATE_PARAMETER,
  ENVIRONMENT_PARAMETERS,
  hostPolicyStatements,
  parameterArn,
  template,
  TOKEN_PARAMETER,
  withParameters,
} from '../support/console-template';

describe('existing certificate instead of a token', () => {
  const byo = withParameters({ Token: '', ExistingCertificateParameter: '/altinity/acme/cloud-connect.pem' });

  test('the host reads exactly that parameter, and the stack never deletes it', () => {
    const [read, write] = hostPolicyStatements(byo);
    expect(read).toEqual({
      Effect: 'Allow',
      Action: 'ssm:GetParameter',
      Resource: [
        parameterArn(TOKEN_PARAMETER),
        { 'Fn::Sub': ['arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${Name}', { Name: { Ref: 'ExistingCertificateParameter' } }] },
      ],
    });
    // It may write only the stack's own certificate parameter, which the host leaves alone in this mode.
    expect(write.Resource).toEqual(parameterArn(CERTIFICATE_PARAMETER));
    expect(JSON.stringify(byo.Resources.HostLaunchTemplate.Properties.LaunchTemplateData.UserData)).toContain("EXISTING_CERTIFICATE_PARAMETER='${ExistingCertificateParameter}'");
  });
});

describe('secret store', () => {
  test('the custom resource is told the environment, the stack\'s key and the token, and CloudFormation waits at most 5 minutes for it', () => {
    expect(template.Resources.ConnectSecrets).toMatchObject({
      Type: 'Custom::ConnectSecrets',
      DeletionPolicy: 'Delete',
      Properties: { EnvName: { Ref: 'EnvName' }, KeyId: { 'Fn::GetAtt': ['SecretsKey', 'Arn'] }, Token: { Ref: 'Token' }, ServiceTimeout: '300' },
    });
  });

  test("the handler's role may touch only the environment's parameters, read whether a stack exists, and write its own log group", () => {
    const [fn] = Object.values(assertions.findResources('AWS::Lambda::Function'));
    const roleId = fn.Properties.Role['Fn::GetAtt'][0];
    const policies = assertions.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } });
    const statements = Object.values(policies).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    expect(statements.filter((statement) => !JSON.stringify(statement.Action).includes('logs:'))).toEqual([
      {
        Effect: 'Allow',
        Action: ['ssm:GetParameter', 'ssm:GetParametersByPath', 'ssm:PutParameter', 'ssm:DeleteParameter', 'ssm:AddTagsToResource', 'ssm:ListTagsForResource'],
        Resource: parameterArn(ENVIRONMENT_PARAMETERS),
      },
      { Effect: 'Allow', Action: 'cloudformation:DescribeStacks', Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/*' } },
    ]);
    const logs = statements.filter((statement) => JSON.stringify(statement.Action).includes('logs:'));
    expect(logs.map((statement) => statement.Resource)).toEqual([{ 'Fn::GetAtt': [expect.stringMatching(/Logs/), 'Arn'] }]);
    expect(template.Resources[roleId].Properties).not.toHaveProperty('ManagedPolicyArns');
  });

  test('the key is the stack\'s own: only the hosts\' and the handler\'s roles use it, through SSM; administrators administer it and nothing more', () => {
    const key = template.Resources.SecretsKey;
    const [fn] = Object.values(assertions.findResources('AWS::Lambda::Function'));
    const handlerRole = fn.Properties.Role['Fn::GetAtt'][0];
    expect(key).toMatchObject({ Type: 'AWS::KMS::Key', DeletionPolicy: 'Delete', Properties: { EnableKeyRotation: true, PendingWindowInDays: 7 } });
    expect(key.Properties.KeyPolicy.Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' } },
        NotAction: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'],
        Resource: '*',
      },
      {
        Effect: 'Allow',
        Principal: { AWS: expect.arrayContaining([{ 'Fn::GetAtt': [handlerRole, 'Arn'] }, { 'Fn::GetAtt': ['HostRole', 'Arn'] }]) },
        Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: '*',
        Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Sub': 'ssm.${AWS::Region}.amazonaws.com' } } },
      },
    ]);
    expect(key.Properties.KeyPolicy.Statement[1].Principal.AWS).toHaveLength(2);
  });
});
