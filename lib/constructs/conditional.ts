import { type CfnCondition, CfnResource } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** Makes every CloudFormation resource under `scope` exist only while `condition` holds. */
export function onlyWhen(scope: IConstruct, condition: CfnCondition): void {
  for (const child of scope.node.findAll()) {
    if (child instanceof CfnResource) child.cfnOptions.condition = condition;
  }
}
