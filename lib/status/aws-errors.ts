/** Who asked AWS, so that an explanation can name the profile and region involved. */
export interface RequestContext {
  readonly profile?: string;
  readonly region?: string;
}

interface Explanation {
  readonly matches: (error: ErrorLike) => boolean;
  readonly explain: (error: ErrorLike, context: RequestContext) => string;
}

interface ErrorLike {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
}

const named =
  (...names: string[]) =>
  (error: ErrorLike): boolean =>
    names.includes(error.name) || (error.code !== undefined && names.includes(error.code));

const PERMISSIONS = 'cloudformation:DescribeStacks, cloudformation:DescribeStackEvents and cloudformation:DescribeStackResources';

/** The errors an operator meets, from the SDK's credential chain, AWS or the network, in words. */
const EXPLANATIONS: readonly Explanation[] = [
  {
    matches: (error) => error.name === 'CredentialsProviderError' || /could not load credentials/i.test(error.message),
    explain: (_error, context) =>
      context.profile
        ? `no AWS credentials for profile "${context.profile}": check that ~/.aws/config or ~/.aws/credentials defines it, or sign in (aws sso login --profile ${context.profile})`
        : 'no AWS credentials found: pass --profile <name>, set AWS_PROFILE, or sign in (aws configure, aws sso login)',
  },
  {
    matches: (error) => /region is missing/i.test(error.message),
    explain: () => 'no AWS region: pass --region <region>, set AWS_REGION, or give your profile a region',
  },
  {
    matches: (error) => /region not accepted/i.test(error.message),
    explain: (_error, context) => `"${context.region ?? ''}" is not an AWS region name: pass one such as --region us-east-1`,
  },
  {
    matches: named('ExpiredToken', 'ExpiredTokenException', 'RequestExpired', 'TokenRefreshRequired'),
    explain: () => 'your AWS session has expired: sign in again (for example aws sso login) and retry',
  },
  {
    matches: named('InvalidClientTokenId', 'UnrecognizedClientException', 'SignatureDoesNotMatch', 'InvalidSignatureException', 'IncompleteSignature'),
    explain: (error) => `AWS did not accept your credentials (${error.name}): check the access key, or sign in again`,
  },
  {
    matches: (error) => named('AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation')(error) || /not authorized to perform/i.test(error.message),
    explain: (error) => `AWS denied the request: your identity needs ${PERMISSIONS} on the stack (${error.message})`,
  },
  {
    matches: named('Throttling', 'ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded'),
    explain: () => 'AWS is throttling CloudFormation requests in this account and region, even after retries: wait a minute and try again (with --wait, use a longer --interval)',
  },
  {
    matches: named('ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'TimeoutError', 'NetworkingError'),
    explain: (error, context) =>
      `cannot reach the CloudFormation endpoint${context.region ? ` of ${context.region}` : ''} (${error.code ?? error.name}): check your network, proxy and the region name`,
  },
];

/** One line for the terminal: what went wrong asking AWS, and what to do. Never a stack trace. */
export function explainAwsError(error: unknown, context: RequestContext): string {
  const errorLike = toErrorLike(error);
  const explanation = EXPLANATIONS.find((candidate) => candidate.matches(errorLike));
  const text = explanation ? explanation.explain(errorLike, context) : `AWS request failed: ${errorLike.name}: ${errorLike.message}`;
  return text.replace(/\s+/g, ' ').trim();
}

function toErrorLike(error: unknown): ErrorLike {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, message: error.message, code: typeof code === 'string' ? code : undefined };
  }
  return { name: 'Error', message: String(error) };
}
