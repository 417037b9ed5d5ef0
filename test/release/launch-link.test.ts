import { LAUNCH_STACK_BADGE, launchStackMarkdown, quickCreateUrl, regionProblem, templateObjectUrl } from '../../lib/release/launch-link';
import { bucketNameProblem, objectKey, prefixProblem } from '../../lib/release/s3-names';

const FILE = 'altinitycloud-connect-1.2.3.aws-cloudformation.yaml';

describe('the template URL in S3', () => {
  test('virtual-hosted, in the bucket region, with the key as S3 stores it', () => {
    expect(templateObjectUrl('acme-templates', 'eu-west-1', objectKey('altinity/connect', FILE))).toBe(
      `https://acme-templates.s3.eu-west-1.amazonaws.com/altinity/connect/${FILE}`,
    );
    expect(templateObjectUrl('acme-templates', 'us-east-1', objectKey(undefined, FILE))).toBe(`https://acme-templates.s3.us-east-1.amazonaws.com/${FILE}`);
  });

  test('path style for a bucket with a dot, which the wildcard certificate does not cover', () => {
    expect(templateObjectUrl('templates.acme.com', 'eu-west-1', FILE)).toBe(`https://s3.eu-west-1.amazonaws.com/templates.acme.com/${FILE}`);
  });

  test('a trailing slash on the prefix makes no double slash; characters S3 allows are escaped', () => {
    expect(objectKey('altinity/', FILE)).toBe(`altinity/${FILE}`);
    expect(templateObjectUrl('b-1', 'us-east-1', "it's (v1)/x.yaml")).toBe("https://b-1.s3.us-east-1.amazonaws.com/it's%20(v1)/x.yaml");
  });
});

describe('the Launch Stack link', () => {
  const templateUrl = `https://acme-templates.s3.eu-west-1.amazonaws.com/altinity/${FILE}`;

  test('opens quick-create in the region with the template URL encoded, and with --env the stack name and environment', () => {
    const url = quickCreateUrl('eu-west-1', templateUrl, 'acme-prod');
    expect(url).toBe(
      'https://eu-west-1.console.aws.amazon.com/cloudformation/home?region=eu-west-1#/stacks/quickcreate' +
        `?templateURL=https%3A%2F%2Facme-templates.s3.eu-west-1.amazonaws.com%2Faltinity%2F${FILE}` +
        '&stackName=altinity-connect-acme-prod&param_EnvName=acme-prod',
    );
    // What the console reads back from the fragment's query.
    const query = new URLSearchParams(new URL(url).hash.split('?')[1]);
    expect(Object.fromEntries(query)).toEqual({ templateURL: templateUrl, stackName: 'altinity-connect-acme-prod', param_EnvName: 'acme-prod' });
  });

  test('without an environment name it leaves the stack name and the Environment name field to the user', () => {
    const url = quickCreateUrl('us-east-2', templateUrl);
    expect(url).toBe(
      `https://us-east-2.console.aws.amazon.com/cloudformation/home?region=us-east-2#/stacks/quickcreate?templateURL=${encodeURIComponent(templateUrl)}`,
    );
  });

  test('the Markdown button is the usual badge linking to the link', () => {
    expect(LAUNCH_STACK_BADGE).toBe('https://s3.amazonaws.com/cloudformation-examples/cloudformation-launch-stack.png');
    expect(launchStackMarkdown('https://example.com/x?a=1&b=2')).toBe(
      '[![Launch Stack](https://s3.amazonaws.com/cloudformation-examples/cloudformation-launch-stack.png)](https://example.com/x?a=1&b=2)',
    );
  });
});

describe('regions', () => {
  test.each(['us-east-1', 'eu-central-2', 'ap-southeast-5', 'il-central-1', 'mx-central-1'])('%s is accepted', (region) => {
    expect(regionProblem(region)).toBeUndefined();
  });

  test.each([
    ['cn-north-1', /standard AWS partition/],
    ['us-gov-west-1', /standard AWS partition/],
    ['eu-west', /looks like us-east-1/],
    ['EU-WEST-1', /looks like us-east-1/],
    ['eu-west-1a', /looks like us-east-1/],
  ])('%s is refused', (region, reason) => {
    expect(regionProblem(region)).toMatch(reason);
  });
});

describe('bucket names', () => {
  test.each(['acme-templates', 'abc', 'a'.repeat(63), 'templates.acme.com', '1-bucket'])('%s is accepted', (name) => {
    expect(bucketNameProblem(name)).toBeUndefined();
  });

  test.each([
    ['s3://acme-templates', /without s3:\/\//],
    ['acme-templates/altinity', /use --prefix/],
    ['ab', /3 to 63/],
    ['a'.repeat(64), /3 to 63/],
    ['Acme-Templates', /lowercase/],
    ['acme_templates', /lowercase/],
    ['-acme', /begins and ends/],
    ['acme.', /begins and ends/],
    ['acme..templates', /adjacent dots/],
    ['192.168.5.4', /IP address/],
    ['xn--acme', /reserved/],
    ['sthree-acme', /reserved/],
    ['acme-s3alias', /reserved/],
    ['acme--x-s3', /directory/],
  ])('%s is refused', (name, reason) => {
    expect(bucketNameProblem(name)).toMatch(reason);
  });
});

describe('prefixes', () => {
  test.each(['altinity', 'altinity/', 'templates/altinity/connect', "a!b_c.d*e'(f)-g"])('%s is accepted', (prefix) => {
    expect(prefixProblem(prefix, FILE)).toBeUndefined();
  });

  test.each([
    ['', /leave --prefix out/],
    ['/', /leave --prefix out/],
    ['/altinity', /leading slash|begin with a slash/],
    ['a//b', /empty folder/],
    ['a/../b', /\. or \.\./],
    ['with space', /character outside/],
    ['caf\u00e9', /character outside/],
    ['a?b', /character outside/],
    ['x'.repeat(1000), /1024 bytes/],
  ])('%j is refused', (prefix, reason) => {
    expect(prefixProblem(prefix, FILE)).toMatch(reason);
  });
});
