import { App, type AppProps, Duration, LegacyStackSynthesizer } from 'aws-cdk-lib';
import { specDigest } from '../shared/cloud-stack-contract';
import { cloudStackNameFor, readyStackNameFor, stackNameFor } from '../shared/conventions';
import type { EnvironmentSpec } from '../shared/environment-spec';
import type { AppInput } from './app-input';
import { CloudStack } from './cloud-stack';
import { ConnectStack } from './connect-stack';
import { ReadyStack } from './ready-stack';

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
  /** The cloud stack's certificate, which the hosts use instead of logging in (API-token mode). */
  readonly existingCertificate?: string;
}

/** What the app adds in API-token mode (`-c environment=<file>`). */
export interface EnvironmentOptions {
  /** The environment file's specification, validated for the stacks' region. */
  readonly spec: EnvironmentSpec;
  /** The Secrets Manager name under which the app staged the API token, when it was given. */
  readonly stagedApiToken?: string;
  /** Altinity.Cloud's API. */
  readonly apiUrl: string;
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
    existingCertificate: options.existingCertificate,
  });
}

/**
 * Adds an environment's three stacks in API-token mode, each depending on the one before, so that
 * `cdk deploy --all` deploys them in order and `cdk destroy --all` deletes them in the reverse: the
 * cloud stack (API token, certificate, specification), the connect stack (the hosts, with the
 * cloud stack's certificate), and the ready stack, which waits for the environment and, deleted
 * first, deletes it before the hosts go when the user opted in.
 */
export function buildEnvironmentStacks(
  app: App,
  input: Extract<AppInput, { mode: 'deploy' }> & { environment: NonNullable<Extract<AppInput, { mode: 'deploy' }>['environment']> },
  options: BuildOptions & EnvironmentOptions,
): { cloud: CloudStack; connect: ConnectStack; ready: ReadyStack } {
  const common = { templateVersion: options.templateVersion, synthesizer: new LegacyStackSynthesizer(), analyticsReporting: false };
  const cloud = new CloudStack(app, cloudStackNameFor(input.envName), {
    ...common,
    envName: input.envName,
    spec: options.spec,
    stagedToken: options.stagedApiToken,
    apiUrl: options.apiUrl,
  });
  const connect = buildConnectStack(app, input, { ...options, existingCertificate: cloud.certificateParameterName });
  connect.addStackDependency(cloud);
  const ready = new ReadyStack(app, readyStackNameFor(input.envName), {
    ...common,
    envName: input.envName,
    specDigest: specDigest(JSON.stringify(options.spec)),
    onStackDelete: input.environment.onStackDelete,
    wait: input.environment.waitMinutes === undefined ? undefined : Duration.minutes(input.environment.waitMinutes),
  });
  ready.addStackDependency(connect);
  ready.addStackDependency(cloud);
  return { cloud, connect, ready };
}
