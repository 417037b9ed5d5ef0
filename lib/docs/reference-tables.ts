import { stringify } from 'yaml';
import { ENVIRONMENT_TEMPLATE_KINDS, ENVIRONMENT_TEMPLATES, type EnvironmentTemplate } from '../release/publish';
import { HOST_INSTANCE_PROFILE_LOGICAL_ID, HOST_ROLE_LOGICAL_ID, PARAMETER_KEYS, SECRET_STORE_LOGICAL_IDS } from '../shared/names';
import { effectiveTemplate, parameterValues, type References, TemplateEvaluator } from './template-evaluator';
import { type DocumentedField, environmentFieldReference } from '../shared/environment-spec';
import { ENVIRONMENT_FAILURES, FUNCTION_FAILURES, HOST_FAILURES } from '../shared/failures';
import { EXIT_CODES } from '../status/exit-codes';
import { ADVICE_BY_CODE } from '../status/hints';

/** The parts of a synthesized template that the reference in docs/ documents. */
export interface DocumentedTemplate {
  readonly Metadata?: {
    readonly 'AWS::CloudFormation::Interface'?: {
      readonly ParameterGroups?: ReadonlyArray<{ readonly Label: { readonly default: string }; readonly Parameters: readonly string[] }>;
    };
  };
  readonly Parameters?: Readonly<Record<string, TemplateParameter>>;
  readonly Conditions?: Readonly<Record<string, unknown>>;
  readonly Outputs?: Readonly<Record<string, { readonly Description?: string; readonly Condition?: string }>>;
  readonly Resources?: Readonly<Record<string, TemplateResource>>;
}

interface TemplateResource {
  readonly Type: string;
  readonly Condition?: string;
  readonly Properties?: Readonly<Record<string, unknown>>;
}

interface TemplateParameter {
  readonly Type: string;
  readonly Default?: string | number;
  readonly Description?: string;
  readonly AllowedValues?: readonly string[];
  readonly NoEcho?: boolean | string;
}

/** The published console templates: the connect template, and API-token mode's templates by their kind. */
export type DocumentedTemplates = { readonly connect: DocumentedTemplate } & { readonly [Kind in EnvironmentTemplate]: DocumentedTemplate };

