/**
 * API-token mode's three stacks as `cdk deploy -c env=... -c environment=<file>` builds them
 * (`buildEnvironmentStacks`, network given so that nothing is looked up), with the API token staged
 * by the app and without: their order as the cloud assembly records it for `cdk deploy --all` and
 * `cdk destroy --all`, what one stack hands the next (the function's export, the certificate, the
 * specification's digest), and where the API token goes. Their size, cfn-lint and cdk-nag are
 * checked beside the connection-token templates' (template-size, cfn-lint and cdk-nag tests); what
 * each construct guarantees is tested in test/constructs/. Nothing stands in for anything.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { connectApp } from '../../lib/stack/app';
import { ALTINITY_URL_PATTERN } from '../../lib/stack/console-form';
import {
  API_TOKEN_PARAMETER,
  apiTokenParameterName,
  CLOUD_LOGICAL_IDS,
  cloudCertificateParameterName,
  cloudFunctionExportName,
  cloudFunctionRolePath,
  cloudParameterPrefix,
  ON_STACK_DELETE,
  specDigest,
} from '../../lib/shared/cloud-stack-contract';
import { CONSOLE_ENVIRONMENT_FIELDS } from '../../lib/shared/console-environment';
import { DEFAULT_ALTINITY_URL, ENV_TAG_KEY, readyStackNameFor } from '../../lib/shared/conventions';
import { ENV_NAME_PATTERN, PARAMETER_KEYS } from '../../lib/shared/names';
import {
  buildEnvironmentModeStacks,
  type CfnTemplate,
  consoleEnvironmentTemplate,
  environmentModeInput,
  environmentModeTemplates,
  fullEnvironmentSpec,
  pathsWhere,
  stagedApiTokenName,
} from '../support/templates';

const ENV = environmentModeInput().envName;
const API_TOKEN = 'an-altinity-api-token-0123456789';
const STAGED_NAME = stagedApiTokenName(ENV, API_TOKEN);

const withParameter = environmentModeTemplates();
const staged = environmentModeTemplates({ stagedApiToken: STAGED_NAME });

/** Every value of `Fn::ImportValue` in a template. */
const importsOf = (template: CfnTemplate) =>
  pathsWhere(template, (node) => typeof node === 'object' && node !== null && 'Fn::ImportValue' in node).map(
    (at) => at.split('.').reduce((node: any, key) => node[key], template as any)['Fn::ImportValue'],
  );

