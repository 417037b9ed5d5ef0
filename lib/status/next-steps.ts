import { API_TOKEN_ENVIRONMENT_VARIABLE } from '../shared/cloud-stack-contract';
import { cloudStackNameFor, readyStackNameFor } from '../shared/conventions';
import { FUNCTION_FAILURES } from '../shared/failures';
import { PARAMETER_KEYS } from '../shared/names';
import { isHostResource } from './events';
import { CAPABILITY_ADVICE } from './hints';
import type { StackReport, StatusReport } from './types';

type Situation = Omit<StatusReport, 'nextSteps'>;

/** What the operator should do now, in words, for every stack status. */
export function nextSteps(situation: Situation): string[] {
  const { envName, stackStatus } = situation;
  const howToDelete = deletionCommand(situation);
  const follow = `Follow it with: npm run status -- --env ${envName}${regionFlag(situation)} --wait`;
  const deleteAltinityFirst = `Before deleting this stack, delete the environment ${envName} in the Altinity Cloud Manager: Altinity removes what it built in your account through this host.`;

  switch (situation.outcome) {
    case 'not-found':
      return [
        `There is no stack ${situation.stackName}${situation.region ? ` in ${situation.region}` : ''}: check the environment name, --region and --profile.`,
        `To create it, upload the template in the CloudFormation console, or run cdk deploy -c env=${envName} -c token=<connection token> (see the README).`,
        `If CloudFormation refused to create it with "Requires capabilities : [CAPABILITY_IAM]": ${CAPABILITY_ADVICE}`,
      ];
    case 'deleted':
      return ['The stack is deleted, with the host, its roles and the SSM parameters that held the token and certificate.'];
    case 'complete':
      return [
        `The host is connected to Altinity.Cloud. In the Altinity Cloud Manager, click PROCEED in the connection wizard of environment ${envName} (unless you already have).`,
        ...(situation.breakGlass.enabled ? [breakGlassStep(situation)] : []),
        deleteAltinityFirst,
      ];
    case 'in-progress':
      if (stackStatus === 'CREATE_IN_PROGRESS') {
        return [
          'Do not click PROCEED in the Altinity Cloud Manager yet: the stack completes only when the host has logged in to Altinity.Cloud (usually within a few minutes; it gives up after 15).',
          follow,
        ];
      }
      if (stackStatus === 'REVIEW_IN_PROGRESS') {
        return [`A change set was created but not executed: execute it (CloudFormation console, Change sets tab), or delete the stack${howToDelete}.`];
      }
      if (stackStatus === 'DELETE_IN_PROGRESS') return ['Wait for the deletion to finish.', follow];
      return ['Wait for the update to finish.', follow];
    case 'failed':
      return [...fixes(situation), ...recovery(situation, howToDelete)];
  }
}

/**
 * What to do in API-token mode, where the stacks create, wait for and delete the environment: no
 * wizard to click through, and `cdk deploy --all` / `cdk destroy --all` for every change. `connect`
 * is the connect stack's report; `stacks` the cloud and ready stacks'.
 */
export function environmentNextSteps(connect: Situation & Pick<StatusReport, 'nextSteps'>, stacks: readonly StackReport[]): string[] {
  const { envName } = connect;
  const deploy = `${API_TOKEN_ENVIRONMENT_VARIABLE}=... npx cdk deploy --all -c env=${envName} -c environment=<file>`;
  const follow = `Follow it with: npm run status -- --env ${envName}${regionFlag(connect)} --wait`;
  const destroy =
    `To delete: npx cdk destroy --all -c env=${envName} -c environment=<file>. It deletes ${readyStackNameFor(envName)}, the hosts, then ` +
    `${cloudStackNameFor(envName)}; the environment stays in Altinity.Cloud unless the stacks were deployed with -c onStackDelete=delete (the ready stack's WhenDeleted output says which).`;
  const all = [connect, ...stacks];
  if (connect.outcome === 'failed') return connect.nextSteps.filter((step) => !step.includes('PROCEED'));
  if (all.some((stack) => stack.outcome === 'failed')) return [`Fix the cause above, then deploy again: ${deploy}`];
  if (all.some((stack) => stack.outcome === 'in-progress')) return ['Wait for the stacks to finish.', follow];
  if (stacks.some((stack) => stack.outcome !== 'complete')) return [`Deploy the environment's missing stacks: ${deploy}`];
  return [
    `The environment is ready: create ClickHouse clusters in the Altinity Cloud Manager. To change it, edit the environment file and run ${deploy} again.`,
    ...(connect.breakGlass.enabled ? [breakGlassStep(connect)] : []),
    destroy,
  ];
}

