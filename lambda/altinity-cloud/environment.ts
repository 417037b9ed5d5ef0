import type { CloudFunctionSettings, EnvironmentData, EnvironmentProperties } from '../../lib/shared/cloud-stack-contract';
import { withConsoleFields } from '../../lib/shared/console-environment';
import { readyStackNameFor } from '../../lib/shared/conventions';
import { type EnvironmentSpec, EnvironmentSpecError, immutableChanges, validateEnvironmentSpec } from '../../lib/shared/environment-spec';
import { CodedFailure, ENVIRONMENT_FAILURES } from '../../lib/shared/failures';
import type { AltinityApi, AwsEnv, AwsEnvCreateSpec } from '../altinity-api/client';
import { sanitized } from '../altinity-api/failures';
import { reasonOf, withDeadline } from '../shared/custom-resource';

/**
 * The environment resource: the environment's specification in Altinity.Cloud, for the cloud
 * stack's own account and region. Create and Update both make Altinity.Cloud hold the file's
 * specification: they create the environment when it does not exist, and otherwise update what may
 * change, after comparing what Altinity.Cloud holds with the file, so that a field fixed at creation
 * is refused before anything is sent, and nothing is sent when nothing differs (a new revision would
 * make the ready stack wait again). They do not wait: the ready stack does, after the hosts. Delete
 * leaves the environment alone: the ready stack's deletion, which comes before the hosts', deletes it
 * when the user opted in.
 */

/** Create and Update alike; Update compares with what Altinity.Cloud holds, not with the old properties, which a rollback sends as new ones though they were never applied. */
export async function applyEnvironment(
  properties: Partial<EnvironmentProperties>,
  settings: CloudFunctionSettings,
  altinity: AltinityApi,
): Promise<EnvironmentData> {
  return apply(specOf(properties, settings), settings, altinity);
}

/** How long the Delete may look the environment up, for its log only: the look must not hold up the stack's deletion. */
const DELETE_LOOKUP_MS = 20_000;

/** Says whether the environment stays; a failure to look (the token may be revoked by now) leaves the Delete to succeed. */
export async function deleteEnvironment(
  settings: CloudFunctionSettings,
  altinity: () => Promise<AltinityApi>,
  lookupMs = DELETE_LOOKUP_MS,
): Promise<undefined> {
  const [name, ready] = [settings.envName, readyStackNameFor(settings.envName)];
  const { account, region } = whereOf(settings);
  try {
    const held = await withDeadline(
      altinity().then((api) => api.awsEnv(name)),
      lookupMs,
      'no answer from Altinity.Cloud',
    );
    if (!held) console.log(`${name} is not in Altinity.Cloud any more: the environment resource has nothing to leave`);
    else if (held.spec.awsAccountID !== account || held.spec.region !== region) {
      console.log(
        `${name} in Altinity.Cloud is for account ${held.spec.awsAccountID}, ${held.spec.region}, not this stack's: the stack never had it, and left it alone`,
      );
    } else {
      console.log(
        `${name} stays in Altinity.Cloud: the environment resource leaves it to ${ready}, whose deletion deletes it only when its OnStackDelete says so`,
      );
    }
  } catch (error) {
    console.log(
      `the environment resource leaves ${name} to ${ready}, whose deletion deleted it or left it as its OnStackDelete said (not looked up in Altinity.Cloud: ${reasonOf(error)})`,
    );
  }
  return undefined;
}