describe.each([
  ['the API token as a parameter', withParameter],
  ['the API token staged', staged],
])('with %s', (_, { cloud, connect, ready, names, assembly }) => {
  test('the stacks are named after the environment, and the cloud assembly orders them: cloud, then connect, then ready (destroy reverses it)', () => {
    expect(names).toEqual({ cloud: `altinity-cloud-${ENV}`, connect: `altinity-connect-${ENV}`, ready: `altinity-ready-${ENV}` });
    const dependencies = Object.fromEntries(
      Object.entries(assembly.manifest.artifacts ?? {})
        .filter(([, artifact]) => artifact.type === 'aws:cloudformation:stack')
        .map(([id, artifact]) => [id, [...(artifact.dependencies ?? [])].sort()]),
    );
    expect(dependencies).toEqual({ [names.cloud]: [], [names.connect]: [names.cloud], [names.ready]: [names.cloud, names.connect].sort() });
  });

  test("the ready stack's slices are served by the function the cloud stack exports, and nothing else crosses stacks by export", () => {
    const exportName = `${names.cloud}:FunctionArn`;
    expect(cloud.Outputs.FunctionArn).toMatchObject({ Value: { 'Fn::GetAtt': [CLOUD_LOGICAL_IDS.function, 'Arn'] }, Export: { Name: exportName } });
    expect(Object.values(cloud.Outputs).filter((output) => output.Export)).toHaveLength(1);
    const slices = Object.entries(ready.Resources).filter(([, resource]) => resource.Type === 'Custom::AltinityEnvironmentReady');
    expect(slices.length).toBe(12);
    expect(importsOf(ready)).toEqual(slices.map(() => exportName));
    for (const [, slice] of slices) expect(slice.Properties.ServiceToken).toEqual({ 'Fn::ImportValue': exportName });
    expect({ cloud: importsOf(cloud), connect: importsOf(connect) }).toEqual({ cloud: [], connect: [] });
    // The function serves the ready stack's slices by that stack's name, which the cloud stack sets.
    expect(cloud.Resources[CLOUD_LOGICAL_IDS.function].Properties.Environment.Variables.READY_STACK_NAME).toBe(names.ready);
  });

  test("the connect stack asks for no connection token, and its hosts use the cloud stack's certificate by default", () => {
    expect(Object.keys(connect.Parameters)).not.toContain(PARAMETER_KEYS.token);
    expect(pathsWhere(connect, (node) => JSON.stringify(node) === JSON.stringify({ Ref: PARAMETER_KEYS.token }))).toEqual([]);
    expect(connect.Resources.ConnectSecrets.Properties).toMatchObject({ Token: '' });
    expect(connect.Resources.ConnectSecrets.Properties).not.toHaveProperty('StagedToken');
    const certificate = `/altinity-cloud/${ENV}/certificate`;
    expect(connect.Parameters.ExistingCertificateParameter.Default).toBe(certificate);
    expect(cloud.Outputs.CertificateParameterName.Value).toBe(certificate);
  });

  test("the hosts' role carries the environment's tag, which the cloud stack's key asks of whoever decrypts the certificate", () => {
    expect(connect.Parameters.EnvName.Default).toBe(ENV);
    expect(connect.Resources.HostRole.Properties.Tags).toContainEqual({ Key: ENV_TAG_KEY, Value: { Ref: 'EnvName' } });
    const hostsStatement = cloud.Resources[CLOUD_LOGICAL_IDS.key].Properties.KeyPolicy.Statement.find(
      (statement: any) => statement.Condition?.StringEquals?.[`aws:PrincipalTag/${ENV_TAG_KEY}`] !== undefined,
    );
    expect(hostsStatement.Condition.StringEquals).toMatchObject({
      [`aws:PrincipalTag/${ENV_TAG_KEY}`]: ENV,
      'kms:EncryptionContext:PARAMETER_ARN': {
        'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${connect.Parameters.ExistingCertificateParameter.Default}`,
      },
    });
  });

  test('each stack says in its description which environment it serves, as the connect stack does', () => {
    for (const template of [cloud, ready]) expect(template.Description).toContain(` ${ENV}, created from `);
  });

  test("the ready stack waits again for a new specification: its digest is the cloud stack's Spec property's", () => {
    const spec = cloud.Resources[CLOUD_LOGICAL_IDS.environment].Properties.Spec;
    const slices = Object.values(ready.Resources);
    for (const slice of slices) expect(slice.Properties).toMatchObject({ EnvName: ENV, SpecDigest: specDigest(spec), OnStackDelete: 'keep', Slices: '12' });
    const other = environmentModeTemplates({ spec: fullEnvironmentSpec() });
    expect(Object.values(other.ready.Resources)[0].Properties.SpecDigest).not.toBe(specDigest(spec));
    expect(Object.values(other.ready.Resources)[0].Properties.SpecDigest).toBe(
      specDigest(other.cloud.Resources[CLOUD_LOGICAL_IDS.environment].Properties.Spec),
    );
  });
});

test('without a staged token, the cloud stack asks for the API token as a NoEcho parameter, empty to keep the stored one, fed only to the access resource', () => {
  const { cloud } = withParameter;
  expect(Object.keys(cloud.Parameters)).toEqual([API_TOKEN_PARAMETER]);
  expect(cloud.Parameters[API_TOKEN_PARAMETER]).toMatchObject({ Type: 'String', NoEcho: true, Default: '' });
  expect(pathsWhere(cloud, (node) => JSON.stringify(node) === JSON.stringify({ Ref: API_TOKEN_PARAMETER }))).toEqual([
    `Resources.${CLOUD_LOGICAL_IDS.access}.Properties.Token`,
  ]);
});

test('with a staged token, the cloud stack has no ApiToken parameter: the access resource names the staged copy', () => {
  const { cloud } = staged;
  expect(cloud.Parameters ?? {}).toEqual({});
  expect(cloud.Resources[CLOUD_LOGICAL_IDS.access].Properties).toMatchObject({ StagedToken: STAGED_NAME });
  expect(cloud.Resources[CLOUD_LOGICAL_IDS.access].Properties).not.toHaveProperty('Token');
  expect(cloud.Resources[CLOUD_LOGICAL_IDS.function].Properties.Environment.Variables.STAGED_TOKEN_PREFIX).toBe(`altinity-cloud/${ENV}/staged/`);
});

