import { App, type AppProps, LegacyStackSynthesizer } from 'aws-cdk-lib';
import { ConnectStack } from './connect-stack';
import type { AppInput } from './app-input';
import { stackNameFor } from '../shared/conventions';

/** Id of the console template's stack; the console user names the real stack when uploading it. */
export const CONSOLE_STACK_ID = 'altinity-connect';

/**
 * The app every entry point (cdk synth and deploy, npm run publish) and every test builds the stack
 * in. CDK's built-in CloudFormation validation is off: it loads a WASM engine that takes about 5 s of
 * a 7 s synthesis, for every user on every `cdk deploy`, and checks a template that the test suite
 * already runs through cfn-lint, cdk-nag and that same validation (test/stack/cfn-lint.test.ts and
 * test/stack/cdk-nag.test.ts).
 */
export function connectApp(props: Omit<AppProps, 'builtinCloudFormationValidation'> = {}): App {
  return new App({ ...props, builtinCloudFormationValidation: false });
}

export interface BuildOptions {
  readonly templateVersion: string;
  /** The Secrets Manager name under which the app staged the token before synthesis, when `-c token=` was given. */
  readonly stagedToken?: string;
  /** Account and region to look the default VPC up in. */
  readonly account?: string;
  readonly region?: string;
}

/**
 * Adds the one stack to `app`. The legacy synthesizer is deliberate: it adds no bootstrap-version
 * parameter or rule, and with no assets `cdk deploy` and the console both work in an account that
 * was never bootstrapped for CDK.
 */
export function buildConnectStack(app: App, input: AppInput, options: BuildOptions): ConnectStack {
  // No CDKMetadata resource: it would cost 2 KiB of the 50 KiB that cdk deploy can send.
  const common = { templateVersion: options.templateVersion, synthesizer: new LegacyStackSynthesizer(), analyticsReporting: false };
  if (input.mode === 'console') return new ConnectStack(app, CONSOLE_STACK_ID, common);
  const needsLookup = input.network.kind === 'default-vpc';
  return new ConnectStack(app, stackNameFor(input.envName), {
    ...common,
    env: needsLookup ? { account: options.account, region: options.region } : undefined,
    envName: input.envName,
    stagedToken: options.stagedToken,
    networkDefaults: input.network,
    amiParameterName: input.amiParameterName,
  });
}
