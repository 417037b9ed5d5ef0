/**
 * CloudFormation's evaluation of a template, as far as this project reads its own: conditions,
 * `Fn::If` and `AWS::NoValue`, and the intrinsic functions its templates use (`Ref`, `Fn::Sub`,
 * `Fn::Join`, `Fn::Select`, `Fn::Split`, `Fn::GetAtt`, `Fn::Base64`). Any other function is an error, not a
 * guess. One evaluator for the generator of docs/ (lib/docs), the tests' view of a template with given
 * parameter values, and the tests' Lambda service, which resolves a live stack's custom resources.
 *
 * Not cfn-resolver-lib (npm): it leaves `AWS::NoValue` in place as the text "AWS::NoValue", keeps
 * resources whose condition is false, substitutes only given values in `Fn::Sub` (no attributes,
 * no `${!Literal}`), and returns a reference it cannot resolve as its name instead of failing.
 */

/** The parts of a template that evaluation reads. */
export interface EvaluableTemplate {
  readonly Parameters?: Readonly<Record<string, { readonly Type?: string; readonly Default?: unknown }>>;
  readonly Conditions?: Readonly<Record<string, unknown>>;
  readonly Resources?: Readonly<Record<string, { readonly Condition?: string }>>;
  readonly Outputs?: Readonly<Record<string, { readonly Condition?: string }>>;
}

/** What the template's references stand for: a live stack's values, given parameter values, a reader's placeholders... */
export interface References {
  /** The value of `Ref name`: a parameter's, a pseudo parameter's or a resource's. Throws when there is none. */
  ref(name: string): unknown;
  /**
   * The value of `Fn::GetAtt [logicalId, attribute]`.
   *
   * @default - an error: no attribute is known
   */
  attribute?(logicalId: string, attribute: string): unknown;
}

/** References to parameters, with the given values and the template's defaults for the rest (as `Ref` gives them: text). */
export function parameterValues(template: EvaluableTemplate, values: Readonly<Record<string, string>>): References {
  return {
    ref(name) {
      if (name in values) return values[name];
      const fallback = template.Parameters?.[name]?.Default;
      if (fallback === undefined) throw new Error(`no value for parameter ${name}`);
      return String(fallback);
    },
  };
}

/**
 * The template as CloudFormation would act on it for these parameter values (defaults for the
 * rest): resources and outputs whose condition is false left out, every `Fn::If` replaced by its
 * chosen branch and `AWS::NoValue` removed. Other references stay as they are.
 */
export function effectiveTemplate<T extends EvaluableTemplate>(template: T, values: Readonly<Record<string, string>>): T {
  const evaluator = new TemplateEvaluator(template, parameterValues(template, values));
  return {
    ...template,
    Resources: evaluator.choose(evaluator.present(template.Resources)),
    Outputs: evaluator.choose(evaluator.present(template.Outputs)),
  } as T;
}

/** What `AWS::NoValue` becomes while evaluating: left out of the list or object that holds it. */
const NO_VALUE = Symbol('AWS::NoValue');

export class TemplateEvaluator {
  private readonly conditions = new Map<string, boolean>();

  /** `references` give conditions their values, and `resolve` its values unless it is given others. */
  constructor(
    private readonly template: EvaluableTemplate,
    private readonly references: References,
  ) {}

  /** Whether the template's condition of this name holds. */
  holds(name: string): boolean {
    let holds = this.conditions.get(name);
    if (holds === undefined) {
      const expression = this.template.Conditions?.[name];
      if (expression === undefined) throw new Error(`no condition ${name} in the template`);
      holds = this.truth(expression);
      this.conditions.set(name, holds);
    }
    return holds;
  }

  /** The entries of a section (resources, outputs) that exist: those without a condition, or whose condition holds. */
  present<T extends { readonly Condition?: string }>(section: Readonly<Record<string, T>> = {}): Record<string, T> {
    return Object.fromEntries(Object.entries(section).filter(([, entry]) => entry.Condition === undefined || this.holds(entry.Condition)));
  }

  /** `node` with every `Fn::If` replaced by its chosen branch and `AWS::NoValue` left out; the rest as it is. */
  choose(node: unknown): unknown {
    return plainValue(this.evaluate(node, undefined));
  }

  /** `node` with every intrinsic function resolved: references with `references`, by default the evaluator's own. */
  resolve(node: unknown, references: References = this.references): unknown {
    return plainValue(this.evaluate(node, references));
  }