/** An API-token mode template, as the reference heads its table: the file, and the stack it makes. */
function environmentTemplateHeading(kind: EnvironmentTemplate): string {
  const { fileName, stackName } = ENVIRONMENT_TEMPLATES[kind];
  return `${fileName('<version>').replace('.aws-cloudformation.yaml', '')}, stack ${stackName('<env>')}`.replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/**
 * The generated tables of the reference in docs/, by the name their markers carry
 * (generated-docs.ts says which file holds each).
 */
export function referenceTables(templates: DocumentedTemplates): Record<string, string> {
  const template = templates.connect;
  const perEnvironmentTemplate = (table: (template: DocumentedTemplate) => string) =>
    ENVIRONMENT_TEMPLATE_KINDS.map((kind) => `### ${environmentTemplateHeading(kind)}\n\n${table(templates[kind])}`).join('\n');
  return {
    parameters: parametersTables(template),
    'environment-parameters': perEnvironmentTemplate(parametersTables),
    outputs: outputsTable(template),
    'environment-outputs': perEnvironmentTemplate(outputsTable),
    permissions: permissionsTable(template),
    'status-exit-codes': exitCodesTable(),
    'failure-codes': failureCodesTable(),
    'environment-file': environmentFileTable(),
  };
}

/** One table per console parameter group, in the console's order. */
export function parametersTables(template: DocumentedTemplate): string {
  const parameters = template.Parameters ?? {};
  const groups = template.Metadata?.['AWS::CloudFormation::Interface']?.ParameterGroups ?? [];
  const grouped = new Set(groups.flatMap((group) => group.Parameters));
  const ungrouped = Object.keys(parameters).filter((key) => !grouped.has(key));
  const sections = [
    ...groups.map((group) => ({ label: group.Label.default, keys: group.Parameters })),
    ...(ungrouped.length ? [{ label: 'Other', keys: ungrouped }] : []),
  ];
  return sections
    .map(({ label, keys }) =>
      [
        `**${label}**`,
        '',
        '| Parameter | Default | Description |',
        '| --- | --- | --- |',
        ...keys.map((key) => {
          const parameter = parameters[key];
          return row(`\`${key}\``, defaultOf(parameter), describe(parameter));
        }),
        '',
      ].join('\n'),
    )
    .join('\n');
}

export function outputsTable(template: DocumentedTemplate): string {
  const outputs = Object.entries(template.Outputs ?? {});
  return [
    '| Output | Present | Description |',
    '| --- | --- | --- |',
    ...outputs.map(([key, output]) =>
      row(
        `\`${key}\``,
        output.Condition ? `when ${conditionText(template, { Condition: output.Condition }) ?? output.Condition}` : 'always',
        prose(output.Description ?? ''),
      ),
    ),
    '',
  ].join('\n');
}

export function exitCodesTable(): string {
  return ['| Exit code | Meaning |', '| --- | --- |', ...Object.values(EXIT_CODES).map(({ code, meaning }) => row(String(code), meaning)), ''].join('\n');
}

/** Every failure code a host or a function reports (the secret store's, or the one that calls Altinity.Cloud), with the status command's advice. */
function failureCodesTable(): string {
  const rows = [
    ...Object.values(HOST_FAILURES).map((code) => ({ code, by: 'a host' })),
    ...Object.values(FUNCTION_FAILURES).map((code) => ({ code, by: 'a stack function' })),
    ...Object.values(ENVIRONMENT_FAILURES).map((code) => ({ code, by: 'the Altinity.Cloud function' })),
  ].map(({ code, by }) => {
    const advice = ADVICE_BY_CODE[code];
    return row(`\`[${code}]\``, by, typeof advice === 'string' ? advice : advice.none);
  });
  return ['| Code | Reported by | What to do |', '| --- | --- | --- |', ...rows, ''].join('\n');
}

/** Every field of the environment file and every name it refuses, from the table its validator reads. */
function environmentFileTable(): string {
  const rows = environmentFieldReference().map((field) =>
    'marker' in field
      ? row(`\`${field.path}\``, field.marker, '', '', `Refused: it ${field.problem}.`)
      : row(`\`${field.path}\``, field.type, fieldDefault(field.default), field.change, prose(`${field.description} Must be ${field.expected}.`)),
  );
  return ['| Field | Type | Default | After creation | Description |', '| --- | --- | --- | --- | --- |', ...rows, ''].join('\n');
}

/** A default value as it would be written in the YAML file, on one line. */
function fieldDefault(given: DocumentedField['default']): string {
  if ('described' in given) return prose(given.described);
  return `\`${stringify(given.value, { collectionStyle: 'flow', flowCollectionPadding: false, lineWidth: 0 }).trim()}\``;
}

function defaultOf(parameter: TemplateParameter): string {
  if (parameter.Default === undefined) return 'required';
  if (parameter.Default === '') return 'empty';
  return `\`${parameter.Default}\``;
}

function describe(parameter: TemplateParameter): string {
  const allowed = parameter.AllowedValues ? ` One of ${parameter.AllowedValues.map((value) => `\`${value}\``).join(', ')}.` : '';
  const hidden = parameter.NoEcho === true || parameter.NoEcho === 'true' ? " Hidden as you type it and in the stack's parameters." : '';
  return `${prose(parameter.Description ?? '')}${allowed}${hidden}`;
}

/**
 * A condition in words, from its definition: `Fn::Equals` of a parameter and a value, `Fn::Not`
 * of one, or another condition. Undefined for anything else, for the caller to name it instead.
 */
function conditionText(template: DocumentedTemplate, expression: unknown, negated = false): string | undefined {
  if (!expression || typeof expression !== 'object') return undefined;
  const node = expression as Record<string, unknown>;
  if (typeof node.Condition === 'string') return conditionText(template, template.Conditions?.[node.Condition], negated);
  if (Array.isArray(node['Fn::Not'])) return conditionText(template, node['Fn::Not'][0], !negated);
  const equals = node['Fn::Equals'];
  if (Array.isArray(equals) && equals.length === 2) {
    const [left, right] = equals as [unknown, unknown];
    const reference = (left as { Ref?: unknown })?.Ref;
    if (typeof reference !== 'string' || typeof right !== 'string') return undefined;
    return `\`${reference}\` is ${negated ? 'not ' : ''}${right}`;
  }
  return undefined;
}

