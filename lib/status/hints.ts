import { HOST_ROLE_LOGICAL_ID } from '../shared/logical-ids';
import { PARAMETER_KEYS as KEY, stackNameFor } from '../shared/names';

/**
 * The usual causes of a failed altinity-connect stack, recognised from a failure reason, each with
 * what to do about it. Rules are tried in order: specific ones first, generic ones last.
 */
export interface Hint {
  /** Stable name of the cause, for scripts reading `--json`. */
  readonly cause: string;
  readonly advice: string;
}

interface HintRule extends Hint {
  readonly matches: RegExp;
}

const NETWORK_ADVICE =
  'Give the host a route to the internet: a public subnet whose route table sends 0.0.0.0/0 to an internet gateway, with ' +
  `${KEY.assignPublicIp}=true; or a private subnet that reaches a NAT gateway, with ${KEY.assignPublicIp}=false. Network ACLs must allow ` +
  `outbound HTTPS and the replies. With ${KEY.httpsProxy}, the proxy must allow HTTPS (CONNECT) to Altinity.Cloud, the download ` +
  `location and the AWS endpoints that no VPC endpoint in ${KEY.noProxy} serves (the README lists them).`;

export const HINT_RULES: readonly HintRule[] = [
  {
    cause: 'secrets-owned-by-another-stack',
    matches: /belongs to stack .* which still exists/i,
    advice:
      'Another stack of this environment, in this account and region, owns the token and certificate parameters. Update or ' +
      'delete that stack (the message names it) instead of creating a second one; once it is deleted, this stack can be created.',
  },
  {
    cause: 'environment-renamed',
    matches: /EnvName cannot change/i,
    advice: `A stack serves one environment: create a stack for the new environment (${stackNameFor('<new name>')}), then delete this one.`,
  },
  {
    cause: 'staged-token-missing',
    matches: /staged token .* does not exist/i,
    advice: 'The token that cdk deploy staged expired or was removed before the stack took it: run cdk deploy again with the token.',
  },
  {
    cause: 'existing-certificate-not-found',
    matches: /certificate parameter not found/i,
    advice:
      `${KEY.existingCertificate} names no SSM parameter in the stack's region: check the name and the region, or leave it ` +
      'empty and give the connection token instead.',
  },
  {
    cause: 'not-connected',
    matches: /Altinity\.Cloud: not connected after/i,
    advice:
      'The tunnel started, but Altinity.Cloud did not see the environment connected. Check that the hosts reach the ' +
      'Altinity.Cloud URL over HTTPS (port 443; through the proxy, if you set one), and that the token is the one of this ' +
      'environment, from its Connection Setup panel.',
  },
  {
    cause: 'untrusted-certificate',
    matches: /untrusted certificate/i,
    advice:
      'A server the host reached presented a certificate that no CA the host trusts signed: usually a proxy that inspects TLS. ' +
      `Give that proxy's CA certificate (PEM) in ${KEY.caCertificates}.`,
  },
  {
    cause: 'ca-certificates-invalid',
    matches: /CaCertificates holds no valid PEM/i,
    advice: `${KEY.caCertificates} must hold PEM certificates (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----); line breaks may be spaces.`,
  },
  {
    cause: 'deadline',
    matches: /no success within the \d+ s deadline/i,
    advice:
      'The host did not finish in time, usually because its network is slow or filtered (a proxy, a firewall). Its console ' +
      `output shows the step it stopped at. ${NETWORK_ADVICE}`,
  },
  {
    cause: 'token-not-stored',
    matches: /connection token parameter .* does not exist|token parameter not found/i,
    advice: `Give the ${KEY.token} parameter when you create the stack in the console, or deploy with cdk deploy -c env=<name> -c token=<token>, which stores the token first.`,
  },
  {
    cause: 'parameter-access-denied',
    matches: /cannot (read|store) (token |certificate )?parameter|ParameterNotFound|kms.*(AccessDenied|not authorized)/i,
    advice:
      'The host could not read its token or store its certificate in SSM Parameter Store. Look for a service control policy, ' +
      `permissions boundary or KMS key policy that denies ssm:GetParameter, ssm:PutParameter or kms:Decrypt to the stack's ${HOST_ROLE_LOGICAL_ID}.`,
  },
  {
    cause: 'download-failed',
    matches: /download location|download failed|sha-?256|checksum/i,
    advice:
      `The host could not install altinitycloud-connect. Check ${KEY.connectVersion} (a published release), ${KEY.downloadUrl} (a mirror ` +
      `must serve <url>/v<version>/altinitycloud-connect-<version>-linux-<arch>) and ${KEY.connectSha256} (empty, or the checksum of that ` +
      `release). If those are right, the host has no way out: ${NETWORK_ADVICE}`,
  },
  {
    cause: 'no-internet',
    matches: /no network|cannot reach|could not resolve|no such host|no route to host|network is unreachable|timed? ?out|deadline exceeded|apt-get (update|install) failed/i,
    advice: `The host could not reach the internet. ${NETWORK_ADVICE}`,
  },
  {
    cause: 'token-rejected',
    matches: /token rejected|login failed|invalid (connection )?token|token (is )?(expired|invalid)/i,
    advice:
      'Altinity.Cloud refused the connection token. Copy it again from the Connection Setup panel of the Altinity Cloud Manager ' +
      '(use the copy icon: the token is too wide to select by hand), check that the environment name matches the one in the ' +
      'Altinity Cloud Manager, and deploy again with the fresh token.',
  },
  {
    cause: 'no-signal',
    matches: /Failed to receive \d+ resource signal/i,
    advice:
      'The host never reported back in time, so it could not even reach CloudFormation: usually it has no route to the internet. ' +
      `${NETWORK_ADVICE} Its console output shows how far the bootstrap got.`,
  },
  {
    cause: 'service-failed',
    matches: /service did not stay up|cannot start altinitycloud-connect/i,
    advice:
      'altinitycloud-connect logged in but did not keep running. The bootstrap log on the host ends with its journal: read it ' +
      'from the console output, and send it to Altinity support.',
  },
  {
    cause: 'unsupported-architecture',
    matches: /unsupported architecture/i,
    advice: `altinitycloud-connect is released for x86_64 and arm64 only: choose an ${KEY.instanceType} and AMI of one of those.`,
  },
  {
    cause: 'subnet-not-in-vpc',
    matches: /belong to different networks|subnet ID '[^']*' does not exist|must belong to the VPC/i,
    advice: `Every subnet in ${KEY.subnetIds} must exist in this region and belong to the VPC chosen in ${KEY.vpcId}: pick subnets of that VPC.`,
  },
  {
    cause: 'missing-capability-iam',
    matches: /Requires capabilities|InsufficientCapabilities|CAPABILITY_IAM/i,
    advice:
      'The stack creates IAM roles, so CloudFormation needs your acknowledgement: tick "I acknowledge that AWS CloudFormation ' +
      'might create IAM resources" on the console\'s review page, or pass --capabilities CAPABILITY_IAM to the AWS CLI.',
  },
  {
    cause: 'instance-type-unavailable',
    matches: /InsufficientInstanceCapacity|not supported in (your requested|this) Availability Zone|Unsupported.*instance/i,
    advice: `That instance type is not available where the host was placed: choose another ${KEY.instanceType}, or list a subnet in another Availability Zone first.`,
  },
  {
    cause: 'permission-denied',
    matches: /not authorized to perform|AccessDenied|UnauthorizedOperation/i,
    advice:
      'The identity that deployed the stack lacks the permission the message names. Deploy as an administrator, or with a ' +
      'role that may create IAM roles, EC2 instances, security groups, Lambda functions and SSM parameters.',
  },
  {
    cause: 'name-taken',
    matches: /already exists/i,
    advice:
      'A resource with this name exists already, usually left by another stack of the same environment (perhaps in another ' +
      'region). Delete that stack, or remove the leftover resource the message names.',
  },
];

/** The advice for a failure reason, or undefined when none of the usual causes matches. */
export function hintFor(reason: string | undefined): Hint | undefined {
  if (!reason) return undefined;
  const rule = HINT_RULES.find((candidate) => candidate.matches.test(reason));
  return rule && { cause: rule.cause, advice: rule.advice };
}