  /** Chooses every `Fn::If`, and resolves the other functions when given references to resolve them with. */
  private evaluate(node: unknown, references: References | undefined): unknown {
    if (Array.isArray(node)) return node.map((item) => this.evaluate(item, references)).filter(isKept);
    if (!node || typeof node !== 'object') return node;
    const entries = Object.entries(node);
    if (entries.length === 1) {
      const [[name, argument]] = entries;
      if (name === 'Ref' && argument === 'AWS::NoValue') return NO_VALUE;
      if (name === 'Fn::If') {
        const [condition, whenTrue, whenFalse] = argument as [string, unknown, unknown];
        return this.evaluate(this.holds(condition) ? whenTrue : whenFalse, references);
      }
      if (references && (name === 'Ref' || name.startsWith('Fn::'))) return this.intrinsic(name, argument, references);
    }
    return Object.fromEntries(entries.map(([key, value]) => [key, this.evaluate(value, references)]).filter(([, value]) => isKept(value)));
  }

  private intrinsic(name: string, argument: unknown, references: References): unknown {
    const resolve = (node: unknown) => plainValue(this.evaluate(node, references));
    const attribute = (logicalId: string, attribute: string) => {
      if (!references.attribute) throw new Error(`cannot evaluate Fn::GetAtt ${logicalId}.${attribute}: no attribute is known`);
      return references.attribute(logicalId, attribute);
    };
    switch (name) {
      case 'Ref':
        return references.ref(String(argument));
      case 'Fn::Join': {
        const [separator, items] = argument as [string, unknown];
        return (resolve(items) as unknown[]).join(separator);
      }
      case 'Fn::Select': {
        const [index, items] = argument as [unknown, unknown];
        return (resolve(items) as unknown[])[Number(resolve(index))];
      }
      case 'Fn::Split': {
        const [separator, text] = argument as [string, unknown];
        return String(resolve(text)).split(separator);
      }
      case 'Fn::GetAtt': {
        const [logicalId, attributeName] = typeof argument === 'string' ? argument.split('.') : (argument as [string, string]);
        return attribute(logicalId, attributeName);
      }
      case 'Fn::Sub': {
        const [text, variables] = typeof argument === 'string' ? [argument, {}] : (argument as [string, Record<string, unknown>]);
        return text.replace(/\$\{([^}]*)\}/g, (_whole, reference: string) => {
          // `${!Literal}` is how Fn::Sub writes a literal `${Literal}`.
          if (reference.startsWith('!')) return `\${${reference.slice(1)}}`;
          const [logicalId, attributeName] = reference.split('.');
          const value =
            reference in variables ? resolve(variables[reference]) : attributeName ? attribute(logicalId, attributeName) : references.ref(reference);
          if (typeof value !== 'string' && typeof value !== 'number')
            throw new Error(`Fn::Sub cannot write \${${reference}}: ${JSON.stringify(value)} is not text`);
          return String(value);
        });
      }
      case 'Fn::Base64':
        return Buffer.from(String(resolve(argument)), 'utf8').toString('base64');
      default:
        throw new Error(`cannot evaluate ${name}: not a function this project's templates use`);
    }
  }

  /**
   * A condition expression's truth (a condition's definition, or a rule's assertion): `Fn::Equals`
   * compares text, as CloudFormation compares parameter values.
   */
  truth(expression: unknown): boolean {
    const entries = expression && typeof expression === 'object' ? Object.entries(expression) : [];
    if (entries.length === 1) {
      const [[name, argument]] = entries;
      const operands = argument as unknown[];
      switch (name) {
        case 'Condition':
          return this.holds(String(argument));
        case 'Fn::Equals':
          return String(this.resolve(operands[0])) === String(this.resolve(operands[1]));
        case 'Fn::Not':
          return !this.truth(operands[0]);
        case 'Fn::And':
          return operands.every((operand) => this.truth(operand));
        case 'Fn::Or':
          return operands.some((operand) => this.truth(operand));
      }
    }
    throw new Error(`cannot evaluate the condition ${JSON.stringify(expression)}`);
  }
}

function isKept(value: unknown): boolean {
  return value !== NO_VALUE && value !== undefined;
}

function plainValue(evaluated: unknown): unknown {
  return evaluated === NO_VALUE ? undefined : evaluated;
}
