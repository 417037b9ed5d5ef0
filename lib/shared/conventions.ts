/**
 * What the stack, the secret-store handler, the hosts' script and the status command agree on by
 * name: the stack an environment gets, and the tags that mark what belongs to it. The handler's
 * bundle includes this module, and nothing else of lib/shared but the failures and its contract.
 * The hosts' script carries its own copies of the tag keys, checked against these by
 * test/host/bootstrap.test.ts: handing them over in the script's settings would cost the template
 * about 100 of its last bytes.
 */

/** Where Altinity.Cloud Anywhere is: the hosts' tunnel, the readiness check and the API. */
export const DEFAULT_ALTINITY_URL = 'https://anywhere.altinity.cloud';

/** The stack name the provisioning guide prescribes for an environment. */
export function stackNameFor(envName: string): string {
  return `altinity-connect-${envName}`;
}

/** Tag on every SecureString the stack writes: the id of the stack that owns it. */
export const OWNER_TAG_KEY = 'altinity:connect/stack-id';

/** Instance tag in which each host's watch records its connection: `connected` or `disconnected since <time>`. */
export const CONNECTION_STATE_TAG_KEY = 'altinity:connect/state';

/** Tag that marks every resource of an environment, as Altinity's own module does. */
export const ENV_TAG_KEY = 'altinity:cloud/env';

/**
 * The stacks of an environment that the stacks create from an Anywhere API token, deployed in this
 * order by `cdk deploy --all` and deleted in the reverse by `cdk destroy --all`: the first keeps the
 * API token and the certificate and sets the environment's specification in Altinity.Cloud, the
 * connect stack runs the hosts, the last waits until the environment is ready and, when the user
 * opted in, deletes it before the hosts go (Altinity deprovisions through them).
 */
export function cloudStackNameFor(envName: string): string {
  return `altinity-cloud-${envName}`;
}

export function readyStackNameFor(envName: string): string {
  return `altinity-ready-${envName}`;
}
