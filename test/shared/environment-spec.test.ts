import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import {
  type DocumentedField,
  ENVIRONMENT_SCHEMA_FILE,
  type EnvironmentSpec,
  EnvironmentSpecError,
  environmentFieldReference,
  environmentJsonSchema,
  immutableChanges,
  type RefusedField,
  validateEnvironmentSpec,
} from '../../lib/shared/environment-spec';

/**
 * The environment file's specification: its defaults, every check with a value refused and one
 * accepted, the fields fixed at creation, the published JSON Schema, against which ajv must
 * judge as the validator does wherever a schema can say it, and the fields as the reference in
 * docs/ lists them. Nothing stands in for anything.
 */

const REGION = 'us-east-1';

/** The Terraform example of Altinity's provisioning guide, in the field names of Altinity's GraphQL schema. */
const GUIDE_EXAMPLE = {
  zones: ['us-east-1a', 'us-east-1b'],
  cidr: '10.67.0.0/21',
  loadBalancers: { public: { enabled: true, sourceIPRanges: ['0.0.0.0/0'] } },
  nodeGroups: [
    { nodeType: 't4g.large', capacityPerZone: 10, reservations: ['SYSTEM', 'ZOOKEEPER'] },
    { nodeType: 'm6i.large', capacityPerZone: 10, reservations: ['CLICKHOUSE'] },
  ],
  cloudConnect: true,
};

/** The problems the validator finds in `input`, none when it accepts it. */
function problemsOf(input: unknown, region = REGION): readonly string[] {
  try {
    validateEnvironmentSpec(input, { region });
    return [];
  } catch (error) {
    if (error instanceof EnvironmentSpecError) return error.problems;
    throw error;
  }
}

const valid = (input: object) => validateEnvironmentSpec(input, { region: REGION });

describe('defaults', () => {
  test("an empty file is the guide's example, every default written out", () => {
    expect(valid({})).toEqual({
      zones: ['us-east-1a', 'us-east-1b'],
      cidr: '10.67.0.0/21',
      NAT: false,
      nodeGroups: [
        { nodeType: 't4g.large', name: 't4g.large', zones: ['us-east-1a', 'us-east-1b'], capacityPerZone: 10, reservations: ['SYSTEM', 'ZOOKEEPER'] },
        { nodeType: 'm6i.large', name: 'm6i.large', zones: ['us-east-1a', 'us-east-1b'], capacityPerZone: 10, reservations: ['CLICKHOUSE'] },
      ],
      loadBalancers: {
        public: { enabled: true, sourceIPRanges: ['0.0.0.0/0'], crossZone: false },
        internal: { enabled: false, sourceIPRanges: ['0.0.0.0/0'], crossZone: false, endpointServiceAllowedPrincipals: [] },
      },
      tags: [],
      cloudConnect: true,
    });
    expect(valid(GUIDE_EXAMPLE)).toEqual(valid({}));
  });

  test("the default zones are the stack's region's first two", () => {
    expect(validateEnvironmentSpec({}, { region: 'eu-west-1' }).zones).toEqual(['eu-west-1a', 'eu-west-1b']);
  });

  test("where the account's zones are known, the default is their first two, and no other zone is accepted", () => {
    // ap-northeast-1 has no 1b for most accounts: the names alone would default to a zone that does not exist.
    const context = { region: 'ap-northeast-1', availabilityZones: ['ap-northeast-1a', 'ap-northeast-1c', 'ap-northeast-1d'] };
    expect(validateEnvironmentSpec({}, context).zones).toEqual(['ap-northeast-1a', 'ap-northeast-1c']);
    expect(() => validateEnvironmentSpec({ zones: ['ap-northeast-1a', 'ap-northeast-1b'] }, context)).toThrow(
      'the environment specification: zones[1]: ap-northeast-1b is not available to this account in ap-northeast-1: name one of ap-northeast-1a, ap-northeast-1c, ap-northeast-1d',
    );
  });

  test("a group takes its name from its nodeType, the environment's zones, and every workload, unless told otherwise", () => {
    const spec = valid({
      zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
      nodeGroups: [
        { nodeType: 'm6i.xlarge', capacityPerZone: 3 },
        { name: 'keeper', nodeType: 't4g.large', zones: ['us-east-1c'], capacityPerZone: 1, reservations: ['ZOOKEEPER'] },
      ],
    });
    expect(spec.nodeGroups).toEqual([
      {
        nodeType: 'm6i.xlarge',
        name: 'm6i.xlarge',
        zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
        capacityPerZone: 3,
        reservations: ['SYSTEM', 'CLICKHOUSE', 'ZOOKEEPER'],
      },
      { nodeType: 't4g.large', name: 'keeper', zones: ['us-east-1c'], capacityPerZone: 1, reservations: ['ZOOKEEPER'] },
    ]);
  });

  test('a load balancer given in part keeps the defaults of the rest', () => {
    expect(valid({ loadBalancers: { internal: { enabled: true } } }).loadBalancers).toEqual({
      public: { enabled: true, sourceIPRanges: ['0.0.0.0/0'], crossZone: false },
      internal: { enabled: true, sourceIPRanges: ['0.0.0.0/0'], crossZone: false, endpointServiceAllowedPrincipals: [] },
    });
  });

  test('the optional fields with no default stay absent, and are kept when given', () => {
    expect(valid({})).not.toHaveProperty('permissionsBoundaryPolicyArn');
    expect(valid({})).not.toHaveProperty('resourcePrefix');
    const arn = 'arn:aws:iam::123456789012:policy/altinity-boundary';
    expect(valid({ permissionsBoundaryPolicyArn: arn, resourcePrefix: 'acme' })).toMatchObject({ permissionsBoundaryPolicyArn: arn, resourcePrefix: 'acme' });
  });
});

