/**
 * The console template as the stack tests read it (synthesized once per test file),
 * and the views of it they share: as CloudFormation acts on it for given parameter values, the ARN
 * shapes its policies use, and the host role's statements.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { effectiveTemplate } from './effective-template';
import { consoleModeTemplate } from './templates';

export const template = consoleModeTemplate();
export const assertions = Template.fromJSON(template);
/** The console template as CloudFormation acts on it with the defaults and a token. */
export const singleHost = effectiveTemplate(template, { EnvName: 'acme-prod', Token: 'x', VpcId: 'vpc-1', SubnetIds: 'subnet-1,subnet-2' });
export const withParameters = (values: Record<string, string>) =>
  effectiveTemplate(template, { EnvName: 'acme-prod', Token: 'x', VpcId: 'vpc-1', SubnetIds: 'subnet-1,subnet-2', ...values });
export const managedPolicyArn = (name: string) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:iam::aws:policy/${name}` });
export const parameterArn = (namePattern: string) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${namePattern}` });
export const TOKEN_PARAMETER = '/altinity-connect/${EnvName}/token';
export const CERTIFICATE_PARAMETER = '/altinity-connect/${EnvName}/certificate';
export const hostPolicyStatements = (effective: typeof template) =>
  Object.values(effective.Resources)
    .filter((resource) => resource.Type === 'AWS::IAM::Policy' && JSON.stringify(resource.Properties.Roles) === JSON.stringify([{ Ref: 'HostRole' }]))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
export const matches = (pattern: string, value: string) => new RegExp(pattern).test(value);
export const isRefTo = (name: string) => (node: unknown) => typeof node === 'object' && node !== null && (node as { Ref?: unknown }).Ref === name;
