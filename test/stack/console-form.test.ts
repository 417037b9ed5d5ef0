import { ALTINITY_SUPPORT_PRINCIPAL, ConsoleForm, UBUNTU_2004_AMI_PARAMETER } from '../../lib/stack/console-form';
import { isRefTo, matches, template } from '../support/console-template';
import { constructStack } from '../support/construct-stack';
import { pathsWhere } from '../support/templates';

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
        AssertDescription: 'Give exactly one of Token and ExistingCertificateParameter.',
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
        AssertDescription: 'Every one of SubnetIds must be in VpcId.',
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

  test("the AMI comes from an SSM parameter, named, defaulting to Canonical's Ubuntu 20.04", () => {
    expect(parameters.AmiParameter).toMatchObject({ Type: 'String', Default: UBUNTU_2004_AMI_PARAMETER });
    // CloudFormation matches AllowedPattern against the whole value.
    const accepted = (value: string) => new RegExp(`^(?:${parameters.AmiParameter.AllowedPattern})$`).test(value);
    expect([UBUNTU_2004_AMI_PARAMETER, '/golden/ubuntu-22.04', 'ami-0123456789abcdef0', 'resolve:ssm:/x', '/a b', ''].filter(accepted)).toEqual([
      UBUNTU_2004_AMI_PARAMETER,
      '/golden/ubuntu-22.04',
    ]);
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
    for (const url of ['https://anywhere.altinity.cloud', 'https://anywhere.example.com:8443/api'])
      expect({ url, ok: matches(parameters.AltinityCloudUrl.AllowedPattern, url) }).toEqual({ url, ok: true });
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

  test('every parameter has a description and exactly one console group, and shows as its key', () => {
    const ui = template.Metadata?.['AWS::CloudFormation::Interface'];
    const grouped: string[] = ui.ParameterGroups.flatMap((group: { Parameters: string[] }) => group.Parameters);
    expect([...grouped].sort()).toEqual(Object.keys(parameters).sort());
    expect(new Set(grouped).size).toBe(grouped.length);
    for (const parameter of Object.values(parameters)) {
      expect(parameter.Description).toEqual(expect.any(String));
    }
    expect(ui).not.toHaveProperty('ParameterLabels');
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

describe('the form in a stack of its own', () => {
  test('keeps the template metadata the stack already has, adding the console interface to it', () => {
    const stack = constructStack();
    stack.templateOptions.metadata = { Owner: 'platform team' };
    new ConsoleForm(stack, { askForToken: true });
    const metadata = stack.templateOptions.metadata;
    expect(Object.keys(metadata)).toEqual(['Owner', 'AWS::CloudFormation::Interface']);
    expect(metadata.Owner).toBe('platform team');
  });

  test('asks each question of a parameter once: the same condition object however often it is asked', () => {
    const form = new ConsoleForm(constructStack(), { askForToken: true });
    expect(form.isSet('existingCertificate')).toBe(form.isSet('existingCertificate'));
    expect(form.is('replicas', '1')).toBe(form.is('replicas', '1'));
    expect(form.is('replicas', '1')).not.toBe(form.is('replicas', '2'));
    expect(form.oneOf('permissionProfile', ['current', 'restricted'])).toBe(form.oneOf('permissionProfile', ['current', 'restricted']));
  });
});
