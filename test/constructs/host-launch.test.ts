/**
 * HostLaunchTemplate alone in a small stack: what every host, single or in a group, is launched
 * with, and the user data it carries. Nothing stands in for anything; the user data as the published
 * template carries it, and its script run by bash, are tested in test/host/; what the stack gives it
 * (parameters, the signalled resource) in test/stack/wiring.test.ts.
 */
import { Aws, Fn, Token } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { HOST_SETTINGS_FILE, bootstrapScript, decodeCommand, settingsFileText, shippedScript } from '../../lib/host/user-data';
import { packedPattern, sha256Of, unpackScript } from '../../lib/shared/packed-text';
import { PLAIN_HOST_SETTINGS, conditionIn, constructStack, hostLaunchTemplateIn, parameterIn } from '../support/construct-stack';

const launchDataOf = (template: Template) => template.toJSON().Resources.HostLaunchTemplate.Properties.LaunchTemplateData;

describe('HostLaunchTemplate', () => {
  test('is one launch template, HostLaunchTemplate, that hosts and groups launch from at its latest version', () => {
    const stack = constructStack();
    const launch = hostLaunchTemplateIn(stack);
    expect(Object.keys(Template.fromStack(stack).findResources('AWS::EC2::LaunchTemplate'))).toEqual(['HostLaunchTemplate']);
    expect(stack.resolve(launch.specification)).toEqual({
      launchTemplateId: { Ref: 'HostLaunchTemplate' },
      version: { 'Fn::GetAtt': ['HostLaunchTemplate', 'LatestVersionNumber'] },
    });
  });

  test('requires IMDSv2, one hop away at most: containers on the host cannot reach the metadata service', () => {
    const stack = constructStack();
    hostLaunchTemplateIn(stack);
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: { MetadataOptions: Match.objectEquals({ HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 1 }) },
    });
  });

  test.each([
    ['20 GiB by default', undefined, 20],
    ['the size given', 64, 64],
  ])('gives each host an encrypted gp3 root volume, deleted with the host, of %s', (_case, rootVolumeGiB, expectedGiB) => {
    const stack = constructStack();
    hostLaunchTemplateIn(stack, { rootVolumeGiB });
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: {
        BlockDeviceMappings: [
          Match.objectEquals({ DeviceName: '/dev/sda1', Ebs: { VolumeType: 'gp3', VolumeSize: expectedGiB, Encrypted: true, DeleteOnTermination: true } }),
        ],
      },
    });
  });

  test('launches hosts of the given type with the given instance profile, security group and public address setting', () => {
    const stack = constructStack();
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
    const instanceProfile = new iam.InstanceProfile(stack, 'Profile', { role });
    const securityGroup = new ec2.CfnSecurityGroup(stack, 'Group', { groupDescription: 'hosts' });
    hostLaunchTemplateIn(stack, {
      instanceType: parameterIn(stack, 'InstanceType'),
      instanceProfile,
      securityGroupId: securityGroup.attrGroupId,
      associatePublicIp: Token.asAny(parameterIn(stack, 'AssignPublicIp')),
    });
    expect(launchDataOf(Template.fromStack(stack))).toMatchObject({
      InstanceType: { Ref: 'InstanceType' },
      IamInstanceProfile: { Arn: stack.resolve(instanceProfile.instanceProfileArn) },
      NetworkInterfaces: [
        { DeviceIndex: 0, Groups: [{ 'Fn::GetAtt': ['Group', 'GroupId'] }], AssociatePublicIpAddress: { Ref: 'AssignPublicIp' }, DeleteOnTermination: true },
      ],
    });
  });

  test('names the image by its SSM parameter, which EC2 resolves at each launch: a newer image changes nothing in the template', () => {
    const imageIdFor = (imageParameter: (stack: ReturnType<typeof constructStack>) => string) => {
      const stack = constructStack();
      hostLaunchTemplateIn(stack, { imageParameterName: imageParameter(stack) });
      return launchDataOf(Template.fromStack(stack)).ImageId;
    };
    expect(imageIdFor(() => '/images/ubuntu')).toEqual({ 'Fn::Sub': 'resolve:ssm:/images/ubuntu' });
    expect(imageIdFor((stack) => parameterIn(stack, 'AmiParameter'))).toEqual({ 'Fn::Sub': 'resolve:ssm:${AmiParameter}' });
  });

  test('names each host with its Name tag, which an instance with tags of its own must repeat', () => {
    const stack = constructStack();
    const launch = hostLaunchTemplateIn(stack, { name: 'altinity-connect-acme' });
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: { TagSpecifications: [Match.objectEquals({ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'altinity-connect-acme' }] })] },
    });
    expect(launch.instanceTags).toEqual([{ key: 'Name', value: 'altinity-connect-acme' }]);
  });

  describe('user data', () => {
    test('writes exactly the settings it is given: plain text as it stands, references and Fn::Sub patterns within the text, any other value through the variable map', () => {
      const stack = constructStack();
      const key = new ec2.CfnSecurityGroup(stack, 'Key', { groupDescription: 'an attribute to refer to' });
      parameterIn(stack, 'EnvName');
      const singleHost = conditionIn(stack, 'SingleHost');
      hostLaunchTemplateIn(stack, {
        settings: {
          ...PLAIN_HOST_SETTINGS,
          STACK_NAME: Aws.STACK_NAME,
          SIGNAL_RESOURCE: Fn.conditionIf(singleHost.logicalId, 'Host', 'HostGroup').toString(),
          TOKEN_PARAMETER: Fn.sub('/altinity-connect/${EnvName}/token'),
          SECRETS_KEY: key.attrGroupId,
          CONNECT_VERSION: parameterIn(stack, 'ConnectVersion'),
        },
      });
      const [text, variables] = launchDataOf(Template.fromStack(stack)).UserData['Fn::Base64']['Fn::Sub'];
      const written = settingsFileText({
        ...PLAIN_HOST_SETTINGS,
        STACK_NAME: '${AWS::StackName}',
        SIGNAL_RESOURCE: '${SIGNAL_RESOURCE}',
        TOKEN_PARAMETER: '/altinity-connect/${EnvName}/token',
        SECRETS_KEY: '${Key.GroupId}',
        CONNECT_VERSION: '${ConnectVersion}',
      });
      expect(text).toContain(`cat >${HOST_SETTINGS_FILE} <<'SETTINGS_END'\n${written}SETTINGS_END\n`);
      expect(variables).toEqual({ SIGNAL_RESOURCE: { 'Fn::If': ['SingleHost', 'Host', 'HostGroup'] } });
    });

    test('is a plain Fn::Sub text, without a variable map, when every setting can be written within it', () => {
      const stack = constructStack();
      hostLaunchTemplateIn(stack);
      Template.fromStack(stack).hasResourceProperties('AWS::EC2::LaunchTemplate', {
        LaunchTemplateData: { UserData: { 'Fn::Base64': { 'Fn::Sub': Match.stringLikeRegexp('^#!/bin/bash\n') } } },
      });
    });

    test('carries bootstrap.sh without its comments, byte for byte, and says in its header which version, which SHA-256, and how to read it', () => {
      const stack = constructStack();
      hostLaunchTemplateIn(stack, { templateVersion: '1.2.3' });
      const text: string = launchDataOf(Template.fromStack(stack)).UserData['Fn::Base64']['Fn::Sub'];
      const shipped = shippedScript(bootstrapScript());
      const packed = [...text.matchAll(new RegExp(packedPattern('host-script'), 'g'))].map(([found]) => found);
      expect(packed).toHaveLength(1);
      expect(unpackScript(packed[0]).equals(shipped)).toBe(true);
      const header = text.split('\n').slice(0, 3).join('\n');
      expect(header).toContain('v1.2.3');
      expect(header).toContain(`SHA-256 ${sha256Of(shipped)}`);
      expect(header).toContain(decodeCommand('<file>'));
    });
  });

  test("lets the hosts' role signal this stack, and nothing else", () => {
    const stack = constructStack();
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
    hostLaunchTemplateIn(stack).grantSignal(role);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [stack.resolve(role.roleName)],
      PolicyDocument: { Statement: [Match.objectEquals({ Effect: 'Allow', Action: 'cloudformation:SignalResource', Resource: { Ref: 'AWS::StackId' } })] },
    });
  });
});
