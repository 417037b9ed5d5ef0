import { API_TOKEN_ENVIRONMENT_VARIABLE, API_TOKEN_PARAMETER, API_URL_ENVIRONMENT_VARIABLE } from '../shared/cloud-stack-contract';
import {
  codeOf,
  ENVIRONMENT_FAILURES,
  type EnvironmentFailure,
  FUNCTION_FAILURES,
  type FunctionFailure,
  HOST_FAILURES,
  type HostFailure,
} from '../shared/failures';
import { cloudStackNameFor, readyStackNameFor, stackNameFor } from '../shared/conventions';
import { HOST_ROLE_LOGICAL_ID, PARAMETER_KEYS as KEY, SECRET_STORE_LOGICAL_IDS } from '../shared/names';

/**
 * What to do about a failed altinity-connect stack, recognised from a failure reason: by the code
 * that every failure of the hosts and the secret-store function carries, and, for AWS's own messages
 * (CloudFormation, EC2, IAM), which carry none, by their wording.
 */
export interface Hint {
  /** Stable name of the cause, for scripts reading `--json`: the failure code, or an AWS rule's name. */
  readonly cause: string;
  readonly advice: string;
}

const NETWORK_ADVICE =
  'Give the host a route to the internet: a public subnet whose route table sends 0.0.0.0/0 to an internet gateway, with ' +
  `${KEY.assignPublicIp}=true; or a private subnet that reaches a NAT gateway, with ${KEY.assignPublicIp}=false. Network ACLs must allow ` +
  `outbound HTTPS and the replies. With ${KEY.httpsProxy}, the proxy must allow HTTPS (CONNECT) to Altinity.Cloud, the download ` +
  `location and the AWS endpoints that no VPC endpoint in ${KEY.noProxy} serves (the README lists them).`;

const SSM_ADVICE =
  'The host could not read its token or certificate, or store its certificate, in SSM Parameter Store. Look for a service control policy, ' +
  `permissions boundary or KMS key policy that denies ssm:GetParameter, ssm:PutParameter or kms:Decrypt to the stack's ${HOST_ROLE_LOGICAL_ID}.`;

/** Why a code has no advice of its own. */
interface NoAdvice {
  readonly none: string;
}

