/** Who asked AWS, so that an explanation can name the profile and region involved. */
export interface RequestContext {
  /** The profile the SDK read credentials from (AWS_PROFILE), if any. */
  readonly profile?: string;
  /** The region asked, once known. */
  readonly region?: string;
}

/** What an explanation reads of an error the SDK, AWS or the network threw. */
export interface ErrorLike {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly httpStatus?: number;
  readonly responseHeaders?: Readonly<Record<string, string | undefined>>;
}

/** One kind of error a command meets, and what to tell its user about it. */
export interface Explanation<Context extends RequestContext = RequestContext> {
  readonly matches: (error: ErrorLike, context: Context) => boolean;
  readonly explain: (error: ErrorLike, context: Context) => string;
}

/** Matches an error by its name or its Node.js code. */
export const named =
  (...names: string[]) =>
  (error: ErrorLike): boolean =>
    names.includes(error.name) || (error.code !== undefined && names.includes(error.code));

/**
 * One line for the terminal: the first explanation that matches, else `otherwise`. Never a stack
 * trace, and never several lines, even when AWS sends several.
 */
export function explainInOneLine<Context extends RequestContext>(
  error: unknown,
  context: Context,
  explanations: readonly Explanation<Context>[],
  otherwise: (error: ErrorLike, context: Context) => string,
): string {
  const errorLike = toErrorLike(error);
  const explanation = explanations.find((candidate) => candidate.matches(errorLike, context));
  const text = explanation ? explanation.explain(errorLike, context) : otherwise(errorLike, context);
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * The SDK's credential chain found nothing. `profileSource` names where the command took the profile
 * from, when that is not the option the user just typed; `waysToGiveCredentials` says how the
 * command's user supplies credentials.
 */
export function noCredentials(options: { readonly profileSource?: string; readonly waysToGiveCredentials: string }): Explanation {
  const source = options.profileSource ? ` (${options.profileSource})` : '';
  return {
    matches: (error) => error.name === 'CredentialsProviderError' || /could not load credentials/i.test(error.message),
    explain: (_error, context) =>
      context.profile
        ? `no AWS credentials for profile "${context.profile}"${source}: check that ~/.aws/config or ~/.aws/credentials defines it, or sign in (aws sso login --profile ${context.profile})`
        : `no AWS credentials found: ${options.waysToGiveCredentials}, or sign in (aws configure, aws sso login)`,
  };
}

/** Neither the command line, the environment nor the profile gave a region. `regionOption` shows the option. */
export function noRegion(regionOption: string): Explanation {
  return {
    matches: (error) => /region is missing/i.test(error.message),
    explain: () => `no AWS region: pass ${regionOption}, set AWS_REGION, or give your profile a region`,
  };
}

export const SESSION_EXPIRED: Explanation = {
  matches: named('ExpiredToken', 'ExpiredTokenException', 'RequestExpired', 'TokenRefreshRequired'),
  explain: () => 'your AWS session has expired: sign in again (for example aws sso login) and retry',
};

/** The service refused the key or the signature; `names` are the codes that service gives it. */
export function credentialsRefused(...names: string[]): Explanation {
  return {
    matches: named(...names),
    explain: (error) => `AWS did not accept your credentials (${error.name}): check the access key, or sign in again`,
  };
}

/** No connection to the endpoint. `endpoint` names it, in the region asked when one is known. */
export function unreachable(endpoint: (region: string | undefined) => string): Explanation {
  return {
    matches: named('ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'TimeoutError', 'NetworkingError'),
    explain: (error, context) => `cannot reach ${endpoint(context.region)} (${error.code ?? error.name}): check your network, proxy and the region name`,
  };
}

function toErrorLike(error: unknown): ErrorLike {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const details = error as Error & {
    code?: unknown;
    $metadata?: { httpStatusCode?: number };
    $response?: { headers?: Record<string, string | undefined> };
  };
  return {
    name: error.name,
    message: error.message,
    code: typeof details.code === 'string' ? details.code : undefined,
    httpStatus: details.$metadata?.httpStatusCode,
    responseHeaders: details.$response?.headers,
  };
}
