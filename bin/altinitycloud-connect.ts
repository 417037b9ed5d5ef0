#!/usr/bin/env node
import { version } from '../package.json';
import { buildConnectStack, connectApp } from '../lib/stack/app';
import { quietSdkNodeVersionNotice } from '../lib/shared/sdk-notice';
import { contextWithTokenFromEnvironment, InputError, parseAppInput } from '../lib/stack/app-input';

/**
 * Stages the token in the account and region that `cdk deploy` targets, or stops before writing
 * anything. The AWS SDK is loaded only here: a synthesis without a token needs none of it.
 */
async function stageToken(envName: string, token: string, account: string | undefined, region: string | undefined): Promise<string> {
  if (!region) throw new InputError('-c token= needs an AWS region to store the token in: set AWS_REGION or a profile with a region');
  const [{ CloudFormationClient }, { SecretsManagerClient }, { STSClient }, { checkTargetAccount, stageConnectionToken, StagingRefused }] = await Promise.all([
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
  process.stderr.write(`Staging the connection token in account ${target.account}, ${region} (it never enters the template)... `);
  const staged = await stageConnectionToken(
    { secrets: new SecretsManagerClient({ region }), cloudFormation: new CloudFormationClient({ region }) },
    target,
    envName,
    token,
  );
  process.stderr.write(
    staged.written
      ? `${staged.name}, readable only by the stack's function, which moves it under the stack's own key\n`
      : `none needed: the stack already holds this token\n`,
  );
  return staged.name;
}

async function main(): Promise<void> {
  quietSdkNodeVersionNotice();
  const app = connectApp();
  const input = parseAppInput(contextWithTokenFromEnvironment((key) => app.node.tryGetContext(key), process.env));
  const account = process.env.CDK_DEFAULT_ACCOUNT;
  const region = process.env.CDK_DEFAULT_REGION;
  const stagedToken = input.mode === 'deploy' && input.token !== undefined ? await stageToken(input.envName, input.token, account, region) : undefined;
  buildConnectStack(app, input, { templateVersion: version, stagedToken, account, region });
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
