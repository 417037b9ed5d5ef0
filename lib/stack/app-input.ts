import { DEFAULT_READY_WAIT, SLICE } from '../constructs/environment-readiness';
import { API_TOKEN_ENVIRONMENT_VARIABLE, ON_STACK_DELETE, type OnStackDelete } from '../shared/cloud-stack-contract';
import { ENV_NAME_DESCRIPTION, ENV_NAME_PATTERN } from '../shared/names';
import type { NetworkDefaults } from './console-form';

/** A context value the user got wrong; the message names the `-c` option and the accepted form. */
export class InputError extends Error {
  override readonly name = 'InputError';
}

/** What the app was asked to build, validated. */
export type AppInput =
  /** No context: the console template that the publish script hands out. */
  | { readonly mode: 'console' }
  /** `-c env=...`, with or without a token to store before deployment. */
  | {
      readonly mode: 'deploy';
      readonly envName: string;
      readonly token?: string;
      readonly network: NetworkDefaults;
      readonly amiParameterName?: string;
      /**
       * `-c environment=<file>`: the stacks create the environment in Altinity.Cloud from an API token,
       * instead of the hosts logging in with a connection token.
       */
      readonly environment?: {
        readonly file: string;
        readonly onStackDelete: OnStackDelete;
        /** `-c waitMinutes=`: how long the ready stack waits for the environment, and for its deprovisioning. */
        readonly waitMinutes?: number;
      };
    };

/** The context keys the app reads (`cdk deploy -c key=value`). */
export const CONTEXT_KEYS = ['env', 'token', 'vpc', 'subnets', 'amiParameter', 'environment', 'onStackDelete', 'waitMinutes'] as const;
export type ContextKey = (typeof CONTEXT_KEYS)[number];

/**
 * Carries the token instead of `-c token=`, which shell history and other users' `ps` would show.
 * A `-c token=` on the command line wins.
 */
export const TOKEN_ENVIRONMENT_VARIABLE = 'ALTINITY_CONNECT_TOKEN';

/** Reads a context key, taking the token from the environment when `-c token=` is absent. */
export function contextWithTokenFromEnvironment(
  tryGetContext: (key: ContextKey) => unknown,
  environment: Record<string, string | undefined>,
): (key: ContextKey) => unknown {
  return (key) => tryGetContext(key) ?? (key === 'token' ? environment[TOKEN_ENVIRONMENT_VARIABLE] : undefined);
}

const VPC_ID = /^vpc-[0-9a-f]{8,17}$/;
const SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;
const SSM_PARAMETER_NAME = /^\/[a-zA-Z0-9_.\-/]{1,1010}$/;

/**
 * Validates the `-c` context values. Each error names the option and says what is expected.
 * @param read returns the raw context value of a key (`app.node.tryGetContext`).
 */
export function parseAppInput(read: (key: ContextKey) => unknown): AppInput {
  const value = (key: ContextKey): string | undefined => {
    const raw = read(key);
    if (raw === undefined || raw === null) return undefined;
    if (typeof raw !== 'string' || raw.trim() === '') throw new InputError(`-c ${key}= was given without a value`);
    return raw.trim();
  };
  const envName = value('env');
  const token = value('token');
  const vpc = value('vpc');
  const subnets = value('subnets');
  const amiParameterName = value('amiParameter');
  const environmentFile = value('environment');
  const onStackDelete = value('onStackDelete');
  const waitMinutes = value('waitMinutes');

  if (envName === undefined) {
    const orphan = [
      token && `-c token (or ${TOKEN_ENVIRONMENT_VARIABLE})`,
      vpc && '-c vpc',
      subnets && '-c subnets',
      amiParameterName && '-c amiParameter',
      environmentFile && '-c environment',
      onStackDelete && '-c onStackDelete',
      waitMinutes && '-c waitMinutes',
    ].filter(Boolean);
    if (orphan.length > 0) {
      throw new InputError(
        `-c env=<name> is required with ${orphan.join(', ')}: give your Altinity.Cloud environment name ` +
          `(${ENV_NAME_DESCRIPTION}), for example cdk deploy -c env=acme-prod -c token=...`,
      );
    }
    return { mode: 'console' };
  }
  if (!new RegExp(ENV_NAME_PATTERN).test(envName)) {
    throw new InputError(
      `-c env=${envName} is not a valid Altinity.Cloud environment name: use ${ENV_NAME_DESCRIPTION}, ` +
        'beginning with your Altinity.Cloud account name, for example -c env=acme-prod',
    );
  }
  if (amiParameterName !== undefined && !SSM_PARAMETER_NAME.test(amiParameterName)) {
    throw new InputError(`-c amiParameter=${amiParameterName} must be an SSM parameter name starting with /, holding an AMI id`);
  }
  return {
    mode: 'deploy',
    envName,
    token,
    network: parseNetwork(vpc, subnets),
    amiParameterName,
    environment: parseEnvironment(environmentFile, { onStackDelete, waitMinutes }, token),
  };
}

