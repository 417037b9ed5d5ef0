#!/usr/bin/env node
import { version } from '../package.json';
import type { StagedTokenKind } from '../lib/deploy/staged-token';
import { API_TOKEN_ENVIRONMENT_VARIABLE, API_URL_ENVIRONMENT_VARIABLE } from '../lib/shared/cloud-stack-contract';
import { DEFAULT_ALTINITY_URL } from '../lib/shared/conventions';
import { readEnvironmentFile } from '../lib/shared/environment-file';
import { EnvironmentSpecError } from '../lib/shared/environment-spec';
import { buildConnectStack, buildEnvironmentStacks, connectApp } from '../lib/stack/app';
import { quietSdkNodeVersionNotice } from '../lib/shared/sdk-notice';
import { contextWithTokenFromEnvironment, InputError, parseAppInput } from '../lib/stack/app-input';
import type { NetworkDefaults } from '../lib/stack/console-form';

/**
 * Stages the token in the account and region that `cdk deploy` targets, or stops before writing
 * anything. The AWS SDK is loaded only here: a synthesis without a token needs none of it.
 */
async function stageToken(
  kind: 'connection' | 'api',
  envName: string,
  token: string,
  account: string | undefined,
  region: string | undefined,
): Promise<string> {
  const given = kind === 'api' ? API_TOKEN_ENVIRONMENT_VARIABLE : '-c token=';
  if (!region) throw new InputError(`${given} needs an AWS region to store the token in: set AWS_REGION or a profile with a region`);
  const [{ CloudFormationClient }, { SecretsManagerClient }, { STSClient }, { checkTargetAccount, stageToken: stage, StagingRefused, STAGED_TOKEN_KINDS }] =
    await Promise.all([
      import('@aws-sdk/client-cloudformation'),
      import('@aws-sdk/client-secrets-manager'),
      import('@aws-sdk/client-sts'),
      import('../lib/deploy/staged-token.js'),
    ]);
  let target: Awaited<ReturnType<typeof checkTargetAccount>>;
  try {
    target = await checkTargetAccount(new STSClient({ region }), account);
  } catch (error) {
    if (error instanceof StagingRefused) throw new InputError(error.message);
    throw error;
  }
  const stagedKind: StagedTokenKind = STAGED_TOKEN_KINDS[kind];
  process.stderr.write(`Staging the ${stagedKind.what} in account ${target.account}, ${region} (it never enters the template)... `);
  const staged = await stage(
    { secrets: new SecretsManagerClient({ region }), cloudFormation: new CloudFormationClient({ region }) },
    target,
    envName,
    token,
    stagedKind,
  );
  process.stderr.write(
    staged.written
      ? `${staged.name}, readable only by the stack's function, which moves it under the stack's own key\n`
      : `none needed: the stack already holds this token\n`,
  );
  return staged.name;
}

/**
 * The hosts' VPC ranges, for the environment file's check; with none readable (no credentials, or no
 * default VPC), the app says that it did not check, and goes on.
 */
async function hostVpcCidrs(network: NetworkDefaults, region: string): Promise<string[] | undefined> {
  const [{ EC2Client }, { hostNetworkCidrs }] = await Promise.all([import('@aws-sdk/client-ec2'), import('../lib/deploy/host-network.js')]);
  try {
    const cidrs = await hostNetworkCidrs(new EC2Client({ region }), network);
    if (cidrs === undefined) process.stderr.write(`Warning: ${region} has no default VPC, so the environment's cidr was not checked against the hosts' VPC\n`);
    return cidrs;
  } catch (error) {
    const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    process.stderr.write(`Warning: could not read the hosts' VPC, so the environment's cidr was not checked against it (${detail})\n`);
    return undefined;
  }
}

async function main(): Promise<void> {
  quietSdkNodeVersionNotice();
  const app = connectApp();
  const input = parseAppInput(contextWithTokenFromEnvironment((key) => app.node.tryGetContext(key), process.env));
  const account = process.env.CDK_DEFAULT_ACCOUNT;
  const region = process.env.CDK_DEFAULT_REGION;
  if (input.mode === 'deploy' && input.environment) {
    if (!region)
      throw new InputError('-c environment= needs the AWS region the stacks go to, whose zones the file names: set AWS_REGION or a profile with a region');
    const hostCidrs = await hostVpcCidrs(input.network, region);
    let spec: ReturnType<typeof readEnvironmentFile>;
    try {
      spec = readEnvironmentFile(input.environment.file, { region, hostNetworkCidrs: hostCidrs });
    } catch (error) {
      if (error instanceof EnvironmentSpecError) throw new InputError(error.message);
      throw error;
    }
    const apiToken = process.env[API_TOKEN_ENVIRONMENT_VARIABLE] || undefined;
    const stagedApiToken = apiToken === undefined ? undefined : await stageToken('api', input.envName, apiToken, account, region);
    const apiUrl = process.env[API_URL_ENVIRONMENT_VARIABLE] || DEFAULT_ALTINITY_URL;
    buildEnvironmentStacks(app, { ...input, environment: input.environment }, { templateVersion: version, account, region, spec, stagedApiToken, apiUrl });
  } else {
    const stagedToken =
      input.mode === 'deploy' && input.token !== undefined ? await stageToken('connection', input.envName, input.token, account, region) : undefined;
    buildConnectStack(app, input, { templateVersion: version, stagedToken, account, region });
  }
  app.synth();
}

main().catch((error: unknown) => {
  if (error instanceof InputError) {
    process.stderr.write(`\nError: ${error.message}\n`);
  } else {
    const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    process.stderr.write(`\nError: could not prepare the altinity-connect stack: ${detail}\n`);
  }
  process.exit(1);
});
