#!/usr/bin/env node
import { SSMClient } from '@aws-sdk/client-ssm';
import { App } from 'aws-cdk-lib';
import { buildConnectStack } from '../lib/stack/app';
import { contextWithTokenFromEnvironment, InputError, parseAppInput } from '../lib/stack/app-input';
import { tokenParameterName } from '../lib/shared/names';
import { storeConnectionToken } from '../lib/deploy/stored-token';
import { quietSdkNodeVersionNotice } from '../lib/shared/sdk-notice';
import { version } from '../package.json';

async function main(): Promise<void> {
  quietSdkNodeVersionNotice();
  const app = new App();
  const input = parseAppInput(contextWithTokenFromEnvironment((key) => app.node.tryGetContext(key), process.env));
  const account = process.env.CDK_DEFAULT_ACCOUNT;
  const region = process.env.CDK_DEFAULT_REGION;

  let storedTokenVersion: number | undefined;
  if (input.mode === 'deploy' && input.token !== undefined) {
    if (!region) throw new InputError('-c token= needs an AWS region to store the token in: set AWS_REGION or a profile with a region');
    process.stderr.write(`Storing the connection token as SSM SecureString ${tokenParameterName(input.envName)} in ${region} (it never enters the template)... `);
    storedTokenVersion = await storeConnectionToken(new SSMClient({ region }), input.envName, input.token);
    process.stderr.write(`version ${storedTokenVersion}\n`);
  }
  buildConnectStack(app, input, { templateVersion: version, storedTokenVersion, account, region });
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
