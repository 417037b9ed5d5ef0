/**
 * EnvironmentReadiness alone in a small stack, served by a function ARN imported as the ready stack
 * imports it: how many slices the wait takes (the default 3 hours and waits given), their readable
 * logical ids, their chain and properties, and the WhenDeleted output for each onStackDelete.
 * Nothing stands in for anything: the template is what is tested; what each slice does is tested in
 * test/lambda/.
 */
import { Duration, Fn } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EnvironmentReadiness, type EnvironmentReadinessProps, SLICE } from '../../lib/constructs/environment-readiness';
import { ON_STACK_DELETE, type OnStackDelete } from '../../lib/shared/cloud-stack-contract';
import { constructStack } from '../support/construct-stack';

const ENV = 'acme-prod';
const FUNCTION_EXPORT = 'altinity-cloud-acme-prod:FunctionArn';
const DIGEST = '0123456789abcdef';

function readinessIn(props: Partial<EnvironmentReadinessProps> = {}) {
  const stack = constructStack();
  const readiness = new EnvironmentReadiness(stack, 'Readiness', {
    serviceToken: Fn.importValue(FUNCTION_EXPORT),
    envName: ENV,
    specDigest: DIGEST,
    onStackDelete: ON_STACK_DELETE.keep,
    ...props,
  });
  const json = Template.fromStack(stack).toJSON();
  return { stack, readiness, resources: json.Resources as Record<string, any>, outputs: json.Outputs as Record<string, any> };
}

const ids = (count: number) => Array.from({ length: count }, (_, index) => `Ready${String(index + 1).padStart(2, '0')}`);

describe('EnvironmentReadiness', () => {
  test('waits 3 hours by default: twelve slices of 15 minutes, Ready01 to Ready12', () => {
    const { resources, readiness, stack } = readinessIn();
    expect(SLICE.toMinutes()).toBe(15);
    expect(Object.keys(resources)).toEqual(ids(12));
    expect(readiness.slices.map((slice) => stack.resolve(slice.ref))).toEqual(ids(12).map((id) => ({ Ref: id })));
  });

  test.each([
    [Duration.hours(1), 4],
    [Duration.minutes(20), 2],
    [Duration.minutes(15), 1],
    [Duration.minutes(1), 1],
    [Duration.hours(6), 24],
  ])('a wait of %s takes %i slice(s), enough to cover it', (wait, count) => {
    const { resources } = readinessIn({ wait });
    expect(Object.keys(resources)).toEqual(ids(count));
  });

  test('each slice waits for the one before it, so that CloudFormation creates them one after the other (and deletes them in reverse)', () => {
    const { resources } = readinessIn({ wait: Duration.hours(1) });
    expect(Object.fromEntries(Object.entries(resources).map(([id, resource]) => [id, resource.DependsOn]))).toEqual({
      Ready01: undefined,
      Ready02: ['Ready01'],
      Ready03: ['Ready02'],
      Ready04: ['Ready03'],
    });
  });

  test.each(Object.values(ON_STACK_DELETE))(
    'with onStackDelete %s, every slice carries the environment, the specification digest, the choice and the count, and waits a little over 15 minutes',
    (onStackDelete) => {
      const { resources } = readinessIn({ onStackDelete, wait: Duration.minutes(30) });
      for (const id of ids(2)) {
        expect({ id, resource: resources[id] }).toEqual({
          id,
          resource: expect.objectContaining({
            Type: 'Custom::AltinityEnvironmentReady',
            DeletionPolicy: 'Delete',
            Properties: {
              ServiceToken: { 'Fn::ImportValue': FUNCTION_EXPORT },
              ServiceTimeout: '960',
              EnvName: ENV,
              SpecDigest: DIGEST,
              OnStackDelete: onStackDelete,
              Slices: '2',
            },
          }),
        });
      }
    },
  );

  test.each<[OnStackDelete, RegExp[], RegExp[]]>([
    [
      'keep',
      [
        /^acme-prod stays in Altinity\.Cloud \(onStackDelete keep\)/,
        /delete it in the Altinity Cloud Manager/,
        /-c onStackDelete=delete before deleting this stack/,
      ],
      [/is deleted/],
    ],
    ['delete', [/^acme-prod is deleted from Altinity\.Cloud and deprovisioned/, /unless it has ClickHouse clusters$/], [/stays/, /data included/]],
    [
      'delete-with-clusters',
      [/^acme-prod is deleted from Altinity\.Cloud and deprovisioned/, /ClickHouse clusters and their data included$/],
      [/stays/, /unless/],
    ],
  ])('the WhenDeleted output says what deleting the stack does with onStackDelete %s', (onStackDelete, says, doesNotSay) => {
    const { outputs } = readinessIn({ onStackDelete });
    expect(Object.keys(outputs)).toEqual(['WhenDeleted']);
    expect(outputs.WhenDeleted.Description).toBe('What deleting this stack does to the environment in Altinity.Cloud');
    const text: string = outputs.WhenDeleted.Value;
    for (const phrase of says) expect(text).toMatch(phrase);
    for (const phrase of doesNotSay) expect(text).not.toMatch(phrase);
  });
});
