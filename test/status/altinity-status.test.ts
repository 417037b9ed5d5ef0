import type { AwsEnvStatus, EnvStatusError } from '../../lambda/altinity-api/client';
import { altinityStatusOf } from '../../lib/status/altinity';
import { renderText } from '../../lib/status/render';
import { buildStatusReport } from '../../lib/status/report';

/**
 * Altinity.Cloud's view of an environment as the status report words it, from statuses written here
 * in GetAWSEnvStatus's shape: the states by the ready stack's own rules, and what the text shows of
 * answers the stand-in of Altinity.Cloud does not give (many resources, errors during a deletion,
 * control characters in Altinity's messages). Nothing stands in for anything.
 */

function env(status: { applied: number; revision?: number; errors?: EnvStatusError[]; pendingDelete?: boolean; resources?: number }): AwsEnvStatus {
  return {
    name: 'acme-prod',
    specRevision: status.revision ?? 1,
    status: {
      appliedSpecRevision: status.applied,
      pendingDelete: status.pendingDelete ?? false,
      errors: status.errors ?? [],
      awsResources: Array.from({ length: status.resources ?? 0 }, (_, i) => ({
        id: `r-${i}`,
        arn: `arn:aws:ec2:eu-west-1:111122223333:r-${i}`,
        name: `r${i}`,
      })),
      loadBalancers: { internal: { endpointServiceName: null } },
      peeringConnections: [],
    },
  };
}

/** The environment's lines of the text report, from its first to the blank line before the next steps. */
function environmentLines(status: AwsEnvStatus | null): string[] {
  const report = buildStatusReport({ envName: 'acme-prod', stackName: 'altinity-connect-acme-prod', region: 'eu-west-1', now: new Date() }, undefined);
  const lines = renderText({ ...report, environment: { stacks: [], altinity: altinityStatusOf(status) } }).split('\n');
  const first = lines.findIndex((line) => line.startsWith('Environment:'));
  return lines.slice(first, lines.indexOf('', first));
}

const disconnected = { code: 'DISCONNECTED', message: 'cloud-connect is not connected' };

test.each([
  ['the latest revision applied', env({ applied: 2, revision: 2, resources: 1 }), 'ready (spec revision 2 applied)'],
  ['an update pending', env({ applied: 1, revision: 2 }), 'provisioning (revision 2 pending, revision 1 applied)'],
  [
    'DISCONNECTED before anything was applied, tolerated',
    env({ applied: 0, errors: [disconnected] }),
    "provisioning (waiting for the environment's first connection (DISCONNECTED: cloud-connect is not connected))",
  ],
  [
    'DISCONNECTED once provisioned, not tolerated',
    env({ applied: 1, revision: 2, errors: [disconnected] }),
    'failed (spec revision 2 pending, revision 1 applied)',
  ],
  [
    'a deletion under way, whatever else holds',
    env({ applied: 1, revision: 2, pendingDelete: true, resources: 4 }),
    'deleting (deprovisioning, AWS resources left: 4)',
  ],
])('%s', (_case, status, words) => {
  expect(environmentLines(status)[0]).toBe(`Environment:  acme-prod in Altinity.Cloud: ${words}`);
});

test('an absent environment is said so', () => {
  expect(environmentLines(null)).toEqual(['Environment:  acme-prod: not found in Altinity.Cloud']);
});

test('a few of the AWS resources, and how many more --json lists', () => {
  expect(environmentLines(env({ applied: 1, resources: 5 })).at(-1)).toBe(
    'Resources:    5 in AWS, as Altinity reports them: r0 (r-0), r1 (r-1), r2 (r-2) and 2 more (--json lists them all)',
  );
  expect(environmentLines(env({ applied: 1, resources: 3 })).at(-1)).toBe('Resources:    3 in AWS, as Altinity reports them: r0 (r-0), r1 (r-1), r2 (r-2)');
});

test("Altinity's errors during a deletion are in its progress, not listed again", () => {
  const errors = [{ code: 'CLOUD_PROVIDER_ACCESS_DENIED', message: 'not authorized to perform ec2:DeleteVpc' }];
  expect(environmentLines(env({ applied: 1, pendingDelete: true, errors, resources: 1 }))).toEqual([
    'Environment:  acme-prod in Altinity.Cloud: deleting (deprovisioning, AWS resources left: 1; Altinity reports CLOUD_PROVIDER_ACCESS_DENIED: not authorized to perform ec2:DeleteVpc)',
    'Resources:    1 in AWS, as Altinity reports them: r0 (r-0)',
  ]);
});

test("Altinity's texts reach the terminal on one line, without control characters, and cut", () => {
  const errors = [{ code: 'INTERNAL', message: `line one\nline two\u001b[2J${'x'.repeat(400)}` }];
  const [, line] = environmentLines(env({ applied: 1, errors }));
  expect(line).toMatch(/^Errors: {7}INTERNAL: line one line two \[2Jx+…$/);
  expect(Buffer.byteLength(line.slice(14))).toBeLessThanOrEqual(300);
});
