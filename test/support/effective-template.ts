/**
 * The template as CloudFormation would act on it for given parameter values: lib's evaluator, which
 * the generator of docs/ and the tests' Lambda service use too (lib/docs/template-evaluator.ts).
 */
export { effectiveTemplate } from '../../lib/docs/template-evaluator';