/** Template text as Markdown shows it: `<this URL>` would otherwise vanish as an HTML tag. */
function prose(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function row(...cells: string[]): string {
  return `| ${cells.map((cell) => cell.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ')).join(' | ')} |`;
}

/** The parameter whose values choose the host role's grants, and the role's logical id. */
const PROFILE_PARAMETER = PARAMETER_KEYS.permissionProfile;
const HOST_ROLE = HOST_ROLE_LOGICAL_ID;

/**
 * What the hosts' role may do under each permission profile, read from the template as
 * CloudFormation would act on it (the other parameters at their defaults): its AWS managed
 * policies, its inline policy statements and those of the policies attached to it. Throws on a
 * shape it cannot put in words, so that no grant goes undocumented.
 */
export function permissionsTable(template: DocumentedTemplate): string {
  const profiles = template.Parameters?.[PROFILE_PARAMETER]?.AllowedValues;
  if (!profiles?.length) throw new Error(`the template has no ${PROFILE_PARAMETER} parameter with allowed values`);
  const grantsBy = profiles.map((profile) => grantsOfHostRole(template, { [PROFILE_PARAMETER]: profile }));
  const rows = [...new Set(grantsBy.flat())];
  return [
    `| Grant | ${profiles.map((profile) => `\`${profile}\``).join(' | ')} |`,
    `| --- | ${profiles.map(() => '---').join(' | ')} |`,
    ...rows.map((grant) => row(grant, ...grantsBy.map((grants) => (grants.includes(grant) ? 'yes' : 'no')))),
    '',
  ].join('\n');
}

function grantsOfHostRole(template: DocumentedTemplate, values: Readonly<Record<string, string>>): string[] {
  const world = new ParameterWorld(template, values);
  // As CloudFormation acts on the template with these values: only the resources that exist, Fn::If chosen.
  const resources = effectiveTemplate(template, values).Resources ?? {};
  const role = resources[HOST_ROLE];
  if (role?.Type !== 'AWS::IAM::Role') throw new Error(`the template has no ${HOST_ROLE} role`);
  const properties = (role.Properties ?? {}) as { ManagedPolicyArns?: unknown[]; Policies?: Array<{ PolicyDocument: PolicyDocument }> };
  const managed = (properties.ManagedPolicyArns ?? []).map((arn) => {
    const name = /:policy\/([\w+=,.@-]+)$/.exec(world.text(arn))?.[1];
    if (!name) throw new Error(`cannot name the managed policy ${JSON.stringify(arn)}`);
    return `AWS managed policy \`${name}\``;
  });
  const attached = Object.values(resources)
    .filter((resource) => resource.Type === 'AWS::IAM::Policy')
    .map((resource) => (resource.Properties ?? {}) as { Roles?: unknown[]; PolicyDocument: PolicyDocument })
    .filter((policy) => (policy.Roles ?? []).some((candidate) => (candidate as { Ref?: string }).Ref === HOST_ROLE));
  const documents = [...(properties.Policies ?? []), ...attached].map((policy) => policy.PolicyDocument);
  return [...managed, ...documents.flatMap((document) => document.Statement.map((statement) => describeStatement(world, statement)))];
}

interface PolicyDocument {
  readonly Statement: ReadonlyArray<{
    Effect: string;
    Action?: string | string[];
    NotAction?: string | string[];
    Resource: unknown;
    Condition?: Record<string, Record<string, unknown>>;
  }>;
}