type DeployInput = Extract<AppInput, { mode: 'deploy' }>;

/** The ready stack's wait, in minutes: at least one slice, at most 48 (12 hours). */
export const WAIT_MINUTES = { min: SLICE.toMinutes(), max: 720, default: DEFAULT_READY_WAIT.toMinutes() } as const;

function parseEnvironment(
  file: string | undefined,
  { onStackDelete, waitMinutes }: { onStackDelete?: string; waitMinutes?: string },
  token: string | undefined,
): DeployInput['environment'] {
  const choices = Object.values(ON_STACK_DELETE);
  if (file === undefined) {
    if (onStackDelete !== undefined)
      throw new InputError('-c onStackDelete= goes with -c environment=<file>: it says what deleting the stacks does to the environment they created');
    if (waitMinutes !== undefined)
      throw new InputError('-c waitMinutes= goes with -c environment=<file>: it says how long the stacks wait for the environment they created');
    return undefined;
  }
  if (token !== undefined) {
    throw new InputError(
      `-c environment= makes the stacks create the environment with an Altinity.Cloud API token (${API_TOKEN_ENVIRONMENT_VARIABLE}), ` +
        `so a connection token (-c token or ${TOKEN_ENVIRONMENT_VARIABLE}) has no place beside it: give one or the other`,
    );
  }
  if (onStackDelete !== undefined && !(choices as string[]).includes(onStackDelete)) {
    throw new InputError(`-c onStackDelete=${onStackDelete} must be one of ${choices.join(', ')} (default ${ON_STACK_DELETE.keep})`);
  }
  const minutes = waitMinutes === undefined ? undefined : Number(waitMinutes);
  if (minutes !== undefined && !(Number.isInteger(minutes) && minutes >= WAIT_MINUTES.min && minutes <= WAIT_MINUTES.max)) {
    throw new InputError(
      `-c waitMinutes=${waitMinutes} must be a whole number of minutes from ${WAIT_MINUTES.min} to ${WAIT_MINUTES.max} (default ${WAIT_MINUTES.default}): how long the ready stack waits for the environment`,
    );
  }
  return { file, onStackDelete: (onStackDelete as OnStackDelete | undefined) ?? ON_STACK_DELETE.keep, waitMinutes: minutes };
}

function parseNetwork(vpc: string | undefined, subnets: string | undefined): NetworkDefaults {
  if (vpc === undefined && subnets === undefined) return { kind: 'default-vpc' };
  if (vpc === undefined || subnets === undefined) {
    throw new InputError('-c vpc=<vpc-id> and -c subnets=<subnet-id>[,<subnet-id>...] go together: give both, or neither to use the default VPC');
  }
  if (!VPC_ID.test(vpc)) throw new InputError(`-c vpc=${vpc} must be a VPC id such as vpc-0123456789abcdef0`);
  const subnetIds = subnets.split(',').map((id) => id.trim());
  const bad = subnetIds.filter((id) => !SUBNET_ID.test(id));
  if (bad.length > 0) {
    throw new InputError(`-c subnets=${subnets} must be a comma-separated list of subnet ids such as subnet-0123456789abcdef0 (bad: ${bad.join(', ')})`);
  }
  return { kind: 'given', vpcId: vpc, subnetIds };
}
