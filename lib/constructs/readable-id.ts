import { CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Gives the CloudFormation resource behind a higher-level construct a logical id that people read in
 * the stack's events and the README, instead of the hashed one CDK derives from its path.
 */
export function readableLogicalId(construct: IConstruct, logicalId: string): void {
  const resource = construct.node.defaultChild;
  if (!(resource instanceof CfnElement)) throw new Error(`${construct.node.path} has no CloudFormation resource to name ${logicalId}`);
  resource.overrideLogicalId(logicalId);
}