function breakGlassStep(situation: Situation): string {
  const revoke = `Revoke the access by updating the stack with ${PARAMETER_KEYS.breakGlass}=disabled.`;
  const arns = situation.host.instances.filter((instance) => instance.state !== 'terminated').map((instance) => instance.instanceArn ?? instance.instanceId);
  if (situation.host.kind === 'group') {
    return (
      `Break glass is enabled: send Altinity support the ARNs of the hosts (${arns.join(', ') || 'none running'}). ` +
      `The group replaces failed hosts: run this command again for the current ones. ${revoke}`
    );
  }
  return `Break glass is enabled: send Altinity support the instance ARN ${arns[0] ?? '(see the InstanceArn output)'}. ${revoke}`;
}

function fixes(situation: Situation): string[] {
  const [root] = situation.failures;
  const steps = [root?.hint ? 'Fix the root cause as its hint says.' : 'Fix the cause above.'];
  const hostInvolved = situation.failures.some((failure) => isHostResource(failure.logicalId));
  const instanceId = situation.host.instances[0]?.instanceId;
  if (hostInvolved && instanceId) {
    steps.push(
      `See what the host did: aws ec2 get-console-output --instance-id ${instanceId}${regionFlag(situation)} --output text ` +
        '(readable for a while after the instance is terminated; the full log is /var/log/altinitycloud-connect-bootstrap.log on the host).',
    );
  }
  return steps;
}

function recovery(situation: Situation, howToDelete: string): string[] {
  switch (situation.stackStatus) {
    case 'ROLLBACK_IN_PROGRESS':
    case 'ROLLBACK_COMPLETE':
      return [`A stack whose creation failed cannot be updated: delete it${howToDelete}, then create it again.`];
    case 'CREATE_FAILED':
      return [`Rollback was disabled, so the resources were kept for inspection. Then delete the stack${howToDelete} and create it again.`];
    case 'ROLLBACK_FAILED':
      return [`Then delete the stack${howToDelete}; if CloudFormation still cannot delete a resource, it offers to retain it.`];
    case 'UPDATE_ROLLBACK_IN_PROGRESS':
    case 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS':
    case 'UPDATE_ROLLBACK_COMPLETE':
      return ['The host keeps running with its previous settings; update the stack again once the cause is fixed.'];
    case 'UPDATE_ROLLBACK_FAILED': {
      const resume = `aws cloudformation continue-update-rollback --stack-name ${situation.stackName}${regionFlag(situation)}`;
      // The rollback of a rotation asks for the earlier token's staged copy, deleted once the stack stored that token.
      const skip = [
        ...new Set(
          situation.failures
            .filter((failure) => failure.duringRollback && failure.hint?.cause === FUNCTION_FAILURES.stagedTokenMissing)
            .map((failure) => failure.logicalId),
        ),
      ];
      if (skip.length > 0) {
        return [
          `Then continue the rollback without ${skip.join(', ')}, which keeps the token the update stored (the earlier token's staged copy was deleted once the stack had stored it). ` +
            `Console: Stack actions > Continue update rollback, resources to skip ${skip.join(', ')}; CLI: ${resume} --resources-to-skip ${skip.join(' ')}`,
        ];
      }
      return [`Then continue the rollback: Stack actions > Continue update rollback in the console, or ${resume}.`];
    }
    case 'UPDATE_FAILED':
      return [
        `Rollback was disabled: update the stack again once fixed, or roll back with aws cloudformation rollback-stack --stack-name ${situation.stackName}${regionFlag(situation)}.`,
      ];
    case 'DELETE_FAILED':
      return [`Then delete the stack again${howToDelete}. Delete the environment ${situation.envName} in the Altinity Cloud Manager first, if you have not.`];
    default:
      return ["Read the stack's events in the CloudFormation console, then update or delete the stack."];
  }
}

function regionFlag(situation: Situation): string {
  return situation.region ? ` --region ${situation.region}` : '';
}

function deletionCommand(situation: Situation): string {
  return ` (console: Delete; CLI: aws cloudformation delete-stack --stack-name ${situation.stackName}${regionFlag(situation)})`;
}
