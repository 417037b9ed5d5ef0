import { stackNameFor } from '../shared/conventions';

/**
 * The URLs that let someone create the stack from a hosted template in one click: the template's
 * HTTPS address in S3, the CloudFormation console's quick-create link, and the usual badge.
 */

/** The badge AWS publishes for "Launch Stack" buttons. */
export const LAUNCH_STACK_BADGE = 'https://s3.amazonaws.com/cloudformation-examples/cloudformation-launch-stack.png';

/**
 * What is wrong with `region` for a Launch Stack link, or undefined when it is a region of the
 * standard AWS partition. China and GovCloud have other console and S3 domains, which this link
 * does not build.
 */
export function regionProblem(region: string): string | undefined {
  if (/^cn-/.test(region) || /^us-gov-/.test(region) || /^us-iso/.test(region) || /^eu-isoe-/.test(region)) {
    return 'only regions of the standard AWS partition are supported (China, GovCloud and isolated regions have other console domains)';
  }
  if (!/^[a-z]{2}-[a-z]+-\d{1,2}$/.test(region)) return 'an AWS region name looks like us-east-1 or eu-west-1';
  return undefined;
}

/**
 * The template's HTTPS URL in S3, which CloudFormation reads. Virtual-hosted style; a bucket
 * whose name has a dot gets the path style, as S3's wildcard certificate does not cover it.
 */
export function templateObjectUrl(bucket: string, region: string, key: string): string {
  const path = key.split('/').map(encodeURIComponent).join('/');
  return bucket.includes('.') ? `https://s3.${region}.amazonaws.com/${bucket}/${path}` : `https://${bucket}.s3.${region}.amazonaws.com/${path}`;
}

/**
 * The console's quick-create page for the template in `region`: with an environment name, the
 * stack name the provisioning guide prescribes (or `stackName`'s, for API-token mode's templates)
 * and the Environment name field are filled in.
 */
export function quickCreateUrl(region: string, templateUrl: string, envName?: string, stackName: (envName: string) => string = stackNameFor): string {
  const query = [`templateURL=${encodeURIComponent(templateUrl)}`];
  if (envName !== undefined) {
    query.push(`stackName=${encodeURIComponent(stackName(envName))}`, `param_EnvName=${encodeURIComponent(envName)}`);
  }
  return `https://${region}.console.aws.amazon.com/cloudformation/home?region=${region}#/stacks/quickcreate?${query.join('&')}`;
}

/** A Markdown "Launch Stack" button: the badge, linking to the quick-create page. */
export function launchStackMarkdown(launchUrl: string): string {
  return `[![Launch Stack](${LAUNCH_STACK_BADGE})](${launchUrl})`;
}
