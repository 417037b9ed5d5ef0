/**
 * A small stack for one construct's tests, as aws-cdk-lib tests its own constructs: in the app every
 * entry point builds (connectApp, without CDK's built-in CloudFormation validation, which would cost
 * seconds a synthesis), with the template parameters and conditions a test hands the construct, and
 * the launch template that the host, the group and their tests need.
 */
import { CfnCondition, CfnParameter, Fn, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { HostLaunchTemplate, type HostLaunchTemplateProps } from '../../lib/constructs/host-launch';
import type { HostSettings } from '../../lib/host/user-data';
import { connectApp } from '../../lib/stack/app';

export function constructStack(): Stack {
  return new Stack(connectApp(), 'Test');
}

/** The value of a new template parameter `name`, as the stack hands its constructs the form's answers. */
export function parameterIn(stack: Stack, name: string): string {
  return new CfnParameter(stack, name).valueAsString;
}

/** A new condition `id` over a parameter of its own, as the stack's conditions are over the form's answers. */
export function conditionIn(stack: Stack, id: string): CfnCondition {
  return new CfnCondition(stack, id, { expression: Fn.conditionEquals(parameterIn(stack, `${id}Answer`), 'yes') });
}

/** Settings as plain text, each naming itself, so that a test can find each one in the user data. */
export const PLAIN_HOST_SETTINGS: HostSettings = {
  STACK_NAME: 'altinity-connect-acme',
  STACK_ID: 'stack-id',
  SIGNAL_RESOURCE: 'Host',
  REGION: 'eu-west-1',
  TOKEN_PARAMETER: '/altinity-connect/acme/token',
  CERTIFICATE_PARAMETER: '/altinity-connect/acme/certificate',
  EXISTING_CERTIFICATE_PARAMETER: '',
  SECRETS_KEY: 'key-arn',
  CONNECT_VERSION: '0.61.0',
  DOWNLOAD_URL: 'https://releases.example.com',
  CONNECT_SHA256: '',
  ALTINITY_URL: 'https://anywhere.altinity.cloud',
  CONNECTION_TIMEOUT: '300',
  HTTPS_PROXY_URL: '',
  NO_PROXY_LIST: '',
  CA_CERTIFICATES: '',
  HOST_ALIASES: '',
};

/** A HostLaunchTemplate in `stack` with plain settings, a role of its own and a security group named by id; `props` replaces any of them. */
export function hostLaunchTemplateIn(stack: Stack, props: Partial<HostLaunchTemplateProps> = {}): HostLaunchTemplate {
  const role = new iam.Role(stack, 'HostsRole', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
  return new HostLaunchTemplate(stack, 'HostLaunch', {
    name: 'altinity-connect-acme',
    instanceType: 't3.micro',
    imageParameterName: '/images/ubuntu',
    securityGroupId: 'sg-0123456789abcdef0',
    associatePublicIp: true,
    instanceProfile: new iam.InstanceProfile(stack, 'HostsProfile', { role }),
    settings: PLAIN_HOST_SETTINGS,
    templateVersion: '0.0.0-test',
    ...props,
  });
}
