/**
 * Stands in for AWS's evaluation of policy statements, which moto_server does not do (it enforces no
 * key policy, resource policy, boundary or condition): the documented rules for the statements this
 * project writes. An explicit Deny wins; otherwise a matching Allow allows; otherwise the request is
 * implicitly denied. Actions and resources match with `*` and `?` wildcards, case-insensitively for
 * actions; conditions support the operators the templates use, each key's values ORed and every key
 * and operator ANDed. A key the request does not carry matches no positive operator and every
 * negated one (`StringNotEquals`, `ArnNotLike`...), as in AWS.
 */

export interface PolicyStatement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

/** One API request as the policy sees it: action, resource ARN and the condition keys it carries. */
export interface PolicyRequest {
  readonly action: string;
  readonly resource: string;
  readonly context?: Readonly<Record<string, string>>;
}

export type Decision = 'allowed' | 'explicitly denied' | 'implicitly denied';

export function evaluate(statements: readonly PolicyStatement[], request: PolicyRequest): Decision {
  const matching = statements.filter((statement) => applies(statement, request));
  if (matching.some((statement) => statement.Effect === 'Deny')) return 'explicitly denied';
  return matching.some((statement) => statement.Effect === 'Allow') ? 'allowed' : 'implicitly denied';
}

function applies(statement: PolicyStatement, request: PolicyRequest): boolean {
  const actionMatches = (patterns: string | readonly string[]) => list(patterns).some((pattern) => wildcard(pattern, true).test(request.action));
  const resourceMatches = (patterns: string | readonly string[]) => list(patterns).some((pattern) => wildcard(pattern, false).test(request.resource));
  if (statement.Action !== undefined && !actionMatches(statement.Action)) return false;
  if (statement.NotAction !== undefined && actionMatches(statement.NotAction)) return false;
  if (statement.Resource !== undefined && !resourceMatches(statement.Resource)) return false;
  if (statement.NotResource !== undefined && resourceMatches(statement.NotResource)) return false;
  return Object.entries(statement.Condition ?? {}).every(([operator, keys]) =>
    Object.entries(keys).every(([key, values]) => conditionHolds(operator, request.context?.[key], list(values))),
  );
}

function conditionHolds(operator: string, actual: string | undefined, expected: readonly string[]): boolean {
  if (actual === undefined) return /Not/.test(operator);
  switch (operator) {
    case 'StringEquals':
    case 'ArnEquals':
      return expected.includes(actual);
    case 'StringNotEquals':
    case 'ArnNotEquals':
      return !expected.includes(actual);
    case 'StringLike':
    case 'ArnLike':
      return expected.some((pattern) => wildcard(pattern, false).test(actual));
    case 'StringNotLike':
    case 'ArnNotLike':
      return !expected.some((pattern) => wildcard(pattern, false).test(actual));
    default:
      throw new Error(`the policy model does not know the condition operator ${operator}`);
  }
}

function list(value: string | readonly string[]): readonly string[] {
  return typeof value === 'string' ? [value] : value;
}

function wildcard(pattern: string, ignoreCase: boolean): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\/]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, ignoreCase ? 'i' : '');
}
