import { bundleHandler, inlineHandlerCode } from '../../lib/constructs/inline-handler';
import { HANDLER_RUNTIME } from '../../lib/constructs/secret-store';
import { toYaml } from '../../lib/release/publish';
import { packedPattern, sha256Of, unpackHandler, unpackScript } from '../../lib/shared/packed-text';
import { stagedTokenName } from '../../lib/shared/secret-store-contract';
import { assertions, isRefTo, singleHost, template, withParameters } from '../support/console-template';
import { type CfnTemplate, deployModeTemplate, pathsWhere, TEST_TEMPLATE_VERSION } from '../support/templates';

/**
 * The template with the code it carries packed replaced by the SHA-256 of what it unpacks to: the
 * handler's bundle and the hosts' script are tested as code elsewhere, and a change of them shows
 * here as a changed digest rather than as pages of base64.
 */
function withCodeAsDigests(published: CfnTemplate): CfnTemplate {
  const copy = structuredClone(published);
  for (const resource of Object.values(copy.Resources)) {
    if (resource.Type === 'AWS::Lambda::Function') {
      resource.Properties.Code.ZipFile = `<bundle SHA-256 ${sha256Of(unpackHandler(resource.Properties.Code.ZipFile))}>`;
    }
  }
  const userData = copy.Resources.HostLaunchTemplate.Properties.LaunchTemplateData.UserData['Fn::Base64']['Fn::Sub'];
  userData[0] = userData[0].replace(new RegExp(packedPattern('host-script')), (packed: string) => `<script SHA-256 ${sha256Of(unpackScript(packed))}>`);
  return copy;
}

test('the published template matches its snapshot', () => {
  expect(toYaml(withCodeAsDigests(template))).toMatchSnapshot();
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
    // The console's build: its stacks' tokens are never staged.
    expect(fn.Properties.Code).toEqual({
      ZipFile: inlineHandlerCode('secret-store', bundleHandler('secret-store', HANDLER_RUNTIME, { STAGED_TOKENS: false })),
    });
    expect(fn.Properties.Runtime).toBe('nodejs24.x');
    // The runtime's own SDK: the bundle leaves it out.
    expect(bundleHandler('secret-store', HANDLER_RUNTIME)).not.toMatch(/PutParameterCommand=class|smithy-client/);
  });

  test('names the product and the template version in its description', () => {
    expect(template.Description).toMatch(/altinitycloud-connect/);
    expect(template.Description).toContain(`v${TEST_TEMPLATE_VERSION}`);
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
    {
      mode: 'deploy',
      envName: 'acme-prod',
      token: 'not-used-here',
      network: { kind: 'given', vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'] },
    },
    stagedTokenName('acme-prod', 'not-used-here'),
  );

  test('has no token parameter: the token was staged before deployment, and the stack moves it from where it names', () => {
    expect(deployed.Parameters).not.toHaveProperty('Token');
    expect(deployed.Resources.ConnectSecrets.Properties).toMatchObject({ StagedToken: stagedTokenName('acme-prod', 'not-used-here') });
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
