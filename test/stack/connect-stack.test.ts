import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { CURRENT_FEATURE_ACTIONS, CURRENT_FEATURE_MANAGED_POLICIES, DOCUMENTED_MANAGED_POLICIES, SCOPED_IAM_STATEMENTS } from '../../lib/constructs/host-identity';
import { effectiveTemplate } from '../support/effective-template';
import { ALTINITY_SUPPORT_PRINCIPAL, UBUNTU_2004_AMI_PARAMETER } from '../../lib/stack/console-form';
import { toYaml } from '../../lib/release/publish';
import { sha256Of, unpackCommand } from '../../lib/shared/packed-text';
import { bundleHandler, inlineHandlerCode } from '../../lib/constructs/inline-handler';
import { HANDLER_RUNTIME } from '../../lib/constructs/secret-store';
import { type CfnTemplate, consoleModeTemplate, deployModeTemplate, pathsWhere, TEST_TEMPLATE_VERSION } from '../support/templates';

const template = consoleModeTemplate();
const assertions = Template.fromJSON(template);
/** The console template as CloudFormation acts on it with the defaults and a token. */
const singleHost = effectiveTemplate(template, { EnvName: 'acme-prod', Token: 'x', VpcId: 'vpc-1', SubnetIds: 'subnet-1,subnet-2' });
const withParameters = (values: Record<string, string>) =>
  effectiveTemplate(template, { EnvName: 'acme-prod', Token: 'x', VpcId: 'vpc-1', SubnetIds: 'subnet-1,subnet-2', ...values });
const managedPolicyArn = (name: string) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:iam::aws:policy/${name}` });
const parameterArn = (namePattern: string) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${namePattern}` });
const TOKEN_PARAMETER = '/altinity-connect/${EnvName}/token';
const CERTIFICATE_PARAMETER = '/altinity-connect/${EnvName}/certificate';
/** The token, the certificate and the tokens staged for the environment: its parameters, and no other's. */
const ENVIRONMENT_PARAMETERS = '/altinity-connect/${EnvName}/*';
const hostPolicyStatements = (effective: typeof template) =>
  Object.values(effective.Resources)
    .filter((resource) => resource.Type === 'AWS::IAM::Policy' && JSON.stringify(resource.Properties.Roles) === JSON.stringify([{ Ref: 'HostRole' }]))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
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
    expect(fn.Properties.Code).toEqual({ ZipFile: inlineHandlerCode('secret-store', bundleHandler('secret-store', HANDLER_RUNTIME)) });
    expect(fn.Properties.Runtime).toBe('nodejs24.x');
    // The runtime's own SDK: the bundle leaves it out.
    expect(bundleHandler('secret-store', HANDLER_RUNTIME)).not.toMatch(/PutParameterCommand=class|smithy-client/);
  });

  test('names the product and the template version in its description', () => {
    expect(template.Description).toMatch(/altinitycloud-connect/);
    expect(template.Description).toContain(`v${TEST_TEMPLATE_VERSION}`);
  });
});

