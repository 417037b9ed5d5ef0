import { asTheCdkCliSendsIt, consoleModeTemplate, INLINE_TEMPLATE_LIMIT } from './support/templates';

test('the published template fits in a CreateStack TemplateBody, so the AWS CLI can create it without a bucket', () => {
  expect(Buffer.byteLength(asTheCdkCliSendsIt(consoleModeTemplate()))).toBeLessThanOrEqual(INLINE_TEMPLATE_LIMIT);
});
