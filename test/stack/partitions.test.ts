/**
 * Stands in for creating the stack in AWS China (aws-cn) and AWS GovCloud (US) (aws-us-gov), which
 * cannot be reached from here. Two checks a deployment there would make first:
 * - the real cfn-lint, with those partitions' regions, on the published template: every resource
 *   type and property exists there;
 * - the template resolved with each partition's pseudo parameters, in every variant: every ARN is in
 *   that partition, and every AWS host name in its domain (`amazonaws.com.cn` in China), so that
 *   nothing names a commercial-only literal that IAM or KMS would refuse or never match.
 * Service principals (`ec2.amazonaws.com` in a trust policy, `iam:PassedToService`) are the one
 * exception: IAM accepts the `SERVICE.amazonaws.com` form in every partition, which is why CDK's
 * `@aws-cdk/aws-iam:standardizedServicePrincipals` writes only that form. Not verifiable here; the
 * AWS China and GovCloud user guides are what this relies on.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { publishTemplate } from '../../lib/release/publish';
import { TemplateEvaluator, parameterValues } from '../../lib/docs/template-evaluator';
import {
  asTheCdkCliSendsIt,
  type CfnTemplate,
  consoleModeTemplate,
  environmentModeInput,
  environmentModeTemplates,
  TEST_TEMPLATE_VERSION,
  stagedApiTokenName,
} from '../support/templates';

const PARTITIONS = [
  { partition: 'aws-cn', region: 'cn-north-1', urlSuffix: 'amazonaws.com.cn' },
  { partition: 'aws-us-gov', region: 'us-gov-west-1', urlSuffix: 'amazonaws.com' },
] as const;

/** Where IAM takes a service principal: the trust policy's Service and the PassRole condition. */
const SERVICE_PRINCIPAL_PATHS = [/\.Principal\.Service(\[\d+\])?$/, /\.Condition\.StringEquals\.iam:PassedToService$/];