/** Every failure code: what to do about it, or why the code alone cannot say. */
export const ADVICE_BY_CODE: Readonly<Record<HostFailure | FunctionFailure | EnvironmentFailure, string | NoAdvice>> = {
  [HOST_FAILURES.unexpected]:
    'A command of the bootstrap failed where none was expected. The console output names the step and the line: send it to the ' +
    'maintainers of this template.',
  [HOST_FAILURES.noMetadata]:
    'The host could not reach the instance metadata service (IMDSv2, 169.254.169.254). With your own AMI, check that nothing on it ' +
    'blocks the metadata service.',
  [HOST_FAILURES.caInvalid]: `${KEY.caCertificates} must hold PEM certificates (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----); line breaks may be spaces.`,
  [HOST_FAILURES.untrustedTls]:
    'A server the host reached presented a certificate that no CA the host trusts signed: usually a proxy that inspects TLS. ' +
    `Give that proxy's CA certificate (PEM) in ${KEY.caCertificates}.`,
  [HOST_FAILURES.noNetwork]: `The host could not reach the internet. ${NETWORK_ADVICE}`,
  [HOST_FAILURES.noAwsCli]: `The host could not install the AWS CLI from Ubuntu's package mirror (the snap store on Ubuntu 24.04). ${NETWORK_ADVICE}`,
  [HOST_FAILURES.unsupportedArch]: `altinitycloud-connect is released for x86_64 and aarch64 (arm64) only: choose an ${KEY.instanceType} and AMI of one of those.`,
  [HOST_FAILURES.downloadFailed]:
    `The host could not install altinitycloud-connect. Check ${KEY.connectVersion} (a published release) and ${KEY.downloadUrl} (a mirror ` +
    `must serve <url>/v<version>/altinitycloud-connect-<version>-linux-<arch>). If those are right, the host has no way out: ${NETWORK_ADVICE}`,
  [HOST_FAILURES.checksumMismatch]:
    `The release downloaded does not have the SHA-256 in ${KEY.connectSha256}: check that value against the release's checksum, and ` +
    `that ${KEY.downloadUrl} serves the release itself.`,
  [HOST_FAILURES.tokenMissing]: `Give the ${KEY.token} parameter when you create the stack in the console, or deploy with cdk deploy -c env=<name> -c token=<token>, which stores the token first.`,
  [HOST_FAILURES.notStackOwned]:
    'The token or certificate parameter is not one this stack wrote (the console output says what the host found): someone who may ' +
    'write parameters under /altinity-connect/<env>/ replaced it. Find who in CloudTrail (PutParameter), then update the stack with the ' +
    'token: the update stores the token again and deletes a certificate the stack did not write.',
  [HOST_FAILURES.ssmDenied]: SSM_ADVICE,
  [HOST_FAILURES.loginFailed]:
    'Altinity.Cloud refused the connection token, or the host could not reach it (the reason quotes the tool). For a refused token, ' +
    'copy it again from the Connection Setup panel of the Altinity Cloud Manager (use the copy icon: the token is too wide to select ' +
    'by hand), check that the environment name matches the one there, and deploy again with the fresh token. For a network error: ' +
    NETWORK_ADVICE,
  [HOST_FAILURES.certNotFound]:
    `${KEY.existingCertificate} names no SSM parameter in the stack's region: check the name and the region, or leave it ` +
    'empty and give the connection token instead.',
  [HOST_FAILURES.claimStuck]:
    "Another host claimed the login and stored no certificate in time: read that host's console output (the reason names it). " +
    'Once it is gone, or its claim is 15 minutes old, the next host takes the claim over.',
  [HOST_FAILURES.serviceFailed]:
    'altinitycloud-connect logged in but did not keep running. The bootstrap log on the host ends with its journal: read it ' +
    'from the console output, and send it to Altinity support.',
  [HOST_FAILURES.notConnected]:
    'The tunnel started, but Altinity.Cloud did not see the environment connected. Check that the hosts reach the ' +
    'Altinity.Cloud URL over HTTPS (port 443; through the proxy, if you set one), and that the token is the one of this ' +
    'environment, from its Connection Setup panel.',
  [HOST_FAILURES.deadline]:
    'The host did not finish in time, usually because its network is slow or filtered (a proxy, a firewall). Its console ' +
    `output shows the step it stopped at. ${NETWORK_ADVICE}`,

  [FUNCTION_FAILURES.requestRefused]:
    'The function refused an event that it cannot tell came from CloudFormation for a resource it serves, and ' +
    'changed nothing; its log names the request. If nobody but CloudFormation invoked it, run the status command again once the ' +
    'stack settles, and report the log to the maintainers; otherwise, restrict lambda:InvokeFunction on the function.',
  [FUNCTION_FAILURES.functionMisconfigured]:
    'The function lacks a setting that the template gives it: it was changed after deployment, or deployed from a ' +
    'modified template. Deploy the published template as it is.',
  [FUNCTION_FAILURES.ownedByAnotherStack]:
    'Another stack of this environment, in this account and region, owns the token and certificate parameters. Update or ' +
    'delete that stack (the message names it) instead of creating a second one; once it is deleted, this stack can be created.',
  [FUNCTION_FAILURES.environmentRenamed]: `A stack serves one environment: create a stack for the new environment (${stackNameFor('<new name>')}), then delete this one.`,
  [FUNCTION_FAILURES.stagedTokenMissing]:
    'The token that cdk deploy staged expired or was removed before the stack took it: run cdk deploy again with the token. ' +
    "In the rollback of an update that changed the token, it is the earlier token's copy, deleted once the stack had stored that token: " +
    'the next steps say how to finish the rollback.',
  [FUNCTION_FAILURES.stagedTokenMismatch]:
    'The staged copy of the token does not hold the token its name was made from: it was replaced after cdk deploy staged it. ' +
    'Run cdk deploy again with the token, and find who may write secrets under altinity-connect/<env>/staged/.',
  [FUNCTION_FAILURES.existingCertificateInStackPath]:
    `${KEY.existingCertificate} must be outside /altinity-connect/, where the stack keeps its own parameters: move your certificate ` +
    'to another name and give that name.',
  [FUNCTION_FAILURES.certificateNotOwned]:
    'A parameter that no stack owns sits where this stack keeps its certificate. If it is your certificate, move it to a name ' +
    `outside /altinity-connect/ and give that name in ${KEY.existingCertificate}; otherwise delete it. Then create the stack again.`,
  [ENVIRONMENT_FAILURES.apiTokenMissing]:
    `The ${cloudStackNameFor('<env>')} stack holds no Altinity.Cloud API token: give one (${API_TOKEN_ENVIRONMENT_VARIABLE}=... npx cdk deploy --all -c env=... -c environment=...; ` +
    `in the console, update the stack with the token in its ${API_TOKEN_PARAMETER} parameter). ` +
    'Make it in the Altinity Cloud Manager under My Account > Anywhere API Access.',
  [ENVIRONMENT_FAILURES.apiUrlChanged]:
    'The stored API token goes only to the Altinity.Cloud URL it was given for. To change the URL (only when Altinity tells you to), give a new ' +
    `API token, made in the Altinity Cloud Manager at that URL, in the same update: ${API_URL_ENVIRONMENT_VARIABLE}=<url> ${API_TOKEN_ENVIRONMENT_VARIABLE}=... ` +
    `npx cdk deploy --all ..., or in the console AltinityApiUrl and ${API_TOKEN_PARAMETER} together.`,
  [ENVIRONMENT_FAILURES.specInvalid]: 'The environment file has the problems the message lists, each by its field: correct them and deploy again.',
  [ENVIRONMENT_FAILURES.immutableChange]:
    'Altinity.Cloud fixes these fields when it creates the environment (docs/environment-file.md marks them): put them back as they were, ' +
    'or create a new environment under another name. Nothing was sent to Altinity.Cloud.',
  [ENVIRONMENT_FAILURES.environmentElsewhere]:
    'An environment of this name exists in Altinity.Cloud for another AWS account or region: choose another name, or deploy to the account and region it names.',
  [ENVIRONMENT_FAILURES.environmentFailed]:
    "Altinity.Cloud reports the error that follows the code (its code and message): fix its cause in the account (quotas, permissions, the hosts' connection), " +
    'then deploy again; npm run status -- --env <env> shows the environment as Altinity.Cloud sees it.',
  [ENVIRONMENT_FAILURES.environmentNotReady]:
    'Altinity.Cloud had not applied the specification when the wait ended, and reports no error: npm run status -- --env <env> shows how far it is. ' +
    'Deploy again to wait once more, or give the ready stack a longer wait.',
  [ENVIRONMENT_FAILURES.deletionUnconfirmed]:
    "Altinity.Cloud asked a person to confirm the environment's deletion with MFA, and nobody did in time: delete the stack again and confirm " +
    'in the Altinity Cloud Manager within about 5 minutes.',
  [ENVIRONMENT_FAILURES.stillDeprovisioning]:
    'Altinity.Cloud is still deprovisioning the environment through the hosts: delete the stack again to wait on; the hosts stay until it is done.',
  [ENVIRONMENT_FAILURES.readyStackMisnamed]:
    `The cloud stack's function serves the ready stack only under the name ${readyStackNameFor('<env>')}: delete this stack (nothing ` +
    'was created, and nothing is deleted in Altinity.Cloud) and create it again under that name.',
  [FUNCTION_FAILURES.awsError]: {
    none: "AWS's own error follows the code; npm run status gives advice for the usual ones (access denied, a missing capability, ...).",
  },
};

