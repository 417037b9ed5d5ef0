import { EXIT_CODES } from '../status/cli';

/** The parts of a synthesized template that the README documents. */
export interface DocumentedTemplate {
  readonly Metadata?: {
    readonly 'AWS::CloudFormation::Interface'?: {
      readonly ParameterGroups?: ReadonlyArray<{ readonly Label: { readonly default: string }; readonly Parameters: readonly string[] }>;
      readonly ParameterLabels?: Readonly<Record<string, { readonly default: string }>>;
    };
  };
  readonly Parameters?: Readonly<Record<string, TemplateParameter>>;
  readonly Conditions?: Readonly<Record<string, unknown>>;
  readonly Outputs?: Readonly<Record<string, { readonly Description?: string; readonly Condition?: string }>>;
}

interface TemplateParameter {
  readonly Type: string;
  readonly Default?: string | number;
  readonly Description?: string;
  readonly AllowedValues?: readonly string[];
  readonly NoEcho?: boolean | string;
}

/** The README's generated parts, by the name their markers carry. */
export function readmeSections(template: DocumentedTemplate): Record<string, string> {
  return {
    parameters: parametersTables(template),
    outputs: outputsTable(template),
    'status-exit-codes': exitCodesTable(),
  };
}

const SECTION = /(<!-- generated:([a-z-]+) begin[^>]*-->\n)[\s\S]*?(<!-- generated:\2 end -->)/g;

/**
 * The README with each generated part replaced by its current text. Throws when a part's markers
 * are missing or a marker names no known part, so that neither goes unnoticed.
 */
export function regenerateReadme(readme: string, sections: Readonly<Record<string, string>>): string {
  const seen = new Set<string>();
  const updated = readme.replace(SECTION, (_whole, begin: string, name: string, end: string) => {
    if (!(name in sections)) throw new Error(`README.md has markers for an unknown generated part "${name}"`);
    seen.add(name);
    return `${begin}${sections[name]}${end}`;
  });
  const missing = Object.keys(sections).filter((name) => !seen.has(name));
  if (missing.length > 0) {
    throw new Error(`README.md lacks the markers of ${missing.map((name) => `"${name}"`).join(', ')}: <!-- generated:NAME begin --> ... <!-- generated:NAME end -->`);
  }
  return updated;
}

/** One table per console parameter group, in the console's order, with the console's labels. */
export function parametersTables(template: DocumentedTemplate): string {
  const parameters = template.Parameters ?? {};
  const groups = template.Metadata?.['AWS::CloudFormation::Interface']?.ParameterGroups ?? [];
  const grouped = new Set(groups.flatMap((group) => group.Parameters));
  const ungrouped = Object.keys(parameters).filter((key) => !grouped.has(key));
  const sections = [...groups.map((group) => ({ label: group.Label.default, keys: group.Parameters })), ...(ungrouped.length ? [{ label: 'Other', keys: ungrouped }] : [])];
  return sections
    .map(({ label, keys }) =>
      [
        `**${label}**`,
        '',
        '| Console label | Parameter | Default | Description |',
        '| --- | --- | --- | --- |',
        ...keys.map((key) => {
          const parameter = parameters[key];
          return row(labelOf(template, key), `\`${key}\``, defaultOf(parameter), describe(parameter));
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
      row(`\`${key}\``, output.Condition ? `when ${conditionText(template, { Condition: output.Condition }) ?? output.Condition}` : 'always', prose(output.Description ?? '')),
    ),
    '',
  ].join('\n');
}

export function exitCodesTable(): string {
  return ['| Exit code | Meaning |', '| --- | --- |', ...Object.values(EXIT_CODES).map(({ code, meaning }) => row(String(code), meaning)), ''].join('\n');
}

function labelOf(template: DocumentedTemplate, key: string): string {
  return template.Metadata?.['AWS::CloudFormation::Interface']?.ParameterLabels?.[key]?.default ?? key;
}

function defaultOf(parameter: TemplateParameter): string {
  if (parameter.Default === undefined) return 'required';
  if (parameter.Default === '') return 'empty';
  return `\`${parameter.Default}\``;
}

function describe(parameter: TemplateParameter): string {
  const allowed = parameter.AllowedValues ? ` One of ${parameter.AllowedValues.map((value) => `\`${value}\``).join(', ')}.` : '';
  const hidden = parameter.NoEcho === true || parameter.NoEcho === 'true' ? ' Hidden as you type it and in the stack\'s parameters.' : '';
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
    return `${labelOf(template, reference)} is ${negated ? 'not ' : ''}${right}`;
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
