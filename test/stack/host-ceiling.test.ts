import { execFileSync } from 'node:child_process';
import { SCOPED_IAM_STATEMENTS } from '../../lib/constructs/host-identity';
import { HOST_INSTANCE_PROFILE_LOGICAL_ID, HOST_ROLE_LOGICAL_ID, SECRET_STORE_LOGICAL_IDS } from '../../lib/shared/names';
import { parameterValues, TemplateEvaluator } from '../../lib/docs/template-evaluator';
import { interpreterOf } from '../harness/tools';
import { evaluate, type PolicyStatement } from '../support/iam-policy';
import { template } from '../support/console-template';

/**
 * What the hosts' role may do to itself, to the boundary it runs under and to the IAM identities it
 * creates, per permission profile: the console template's policies for the role, resolved for one
 * account, evaluated as IAM evaluates them. Stand-in: test/support/iam-policy.ts for IAM's
 * evaluation, which moto_server does not do; of the AWS managed policies, IAMFullAccess is modelled
 * by its one statement (iam:* on everything), the others grant no IAM action.
 */

const ACCOUNT = '123456789012';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/altinity-connect-acme-HostRole-1A2B3C4D5E6F`;
const PROFILE = `arn:aws:iam::${ACCOUNT}:instance-profile/altinity-connect-acme-HostInstanceProfile-1A2B3C4D5E6F`;
const BOUNDARY = `arn:aws:iam::${ACCOUNT}:policy/acme-boundary`;
const OTHER_ROLE = `arn:aws:iam::${ACCOUNT}:role/acme-eks-cluster`;

/** The statements that apply to the hosts' role for these parameter values, with every reference resolved. */
function hostRoleStatements(values: Record<string, string>): PolicyStatement[] {
  const parameters = parameterValues(template, { EnvName: 'acme', Token: 'x', VpcId: 'vpc-1', SubnetIds: 'subnet-1', ...values });
  const pseudo: Record<string, string> = {
    'AWS::Partition': 'aws',
    'AWS::AccountId': ACCOUNT,
    'AWS::Region': 'us-east-1',
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackId': `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/altinity-connect-acme/1`,
  };
  const attributes: Record<string, string> = {
    [`${HOST_ROLE_LOGICAL_ID}.Arn`]: ROLE,
    [`${HOST_INSTANCE_PROFILE_LOGICAL_ID}.Arn`]: PROFILE,
    [`${SECRET_STORE_LOGICAL_IDS.key}.Arn`]: `arn:aws:kms:us-east-1:${ACCOUNT}:key/1`,
  };
  const evaluator = new TemplateEvaluator(template, {
    ref: (name) => (name === HOST_ROLE_LOGICAL_ID ? ROLE : (pseudo[name] ?? parameters.ref(name))),
    attribute: (logicalId, attribute) => attributes[`${logicalId}.${attribute}`],
  });
  const present = evaluator.present(template.Resources) as Record<string, { Type: string; Properties: any }>;
  const role = evaluator.resolve(present[HOST_ROLE_LOGICAL_ID].Properties) as {
    ManagedPolicyArns: string[];
    Policies: { PolicyDocument: { Statement: PolicyStatement[] } }[];
  };
  const attached = Object.values(present)
    .filter((resource) => resource.Type === 'AWS::IAM::Policy' && JSON.stringify(resource.Properties.Roles) === JSON.stringify([{ Ref: HOST_ROLE_LOGICAL_ID }]))
    .map((resource) => evaluator.resolve(resource.Properties.PolicyDocument) as { Statement: PolicyStatement[] });
  const managed = role.ManagedPolicyArns.some((arn) => arn.endsWith(':policy/IAMFullAccess'))
    ? [{ Effect: 'Allow' as const, Action: 'iam:*', Resource: '*' }]
    : [];
  return [...managed, ...role.Policies.flatMap((policy) => policy.PolicyDocument.Statement), ...attached.flatMap((document) => document.Statement)];
}

const PROFILES = ['documented', 'current', 'restricted'] as const;

describe('in every profile, the hosts cannot change their own role, instance profile or boundary', () => {
  const changes = [
    { action: 'iam:AttachRolePolicy', resource: ROLE },
    { action: 'iam:PutRolePolicy', resource: ROLE },
    { action: 'iam:DetachRolePolicy', resource: ROLE },
    { action: 'iam:UpdateAssumeRolePolicy', resource: ROLE },
    { action: 'iam:DeleteRolePermissionsBoundary', resource: ROLE },
    { action: 'iam:PutRolePermissionsBoundary', resource: ROLE },
    { action: 'iam:TagRole', resource: ROLE },
    { action: 'iam:RemoveRoleFromInstanceProfile', resource: PROFILE },
    { action: 'iam:CreatePolicyVersion', resource: BOUNDARY },
    { action: 'iam:SetDefaultPolicyVersion', resource: BOUNDARY },
    { action: 'iam:DeletePolicy', resource: BOUNDARY },
  ];

  test.each(PROFILES)('%s', (profile) => {
    const statements = hostRoleStatements({ PermissionProfile: profile, PermissionsBoundaryArn: BOUNDARY });
    for (const change of changes) expect({ ...change, decision: evaluate(statements, change) }).toEqual({ ...change, decision: 'explicitly denied' });
    // Reading itself stays possible, where the profile allows reading IAM at all.
    expect(evaluate(statements, { action: 'iam:GetRole', resource: ROLE })).toBe('allowed');
  });
});

describe('restricted, with a permissions boundary, holds every identity the hosts create or give policies to within that boundary', () => {
  const statements = hostRoleStatements({ PermissionProfile: 'restricted', PermissionsBoundaryArn: BOUNDARY });
  const withBoundary = (boundary?: string): Record<string, string> => (boundary ? { 'iam:PermissionsBoundary': boundary } : {});

  test.each([
    ['iam:CreateRole', OTHER_ROLE],
    ['iam:AttachRolePolicy', OTHER_ROLE],
    ['iam:PutRolePolicy', OTHER_ROLE],
    ['iam:PutUserPolicy', `arn:aws:iam::${ACCOUNT}:user/acme-clickhouse-backup`],
  ])('%s is allowed with the boundary, and refused without it or with another', (action, resource) => {
    expect(evaluate(statements, { action, resource, context: withBoundary(BOUNDARY) })).toBe('allowed');
    expect(evaluate(statements, { action, resource, context: withBoundary() })).toBe('explicitly denied');
    expect(evaluate(statements, { action, resource, context: withBoundary(`arn:aws:iam::${ACCOUNT}:policy/AdministratorAccessLike`) })).toBe(
      'explicitly denied',
    );
  });

  test('no identity loses its boundary', () => {
    expect(evaluate(statements, { action: 'iam:DeleteRolePermissionsBoundary', resource: OTHER_ROLE, context: withBoundary(BOUNDARY) })).toBe(
      'explicitly denied',
    );
  });

  test('what stays open, as the README says: passing a role it did not create, which no condition key can tell by its boundary', () => {
    expect(evaluate(statements, { action: 'iam:PassRole', resource: `arn:aws:iam::${ACCOUNT}:role/SomeAdministratorRole` })).toBe('allowed');
  });
});

test('restricted without a boundary may still create roles with policies of its own: the README says it is then no ceiling', () => {
  const statements = hostRoleStatements({ PermissionProfile: 'restricted' });
  expect(evaluate(statements, { action: 'iam:CreateRole', resource: OTHER_ROLE })).toBe('allowed');
  expect(evaluate(statements, { action: 'iam:AttachRolePolicy', resource: OTHER_ROLE })).toBe('allowed');
});

describe("the scoped statements' wildcards, against cfn-lint's catalog of IAM actions", () => {
  /** Altinity's iam.tf (restricted_iam_permissions): the role, policy, instance profile and OIDC provider statement. */
  const ALTINITY_ROLE_ACTIONS = [
    'CreateRole',
    'DeleteRole',
    'GetRole',
    'UpdateRole',
    'UpdateAssumeRolePolicy',
    'TagRole',
    'UntagRole',
    'ListRoleTags',
    'AttachRolePolicy',
    'DetachRolePolicy',
    'ListAttachedRolePolicies',
    'ListRolePolicies',
    'PutRolePolicy',
    'GetRolePolicy',
    'DeleteRolePolicy',
    'CreatePolicy',
    'DeletePolicy',
    'GetPolicy',
    'GetPolicyVersion',
    'ListPolicyVersions',
    'CreatePolicyVersion',
    'DeletePolicyVersion',
    'TagPolicy',
    'UntagPolicy',
    'ListPolicyTags',
    'CreateServiceLinkedRole',
    'DeleteServiceLinkedRole',
    'GetServiceLinkedRoleDeletionStatus',
    'CreateInstanceProfile',
    'DeleteInstanceProfile',
    'GetInstanceProfile',
    'AddRoleToInstanceProfile',
    'RemoveRoleFromInstanceProfile',
    'ListInstanceProfiles',
    'ListInstanceProfilesForRole',
    'TagInstanceProfile',
    'UntagInstanceProfile',
    'PassRole',
    'CreateOpenIDConnectProvider',
    'DeleteOpenIDConnectProvider',
    'GetOpenIDConnectProvider',
    'ListOpenIDConnectProviders',
    'TagOpenIDConnectProvider',
    'UntagOpenIDConnectProvider',
  ].map((name) => name.toLowerCase());

  /** Every IAM action, as the installed cfn-lint knows them (lower case). */
  function iamActions(): string[] {
    const python = interpreterOf(
      execFileSync('bash', ['-c', 'command -v cfn-lint'], { encoding: 'utf8' }).trim(),
      (command) => execFileSync('bash', ['-c', `command -v ${command} || true`], { encoding: 'utf8' }).trim() || undefined,
    );
    const script =
      'import cfnlint,json,os;print(json.dumps(list(json.load(open(os.path.join(os.path.dirname(cfnlint.__file__),"data/AdditionalSpecs/Policies.json")))["iam"]["Actions"])))';
    return JSON.parse(execFileSync(python ?? 'python3', ['-c', script], { encoding: 'utf8' })) as string[];
  }

  test("match every action of Altinity's statement, and beyond it only reads", () => {
    const catalog = iamActions();
    expect(catalog.length).toBeGreaterThan(150);
    const matched = new Set(
      catalog.filter((action) =>
        SCOPED_IAM_STATEMENTS.rolesAndPolicies.some((pattern) => new RegExp(`^${pattern.slice(4).toLowerCase().replace(/\*/g, '.*')}$`).test(action)),
      ),
    );
    expect(ALTINITY_ROLE_ACTIONS.filter((action) => !/^(get|list)/.test(action) && !matched.has(action))).toEqual([]);
    expect([...matched].filter((action) => !ALTINITY_ROLE_ACTIONS.includes(action) && !/^(get|list)/.test(action))).toEqual([]);
  });
});