describe('parameters', () => {
  const parameters = template.Parameters;

  test('the token is NoEcho and has no default a template reader could see', () => {
    expect(parameters.Token).toMatchObject({ Type: 'String', NoEcho: true, Default: '' });
  });

  test('exactly one of token and existing certificate is required, by a rule with a clear message', () => {
    expect(template.Rules?.TokenOrCertificate.Assertions).toEqual([
      {
        Assert: {
          'Fn::Or': [
            { 'Fn::And': [{ 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'Token' }, ''] }] }, { 'Fn::Equals': [{ Ref: 'ExistingCertificateParameter' }, ''] }] },
            { 'Fn::And': [{ 'Fn::Equals': [{ Ref: 'Token' }, ''] }, { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'ExistingCertificateParameter' }, ''] }] }] },
          ],
        },
        AssertDescription: expect.stringMatching(/exactly one of Connection token .* or Existing certificate parameter/),
      },
    ]);
    expect(matches(parameters.ExistingCertificateParameter.AllowedPattern, '')).toBe(true);
    expect(matches(parameters.ExistingCertificateParameter.AllowedPattern, '/altinity/acme/cloud-connect.pem')).toBe(true);
    expect(matches(parameters.ExistingCertificateParameter.AllowedPattern, 'no-slash')).toBe(false);
  });

  test('the token reaches only the custom resource that stores it (and the rule that checks it is given)', () => {
    expect(pathsWhere(template.Resources, isRefTo('Token'))).toEqual(['ConnectSecrets.Properties.Token']);
    expect(pathsWhere(template.Outputs, isRefTo('Token'))).toEqual([]);
  });

  test('the environment name accepts what Altinity accepts and says it begins with the account name', () => {
    const env = parameters.EnvName;
    for (const good of ['acme', 'acme-prod', 'acme-prod-2', 'a1']) expect(matches(env.AllowedPattern, good)).toBe(true);
    for (const bad of ['Acme', 'acme_prod', '-acme', 'acme-', 'acme.prod', '', 'a'.repeat(64)]) {
      expect(matches(env.AllowedPattern, bad)).toBe(false);
    }
    expect(env.Description).toMatch(/begins with your account name/);
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

  test('the hosts connect to Altinity.Cloud at anywhere.altinity.cloud unless told otherwise, over HTTPS only', () => {
    expect(parameters.AltinityCloudUrl.Default).toBe('https://anywhere.altinity.cloud');
    for (const url of ['https://anywhere.altinity.cloud', 'https://anywhere.example.com:8443/api']) expect({ url, ok: matches(parameters.AltinityCloudUrl.AllowedPattern, url) }).toEqual({ url, ok: true });
    for (const url of ['http://anywhere.altinity.cloud', 'https://anywhere.altinity.cloud/', "https://x.example.com/'", 'https://x y']) {
      expect({ url, ok: matches(parameters.AltinityCloudUrl.AllowedPattern, url) }).toEqual({ url, ok: false });
    }
    expect(parameters.ConnectionTimeout).toMatchObject({ Default: '300' });
    for (const seconds of ['30', '300', '600']) expect(matches(parameters.ConnectionTimeout.AllowedPattern, seconds)).toBe(true);
    for (const seconds of ['29', '601', '0300', '5m']) expect(matches(parameters.ConnectionTimeout.AllowedPattern, seconds)).toBe(false);
  });

  test('the proxy, the no-proxy list, the CA certificates and the host aliases are optional, off by default, and take only what the host can use', () => {
    const accepts = (name: string, values: string[], expected: boolean) => {
      for (const value of values) expect({ name, value, ok: matches(parameters[name].AllowedPattern, value) }).toEqual({ name, value, ok: expected });
    };
    for (const name of ['HttpsProxy', 'NoProxy', 'CaCertificates', 'HostAliases']) expect(parameters[name].Default).toBe('');
    accepts('HttpsProxy', ['', 'http://proxy.corp.example:3128', 'https://10.0.0.5:8443'], true);
    accepts('HttpsProxy', ['proxy:3128', 'http://user:secret@proxy:3128', 'http://proxy', "http://proxy:3128/'"], false);
    accepts('NoProxy', ['', '.internal', 'ssm.eu-west-1.amazonaws.com,.corp.example,10.0.0.0/8'], true);
    accepts('NoProxy', ['a b', 'a;b', "'", 'a,,b'], false);
    const pem = '-----BEGIN CERTIFICATE----- MIIBszCCAVmgAwIBAgIU+/= -----END CERTIFICATE-----';
    accepts('CaCertificates', ['', pem, `${pem} ${pem}`], true);
    accepts('CaCertificates', [`${pem}\n`, "-----BEGIN CERTIFICATE----- '$(reboot)' -----END CERTIFICATE-----"], false);
    accepts('HostAliases', ['', 'anywhere.altinity.cloud=10.1.2.3', 'a.example=10.0.0.1,b.example=fd00::1'], true);
    accepts('HostAliases', ['a.example', 'a.example=10.0.0.1;reboot', 'a b=10.0.0.1'], false);
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
    expect(ui.ParameterGroups.map((group: { Label: { default: string } }) => group.Label.default)).toEqual([
      'Altinity.Cloud environment',
      'Network',
      'Host',
      'Permissions',
      'Break glass: Altinity support access',
    ]);
    expect(ui.ParameterGroups[0].Parameters).toEqual(['EnvName', 'Token', 'ExistingCertificateParameter', 'AltinityCloudUrl']);
  });
});

