import {
  credentialsRefused,
  type Explanation,
  explainInOneLine,
  named,
  noCredentials,
  noRegion,
  type RequestContext,
  SESSION_EXPIRED,
  unreachable,
} from '../shared/aws-errors';

const PERMISSIONS = 'cloudformation:DescribeStacks, cloudformation:DescribeStackEvents and cloudformation:DescribeStackResources';

/** The errors an operator meets, from the SDK's credential chain, AWS or the network, in words. */
const EXPLANATIONS: readonly Explanation[] = [
  noCredentials({ waysToGiveCredentials: 'pass --profile <name>, set AWS_PROFILE' }),
  noRegion('--region <region>'),
  {
    matches: (error) => /region not accepted/i.test(error.message),
    explain: (_error, context) => `"${context.region ?? ''}" is not an AWS region name: pass one such as --region us-east-1`,
  },
  SESSION_EXPIRED,
  credentialsRefused('InvalidClientTokenId', 'UnrecognizedClientException', 'SignatureDoesNotMatch', 'InvalidSignatureException', 'IncompleteSignature'),
  {
    matches: (error) => named('AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation')(error) || /not authorized to perform/i.test(error.message),
    explain: (error) => `AWS denied the request: your identity needs ${PERMISSIONS} on the stack (${error.message})`,
  },
  {
    matches: named('Throttling', 'ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded'),
    explain: () =>
      'AWS is throttling CloudFormation requests in this account and region, even after retries: wait a minute and try again (with --wait, use a longer --interval)',
  },
  unreachable((region) => `the CloudFormation endpoint${region ? ` of ${region}` : ''}`),
];

/** One line for the terminal: what went wrong asking AWS, and what to do. Never a stack trace. */
export function explainAwsError(error: unknown, context: RequestContext): string {
  return explainInOneLine(error, context, EXPLANATIONS, (errorLike) => `AWS request failed: ${errorLike.name}: ${errorLike.message}`);
}
