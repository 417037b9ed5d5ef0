import { Fn } from 'aws-cdk-lib';

/**
 * `arn:<partition>:<rest>` as one `Fn::Sub`. CDK's string interpolation would write a `Fn::Join`
 * list several times longer, and the template must stay under the 50 KiB that `cdk deploy` can send
 * without a bootstrap bucket. `rest` may use `${AWS::Region}`, `${AWS::AccountId}` and `variables`.
 */
export function arnOf(rest: string, variables?: Record<string, string>): string {
  return Fn.sub(`arn:\${AWS::Partition}:${rest}`, variables);
}