/** The condition operators the host role's statements use, in words. */
const CONDITION_WORDS: Readonly<Record<string, string>> = { StringEquals: 'is', StringNotEquals: 'is not', ArnEquals: 'is' };

function describeStatement(world: ParameterWorld, statement: PolicyDocument['Statement'][number]): string {
  const listed = (actions: string | string[] | undefined) =>
    [actions ?? []]
      .flat()
      .map((action) => `\`${action}\``)
      .join(', ');
  const actions = statement.NotAction !== undefined ? `everything but ${listed(statement.NotAction)}` : listed(statement.Action);
  const resources = [statement.Resource]
    .flat()
    .map((resource) => world.resourceText(resource))
    .join(', ');
  const conditions = Object.entries(statement.Condition ?? {}).flatMap(([operator, tests]) =>
    Object.entries(tests).map(([key, value]) => {
      const words = CONDITION_WORDS[operator];
      if (!words) throw new Error(`cannot put the condition ${operator} in words`);
      return `\`${key}\` ${words} ${world.resourceText(value)}`;
    }),
  );
  const effect = { Allow: '', Deny: 'Denied: ' }[statement.Effect];
  if (effect === undefined) throw new Error(`the host role has a statement of effect ${statement.Effect}`);
  return `${effect}${actions} on ${resources}${conditions.length ? ` when ${conditions.join(' and ')}` : ''}`;
}

/** The template's expressions in words, for given parameter values (defaults for the rest). */
class ParameterWorld {
  private readonly evaluator: TemplateEvaluator;
  /** Placeholders for what the stack fills in, the parameters' values otherwise; no attribute is known. */
  private readonly forReaders: References;

  constructor(template: DocumentedTemplate, values: Readonly<Record<string, string>>) {
    const parameters = parameterValues(template, values);
    this.evaluator = new TemplateEvaluator(template, parameters);
    this.forReaders = {
      ref: (name) => PLACEHOLDERS[name] ?? parameters.ref(name),
      attribute: (logicalId, attribute) => {
        const placeholder = ATTRIBUTE_PLACEHOLDERS[`${logicalId}.${attribute}`];
        if (placeholder === undefined) throw new Error(`cannot put Fn::GetAtt ${logicalId}.${attribute} in words`);
        return placeholder;
      },
    };
  }

  /** A string-valued expression as a reader should see it: placeholders for what the stack fills in. */
  text(expression: unknown): string {
    const text = this.evaluator.resolve(expression, this.forReaders);
    if (typeof text !== 'string') throw new Error(`cannot put ${JSON.stringify(expression)} in words`);
    return text;
  }

  /** A policy resource in words: an SSM parameter by its name, the stack as such, else its ARN. */
  resourceText(resource: unknown): string {
    if ((resource as { Ref?: string })?.Ref === 'AWS::StackId') return 'this stack';
    const arn = this.text(resource);
    if (/^[a-z].* /.test(arn)) return arn;
    const parameter = /^arn:[^:]+:ssm:[^:]*:[^:]*:parameter(\/.+)$/.exec(arn)?.[1];
    return parameter ? `\`${parameter}\`` : `\`${arn}\``;
  }
}

/** What a reader reads in place of the attributes of the stack's own resources. */
const ATTRIBUTE_PLACEHOLDERS: Readonly<Record<string, string>> = {
  [`${SECRET_STORE_LOGICAL_IDS.key}.Arn`]: "the stack's key",
  [`${HOST_ROLE}.Arn`]: 'this role',
  [`${HOST_INSTANCE_PROFILE_LOGICAL_ID}.Arn`]: 'its instance profile',
};

/** What a reader puts in place of the references a stack resolves. */
const PLACEHOLDERS: Readonly<Record<string, string>> = {
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::Region': '<region>',
  'AWS::AccountId': '<account>',
  'AWS::StackName': '<stack>',
  [PARAMETER_KEYS.envName]: '<env>',
  // Only its text is a placeholder: the conditions still see it empty, as by default.
  [PARAMETER_KEYS.existingCertificate]: '/<existing-certificate>',
};
