import type { AwsEnvStatus, EnvStatusError } from '../../../lambda/altinity-api/client';
import { deletion, readiness } from '../../../lambda/altinity-api/status';

/**
 * The decisions on an environment's status (lambda/altinity-api/status.ts), table by table, against
 * the rules of Altinity's Terraform provider (its status data source's wait and its resource's
 * Delete). Statuses are written here in GetAWSEnvStatus's shape; nothing stands in for Altinity.
 */

function env(status: { applied: number; errors?: EnvStatusError[]; pendingDelete?: boolean; resources?: number }): AwsEnvStatus {
  return {
    name: 'acme-prod',
    specRevision: 3,
    status: {
      appliedSpecRevision: status.applied,
      pendingDelete: status.pendingDelete ?? false,
      errors: status.errors ?? [],
      awsResources: Array.from({ length: status.resources ?? 0 }, (_, i) => ({ id: `r-${i}`, arn: `arn:aws:ec2:::r-${i}`, name: `r${i}` })),
      loadBalancers: { internal: { endpointServiceName: null } },
      peeringConnections: [],
    },
  };
}

const disconnected = { code: 'DISCONNECTED', message: 'cloud-connect is not connected' };
const k8sDisconnected = { code: 'K8S_DISCONNECTED', message: 'the cluster is not connected' };
const accessDenied = { code: 'CLOUD_PROVIDER_ACCESS_DENIED', message: 'not authorized to perform ec2:CreateVpc' };
const quota = { code: 'CLOUD_PROVIDER_QUOTA_EXCEEDED', message: 'vCPU limit reached' };

describe('readiness', () => {
  test.each([
    ['the target applied', env({ applied: 3 }), 3, { state: 'ready' }],
    ['a later revision applied', env({ applied: 4 }), 3, { state: 'ready' }],
    ['the target pending', env({ applied: 2 }), 3, { state: 'waiting', progress: 'revision 3 pending, revision 2 applied' }],
    ['nothing applied yet', env({ applied: 0 }), 1, { state: 'waiting', progress: 'revision 1 pending, revision 0 applied' }],
    [
      'DISCONNECTED before the first provisioning',
      env({ applied: 0, errors: [disconnected] }),
      1,
      { state: 'waiting', progress: "waiting for the environment's first connection (DISCONNECTED: cloud-connect is not connected)" },
    ],
    [
      'K8S_DISCONNECTED before the first provisioning',
      env({ applied: 0, errors: [k8sDisconnected] }),
      1,
      { state: 'waiting', progress: "waiting for the environment's first connection (K8S_DISCONNECTED: the cluster is not connected)" },
    ],
    [
      'DISCONNECTED once provisioned',
      env({ applied: 1, errors: [disconnected] }),
      2,
      { state: 'failed', reason: 'DISCONNECTED: cloud-connect is not connected' },
    ],
    [
      'K8S_DISCONNECTED once provisioned',
      env({ applied: 1, errors: [k8sDisconnected] }),
      2,
      { state: 'failed', reason: 'K8S_DISCONNECTED: the cluster is not connected' },
    ],
    [
      'another error, before readiness is looked at',
      env({ applied: 3, errors: [accessDenied] }),
      3,
      { state: 'failed', reason: `${accessDenied.code}: ${accessDenied.message}` },
    ],
    [
      'another error beside a tolerated one: only the blocking errors',
      env({ applied: 0, errors: [disconnected, quota] }),
      1,
      { state: 'failed', reason: 'CLOUD_PROVIDER_QUOTA_EXCEEDED: vCPU limit reached' },
    ],
    [
      'several errors, each CODE: message',
      env({ applied: 1, errors: [accessDenied, quota] }),
      2,
      { state: 'failed', reason: `${accessDenied.code}: ${accessDenied.message}; ${quota.code}: ${quota.message}` },
    ],
    ['no environment', null, 1, { state: 'failed', reason: 'the environment does not exist in Altinity.Cloud' }],
  ])('%s', (_, status, target, expected) => {
    expect(readiness(status, target)).toEqual(expected);
  });

  test("Altinity's message reaches the reason on one line, bounded in bytes as CloudFormation counts them", () => {
    const reasonFor = (message: string) => {
      const decided = readiness(env({ applied: 1, errors: [{ code: 'INTERNAL', message }] }), 2);
      return decided.state === 'failed' ? decided.reason : '';
    };
    const ascii = reasonFor(`quota\nexceeded\u0000\u2028${'x'.repeat(3000)}`);
    expect(ascii).toMatch(/^INTERNAL: quota exceeded x+…$/);
    expect(Buffer.byteLength(ascii)).toBe(1000);
    // Characters of two to four bytes: 1,000 characters would be up to 4,000 bytes, the whole response's limit.
    const wide = reasonFor('€'.repeat(3000));
    expect(wide).toMatch(/^INTERNAL: €+…$/);
    expect(Buffer.byteLength(wide)).toBeLessThanOrEqual(1000);
    expect(Buffer.byteLength(wide)).toBeGreaterThan(990);
  });
});

describe('deletion', () => {
  test.each([
    ['the environment gone', null, false, {}, { state: 'deleted' }],
    ['gone, though MFA was asked', null, true, {}, { state: 'deleted' }],
    [
      'pending deletion',
      env({ applied: 2, pendingDelete: true, resources: 3 }),
      false,
      {},
      { state: 'deleting', progress: 'deprovisioning, AWS resources left: 3' },
    ],
    [
      'pending deletion with errors: they show, and do not fail it',
      env({ applied: 2, pendingDelete: true, resources: 1, errors: [disconnected] }),
      false,
      {},
      { state: 'deleting', progress: 'deprovisioning, AWS resources left: 1; Altinity reports DISCONNECTED: cloud-connect is not connected' },
    ],
    [
      'pending deletion after the MFA confirmation',
      env({ applied: 2, pendingDelete: true }),
      true,
      {},
      { state: 'deleting', progress: 'deprovisioning, AWS resources left: 0' },
    ],
    ['no longer pending deletion, no MFA asked', env({ applied: 2 }), false, {}, { state: 'deleted' }],
    ['waiting for the MFA confirmation', env({ applied: 2 }), true, {}, { state: 'pending-mfa' }],
    ['still waiting for it, while the caller waits on', env({ applied: 2 }), true, { mfaWaitOver: false }, { state: 'pending-mfa' }],
    [
      'the MFA confirmation not given in time',
      env({ applied: 2 }),
      true,
      { mfaWaitOver: true },
      {
        state: 'failed',
        reason: 'Altinity.Cloud asked for MFA confirmation of the deletion, which did not come: confirm it within about 5 minutes of asking again',
      },
    ],
  ])('%s', (_, status, pendingMFA, options, expected) => {
    expect(deletion(status, pendingMFA, options)).toEqual(expected);
  });
});