test('cfn-lint finds nothing in the published template for regions of aws-cn and aws-us-gov', () => {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'partitions-'));
  try {
    const file = publishTemplate(TEST_TEMPLATE_VERSION, outDir);
    const regions = PARTITIONS.map(({ region }) => region);
    let output = '';
    try {
      output = execFileSync('cfn-lint', ['--format', 'parseable', '--regions', ...regions, '--', file], {
        cwd: path.join(__dirname, '..', '..'),
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (error) {
      const failed = error as { stdout?: string; stderr?: string; status?: number };
      output = `exit ${failed.status}\n${failed.stdout ?? ''}${failed.stderr ?? ''}`;
    }
    expect(output.trim()).toBe('');
  } finally {
    fs.rmSync(outDir, { recursive: true, force: true });
  }
});

describe.each(PARTITIONS)('in $partition ($region)', ({ partition, region, urlSuffix }) => {
  const template = consoleModeTemplate();
  const account = '123456789012';
  const variants: Record<string, Record<string, string>> = {
    'one host, documented': {},
    'a group, restricted, with a boundary and break glass': {
      Replicas: '2',
      PermissionProfile: 'restricted',
      PermissionsBoundaryArn: `arn:${partition}:iam::${account}:policy/corp-boundary`,
      BreakGlass: 'enabled',
      BreakGlassExternalId: 'acme-support-1',
      BreakGlassPrincipal: `arn:${partition}:iam::${account}:role/AltinitySupport`,
    },
    'an existing certificate, current': { Token: '', ExistingCertificateParameter: '/corp/cloud-connect.pem', PermissionProfile: 'current' },
  };

  test.each(Object.keys(variants))('%s: every ARN is in the partition, every AWS host name in its domain', (variant) => {
    const values = { EnvName: 'acme-prod', Token: 'x', VpcId: 'vpc-1', SubnetIds: 'subnet-1,subnet-2', ...variants[variant] };
    const pseudo: Record<string, string> = {
      'AWS::Partition': partition,
      'AWS::Region': region,
      'AWS::URLSuffix': urlSuffix,
      'AWS::AccountId': account,
      'AWS::StackName': 'altinity-connect-acme-prod',
      'AWS::StackId': `arn:${partition}:cloudformation:${region}:${account}:stack/altinity-connect-acme-prod/1`,
    };
    const parameters = parameterValues(template, values);
    const evaluator = new TemplateEvaluator(template, {
      ref: (name) => pseudo[name] ?? (name in (template.Parameters ?? {}) ? parameters.ref(name) : `${name}-physical-id`),
      // What CloudFormation returns for the stack's own resources' ARNs, in the partition.
      attribute: (logicalId, attribute) => (attribute === 'Arn' ? `arn:${partition}:service:${region}:${account}:${logicalId}` : `${logicalId}-${attribute}`),
    });
    // The user data as text: its header names the settings, and the script handles the partition's domain itself.
    const resources = evaluator.resolve(withoutBase64(evaluator.present(template.Resources))) as Record<string, unknown>;
    const strings = stringsIn(resources, 'Resources');
    const foreignArns = strings.filter(
      ([, text]) => /\barn:(?!\$)/.test(text) && [...text.matchAll(/\barn:([a-z-]*):/g)].some(([, found]) => found !== partition),
    );
    const foreignHosts = strings.filter(
      ([where, text]) =>
        !SERVICE_PRINCIPAL_PATHS.some((pattern) => pattern.test(where)) &&
        [...text.matchAll(/[a-z0-9-]+\.amazonaws\.com(\.cn)?\b/g)].some(
          ([host]) => !host.endsWith(urlSuffix) || (urlSuffix === 'amazonaws.com' && host.endsWith('.cn')),
        ),
    );
    expect({ foreignArns, foreignHosts }).toEqual({ foreignArns: [], foreignHosts: [] });
    // The key SSM uses on the hosts' and the function's behalf: in China, its endpoint's domain.
    expect(JSON.stringify(resources)).toContain(`"kms:ViaService":"ssm.${region}.${urlSuffix}"`);
  });

  test('the default break-glass principal, which exists only in aws, is refused by a rule there; a principal given is not', () => {
    const rule = template.Rules!.BreakGlassSettings as { RuleCondition: unknown; Assertions: Array<{ Assert: unknown; AssertDescription: string }> };
    const refusals = (values: Record<string, string>) => {
      const parameters = parameterValues(template, { BreakGlass: 'enabled', BreakGlassExternalId: 'acme-support-1', ...values });
      const evaluator = new TemplateEvaluator(template, { ref: (name) => (name === 'AWS::Partition' ? partition : parameters.ref(name)) });
      expect(evaluator.truth(rule.RuleCondition)).toBe(true);
      return rule.Assertions.filter((assertion) => !evaluator.truth(assertion.Assert)).map((assertion) => assertion.AssertDescription);
    };
    expect(refusals({})).toEqual([expect.stringMatching(/BreakGlassPrincipal/)]);
    expect(refusals({ BreakGlassPrincipal: `arn:${partition}:iam::123456789012:role/AltinitySupport` })).toEqual([]);
  });
});

function withoutBase64(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutBase64);
  if (!node || typeof node !== 'object') return node;
  if ('Fn::Base64' in node) return withoutBase64((node as { 'Fn::Base64': unknown })['Fn::Base64']);
  return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, withoutBase64(value)]));
}

/** Every string in `node` with where it sits, as `Resources.Host.Properties...`. */
function stringsIn(node: unknown, where: string): Array<[string, string]> {
  if (typeof node === 'string') return [[where, node]];
  if (Array.isArray(node)) return node.flatMap((item, index) => stringsIn(item, `${where}[${index}]`));
  if (node && typeof node === 'object') return Object.entries(node).flatMap(([key, value]) => stringsIn(value, `${where}.${key}`));
  return [];
}

