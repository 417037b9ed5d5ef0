import { randomBytes } from 'node:crypto';
import type { Answer } from './http';

/**
 * Stands in for the EC2 instance metadata service as the launch template configures it (IMDSv2
 * only: every read needs a token from PUT /latest/api/token): at 169.254.169.254:80 inside the
 * real-boot host's namespace, beside the AWS endpoint in the sandbox. It serves what a host reads of
 * it: its instance id and region, its role's credentials under iam/security-credentials/<role> (from
 * which the real boot's AWS CLI signs, as on EC2), and, for an instance of an Auto Scaling group
 * only, autoscaling/target-lifecycle-state.
 */

/** The instance the metadata describes: the one the test is booting. */
export interface InstanceIdentity {
  readonly instanceId: string;
  readonly region: string;
  /** The instance profile's role (its physical name in the stack). */
  readonly roleName: string;
  /** For an instance of an Auto Scaling group: its target lifecycle state, e.g. InService. */
  readonly targetLifecycleState?: string;
}

export interface MetadataRequest {
  readonly method: string;
  readonly path: string;
  /** Whether it carried a valid IMDSv2 token (a PUT for one needs none). */
  readonly withToken: boolean;
  readonly status: number;
}

export class InstanceMetadataService {
  readonly requests: MetadataRequest[] = [];
  /** The role credentials this instance's role hands out: the real boot's AWS proxy tells the host's calls by them. */
  readonly credentials = {
    AccessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
    SecretAccessKey: randomBytes(20).toString('base64'),
    Token: randomBytes(32).toString('base64'),
  };
  private identity: InstanceIdentity | undefined;
  private readonly tokens = new Set<string>();

  /** The instance being booted; undefined between boots, when every read fails as on no instance. */
  describe(identity: InstanceIdentity | undefined): void {
    this.identity = identity;
    this.requests.length = 0;
    this.tokens.clear();
  }

  readonly answer: Answer = (request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const method = request.method ?? 'GET';
    const token = request.headers['x-aws-ec2-metadata-token'];
    const withToken = typeof token === 'string' && this.tokens.has(token);
    const reply = (status: number, body = '', type = 'text/plain') => {
      this.requests.push({ method, path, withToken, status });
      response.writeHead(status, { 'content-type': type }).end(body);
    };
    if (path === '/latest/api/token') {
      if (method !== 'PUT') return reply(405);
      if (!request.headers['x-aws-ec2-metadata-token-ttl-seconds']) return reply(400);
      const issued = randomBytes(24).toString('base64');
      this.tokens.add(issued);
      return reply(200, issued);
    }
    if (!withToken) return reply(401);
    const values = this.metadata();
    const value = values?.get(path);
    if (value === undefined) return reply(404);
    reply(200, value.body, value.type);
  };

  private metadata(): Map<string, { body: string; type?: string }> | undefined {
    const identity = this.identity;
    if (!identity) return undefined;
    const now = new Date();
    const credentials = {
      Code: 'Success',
      LastUpdated: now.toISOString().replace(/\.\d+Z$/, 'Z'),
      Type: 'AWS-HMAC',
      ...this.credentials,
      Expiration: new Date(now.getTime() + 6 * 3600_000).toISOString().replace(/\.\d+Z$/, 'Z'),
    };
    const base = '/latest/meta-data';
    const entries: Array<[string, { body: string; type?: string }]> = [
      [`${base}/instance-id`, { body: identity.instanceId }],
      [`${base}/placement/region`, { body: identity.region }],
      [`${base}/iam/security-credentials/`, { body: identity.roleName }],
      [`${base}/iam/security-credentials/${identity.roleName}`, { body: JSON.stringify(credentials), type: 'application/json' }],
    ];
    if (identity.targetLifecycleState) entries.push([`${base}/autoscaling/target-lifecycle-state`, { body: identity.targetLifecycleState }]);
    return new Map(entries);
  }
}
