import { Template } from 'aws-cdk-lib/assertions';
import { DOCUMENTED_MANAGED_POLICIES } from '../lib/constructs/host-identity';
import { ALTINITY_SUPPORT_PRINCIPAL, UBUNTU_2004_AMI_PARAMETER } from '../lib/connect-stack';
import { toYaml } from '../lib/publish';
import { consoleModeTemplate, deployModeTemplate, pathsWhere, TEST_TEMPLATE_VERSION } from './support/templates';

const template = consoleModeTemplate();
const assertions = Template.fromJSON(template);
const matches = (pattern: string, value: string) => new RegExp(pattern).test(value);
const isRefTo = (name: string) => (node: unknown) =>
  typeof node === 'object' && node !== null && (node as { Ref?: unknown }).Ref === name;

test('the published template matches its snapshot', () => {
  expect(toYaml(template)).toMatchSnapshot();
});

describe('console template: self-contained', () => {
  test('has no bootstrap-version or asset parameters and no bootstrap rule', () => {
    expect(Object.keys(template.Parameters)).not.toContain('BootstrapVersion');
    expect(Object.keys(template.Parameters).filter((name) => /Asset/i.test(name))).toEqual([]);
    expect(Object.keys(template.Rules ?? {})).not.toContain('CheckBootstrapVersion');
  });

  test('inlines the handler code instead of referring to an asset bucket', () => {
    const functions = assertions.findResources('AWS::Lambda::Function');
    expect(Object.keys(functions)).toHaveLength(1);
    const [fn] = Object.values(functions);
    expect(fn.Properties.Code).toEqual({ ZipFile: expect.stringContaining('exports') });
    expect(fn.Properties.Runtime).toBe('nodejs24.x');
    expect(fn.Properties.Code.ZipFile).not.toMatch(/PutParameterCommand=class|smithy-client/);
  });

  test('names the product and the template version in its description', () => {
    expect(template.Description).toMatch(/altinitycloud-connect/);
    expect(template.Description).toContain(`v${TEST_TEMPLATE_VERSION}`);
  });
});