describe('host identity', () => {
  const hostRole = singleHost.Resources.HostRole.Properties;

  test('has exactly the six documented managed policies, partition-aware, and no boundary by default', () => {
    expect(hostRole.ManagedPolicyArns).toEqual(DOCUMENTED_MANAGED_POLICIES.map(managedPolicyArn));
    expect(hostRole).not.toHaveProperty('PermissionsBoundary');
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
    expect(hostPolicyStatements(singleHost)).toEqual([
      { Effect: 'Allow', Action: 'ssm:GetParameter', Resource: [parameterArn(TOKEN_PARAMETER), parameterArn(CERTIFICATE_PARAMETER)] },
      { Effect: 'Allow', Action: ['ssm:PutParameter', 'ssm:DeleteParameter', 'ssm:AddTagsToResource'], Resource: parameterArn(CERTIFICATE_PARAMETER) },
      { Effect: 'Allow', Action: 'cloudformation:SignalResource', Resource: { Ref: 'AWS::StackId' } },
    ]);
  });

  test('the current profile adds what Altinity grants today for newer features, and nothing else changes', () => {
    const current = withParameters({ PermissionProfile: 'current' });
    expect(current.Resources.HostRole.Properties.ManagedPolicyArns).toEqual(
      [...DOCUMENTED_MANAGED_POLICIES, ...CURRENT_FEATURE_MANAGED_POLICIES].map(managedPolicyArn),
    );
    expect(CURRENT_FEATURE_MANAGED_POLICIES).toEqual(['AmazonRoute53FullAccess', 'AmazonSQSFullAccess', 'AmazonS3TablesFullAccess']);
    const added = Object.keys(current.Resources).filter((id) => !(id in singleHost.Resources));
    expect(added).toHaveLength(1);
    const [policy] = added.map((id) => current.Resources[id]);
    expect(policy.Properties.Roles).toEqual([{ Ref: 'HostRole' }]);
    expect(policy.Properties.PolicyDocument.Statement).toEqual([{ Effect: 'Allow', Action: [...CURRENT_FEATURE_ACTIONS], Resource: '*' }]);
    expect(CURRENT_FEATURE_ACTIONS).toEqual(expect.arrayContaining(['kafka:CreateVpcConnection', 'vpce:AllowMultiRegion']));
  });

  test('the restricted profile grants what current does, with the scoped IAM statements of Altinity\'s module instead of IAMFullAccess', () => {
    const restricted = withParameters({ PermissionProfile: 'restricted' });
    const current = withParameters({ PermissionProfile: 'current' });
    expect(restricted.Resources.HostRole.Properties.ManagedPolicyArns).toEqual(
      current.Resources.HostRole.Properties.ManagedPolicyArns.filter((arn: unknown) => JSON.stringify(arn) !== JSON.stringify(managedPolicyArn('IAMFullAccess'))),
    );
    expect(Object.keys(restricted.Resources).filter((id) => !(id in current.Resources))).toEqual(['HostScopedIam']);
    const scoped = restricted.Resources.HostScopedIam.Properties;
    expect(scoped.Roles).toEqual([{ Ref: 'HostRole' }]);
    expect(scoped.PolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: [...SCOPED_IAM_STATEMENTS.backupUsers],
        Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:user/*-clickhouse-backup' },
      },
      { Effect: 'Allow', Action: [...SCOPED_IAM_STATEMENTS.rolesAndPolicies], Resource: '*' },
      { Effect: 'Allow', Action: ['iam:Get*', 'iam:List*', 'iam:SimulatePrincipalPolicy'], Resource: '*' },
    ]);
    // No write on users other than the backup users, and nothing of IAMFullAccess's account-wide writes.
    const granted = scoped.PolicyDocument.Statement.flatMap((statement: { Action: string[] }) => statement.Action);
    for (const action of ['iam:*', 'iam:CreateLoginProfile', 'iam:AttachUserPolicy', 'iam:CreateGroup', 'iam:UpdateAccountPasswordPolicy']) expect(granted).not.toContain(action);
    expect(template.Parameters.PermissionProfile.AllowedValues).toEqual(['documented', 'current', 'restricted']);
  });

  test('a permissions boundary, when given, is set on the host role only', () => {
    const boundary = 'arn:aws:iam::123456789012:policy/altinity-boundary';
    const bounded = withParameters({ PermissionsBoundaryArn: boundary });
    expect(bounded.Resources.HostRole.Properties.PermissionsBoundary).toEqual({ Ref: 'PermissionsBoundaryArn' });
    expect(pathsWhere(bounded.Resources, isRefTo('PermissionsBoundaryArn'))).toEqual(['HostRole.Properties.PermissionsBoundary']);
    expect(matches(template.Parameters.PermissionsBoundaryArn.AllowedPattern, boundary)).toBe(true);
    expect(matches(template.Parameters.PermissionsBoundaryArn.AllowedPattern, 'altinity-boundary')).toBe(false);
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

describe('launch template: every host starts from it', () => {
  const data = template.Resources.HostLaunchTemplate.Properties.LaunchTemplateData;

  test('requires IMDSv2, encrypts a gp3 root volume, and uses the host profile and security group', () => {
    expect(data.MetadataOptions).toMatchObject({ HttpTokens: 'required', HttpEndpoint: 'enabled' });
    expect(data.BlockDeviceMappings).toEqual([{ DeviceName: '/dev/sda1', Ebs: expect.objectContaining({ VolumeType: 'gp3', Encrypted: true }) }]);
    expect(data.IamInstanceProfile).toEqual({ Arn: { 'Fn::GetAtt': ['HostInstanceProfile', 'Arn'] } });
    expect(data.NetworkInterfaces).toEqual([
      expect.objectContaining({ DeviceIndex: 0, Groups: [{ 'Fn::GetAtt': ['HostSecurityGroup', 'GroupId'] }], AssociatePublicIpAddress: { Ref: 'AssignPublicIp' } }),
    ]);
    expect(data.ImageId).toEqual({ Ref: 'AmiParameter' });
  });

  test('carries the user data, one text for a single host and a group alike, and never the token', () => {
    expect(Object.keys(data.UserData)).toEqual(['Fn::Base64']);
    expect(JSON.stringify(data.UserData)).not.toContain('Fn::If');
    expect(pathsWhere(data, isRefTo('Token'))).toEqual([]);
  });
});

describe('single host (the default)', () => {
  const host = template.Resources.Host;

  test('exists only with one replica, and then alone', () => {
    expect(host.Condition).toBe('SingleHost');
    expect(template.Conditions?.SingleHost).toEqual({ 'Fn::Equals': [{ Ref: 'Replicas' }, '1'] });
    expect(singleHost.Resources).not.toHaveProperty('HostGroup');
    expect(template.Parameters.Replicas).toMatchObject({ Default: '1', AllowedValues: ['1', '2', '3'] });
  });

  test('launches from the launch template and repeats its hardening', () => {
    expect(host.Properties.LaunchTemplate).toEqual({
      LaunchTemplateId: { Ref: 'HostLaunchTemplate' },
      Version: { 'Fn::GetAtt': ['HostLaunchTemplate', 'LatestVersionNumber'] },
    });
    expect(host.Properties).not.toHaveProperty('UserData');
  });

  test('recovers from hardware failure by itself, keeping its instance id: EC2\'s automatic recovery stays on, with no alarm to keep', () => {
    const launchData = singleHost.Resources.HostLaunchTemplate.Properties.LaunchTemplateData;
    expect(launchData.MaintenanceOptions?.AutoRecovery ?? 'default').toBe('default');
    expect(host.Properties).not.toHaveProperty('MaintenanceOptions');
    expect(Object.values(singleHost.Resources).filter((resource) => resource.Type === 'AWS::CloudWatch::Alarm')).toEqual([]);
  });

  test('requires IMDSv2, from its launch template, which nothing on the instance overrides, and has an encrypted gp3 root volume', () => {
    expect(host.Properties).not.toHaveProperty('MetadataOptions');
    expect(template.Resources.HostLaunchTemplate.Properties.LaunchTemplateData.MetadataOptions).toMatchObject({ HttpTokens: 'required' });
    expect(host.Properties.BlockDeviceMappings).toEqual([
      { DeviceName: '/dev/sda1', Ebs: expect.objectContaining({ VolumeType: 'gp3', Encrypted: true }) },
    ]);
  });

  test('is named and tagged with its environment, as every resource is', () => {
    expect(host.Properties.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'altinity:cloud/env', Value: { Ref: 'EnvName' } },
        { Key: 'Name', Value: { 'Fn::Sub': 'altinity-connect-${EnvName}' } },
      ]),
    );
    const taggable = Object.entries(template.Resources).filter(([, resource]) => resource.Properties?.Tags);
    expect(taggable.length).toBeGreaterThanOrEqual(5);
    for (const [, resource] of taggable) {
      expect(resource.Properties.Tags).toContainEqual(expect.objectContaining({ Key: 'altinity:cloud/env', Value: { Ref: 'EnvName' } }));
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

});

describe('several hosts (Replicas above 1)', () => {
  const ha = withParameters({ Replicas: '3' });
  const group = ha.Resources.HostGroup;

  test('run in an Auto Scaling group over the chosen subnets, from the same launch template, instead of the single host', () => {
    expect(ha.Resources).not.toHaveProperty('Host');
    expect(ha.Resources).not.toHaveProperty('HostAutoRecovery');
    expect(group.Properties).toMatchObject({
      MinSize: { Ref: 'Replicas' },
      DesiredCapacity: { Ref: 'Replicas' },
      MaxSize: '4',
      VPCZoneIdentifier: { Ref: 'SubnetIds' },
      LaunchTemplate: { LaunchTemplateId: { Ref: 'HostLaunchTemplate' }, Version: { 'Fn::GetAtt': ['HostLaunchTemplate', 'LatestVersionNumber'] } },
    });
    expect(group.Properties.Tags).toContainEqual({ Key: 'altinity:cloud/env', Value: { Ref: 'EnvName' }, PropagateAtLaunch: true });
  });

  test('creation waits for one signal per host; a rolling update replaces one host at a time and waits for it', () => {
    expect(group.CreationPolicy).toEqual({
      ResourceSignal: { Count: { Ref: 'Replicas' }, Timeout: 'PT15M' },
      AutoScalingCreationPolicy: { MinSuccessfulInstancesPercent: 100 },
    });
    expect(group.UpdatePolicy.AutoScalingRollingUpdate).toMatchObject({
      MaxBatchSize: 1,
      MinInstancesInService: { Ref: 'Replicas' },
      WaitOnResourceSignals: true,
      PauseTime: 'PT15M',
    });
    expect(group.DependsOn).toEqual(expect.arrayContaining(['ConnectSecrets', 'HostRole']));
  });

  test('say where the instance ARNs are, instead of one instance', () => {
    expect(Object.keys(ha.Outputs)).not.toContain('InstanceArn');
    expect(ha.Outputs.HostGroupName).toMatchObject({ Value: { Ref: 'HostGroup' }, Description: expect.stringMatching(/ARNs.*npm run status/) });
  });

  test('break glass reaches them as it reaches a single host: by the stack-id tag that CloudFormation gives the group\'s instances', () => {
    const policies = (variant: CfnTemplate) => variant.Resources.BreakGlassRole.Properties.Policies;
    expect(policies(withParameters({ Replicas: '2', BreakGlass: 'enabled' }))).toEqual(policies(withParameters({ BreakGlass: 'enabled' })));
  });
});

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

describe('user data', () => {
  test('carries no secret: only parameter names, never the token', () => {
    const userData = JSON.stringify(template.Resources.HostLaunchTemplate.Properties.LaunchTemplateData.UserData);
    expect(userData).not.toContain('"Ref":"Token"');
    expect(userData).toContain('/altinity-connect/${EnvName}/token');
    expect(userData).toContain('/altinity-connect/${EnvName}/certificate');
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

  test('the handler the template inlines is the bundle, byte for byte: the documented command reads it back', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'handler-'));
    try {
      const file = path.join(dir, 'template.yaml');
      fs.writeFileSync(file, toYaml(template));
      const unpacked = execFileSync('bash', ['-c', unpackCommand('handler', JSON.stringify(file))], { encoding: 'utf8' });
      expect(unpacked).toBe(bundleHandler('secret-store', HANDLER_RUNTIME));
      expect(template.Resources.SecretsHandler921AA853.Properties.Code.ZipFile).toContain(`SHA-256 ${sha256Of(unpacked)}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('break glass', () => {
  test('exists only when enabled, trusted by the chosen principal', () => {
    const role = template.Resources.BreakGlassRole;
    expect(role.Condition).toBe('BreakGlassEnabled');
    expect(template.Conditions?.BreakGlassEnabled).toEqual({ 'Fn::Equals': [{ Ref: 'BreakGlass' }, 'enabled'] });
    expect(withParameters({ BreakGlass: 'enabled' }).Resources.BreakGlassRole.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { AWS: { Ref: 'BreakGlassPrincipal' } } },
    ]);
  });

  test('with an external id, the principal must present it to assume the role', () => {
    const withExternalId = withParameters({ BreakGlass: 'enabled', BreakGlassExternalId: 'agreed-with-altinity' });
    expect(withExternalId.Resources.BreakGlassRole.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Principal: { AWS: { Ref: 'BreakGlassPrincipal' } },
        Condition: { StringEquals: { 'sts:ExternalId': { Ref: 'BreakGlassExternalId' } } },
      },
    ]);
    expect(template.Parameters.BreakGlassExternalId).toMatchObject({ Default: '', MaxLength: 1224 });
    expect(matches(template.Parameters.BreakGlassExternalId.AllowedPattern, "it's")).toBe(false);
  });

  test('may start sessions on this stack\'s hosts, with SSH over SSM or a plain shell, and nothing else', () => {
    const open = withParameters({ BreakGlass: 'enabled' });
    const role = open.Resources.BreakGlassRole.Properties;
    const attached = Object.values(open.Resources).filter((resource) => resource.Type === 'AWS::IAM::Policy' && JSON.stringify(resource.Properties.Roles).includes('BreakGlassRole'));
    expect(attached).toEqual([]);
    const statements = role.Policies.flatMap((policy: { PolicyDocument: { Statement: unknown[] } }) => policy.PolicyDocument.Statement);
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: 'ssm:StartSession',
        Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:instance/*' },
        // CloudFormation tags every instance it launches, the group's too, with the stack's id.
        Condition: { StringEquals: { 'ssm:resourceTag/aws:cloudformation:stack-id': { Ref: 'AWS::StackId' } } },
      },
      {
        Effect: 'Allow',
        Action: 'ssm:StartSession',
        Resource: [
          { 'Fn::Sub': 'arn:${AWS::Partition}:ssm:${AWS::Region}:*:document/AWS-StartSSHSession' },
          { 'Fn::Sub': 'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:document/SSM-SessionManagerRunShell' },
        ],
      },
      { Effect: 'Allow', Action: ['ssm:TerminateSession', 'ssm:ResumeSession'], Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:ssm:*:*:session/${!aws:userid}-*' } },
    ]);
    expect(withParameters({}).Resources).not.toHaveProperty('BreakGlassRole');
  });
});

describe('outputs', () => {
  test('give the instance, its ARN for Altinity, the roles, the security group and the token parameter', () => {
    expect(Object.keys(singleHost.Outputs).sort()).toEqual(['HostRoleArn', 'InstanceArn', 'InstanceId', 'SecurityGroupId', 'TokenParameterName'].sort());
    expect(Object.keys(withParameters({ BreakGlass: 'enabled' }).Outputs)).toContain('BreakGlassRoleArn');
    expect(template.Outputs.InstanceId.Value).toEqual({ Ref: 'Host' });
    expect(template.Outputs.InstanceArn.Value).toEqual({
      'Fn::Sub': ['arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:instance/${Id}', { Id: { Ref: 'Host' } }],
    });
    expect(template.Outputs.InstanceArn.Description).toMatch(/Altinity/);
    expect(template.Outputs.BreakGlassRoleArn.Condition).toBe('BreakGlassEnabled');
    expect(pathsWhere(template.Outputs, isRefTo('Token'))).toEqual([]);
  });
});

describe('deploy-mode template (cdk deploy -c env=... -c token=...)', () => {
  const deployed = deployModeTemplate(
    { mode: 'deploy', envName: 'acme-prod', token: 'not-used-here', network: { kind: 'given', vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'] } },
    '/altinity-connect/acme-prod/staged/20261126T021530Z-0a1b2c',
  );

  test('has no token parameter: the token was staged before deployment, and the stack moves it from where it names', () => {
    expect(deployed.Parameters).not.toHaveProperty('Token');
    expect(deployed.Resources.ConnectSecrets.Properties).toMatchObject({ StagedTokenParameter: '/altinity-connect/acme-prod/staged/20261126T021530Z-0a1b2c' });
    expect(deployed.Resources.ConnectSecrets.Properties).not.toHaveProperty('Token');
    expect(JSON.stringify(deployed)).not.toContain('not-used-here');
    const ui = deployed.Metadata?.['AWS::CloudFormation::Interface'];
    expect(ui.ParameterGroups[0].Parameters).toEqual(['EnvName', 'ExistingCertificateParameter', 'AltinityCloudUrl']);
    expect(deployed.Rules).not.toHaveProperty('TokenOrCertificate');
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