/** Each check: a specification it refuses with the exact message, and one like it that it accepts. */
const CHECKS: readonly { readonly check: string; readonly refused: object; readonly problem: string; readonly accepted: object }[] = [
  {
    check: 'at least 2 zones',
    refused: { zones: ['us-east-1a'] },
    problem: 'zones: must have at least 2 entries, not 1',
    accepted: { zones: ['us-east-1a', 'us-east-1c', 'us-east-1d'] },
  },
  {
    check: 'zones are a list',
    refused: { zones: 'us-east-1a,us-east-1b' },
    problem: 'zones: must be a list of at least 2 entries, each an availability zone of the stack\'s region, such as us-east-1a, not "us-east-1a,us-east-1b"',
    accepted: { zones: ['us-east-1a', 'us-east-1b'] },
  },
  {
    check: 'a zone is named as a zone',
    refused: { zones: ['us-east-1a', 'us-east-1'] },
    problem: 'zones[1]: must be an availability zone of the stack\'s region, such as us-east-1a, not "us-east-1"',
    accepted: { zones: ['us-east-1a', 'us-east-1f'] },
  },
  {
    check: "zones of the stack's region",
    refused: { zones: ['us-east-1a', 'us-east-2b'] },
    problem: "zones[1]: us-east-2b is not a zone of the stack's region us-east-1: name one such as us-east-1a",
    accepted: { zones: ['us-east-1a', 'us-east-1b'] },
  },
  {
    check: 'each zone once',
    refused: { zones: ['us-east-1a', 'us-east-1b', 'us-east-1a'] },
    problem: 'zones[2]: "us-east-1a" is also zones[0]: each entry must be different',
    accepted: { zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'] },
  },
  {
    check: 'the CIDR is private (RFC 1918)',
    refused: { cidr: '100.64.0.0/21' },
    problem: 'cidr: must be a private IPv4 network (RFC 1918) of /16 to /21 in CIDR notation, such as 10.67.0.0/21, not "100.64.0.0/21"',
    accepted: { cidr: '172.16.0.0/21' },
  },
  {
    check: 'the CIDR is inside 172.16.0.0/12, not merely near it',
    refused: { cidr: '172.32.0.0/16' },
    problem: 'cidr: must be a private IPv4 network (RFC 1918) of /16 to /21 in CIDR notation, such as 10.67.0.0/21, not "172.32.0.0/16"',
    accepted: { cidr: '172.31.248.0/21' },
  },
  {
    check: 'the CIDR is at least /21',
    refused: { cidr: '10.67.0.0/22' },
    problem: 'cidr: must be a private IPv4 network (RFC 1918) of /16 to /21 in CIDR notation, such as 10.67.0.0/21, not "10.67.0.0/22"',
    accepted: { cidr: '10.67.0.0/20' },
  },
  {
    check: "the CIDR is at most AWS's largest VPC, /16",
    refused: { cidr: '10.0.0.0/8' },
    problem: 'cidr: must be a private IPv4 network (RFC 1918) of /16 to /21 in CIDR notation, such as 10.67.0.0/21, not "10.0.0.0/8"',
    accepted: { cidr: '192.168.0.0/16' },
  },
  {
    check: 'the CIDR is a valid address',
    refused: { cidr: '10.256.0.0/16' },
    problem: 'cidr: must be a private IPv4 network (RFC 1918) of /16 to /21 in CIDR notation, such as 10.67.0.0/21, not "10.256.0.0/16"',
    accepted: { cidr: '10.255.0.0/16' },
  },
  {
    check: "the CIDR is its network's first address",
    refused: { cidr: '10.67.4.0/21' },
    problem: 'cidr: 10.67.4.0/21 is not the first address of its network: write 10.67.0.0/21',
    accepted: { cidr: '10.67.8.0/21' },
  },
  {
    check: 'NAT is a boolean, not YAML 1.1 words',
    refused: { NAT: 'yes' },
    problem: 'NAT: must be true or false, not "yes"',
    accepted: { NAT: true },
  },
  {
    check: 'at least one node group',
    refused: { nodeGroups: [] },
    problem: 'nodeGroups: must have at least 1 entry, not 0',
    accepted: { nodeGroups: [{ nodeType: 'm6i.large', capacityPerZone: 1 }] },
  },
  {
    check: 'a node group has a nodeType',
    refused: { nodeGroups: [{ capacityPerZone: 10 }] },
    problem: 'nodeGroups[0].nodeType: is missing: it must be an EC2 instance type, such as m6i.large',
    accepted: { nodeGroups: [{ nodeType: 'm7i-flex.large', capacityPerZone: 10 }] },
  },
  {
    check: 'the nodeType is an instance type',
    refused: { nodeGroups: [{ nodeType: 'm6i large', capacityPerZone: 10 }] },
    problem: 'nodeGroups[0].nodeType: must be an EC2 instance type, such as m6i.large, not "m6i large"',
    accepted: { nodeGroups: [{ nodeType: 'm6i.large', capacityPerZone: 10 }] },
  },
  {
    check: 'capacityPerZone is at least 1',
    refused: { nodeGroups: [{ nodeType: 'm6i.large', capacityPerZone: 0 }] },
    problem: 'nodeGroups[0].capacityPerZone: must be an integer of at least 1, not 0',
    accepted: { nodeGroups: [{ nodeType: 'm6i.large', capacityPerZone: 1 }] },
  },
  {
    check: 'capacityPerZone is a whole number',
    refused: { nodeGroups: [{ nodeType: 'm6i.large', capacityPerZone: 2.5 }] },
    problem: 'nodeGroups[0].capacityPerZone: must be an integer of at least 1, not 2.5',
    accepted: { nodeGroups: [{ nodeType: 'm6i.large', capacityPerZone: 2 }] },
  },
  {
    check: 'capacityPerZone is a number, not text',
    refused: { nodeGroups: [{ nodeType: 'm6i.large', capacityPerZone: '10' }] },
    problem: 'nodeGroups[0].capacityPerZone: must be an integer of at least 1, not "10"',
    accepted: { nodeGroups: [{ nodeType: 'm6i.large', capacityPerZone: 10 }] },
  },
  {
    check: "reservations are Altinity's",
    refused: { nodeGroups: [{ nodeType: 'm6i.large', capacityPerZone: 10, reservations: ['SYSTEM', 'KEEPER'] }] },
    problem: 'nodeGroups[0].reservations[1]: must be one of SYSTEM, CLICKHOUSE, ZOOKEEPER, not "KEEPER"',
    accepted: { nodeGroups: [{ nodeType: 'm6i.large', capacityPerZone: 10, reservations: ['SYSTEM', 'ZOOKEEPER', 'CLICKHOUSE'] }] },
  },
  {
    check: 'a group has at least one reservation',
    refused: { nodeGroups: [{ nodeType: 'm6i.large', capacityPerZone: 10, reservations: [] }] },
    problem: 'nodeGroups[0].reservations: must have at least 1 entry, not 0',
    accepted: { nodeGroups: [{ nodeType: 'm6i.large', capacityPerZone: 10 }] },
  },
  {
    check: 'SYSTEM, CLICKHOUSE and ZOOKEEPER each have a group',
    refused: {
      nodeGroups: [
        { nodeType: 't4g.large', capacityPerZone: 10, reservations: ['SYSTEM'] },
        { nodeType: 'm6i.large', capacityPerZone: 10, reservations: ['CLICKHOUSE'] },
      ],
    },
    problem:
      "nodeGroups: no group is reserved for ZOOKEEPER: each of SYSTEM, CLICKHOUSE, ZOOKEEPER needs a group (add it to a group's reservations; a group without reservations takes all three)",
    accepted: {
      nodeGroups: [
        { nodeType: 't4g.large', capacityPerZone: 10, reservations: ['SYSTEM'] },
        { nodeType: 'm6i.large', capacityPerZone: 10, reservations: ['CLICKHOUSE', 'ZOOKEEPER'] },
      ],
    },
  },
  {
    check: "a group's zones are the environment's",
    refused: { nodeGroups: [{ nodeType: 'm6i.large', capacityPerZone: 10, zones: ['us-east-1a', 'us-east-1c'] }] },
    problem: "nodeGroups[0].zones[1]: us-east-1c is not one of the environment's zones (us-east-1a, us-east-1b): add it to zones, or leave it out here",
    accepted: {
      zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
      nodeGroups: [{ nodeType: 'm6i.large', capacityPerZone: 10, zones: ['us-east-1a', 'us-east-1c'] }],
    },
  },
  {
    check: 'group names are unique, the default name being the nodeType',
    refused: {
      nodeGroups: [
        { nodeType: 'm6i.large', capacityPerZone: 10, reservations: ['SYSTEM', 'ZOOKEEPER'] },
        { nodeType: 'm6i.large', capacityPerZone: 10, reservations: ['CLICKHOUSE'] },
      ],
    },
    problem:
      'nodeGroups[1].name: m6i.large is also the name of nodeGroups[0]: each name must be different (a group without a name is named after its nodeType)',
    accepted: {
      nodeGroups: [
        { nodeType: 'm6i.large', capacityPerZone: 10, reservations: ['SYSTEM', 'ZOOKEEPER'] },
        { name: 'clickhouse', nodeType: 'm6i.large', capacityPerZone: 10, reservations: ['CLICKHOUSE'] },
      ],
    },
  },
  {
    check: 'a source range is an IPv4 CIDR',
    refused: { loadBalancers: { public: { sourceIPRanges: ['203.0.113.7'] } } },
    problem: 'loadBalancers.public.sourceIPRanges[0]: must be an IPv4 range in CIDR notation, such as 203.0.113.0/24, not "203.0.113.7"',
    accepted: { loadBalancers: { public: { sourceIPRanges: ['203.0.113.7/32'] } } },
  },
  {
    check: 'a source range has a prefix of at most /32',
    refused: { loadBalancers: { internal: { sourceIPRanges: ['10.0.0.0/33'] } } },
    problem: 'loadBalancers.internal.sourceIPRanges[0]: must be an IPv4 range in CIDR notation, such as 203.0.113.0/24, not "10.0.0.0/33"',
    accepted: { loadBalancers: { internal: { sourceIPRanges: ['10.0.0.0/8'] } } },
  },
  {
    check: 'a load balancer allows at least one source range',
    refused: { loadBalancers: { public: { sourceIPRanges: [] } } },
    problem: 'loadBalancers.public.sourceIPRanges: must have at least 1 entry, not 0',
    accepted: { loadBalancers: { public: { sourceIPRanges: ['0.0.0.0/0'] } } },
  },
  {
    check: 'enabled is a boolean',
    refused: { loadBalancers: { public: { enabled: 'false' } } },
    problem: 'loadBalancers.public.enabled: must be true or false, not "false"',
    accepted: { loadBalancers: { public: { enabled: false } } },
  },
  {
    check: 'an endpoint principal is an IAM ARN',
    refused: { loadBalancers: { internal: { endpointServiceAllowedPrincipals: ['123456789012'] } } },
    problem:
      'loadBalancers.internal.endpointServiceAllowedPrincipals[0]: must be an IAM principal ARN, such as arn:aws:iam::123456789012:root, not "123456789012"',
    accepted: { loadBalancers: { internal: { endpointServiceAllowedPrincipals: ['arn:aws:iam::123456789012:root'] } } },
  },
  {
    check: 'a tag key is not empty',
    refused: { tags: [{ key: '', value: 'x' }] },
    problem: 'tags[0].key: must be a tag key of 1 to 128 characters, not starting with aws: in any case, not ""',
    accepted: { tags: [{ key: 'team', value: '' }] },
  },
  {
    check: "a tag key is not AWS's",
    refused: { tags: [{ key: 'aws:cloudformation:stack-name', value: 'x' }] },
    problem: 'tags[0].key: must be a tag key of 1 to 128 characters, not starting with aws: in any case, not "aws:cloudformation:stack-name"',
    accepted: { tags: [{ key: 'cost-center', value: 'x' }] },
  },
  {
    check: "a tag key is not AWS's, in any case (AWS reserves the prefix however it is written)",
    refused: { tags: [{ key: 'AWS:owner', value: 'x' }] },
    problem: 'tags[0].key: must be a tag key of 1 to 128 characters, not starting with aws: in any case, not "AWS:owner"',
    accepted: { tags: [{ key: 'owner-aws', value: 'x' }] },
  },
  {
    check: 'a tag has a value',
    refused: { tags: [{ key: 'team' }] },
    problem: 'tags[0].value: is missing: it must be a tag value of at most 256 characters',
    accepted: { tags: [{ key: 'team', value: 'data' }] },
  },
  {
    check: 'tag keys are unique',
    refused: {
      tags: [
        { key: 'team', value: 'data' },
        { key: 'team', value: 'ops' },
      ],
    },
    problem: 'tags[1].key: team is also the key of tags[0]: each key must be different (AWS takes each key once)',
    accepted: {
      tags: [
        { key: 'team', value: 'data' },
        { key: 'Team', value: 'ops' },
      ],
    },
  },
  {
    check: 'the permissions boundary is a policy ARN',
    refused: { permissionsBoundaryPolicyArn: 'arn:aws:iam::123456789012:role/boundary' },
    problem:
      'permissionsBoundaryPolicyArn: must be an IAM policy ARN, such as arn:aws:iam::123456789012:policy/altinity-boundary, not "arn:aws:iam::123456789012:role/boundary"',
    accepted: { permissionsBoundaryPolicyArn: 'arn:aws-us-gov:iam::123456789012:policy/boundaries/altinity' },
  },
  {
    check: 'a resource prefix is not empty',
    refused: { resourcePrefix: '' },
    problem: 'resourcePrefix: must be a prefix of at least one character, not ""',
    accepted: { resourcePrefix: 'acme-prod' },
  },
  {
    check: 'an empty YAML value is not taken for absent',
    refused: { resourcePrefix: null },
    problem: 'resourcePrefix: must be a prefix of at least one character, not null',
    accepted: {},
  },
  {
    check: "cloudConnect: the stack's hosts connect the environment",
    refused: { cloudConnect: false },
    problem: "cloudConnect: must be true (Altinity manages the environment through the stack's altinitycloud-connect hosts), not false",
    accepted: { cloudConnect: true },
  },
  {
    check: "the account is the stack's",
    refused: { awsAccountID: '123456789012' },
    problem: "awsAccountID: is not set in the file: the stack's own account and region are used",
    accepted: {},
  },
  {
    check: "the region is the stack's",
    refused: { region: 'us-east-1' },
    problem: "region: is not set in the file: the stack's own account and region are used",
    accepted: {},
  },
  {
    check: 'an unknown field is named, with the fields that exist',
    refused: { vpcCidr: '10.67.0.0/21' },
    problem:
      'vpcCidr: unknown field: the fields here are zones, cidr, NAT, nodeGroups, loadBalancers, tags, permissionsBoundaryPolicyArn, resourcePrefix, cloudConnect',
    accepted: { cidr: '10.67.0.0/21' },
  },
  {
    check: "a field in Terraform's spelling is recognised",
    refused: { loadBalancers: { public: { source_ip_ranges: ['0.0.0.0/0'] } } },
    problem: 'loadBalancers.public.source_ip_ranges: unknown field: did you mean sourceIPRanges?',
    accepted: { loadBalancers: { public: { sourceIPRanges: ['0.0.0.0/0'] } } },
  },
  {
    check: 'a field in the wrong case is recognised',
    refused: { Nat: true },
    problem: 'Nat: unknown field: did you mean NAT?',
    accepted: { NAT: true },
  },
  {
    check: "a field of Altinity's that the stacks do not set yet",
    refused: { kmsKeyARN: 'arn:aws:kms:us-east-1:123456789012:key/x' },
    problem: "kmsKeyARN: is a field of Altinity's specification that the stacks do not set yet",
    accepted: {},
  },
  {
    check: 'a mapping where a mapping belongs',
    refused: { loadBalancers: ['public'] },
    problem: 'loadBalancers: must be a mapping of the fields public, internal, not a list',
    accepted: { loadBalancers: {} },
  },
];

describe.each(CHECKS)('$check', ({ refused, problem, accepted }) => {
  test('refused, naming the field and what it expects', () => {
    expect(problemsOf(refused)).toEqual([problem]);
  });
  test('accepted when right', () => {
    expect(problemsOf(accepted)).toEqual([]);
  });
});

test('a file that is not a mapping of fields is refused as a whole', () => {
  expect(() => validateEnvironmentSpec(['zones'], { region: REGION })).toThrow(
    'the environment specification: must be a mapping of the fields zones, cidr, NAT, nodeGroups, loadBalancers, tags, ' +
      'permissionsBoundaryPolicyArn, resourcePrefix, cloudConnect, not a list',
  );
});

test('every problem is reported at once, in one error', () => {
  const input = {
    zones: ['us-east-1a', 'eu-west-1a'],
    cidr: '8.8.8.0/21',
    NAT: 'no',
    nodeGroups: [{ nodeType: 'm6i.large', capacityPerZone: 0 }],
    loadBalancers: { public: { sourceIPRanges: ['everywhere'] } },
    region: 'us-east-1',
  };
  let thrown: unknown;
  try {
    validateEnvironmentSpec(input, { region: REGION });
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(EnvironmentSpecError);
  expect((thrown as Error).message).toBe(
    [
      'the environment specification has 6 problems:',
      "- region: is not set in the file: the stack's own account and region are used",
      "- zones[1]: eu-west-1a is not a zone of the stack's region us-east-1: name one such as us-east-1a",
      '- cidr: must be a private IPv4 network (RFC 1918) of /16 to /21 in CIDR notation, such as 10.67.0.0/21, not "8.8.8.0/21"',
      '- NAT: must be true or false, not "no"',
      '- nodeGroups[0].capacityPerZone: must be an integer of at least 1, not 0',
      '- loadBalancers.public.sourceIPRanges[0]: must be an IPv4 range in CIDR notation, such as 203.0.113.0/24, not "everywhere"',
    ].join('\n'),
  );
});

test('a long value is shortened in the message', () => {
  expect(problemsOf({ resourcePrefix: 7, nodeGroups: [{ nodeType: 'x'.repeat(100), capacityPerZone: 1 }] })).toEqual([
    'nodeGroups[0].nodeType: must be an EC2 instance type, such as m6i.large, not "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...',
    'resourcePrefix: must be a prefix of at least one character, not 7',
  ]);
});

describe('immutableChanges', () => {
  const created = valid({ zones: ['us-east-1a', 'us-east-1b'], permissionsBoundaryPolicyArn: 'arn:aws:iam::123456789012:policy/b' });
  const updatedWith = (changes: object): EnvironmentSpec =>
    valid({ zones: created.zones, permissionsBoundaryPolicyArn: created.permissionsBoundaryPolicyArn, ...changes });

  test('none when nothing changes, or only what may change', () => {
    expect(immutableChanges(created, created)).toEqual([]);
    expect(
      immutableChanges(
        created,
        updatedWith({
          nodeGroups: [{ nodeType: 'm6i.2xlarge', capacityPerZone: 4 }],
          loadBalancers: { public: { enabled: false }, internal: { enabled: true } },
          tags: [{ key: 'team', value: 'data' }],
        }),
      ),
    ).toEqual([]);
  });

  test('zones may be appended', () => {
    expect(immutableChanges(created, updatedWith({ zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'] }))).toEqual([]);
  });

  test.each([
    ['removed', ['us-east-1a', 'us-east-1c']],
    ['replaced', ['us-east-1a', 'us-east-1c', 'us-east-1d']],
    ['reordered', ['us-east-1b', 'us-east-1a']],
    ['inserted created another', ['us-east-1a', 'us-east-1c', 'us-east-1b']],
  ])('a zone %s is a change of zones', (_, zones) => {
    expect(immutableChanges(created, updatedWith({ zones }))).toEqual(['zones']);
  });

  test('each field fixed at creation is named when it changes, together', () => {
    expect(
      immutableChanges(
        created,
        updatedWith({ cidr: '10.68.0.0/21', NAT: true, permissionsBoundaryPolicyArn: 'arn:aws:iam::123456789012:policy/other', resourcePrefix: 'acme' }),
      ),
    ).toEqual(['cidr', 'NAT', 'permissionsBoundaryPolicyArn', 'resourcePrefix']);
  });

  test('a field fixed at creation that is dropped is a change too', () => {
    expect(immutableChanges(created, valid({ zones: created.zones }))).toEqual(['permissionsBoundaryPolicyArn']);
  });
});

describe('the published JSON Schema', () => {
  const REPO_ROOT = path.resolve(__dirname, '..', '..');

  test(`${ENVIRONMENT_SCHEMA_FILE} is the one the table yields (npm run docs rewrites it)`, () => {
    expect(JSON.parse(fs.readFileSync(path.join(REPO_ROOT, ENVIRONMENT_SCHEMA_FILE), 'utf8'))).toEqual(environmentJsonSchema());
  });

  const ajv = new Ajv2020({ strict: true, allErrors: true });
  const schemaAccepts = ajv.compile(environmentJsonSchema());

  /** Documents both judge alike: the checks a JSON Schema can express. */
  const ALIKE: readonly [string, unknown, boolean][] = [
    ['the empty file', {}, true],
    ["the guide's example", GUIDE_EXAMPLE, true],
    [
      'every field given',
      {
        zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
        cidr: '192.168.0.0/18',
        NAT: true,
        nodeGroups: [
          { name: 'system', nodeType: 't4g.large', zones: ['us-east-1a'], capacityPerZone: 2, reservations: ['SYSTEM', 'ZOOKEEPER'] },
          { nodeType: 'm6i.large', capacityPerZone: 10, reservations: ['CLICKHOUSE'] },
        ],
        loadBalancers: {
          public: { enabled: true, sourceIPRanges: ['203.0.113.0/24'], crossZone: true },
          internal: { enabled: true, sourceIPRanges: ['10.0.0.0/8'], crossZone: false, endpointServiceAllowedPrincipals: ['arn:aws:iam::123456789012:root'] },
        },
        tags: [{ key: 'team', value: 'data' }],
        permissionsBoundaryPolicyArn: 'arn:aws:iam::123456789012:policy/boundary',
        resourcePrefix: 'acme',
        cloudConnect: true,
      },
      true,
    ],
    ['not a mapping', 'zones: [us-east-1a]', false],
    ['an unknown field', { vpcCidr: '10.67.0.0/21' }, false],
    ['the account', { awsAccountID: '123456789012' }, false],
    ['the region', { region: 'us-east-1' }, false],
    ['a field not set yet', { numberOfZones: 2 }, false],
    ['one zone', { zones: ['us-east-1a'] }, false],
    ['a zone twice', { zones: ['us-east-1a', 'us-east-1a'] }, false],
    ['a malformed zone', { zones: ['us-east-1a', 'us-east-1'] }, false],
    ['a public CIDR', { cidr: '8.8.0.0/16' }, false],
    ['a CIDR too small', { cidr: '10.67.0.0/24' }, false],
    ['a CIDR too large', { cidr: '10.0.0.0/12' }, false],
    ['a CIDR just outside 172.16.0.0/12', { cidr: '172.32.0.0/21' }, false],
    ['a CIDR with an octet over 255', { cidr: '192.168.256.0/21' }, false],
    ['a CIDR with a leading zero', { cidr: '10.067.0.0/21' }, false],
    ['NAT as text', { NAT: 'true' }, false],
    ['no node group', { nodeGroups: [] }, false],
    ['a group without nodeType', { nodeGroups: [{ capacityPerZone: 1 }] }, false],
    ['a group without capacity', { nodeGroups: [{ nodeType: 'm6i.large' }] }, false],
    ['a group of capacity 0', { nodeGroups: [{ nodeType: 'm6i.large', capacityPerZone: 0 }] }, false],
    ['a fractional capacity', { nodeGroups: [{ nodeType: 'm6i.large', capacityPerZone: 1.5 }] }, false],
    ['an unknown reservation', { nodeGroups: [{ nodeType: 'm6i.large', capacityPerZone: 1, reservations: ['KEEPER'] }] }, false],
    ['no reservation', { nodeGroups: [{ nodeType: 'm6i.large', capacityPerZone: 1, reservations: [] }] }, false],
    ['a reservation twice', { nodeGroups: [{ nodeType: 'm6i.large', capacityPerZone: 1, reservations: ['SYSTEM', 'SYSTEM'] }] }, false],
    ['a group with no zones', { nodeGroups: [{ nodeType: 'm6i.large', capacityPerZone: 1, zones: [] }] }, false],
    ['an empty group name', { nodeGroups: [{ name: '', nodeType: 'm6i.large', capacityPerZone: 1 }] }, false],
    ['a field unknown in a group', { nodeGroups: [{ nodeType: 'm6i.large', capacityPerZone: 1, node_type: 'x' }] }, false],
    ['a source range without prefix', { loadBalancers: { public: { sourceIPRanges: ['0.0.0.0'] } } }, false],
    ['no source range', { loadBalancers: { internal: { sourceIPRanges: [] } } }, false],
    ['a field not set yet on the internal load balancer', { loadBalancers: { internal: { endpointServiceSupportedRegions: ['us-east-1'] } } }, false],
    ['a principal that is not an ARN', { loadBalancers: { internal: { endpointServiceAllowedPrincipals: ['*'] } } }, false],
    ['a tag without value', { tags: [{ key: 'team' }] }, false],
    ['an empty tag key', { tags: [{ key: '', value: 'x' }] }, false],
    ['a tag key of AWS', { tags: [{ key: 'aws:x', value: 'x' }] }, false],
    ['a tag key too long', { tags: [{ key: 'k'.repeat(129), value: 'x' }] }, false],
    ['a tag value too long', { tags: [{ key: 'k', value: 'v'.repeat(257) }] }, false],
    ['a role as permissions boundary', { permissionsBoundaryPolicyArn: 'arn:aws:iam::123456789012:role/x' }, false],
    ['an empty resource prefix', { resourcePrefix: '' }, false],
    ['a null', { resourcePrefix: null }, false],
    ['cloudConnect false', { cloudConnect: false }, false],
  ];

  test.each(ALIKE)('%s: the schema and the validator agree', (_, document, accepted) => {
    expect({ schema: schemaAccepts(document), validator: problemsOf(document).length === 0 }).toEqual({ schema: accepted, validator: accepted });
  });

  /**
   * What only the validator checks: the region is not the schema's to know, and JSON Schema cannot
   * relate one value to another: a group's zones to the environment's, names and keys across
   * entries, or an address to its prefix. Reservations covered could be said with `contains`, but
   * the validator's message says it better than an editor would.
   */
  const ONLY_THE_VALIDATOR: readonly [string, object][] = [
    ["zones of another region than the stack's", { zones: ['eu-west-1a', 'eu-west-1b'] }],
    ["a group's zone outside the environment's", { nodeGroups: [{ nodeType: 'm6i.large', capacityPerZone: 1, zones: ['us-east-1c'] }] }],
    [
      'two groups of one name',
      {
        nodeGroups: [
          { name: 'all', nodeType: 'm6i.large', capacityPerZone: 1 },
          { name: 'all', nodeType: 'm6i.xlarge', capacityPerZone: 1 },
        ],
      },
    ],
    [
      'a tag key twice',
      {
        tags: [
          { key: 'team', value: 'a' },
          { key: 'team', value: 'b' },
        ],
      },
    ],
    ['a CIDR that is not its first address', { cidr: '10.67.0.1/21' }],
    ['no group for ZOOKEEPER', { nodeGroups: [{ nodeType: 'm6i.large', capacityPerZone: 1, reservations: ['SYSTEM', 'CLICKHOUSE'] }] }],
  ];

  test.each(ONLY_THE_VALIDATOR)('%s: the schema accepts it, the validator does not', (_, document) => {
    expect({ schema: schemaAccepts(document), validator: problemsOf(document).length === 0 }).toEqual({ schema: true, validator: false });
  });

  test('every field is described; those fixed at creation, and the defaults no value can show, say so', () => {
    const descriptions: Record<string, string> = {};
    const collect = (schema: any, path: string) => {
      for (const [name, field] of Object.entries<any>(schema.properties ?? {})) {
        descriptions[`${path}${name}`] = field.description;
        collect(field.items ?? field, `${path}${name}${field.items ? '[]' : ''}.`);
      }
    };
    collect(environmentJsonSchema(), '');
    expect(Object.keys(descriptions)).toHaveLength(25);
    for (const [name, description] of Object.entries(descriptions)) expect([name, description]).toEqual([name, expect.stringMatching(/^[A-Z].+\.$/)]);
    const fixed = Object.keys(descriptions).filter((name) => descriptions[name].endsWith(' Fixed when the environment is created.'));
    expect(fixed).toEqual(['cidr', 'NAT', 'permissionsBoundaryPolicyArn', 'resourcePrefix', 'cloudConnect']);
    expect(descriptions.zones).toMatch(
      /Default: the first two zones the account has in the region \(<region>a and <region>b when they are not known\)\. .*can only be appended/,
    );
    expect(descriptions['nodeGroups[].name']).toMatch(/Default: its nodeType\.$/);
    expect(descriptions['nodeGroups[].zones']).toMatch(/Default: the environment's zones\.$/);
  });
});

describe('the fields as docs/environment-file.md lists them', () => {
  const reference = environmentFieldReference();
  const documented = reference.filter((field): field is DocumentedField => !('marker' in field));
  const refused = reference.filter((field): field is RefusedField => 'marker' in field);

  test("every field of the schema, in the schema's order, each with its description", () => {
    const schemaFields: [string, string][] = [];
    const collect = (schema: any, path: string) => {
      for (const [name, field] of Object.entries<any>(schema.properties ?? {})) {
        schemaFields.push([`${path}${name}`, field.description]);
        collect(field.items ?? field, `${path}${name}${field.items ? '[]' : ''}.`);
      }
    };
    collect(environmentJsonSchema(), '');
    expect(schemaFields).toEqual(documented.map((field) => [field.path, expect.stringContaining(field.description)]));
  });

  test("immutable the fields that immutableChanges names above, the zones append-only, and a list's entries changeable as their list is", () => {
    const withChange = (change: string) => documented.filter((field) => field.change === change).map((field) => field.path);
    expect(withChange('immutable')).toEqual(['cidr', 'NAT', 'permissionsBoundaryPolicyArn', 'resourcePrefix', 'cloudConnect']);
    expect(withChange('append-only')).toEqual(['zones']);
    expect(withChange('by its fields')).toEqual(['loadBalancers', 'loadBalancers.public', 'loadBalancers.internal']);
    expect(documented.filter((field) => field.path.startsWith('nodeGroups[]')).every((field) => field.change === 'changeable')).toBe(true);
  });

  test('the defaults are the values an absent field takes, or say what they depend on', () => {
    const defaults = Object.fromEntries(documented.map((field) => [field.path, field.default]));
    expect(defaults.cidr).toEqual({ value: valid({}).cidr });
    expect(defaults.nodeGroups).toEqual({ value: GUIDE_EXAMPLE.nodeGroups });
    expect(defaults['nodeGroups[].nodeType']).toEqual({ described: 'required' });
    expect(defaults['nodeGroups[].name']).toEqual({ described: 'its nodeType' });
    expect(defaults.resourcePrefix).toEqual({ described: 'none' });
    expect(defaults.loadBalancers).toEqual({ described: "its fields' defaults" });
  });

  test('each name it marks is refused by the validator with the problem it quotes', () => {
    expect(refused.filter((field) => field.marker === 'not in the file').map((field) => field.path)).toEqual(['awsAccountID', 'region']);
    expect(refused.filter((field) => field.marker === 'not yet supported')).toHaveLength(17);
    for (const { path, problem } of refused) {
      const setting = path.split('.').reduceRight<unknown>((value, name) => ({ [name]: value }), 'x');
      expect(problemsOf(setting)).toEqual([`${path}: ${problem}`]);
    }
  });
});

describe("the environment's cidr and the hosts' VPC", () => {
  const spec = (cidr: string, hostNetworkCidrs?: string[]) => () => validateEnvironmentSpec({ cidr }, { region: 'us-east-1', hostNetworkCidrs });

  test("a range that overlaps any of the VPC's ranges is refused, naming both", () => {
    expect(spec('10.20.8.0/21', ['192.168.0.0/24', '10.20.0.0/16'])).toThrow(
      "cidr: 10.20.8.0/21 overlaps the hosts' VPC (10.20.0.0/16): choose a range outside it",
    );
    expect(spec('10.0.0.0/16', ['10.0.255.0/24'])).toThrow(/overlaps the hosts' VPC \(10\.0\.255\.0\/24\)/);
  });

  test('a range next to it, or an unknown VPC, passes', () => {
    expect(spec('10.20.0.0/21', ['10.20.8.0/21'])).not.toThrow();
    expect(spec('10.67.0.0/21', ['172.31.0.0/16'])).not.toThrow();
    expect(spec('10.67.0.0/21')).not.toThrow();
  });
});
