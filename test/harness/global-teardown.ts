import { changesBetween, fingerprint, USER_STATE_PATHS } from './checkout-state';

/**
 * After every test: removes the suite's home, and fails the run when the checkout's cdk.out, dist or
 * cdk.context.json changed.
 */
export default async function globalTeardown(): Promise<void> {
  globalThis.suiteHome?.remove();
  const before = globalThis.checkoutStateBeforeTests;
  if (!before) throw new Error('global-setup.ts did not record the checkout state');
  const changes = changesBetween(before.fingerprint, fingerprint(before.root));
  if (changes.length > 0) {
    const error = new Error(`the tests changed the checkout's ${USER_STATE_PATHS.join(', ')}, which no test may touch: ${changes.join(', ')}`);
    error.stack = error.message;
    throw error;
  }
}