test("cdk.out names the staged API token's copy in the cloud stack's template alone, and holds the token nowhere", () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'environment-stacks-'));
  try {
    const app = connectApp({ outdir });
    buildEnvironmentModeStacks(app, { stagedApiToken: STAGED_NAME });
    app.synth();
    const files = fs.readdirSync(outdir, { recursive: true, encoding: 'utf8' }).filter((file) => fs.statSync(path.join(outdir, file)).isFile());
    const read = (file: string) => fs.readFileSync(path.join(outdir, file), 'utf8');
    expect(files.filter((file) => read(file).includes(API_TOKEN))).toEqual([]);
    expect(files.filter((file) => read(file).includes(STAGED_NAME))).toEqual([`altinity-cloud-${ENV}.template.json`]);
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
});

test.each(Object.values(ON_STACK_DELETE))('-c onStackDelete=%s reaches every slice of the ready stack and its WhenDeleted output', (onStackDelete) => {
  const { ready } = environmentModeTemplates({ input: environmentModeInput(onStackDelete) });
  expect(new Set(Object.values(ready.Resources).map((slice) => slice.Properties.OnStackDelete))).toEqual(new Set([onStackDelete]));
  expect(ready.Outputs.WhenDeleted.Value).toMatch(onStackDelete === 'keep' ? /stays in Altinity\.Cloud/ : /is deleted from Altinity\.Cloud/);
});

test.each([
  [undefined, 12],
  [30, 2],
  [100, 7],
])('-c waitMinutes=%s makes the ready stack wait in %i slices of 15 minutes, each knowing the count', (waitMinutes, count) => {
  const input = environmentModeInput();
  const { ready } = environmentModeTemplates({ input: { ...input, environment: { ...input.environment, waitMinutes } } });
  const slices = Object.values(ready.Resources).filter((resource) => resource.Type === 'Custom::AltinityEnvironmentReady');
  expect(slices.map((slice) => slice.Properties.Slices)).toEqual(Array(count).fill(String(count)));
});

test("the cloud stack's key, function, role and log group carry the environment's tag", () => {
  const tagged = Object.entries(withParameter.cloud.Resources).filter(([, resource]) => resource.Properties?.Tags !== undefined);
  expect(tagged.map(([, resource]) => resource.Type).sort()).toEqual(['AWS::IAM::Role', 'AWS::KMS::Key', 'AWS::Lambda::Function', 'AWS::Logs::LogGroup']);
  for (const [id, resource] of tagged) expect({ id, tags: resource.Properties.Tags }).toEqual({ id, tags: [{ Key: ENV_TAG_KEY, Value: ENV }] });
});

/**
 * The console's templates of API-token mode (`npm run publish`): the same stacks with parameters in
 * place of the app's values. What they do once deployed is in test/e2e/api-mode.test.ts.
 */