describe("API-token mode's stacks", () => {
  const envName = environmentModeInput().envName;
  const stagedApiToken = stagedApiTokenName(envName);
  // The guide's example: an environment file may itself name ARNs (a permissions boundary), which are the user's to get right.
  const parameter = environmentModeTemplates();
  const staged = environmentModeTemplates({ stagedApiToken });

  test('cfn-lint finds nothing in the cloud, connect and ready templates for regions of aws-cn and aws-us-gov', () => {
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'partitions-environment-'));
    try {
      const templates = { 'cloud-parameter': parameter.cloud, 'cloud-staged': staged.cloud, connect: parameter.connect, ready: parameter.ready };
      const files = Object.entries(templates).map(([name, template]) => {
        const file = path.join(outDir, `${name}.yaml`);
        fs.writeFileSync(file, asTheCdkCliSendsIt(template));
        return file;
      });
      let output = '';
      try {
        output = execFileSync('cfn-lint', ['--format', 'parseable', '--regions', ...PARTITIONS.map(({ region }) => region), '--', ...files], {
          cwd: path.join(__dirname, '..', '..'),
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        });
      } catch (error) {
        const failed = error as { stdout?: string; stderr?: string; status?: number };
        output = `exit ${failed.status}\n${failed.stdout ?? ''}${failed.stderr ?? ''}`;
      }
      expect(output.trim()).toBe('');
    } finally {
      fs.rmSync(outDir, { recursive: true, force: true });
    }
  });

  // The ready stack is left out: it names no ARN or host, only the cloud stack's export (Fn::ImportValue, which the evaluator does not resolve).
  describe.each(PARTITIONS)('in $partition ($region)', ({ partition, region, urlSuffix }) => {
    const account = '123456789012';
    const variants: Record<string, CfnTemplate> = {
      'the cloud stack, API token as a parameter': parameter.cloud,
      'the cloud stack, API token staged': staged.cloud,
      'the connect stack': parameter.connect,
    };

    test.each(Object.keys(variants))('%s: every ARN is in the partition, every AWS host name in its domain', (variant) => {
      const template = variants[variant];
      const pseudo: Record<string, string> = {
        'AWS::Partition': partition,
        'AWS::Region': region,
        'AWS::URLSuffix': urlSuffix,
        'AWS::AccountId': account,
        'AWS::StackName': 'altinity-stack',
        'AWS::StackId': `arn:${partition}:cloudformation:${region}:${account}:stack/altinity-stack/1`,
      };
      const parameters = parameterValues(template, { ApiToken: 'x' });
      const evaluator = new TemplateEvaluator(template, {
        ref: (name) => pseudo[name] ?? (name in (template.Parameters ?? {}) ? parameters.ref(name) : `${name}-physical-id`),
        attribute: (logicalId, attribute) => (attribute === 'Arn' ? `arn:${partition}:service:${region}:${account}:${logicalId}` : `${logicalId}-${attribute}`),
      });
      const resources = evaluator.resolve(withoutBase64(evaluator.present(template.Resources))) as Record<string, unknown>;
      const strings = stringsIn(resources, 'Resources');
      const foreignArns = strings.filter(
        ([, text]) => /\barn:(?!\$)/.test(text) && [...text.matchAll(/\barn:([a-z-]*):/g)].some(([, found]) => found !== partition),
      );
      const foreignHosts = strings.filter(
        ([where, text]) =>
          !SERVICE_PRINCIPAL_PATHS.some((pattern) => pattern.test(where)) &&
          [...text.matchAll(/[a-z0-9-]+\.amazonaws\.com(\.cn)?\b/g)].some(
            ([host]) => !host.endsWith(urlSuffix) || (urlSuffix === 'amazonaws.com' && host.endsWith('.cn')),
          ),
      );
      expect({ foreignArns, foreignHosts }).toEqual({ foreignArns: [], foreignHosts: [] });
      // The key SSM uses on the function's and the hosts' behalf: in China, its endpoint's domain.
      expect(JSON.stringify(resources)).toContain(`"kms:ViaService":"ssm.${region}.${urlSuffix}"`);
    });
  });
});