describe('parameters', () => {
  const parameters = template.Parameters;

  test('the token is NoEcho, required, and without a default', () => {
    expect(parameters.Token).toMatchObject({ Type: 'String', NoEcho: true, MinLength: 1 });
    expect(parameters.Token).not.toHaveProperty('Default');
  });

  test('the token reaches only the custom resource that stores it', () => {
    expect(pathsWhere(template, isRefTo('Token'))).toEqual(['Resources.ConnectSecrets.Properties.Token']);
  });

  test('the environment name accepts what Altinity accepts and says it begins with the account name', () => {
    const env = parameters.EnvName;
    for (const good of ['acme', 'acme-prod', 'acme-prod-2', 'a1']) expect(matches(env.AllowedPattern, good)).toBe(true);
    for (const bad of ['Acme', 'acme_prod', '-acme', 'acme-', 'acme.prod', '', 'a'.repeat(64)]) {
      expect(matches(env.AllowedPattern, bad)).toBe(false);
    }
    expect(env.Description).toMatch(/must begin with your Altinity\.Cloud account name/);
    expect(env.ConstraintDescription).toMatch(/lowercase letters, digits and hyphens/);
  });

  test('VPC and subnets are typed so the console offers pickers, and a rule keeps subnets in the VPC', () => {
    expect(parameters.VpcId.Type).toBe('AWS::EC2::VPC::Id');
    expect(parameters.SubnetIds.Type).toBe('List<AWS::EC2::Subnet::Id>');
    expect(template.Rules?.SubnetsInVpc.Assertions).toEqual([
      {
        Assert: { 'Fn::EachMemberEquals': [{ 'Fn::ValueOfAll': ['AWS::EC2::Subnet::Id', 'VpcId'] }, { Ref: 'VpcId' }] },
        AssertDescription: expect.stringMatching(/subnet.*VPC/i),
      },
    ]);
  });

  test('a public IPv4 address is assigned by default', () => {
    expect(parameters.AssignPublicIp).toMatchObject({ Default: 'true', AllowedValues: ['true', 'false'] });
  });

  test('the instance type defaults to t3.micro and refuses anything smaller than t2.micro', () => {
    const type = parameters.InstanceType;
    expect(type.Default).toBe('t3.micro');
    for (const good of ['t2.micro', 't3.micro', 't3a.small', 't4g.micro', 'm6i.large', 'c7gn.2xlarge']) {
      expect(matches(type.AllowedPattern, good)).toBe(true);
    }
    for (const bad of ['t2.nano', 't3.nano', 't3a.nano', 't4g.nano', 'micro', 'T3.MICRO']) expect(matches(type.AllowedPattern, bad)).toBe(false);
    expect(type.ConstraintDescription).toMatch(/t2\.micro/);
  });

  test("the AMI comes from an SSM parameter defaulting to Canonical's Ubuntu 20.04", () => {
    expect(parameters.AmiParameter).toMatchObject({
      Type: 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>',
      Default: UBUNTU_2004_AMI_PARAMETER,
    });
    expect(UBUNTU_2004_AMI_PARAMETER).toBe('/aws/service/canonical/ubuntu/server/20.04/stable/current/amd64/hvm/ebs-gp2/ami-id');
  });

  test('the altinitycloud-connect version is pinned and its download location configurable', () => {
    expect(parameters.ConnectVersion.Default).toMatch(/^\d+\.\d+\.\d+$/);
    expect(matches(parameters.ConnectDownloadUrl.AllowedPattern, parameters.ConnectDownloadUrl.Default)).toBe(true);
    expect(matches(parameters.ConnectDownloadUrl.AllowedPattern, 'http://example.com/x')).toBe(false);
    expect(matches(parameters.ConnectSha256.AllowedPattern, '')).toBe(true);
    expect(matches(parameters.ConnectSha256.AllowedPattern, 'a'.repeat(64))).toBe(true);
    expect(matches(parameters.ConnectSha256.AllowedPattern, 'abc')).toBe(false);
  });

  test('break glass is off by default and trusts Altinity support', () => {
    expect(parameters.BreakGlass).toMatchObject({ Default: 'disabled', AllowedValues: ['disabled', 'enabled'] });
    expect(parameters.BreakGlassPrincipal.Default).toBe(ALTINITY_SUPPORT_PRINCIPAL);
    expect(ALTINITY_SUPPORT_PRINCIPAL).toBe('arn:aws:iam::313342380333:role/AnywhereAdmin');
    expect(matches(parameters.BreakGlassPrincipal.AllowedPattern, ALTINITY_SUPPORT_PRINCIPAL)).toBe(true);
    expect(matches(parameters.BreakGlassPrincipal.AllowedPattern, '313342380333')).toBe(false);
  });

  test('every parameter has a description, a label and exactly one console group', () => {
    const ui = template.Metadata?.['AWS::CloudFormation::Interface'];
    const grouped: string[] = ui.ParameterGroups.flatMap((group: { Parameters: string[] }) => group.Parameters);
    expect([...grouped].sort()).toEqual(Object.keys(parameters).sort());
    expect(new Set(grouped).size).toBe(grouped.length);
    for (const [name, parameter] of Object.entries(parameters)) {
      expect(parameter.Description).toEqual(expect.any(String));
      expect(ui.ParameterLabels[name]?.default).toEqual(expect.any(String));
    }
    expect(ui.ParameterGroups[0].Parameters).toEqual(['EnvName', 'Token']);
  });
});