describe("the console's templates", () => {
  const cloud = consoleEnvironmentTemplate('cloud');
  const ready = consoleEnvironmentTemplate('ready');

  test('the cloud stack asks for the environment, the API token (NoEcho), the common fields, the rest as JSON, and where the API is; in that order', () => {
    const commonFields = Object.fromEntries(
      Object.entries(CONSOLE_ENVIRONMENT_FIELDS).map(([name, { pattern, expects }]) => [
        name,
        expect.objectContaining({ Type: 'String', Default: '', AllowedPattern: pattern, ConstraintDescription: `must be empty or ${expects}` }),
      ]),
    );
    expect(cloud.Parameters).toEqual({
      EnvName: expect.objectContaining({ Type: 'String', AllowedPattern: ENV_NAME_PATTERN, MaxLength: 63 }),
      [API_TOKEN_PARAMETER]: expect.objectContaining({ Type: 'String', NoEcho: true, Default: '' }),
      ...commonFields,
      EnvironmentSpec: expect.objectContaining({ Type: 'String', Default: '{}', MaxLength: 4096 }),
      AltinityApiUrl: expect.objectContaining({ Type: 'String', Default: DEFAULT_ALTINITY_URL, AllowedPattern: ALTINITY_URL_PATTERN }),
    });
    const groups = cloud.Metadata?.['AWS::CloudFormation::Interface'].ParameterGroups.map((group: { Parameters: string[] }) => group.Parameters);
    expect(groups.flat()).toEqual(['EnvName', API_TOKEN_PARAMETER, ...Object.keys(CONSOLE_ENVIRONMENT_FIELDS), 'EnvironmentSpec', 'AltinityApiUrl']);
    expect(cloud.Resources[CLOUD_LOGICAL_IDS.environment].Properties).toMatchObject({
      EnvName: { Ref: 'EnvName' },
      Spec: { Ref: 'EnvironmentSpec' },
      Fields: Object.fromEntries(Object.keys(CONSOLE_ENVIRONMENT_FIELDS).map((name) => [name, { Ref: name }])),
    });
  });

  test("every name the cloud stack makes is the environment's, from its EnvName: parameters, role path, export, tags", () => {
    const variables = cloud.Resources[CLOUD_LOGICAL_IDS.function].Properties.Environment.Variables;
    expect(variables).toMatchObject({
      ENV_NAME: { Ref: 'EnvName' },
      API_TOKEN_PARAMETER: { 'Fn::Sub': apiTokenParameterName('${EnvName}') },
      CERTIFICATE_PARAMETER: { 'Fn::Sub': cloudCertificateParameterName('${EnvName}') },
      READY_STACK_NAME: { 'Fn::Sub': readyStackNameFor('${EnvName}') },
    });
    expect(cloud.Outputs.FunctionArn.Export).toEqual({ Name: { 'Fn::Sub': cloudFunctionExportName('${EnvName}') } });
    expect(cloud.Outputs.CertificateParameterName.Value).toEqual({ 'Fn::Sub': cloudCertificateParameterName('${EnvName}') });
    // The function's role, what it may write, and what the hosts may decrypt: all of this environment.
    const ofType = (type: string) => Object.values(cloud.Resources).filter((resource) => resource.Type === type);
    const [role] = ofType('AWS::IAM::Role');
    expect(role.Properties.Path).toEqual({ 'Fn::Sub': cloudFunctionRolePath('${EnvName}') });
    const parameterArns = (path: string) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${path}` });
    const ssmStatement = ofType('AWS::IAM::Policy')[0].Properties.PolicyDocument.Statement.find((statement: any) =>
      [statement.Action].flat().includes('ssm:PutParameter'),
    );
    expect(ssmStatement.Resource).toEqual(parameterArns(`${cloudParameterPrefix('${EnvName}')}/*`));
    const hostsStatement = cloud.Resources[CLOUD_LOGICAL_IDS.key].Properties.KeyPolicy.Statement.find(
      (statement: any) => statement.Condition?.StringEquals?.[`aws:PrincipalTag/${ENV_TAG_KEY}`] !== undefined,
    );
    expect(hostsStatement.Condition.StringEquals).toMatchObject({
      [`aws:PrincipalTag/${ENV_TAG_KEY}`]: { Ref: 'EnvName' },
      'kms:EncryptionContext:PARAMETER_ARN': parameterArns(cloudCertificateParameterName('${EnvName}')),
    });
    for (const resource of Object.values(cloud.Resources).filter((resource) => resource.Properties?.Tags !== undefined)) {
      expect(resource.Properties.Tags).toEqual([{ Key: ENV_TAG_KEY, Value: { Ref: 'EnvName' } }]);
    }
    expect(JSON.stringify(cloud)).not.toMatch(/acme/);
  });

  test('the ready stack asks for the environment, the revision to wait for and what its deletion does; it imports the function by the environment', () => {
    expect(ready.Parameters).toEqual({
      EnvName: expect.objectContaining({ AllowedPattern: ENV_NAME_PATTERN }),
      SpecRevision: expect.objectContaining({ Type: 'String', Default: '1' }),
      OnStackDelete: expect.objectContaining({ Default: 'keep', AllowedValues: Object.values(ON_STACK_DELETE) }),
    });
    for (const slice of Object.values(ready.Resources)) {
      expect(slice.Properties).toMatchObject({
        ServiceToken: { 'Fn::ImportValue': { 'Fn::Sub': cloudFunctionExportName('${EnvName}') } },
        EnvName: { Ref: 'EnvName' },
        SpecDigest: { Ref: 'SpecRevision' },
        OnStackDelete: { Ref: 'OnStackDelete' },
      });
    }
    // The output reads as the app's does, for the choice made: the environment, then the mapping's text for OnStackDelete.
    const mappings = ready.Mappings ?? {};
    const [mapping] = Object.keys(mappings);
    expect(ready.Outputs.WhenDeleted.Value).toEqual({
      'Fn::Join': ['', [{ Ref: 'EnvName' }, { 'Fn::FindInMap': [mapping, { Ref: 'OnStackDelete' }, 'Text'] }]],
    });
    expect(Object.keys(mappings[mapping])).toEqual(Object.values(ON_STACK_DELETE));
    const says = (choice: string) => mappings[mapping][choice].Text;
    expect(says('keep')).toMatch(/^ stays in Altinity\.Cloud .*update this stack with OnStackDelete delete before deleting this stack$/);
    expect(says('delete')).toMatch(/^ is deleted from Altinity\.Cloud and deprovisioned, unless it has ClickHouse clusters$/);
    expect(says('delete-with-clusters')).toMatch(/^ is deleted from Altinity\.Cloud .*ClickHouse clusters and their data included$/);
  });
});
