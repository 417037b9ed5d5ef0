import { fingerprint, type Fingerprint } from './checkout-state';
import { type SuiteHome, useSuiteHome } from './suite-home';
import { provideTools, TOOLS_PROVIDED_ENV } from './tools';

declare global {
  // Read by global-teardown.ts, which jest runs in this same process.
  var checkoutStateBeforeTests: { root: string; fingerprint: Fingerprint } | undefined;
  var suiteHome: SuiteHome | undefined;
}

/**
 * Before any test: notes the state of the checkout's cdk.out, dist and cdk.context.json (which no
 * test may change: global-teardown.ts compares), provides the tools the tests run (tools.ts), gives
 * the tests a home of their own (suite-home.ts) and sets what every test process shares. jest's
 * workers start after this and inherit the environment.
 */
export default async function globalSetup(globalConfig: { rootDir: string }): Promise<void> {
  const root = globalConfig.rootDir;
  globalThis.checkoutStateBeforeTests = { root, fingerprint: fingerprint(root) };

  // The tests' own SDK clients (talking to moto_server) need not tell of Node.js 22. Commands a user
  // runs are started without this variable, and tests check that they print no such notice.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  // The CDK CLI's settings for an app it runs: a shell's leftover would send outputs into the checkout.
  delete process.env.CDK_OUTDIR;
  delete process.env.CDK_CONTEXT_JSON;

  // With the user's home: installing the tools may need the user's pip settings (a package index).
  if (!process.env[TOOLS_PROVIDED_ENV]) await provideTools(root);
  globalThis.suiteHome = useSuiteHome();
}