async function apply(spec: EnvironmentSpec, settings: CloudFunctionSettings, altinity: AltinityApi): Promise<EnvironmentData> {
  const { account, region } = whereOf(settings);
  const name = settings.envName;
  const existing = await altinity.awsEnv(name);
  if (!existing) {
    const created = await altinity.createAwsEnv(name, { ...spec, awsAccountID: account, region } as AwsEnvCreateSpec);
    console.log(`created ${name} in Altinity.Cloud for account ${account}, ${region}: revision ${created.specRevision}`);
    return { SpecRevision: String(created.specRevision) };
  }
  if (existing.spec.awsAccountID !== account || existing.spec.region !== region) {
    throw new CodedFailure(
      ENVIRONMENT_FAILURES.environmentElsewhere,
      `${name} exists in Altinity.Cloud for account ${existing.spec.awsAccountID}, ${existing.spec.region}, not for this stack's ${account}, ${region}: choose another name.`,
    );
  }
  const fixed = immutableChanges(asHeld(existing, spec), spec);
  if (fixed.length > 0) {
    throw new CodedFailure(
      ENVIRONMENT_FAILURES.immutableChange,
      sanitized(
        `${fixed.map((field) => `${field} (Altinity.Cloud holds ${JSON.stringify(heldValue(existing, field))})`).join(', ')} cannot change once the environment exists; nothing was sent to Altinity.Cloud.`,
      ),
    );
  }
  if (existing.specRevision === 0) console.log(`${name} exists in Altinity.Cloud already: the stack takes it over`);
  else if (holds(existing.spec, spec)) {
    console.log(`${name} in Altinity.Cloud holds the file's specification already: nothing sent, revision ${existing.specRevision} stays`);
    return { SpecRevision: String(existing.specRevision) };
  }
  const updated = await altinity.updateAwsEnv(name, spec);
  console.log(`updated ${name} in Altinity.Cloud: revision ${updated.specRevision}`);
  return { SpecRevision: String(updated.specRevision) };
}

/** The file's specification, validated again here: the console's template gives it unchecked, with its common fields as parameters of their own. */
function specOf(properties: Partial<EnvironmentProperties>, settings: CloudFunctionSettings): EnvironmentSpec {
  let parsed: unknown;
  try {
    parsed = JSON.parse(properties.Spec ?? '');
  } catch {
    throw new CodedFailure(ENVIRONMENT_FAILURES.specInvalid, 'the environment specification is not JSON');
  }
  const { file, problems } = withConsoleFields(parsed, properties.Fields ?? {});
  if (problems.length > 0) throw new CodedFailure(ENVIRONMENT_FAILURES.specInvalid, sanitized(`the console's parameters: ${problems.join('; ')}`));
  try {
    return validateEnvironmentSpec(file, { region: whereOf(settings).region });
  } catch (error) {
    if (error instanceof EnvironmentSpecError)
      throw new CodedFailure(ENVIRONMENT_FAILURES.specInvalid, sanitized(`the environment specification: ${error.problems.join('; ')}`));
    throw error;
  }
}

/**
 * What Altinity.Cloud holds, in the file's shape: for each field the file gives, Altinity's value
 * (a field Altinity leaves null counts as absent), so that only a field the file sets can differ.
 */
function asHeld(existing: AwsEnv, spec: EnvironmentSpec): EnvironmentSpec {
  const held = existing.spec as unknown as Record<string, unknown>;
  return Object.fromEntries(Object.keys(spec).map((field) => [field, held[field] ?? undefined])) as EnvironmentSpec;
}

/** Whether `held` has every value `wanted` gives: objects by the fields `wanted` has (what Altinity adds is no difference), lists entry by entry. */
function holds(held: unknown, wanted: unknown): boolean {
  if (Array.isArray(wanted)) return Array.isArray(held) && held.length === wanted.length && wanted.every((entry, i) => holds(held[i], entry));
  if (typeof wanted !== 'object' || wanted === null) return held === wanted;
  return typeof held === 'object' && held !== null && Object.entries(wanted).every(([field, value]) => holds((held as Record<string, unknown>)[field], value));
}

function heldValue(existing: AwsEnv, path: string): unknown {
  return path.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], existing.spec);
}

/** The cloud stack's account and region, from its id: the environment is always the stack's own. */
function whereOf(settings: CloudFunctionSettings): { account: string; region: string } {
  const [, , , region, account] = settings.stackId.split(':');
  return { account, region };
}
