import type { CfnTemplate } from './templates';

type Json = unknown;
const NO_VALUE = Symbol('AWS::NoValue');

/**
 * The template as CloudFormation would act on it for these parameter values: conditions evaluated,
 * resources and outputs whose condition is false dropped, every Fn::If replaced by its chosen branch
 * and AWS::NoValue removed. Refs other than those the conditions need stay as they are.
 */
export function effectiveTemplate(template: CfnTemplate, parameterValues: Record<string, string>): CfnTemplate {
  const valueOf = (name: string): string => {
    if (name in parameterValues) return parameterValues[name];
    const fallback = template.Parameters[name]?.Default;
    if (fallback === undefined) throw new Error(`no value for parameter ${name}`);
    return String(fallback);
  };
  const conditions = new Map<string, boolean>();
  const evaluate = (expression: any): any => {
    if (typeof expression !== 'object' || expression === null) return expression;
    if ('Ref' in expression) return valueOf(expression.Ref);
    if ('Condition' in expression) return holds(expression.Condition);
    if ('Fn::Equals' in expression) {
      const [left, right] = expression['Fn::Equals'].map(evaluate);
      return String(left) === String(right);
    }
    if ('Fn::Not' in expression) return !evaluate(expression['Fn::Not'][0]);
    if ('Fn::And' in expression) return expression['Fn::And'].every(evaluate);
    if ('Fn::Or' in expression) return expression['Fn::Or'].some(evaluate);
    throw new Error(`cannot evaluate ${JSON.stringify(expression)}`);
  };
  const holds = (name: string): boolean => {
    if (!conditions.has(name)) conditions.set(name, Boolean(evaluate(template.Conditions?.[name])));
    return conditions.get(name)!;
  };
  const choose = (node: Json): Json | typeof NO_VALUE => {
    if (Array.isArray(node)) return node.map(choose).filter((item) => item !== NO_VALUE);
    if (typeof node !== 'object' || node === null) return node;
    const object = node as Record<string, Json>;
    if (object.Ref === 'AWS::NoValue') return NO_VALUE;
    if ('Fn::If' in object) {
      const [condition, whenTrue, whenFalse] = object['Fn::If'] as [string, Json, Json];
      return choose(holds(condition) ? whenTrue : whenFalse);
    }
    return Object.fromEntries(
      Object.entries(object)
        .map(([key, value]) => [key, choose(value)] as const)
        .filter(([, value]) => value !== NO_VALUE),
    );
  };
  const present = (section: Record<string, any> = {}) =>
    Object.fromEntries(Object.entries(section).filter(([, entry]) => entry.Condition === undefined || holds(entry.Condition)));
  return {
    ...template,
    Resources: choose(present(template.Resources)) as CfnTemplate['Resources'],
    Outputs: choose(present(template.Outputs)) as CfnTemplate['Outputs'],
  };
}