interface AwsRule extends Hint {
  readonly matches: RegExp;
}

/** What to do when CloudFormation refuses the stack for want of CAPABILITY_IAM; the next steps repeat it. */
export const CAPABILITY_ADVICE =
  'The stack creates IAM roles, so CloudFormation needs your acknowledgement: tick "I acknowledge that AWS CloudFormation ' +
  'might create IAM resources" on the console\'s review page, or pass --capabilities CAPABILITY_IAM to the AWS CLI.';

/** AWS's own messages, tried in order: specific ones first, generic ones last. */
const AWS_MESSAGE_RULES: readonly AwsRule[] = [
  {
    cause: 'no-signal',
    matches: /Failed to receive \d+ resource signal/i,
    advice:
      'The host never reported back in time, so it could not even reach CloudFormation: usually it has no route to the internet. ' +
      `${NETWORK_ADVICE} Its console output shows how far the bootstrap got.`,
  },
  {
    cause: 'subnet-not-in-vpc',
    matches: /belong to different networks|subnet ID '[^']*' does not exist|must belong to the VPC/i,
    advice: `Every subnet in ${KEY.subnetIds} must exist in this region and belong to the VPC chosen in ${KEY.vpcId}: pick subnets of that VPC.`,
  },
  {
    cause: 'missing-capability-iam',
    matches: /Requires capabilities|InsufficientCapabilities|CAPABILITY_IAM/i,
    advice: CAPABILITY_ADVICE,
  },
  {
    cause: 'instance-type-unavailable',
    matches: /InsufficientInstanceCapacity|not supported in (your requested|this) Availability Zone|Unsupported.*instance/i,
    advice: `That instance type is not available where the host was placed: choose another ${KEY.instanceType}, or list a subnet in another Availability Zone first.`,
  },
  {
    // Only as the secret-store function reports it: the deployer's own KMS refusals are permission-denied.
    cause: 'key-access-denied',
    matches: /\[aws-error\] (.*(AccessDenied|not authorized).*\bkms:|.*\bkms:.*(AccessDenied|not authorized))/i,
    advice:
      `The secret-store function could not use the stack's key ${SECRET_STORE_LOGICAL_IDS.key} through SSM. Look for a service control policy ` +
      "or a permissions boundary that denies kms:Encrypt, kms:Decrypt or kms:GenerateDataKey to the function's role, then retry the stack.",
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

/** The advice for a failure reason, or undefined when neither its code nor any AWS rule gives one. */
export function hintFor(reason: string | undefined): Hint | undefined {
  if (!reason) return undefined;
  const code = codeOf(reason);
  if (code !== undefined) {
    const advice = (ADVICE_BY_CODE as Record<string, string | NoAdvice | undefined>)[code];
    if (typeof advice === 'string') return { cause: code, advice };
  }
  const rule = AWS_MESSAGE_RULES.find((candidate) => candidate.matches.test(reason));
  return rule && { cause: rule.cause, advice: rule.advice };
}