describe('host identity', () => {
  const hostRole = template.Resources.HostRole.Properties;

  test('has exactly the six documented managed policies, partition-aware', () => {
    expect(hostRole.ManagedPolicyArns).toEqual(
      DOCUMENTED_MANAGED_POLICIES.map((name) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::aws:policy/${name}`]] })),
    );
    expect([...DOCUMENTED_MANAGED_POLICIES].sort()).toEqual(
      ['AWSLambda_FullAccess', 'AmazonEC2FullAccess', 'AmazonS3FullAccess', 'AmazonSSMManagedInstanceCore', 'AmazonVPCFullAccess', 'IAMFullAccess'].sort(),
    );
  });

  test('has the EKS inline policy as valid JSON: eks:* and PassRole only to EKS', () => {
    expect(hostRole.Policies).toEqual([
      {
        PolicyName: 'EksFullAccess',
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: 'eks:*', Resource: '*' },
            { Effect: 'Allow', Action: 'iam:PassRole', Resource: '*', Condition: { StringEquals: { 'iam:PassedToService': 'eks.amazonaws.com' } } },
          ],
        },
      },
    ]);
  });

  test('may read its own secret parameters, write only the certificate, and signal only its own stack', () => {
    const policies = assertions.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: 'HostRole' }] } });
    const statements = Object.values(policies).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    const parameterArn = (suffix: string) => ({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ssm:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':parameter/altinity-connect/', { Ref: 'EnvName' }, suffix]],
    });
    expect(statements).toEqual([
      { Effect: 'Allow', Action: 'ssm:GetParameter', Resource: [parameterArn('/token'), parameterArn('/certificate')] },
      { Effect: 'Allow', Action: 'ssm:PutParameter', Resource: parameterArn('/certificate') },
      { Effect: 'Allow', Action: 'cloudformation:SignalResource', Resource: { Ref: 'AWS::StackId' } },
    ]);
  });
});

describe('network access', () => {
  test('the security group admits nothing inbound and allows all outbound', () => {
    const group = template.Resources.HostSecurityGroup.Properties;
    expect(group).not.toHaveProperty('SecurityGroupIngress');
    expect(assertions.findResources('AWS::EC2::SecurityGroupIngress')).toEqual({});
    expect(group.SecurityGroupEgress).toEqual([
      expect.objectContaining({ IpProtocol: '-1', CidrIp: '0.0.0.0/0' }),
      expect.objectContaining({ IpProtocol: '-1', CidrIpv6: '::/0' }),
    ]);
    expect(group.VpcId).toEqual({ Ref: 'VpcId' });
  });
});

describe('host', () => {
  const host = template.Resources.Host;

  test('requires IMDSv2 and has an encrypted gp3 root volume', () => {
    expect(host.Properties.MetadataOptions).toMatchObject({ HttpTokens: 'required', HttpEndpoint: 'enabled' });
    expect(host.Properties.BlockDeviceMappings).toEqual([
      { DeviceName: '/dev/sda1', Ebs: expect.objectContaining({ VolumeType: 'gp3', Encrypted: true }) },
    ]);
  });

  test('is named and tagged with its environment, as every resource is', () => {
    expect(host.Properties.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'altinity:cloud/env', Value: { Ref: 'EnvName' } },
        { Key: 'Name', Value: { 'Fn::Join': ['', ['altinity-connect-', { Ref: 'EnvName' }]] } },
      ]),
    );
    const taggable = Object.entries(template.Resources).filter(([, resource]) => resource.Properties?.Tags);
    expect(taggable.length).toBeGreaterThanOrEqual(5);
    for (const [, resource] of taggable) {
      expect(resource.Properties.Tags).toContainEqual({ Key: 'altinity:cloud/env', Value: { Ref: 'EnvName' } });
    }
  });

  test('runs in the first chosen subnet with the requested public address setting', () => {
    expect(host.Properties.NetworkInterfaces).toEqual([
      expect.objectContaining({
        DeviceIndex: '0',
        SubnetId: { 'Fn::Select': [0, { Ref: 'SubnetIds' }] },
        AssociatePublicIpAddress: { Ref: 'AssignPublicIp' },
        GroupSet: [{ 'Fn::GetAtt': ['HostSecurityGroup', 'GroupId'] }],
      }),
    ]);
    expect(host.Properties.ImageId).toEqual({ Ref: 'AmiParameter' });
    expect(host.Properties.InstanceType).toEqual({ Ref: 'InstanceType' });
  });

  test('completes only when the host signals, and starts only after the token is stored', () => {
    expect(host.CreationPolicy).toEqual({ ResourceSignal: { Count: 1, Timeout: 'PT15M' } });
    expect(host.DependsOn).toEqual(expect.arrayContaining(['ConnectSecrets', 'HostRole']));
  });

  test('user data carries no secret: only parameter names, never the token', () => {
    expect(pathsWhere(host, isRefTo('Token'))).toEqual([]);
    const userData = JSON.stringify(host.Properties.UserData);
    expect(userData).toContain('/token');
    expect(userData).toContain('/certificate');
  });
});

describe('secret store', () => {
  test('the custom resource stores the token under the environment and owns the certificate parameter', () => {
    expect(template.Resources.ConnectSecrets).toMatchObject({
      Type: 'Custom::ConnectSecrets',
      DeletionPolicy: 'Delete',
      Properties: {
        EnvName: { Ref: 'EnvName' },
        TokenParameterName: { 'Fn::Join': ['', ['/altinity-connect/', { Ref: 'EnvName' }, '/token']] },
        CertificateParameterName: { 'Fn::Join': ['', ['/altinity-connect/', { Ref: 'EnvName' }, '/certificate']] },
        Token: { Ref: 'Token' },
      },
    });
  });

  test("the handler's role may touch only the two parameters and its own log group", () => {
    const [fn] = Object.values(assertions.findResources('AWS::Lambda::Function'));
    const roleId = fn.Properties.Role['Fn::GetAtt'][0];
    const policies = assertions.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } });
    const statements = Object.values(policies).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    const ssm = statements.filter((statement) => JSON.stringify(statement.Action).includes('ssm:'));
    expect(ssm).toHaveLength(1);
    expect(JSON.stringify(ssm[0].Resource)).toMatch(/token.*certificate/);
    expect(ssm[0].Resource).toHaveLength(2);
    const logs = statements.filter((statement) => JSON.stringify(statement.Action).includes('logs:'));
    expect(logs.map((statement) => statement.Resource)).toEqual([{ 'Fn::GetAtt': [expect.stringMatching(/Logs/), 'Arn'] }]);
    expect(template.Resources[roleId].Properties).not.toHaveProperty('ManagedPolicyArns');
  });
});

describe('break glass', () => {
  test('exists only when enabled, trusted by the chosen principal', () => {
    const role = template.Resources.BreakGlassRole;
    expect(role.Condition).toBe('BreakGlassEnabled');
    expect(template.Conditions?.BreakGlassEnabled).toEqual({ 'Fn::Equals': [{ Ref: 'BreakGlass' }, 'enabled'] });
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { AWS: { Ref: 'BreakGlassPrincipal' } } },
    ]);
  });

  test('may start sessions on this host, with SSH over SSM or a plain shell, and nothing else', () => {
    const [policy] = template.Resources.BreakGlassRole.Properties.Policies;
    const [startSession, ownSessions] = policy.PolicyDocument.Statement;
    expect(startSession.Action).toBe('ssm:StartSession');
    const resources = JSON.stringify(startSession.Resource);
    expect(startSession.Resource[0]).toEqual(template.Outputs.InstanceArn.Value);
    expect(resources).toContain('document/AWS-StartSSHSession');
    expect(resources).toContain('document/SSM-SessionManagerRunShell');
    expect(ownSessions.Action).toEqual(['ssm:TerminateSession', 'ssm:ResumeSession']);
    expect(JSON.stringify(ownSessions.Resource)).toContain('session/${aws:userid}-*');
    expect(policy.PolicyDocument.Statement).toHaveLength(2);
  });
});

describe('outputs', () => {
  test('give the instance, its ARN for Altinity, the roles, the security group and the token parameter', () => {
    expect(Object.keys(template.Outputs).sort()).toEqual(
      ['BreakGlassRoleArn', 'HostRoleArn', 'InstanceArn', 'InstanceId', 'SecurityGroupId', 'TokenParameterName'].sort(),
    );
    expect(template.Outputs.InstanceId.Value).toEqual({ Ref: 'Host' });
    expect(template.Outputs.InstanceArn.Value).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ec2:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':instance/', { Ref: 'Host' }]],
    });
    expect(template.Outputs.InstanceArn.Description).toMatch(/Altinity/);
    expect(template.Outputs.BreakGlassRoleArn.Condition).toBe('BreakGlassEnabled');
    expect(pathsWhere(template.Outputs, isRefTo('Token'))).toEqual([]);
  });
});

describe('deploy-mode template (cdk deploy -c env=... -c token=...)', () => {
  const deployed = deployModeTemplate(
    { mode: 'deploy', envName: 'acme-prod', token: 'not-used-here', network: { kind: 'given', vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'] } },
    3,
  );

  test('has no token parameter: the token was stored before deployment, and its version triggers updates', () => {
    expect(deployed.Parameters).not.toHaveProperty('Token');
    expect(deployed.Resources.ConnectSecrets.Properties).toMatchObject({ StoredTokenVersion: '3' });
    expect(deployed.Resources.ConnectSecrets.Properties).not.toHaveProperty('Token');
    expect(JSON.stringify(deployed)).not.toContain('not-used-here');
    const ui = deployed.Metadata?.['AWS::CloudFormation::Interface'];
    expect(ui.ParameterGroups[0].Parameters).toEqual(['EnvName']);
  });

  test('defaults the environment and the network to what was given on the command line', () => {
    expect(deployed.Parameters.EnvName.Default).toBe('acme-prod');
    expect(deployed.Parameters.VpcId.Default).toBe('vpc-0123456789abcdef0');
    expect(deployed.Parameters.SubnetIds.Default).toBe('subnet-0123456789abcdef0,subnet-0fedcba9876543210');
  });

  test('otherwise has the same resources as the console template', () => {
    expect(Object.keys(deployed.Resources).sort()).toEqual(Object.keys(template.Resources).sort());
  });
});

test('an AMI parameter can be chosen on the command line', () => {
  const deployed = deployModeTemplate({
    mode: 'deploy',
    envName: 'acme',
    network: { kind: 'given', vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123456789abcdef0'] },
    amiParameterName: '/images/ubuntu-22.04',
  });
  expect(deployed.Parameters.AmiParameter.Default).toBe('/images/ubuntu-22.04');
  expect(deployed.Parameters).toHaveProperty('Token', expect.objectContaining({ NoEcho: true }));
});
