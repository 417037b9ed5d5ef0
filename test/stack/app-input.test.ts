import { contextWithTokenFromEnvironment, InputError, parseAppInput, TOKEN_ENVIRONMENT_VARIABLE } from '../../lib/stack/app-input';

const parse = (context: Record<string, unknown>) => parseAppInput((key) => context[key]);

test('no context at all builds the console template', () => {
  expect(parse({})).toEqual({ mode: 'console' });
});

test('an environment alone deploys into the default VPC, asking for the token as a parameter', () => {
  expect(parse({ env: 'acme-prod' })).toEqual({ mode: 'deploy', envName: 'acme-prod', network: { kind: 'default-vpc' } });
});

test('every deploy option is read and trimmed', () => {
  expect(
    parse({
      env: 'acme-prod',
      token: ' t0ken ',
      vpc: 'vpc-0123456789abcdef0',
      subnets: 'subnet-0123456789abcdef0, subnet-0fedcba9876543210',
      amiParameter: '/images/ubuntu',
    }),
  ).toEqual({
    mode: 'deploy',
    envName: 'acme-prod',
    token: 't0ken',
    network: { kind: 'given', vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'] },
    amiParameterName: '/images/ubuntu',
  });
});

describe(`the token from ${TOKEN_ENVIRONMENT_VARIABLE}, out of shell history and ps`, () => {
  const read = (context: Record<string, unknown>, environment: Record<string, string>) =>
    parseAppInput(contextWithTokenFromEnvironment((key) => context[key], environment));

  test('is used when -c token= is absent', () => {
    expect(read({ env: 'acme' }, { [TOKEN_ENVIRONMENT_VARIABLE]: 'from-env' })).toMatchObject({ mode: 'deploy', token: 'from-env' });
  });

  test('gives way to -c token=', () => {
    expect(read({ env: 'acme', token: 'from-context' }, { [TOKEN_ENVIRONMENT_VARIABLE]: 'from-env' })).toMatchObject({ token: 'from-context' });
  });

  test('still needs -c env=', () => {
    expect(() => read({}, { [TOKEN_ENVIRONMENT_VARIABLE]: 'from-env' })).toThrow(/-c env=<name> is required with -c token/);
  });
});

test.each([
  [{ token: 'x' }, /-c env=<name> is required with -c token.*lowercase letters, digits and hyphens/],
  [{ env: 'Acme_Prod' }, /-c env=Acme_Prod is not a valid Altinity\.Cloud environment name: use 1 to 63 lowercase letters, digits and hyphens.*account name/],
  [{ env: '-acme' }, /-c env=-acme is not a valid/],
  [{ env: '' }, /-c env= was given without a value/],
  [{ env: true }, /-c env= was given without a value/],
  [{ env: 'acme', vpc: 'vpc-0123456789abcdef0' }, /-c vpc=<vpc-id> and -c subnets=.* go together/],
  [{ env: 'acme', vpc: 'my-vpc', subnets: 'subnet-0123456789abcdef0' }, /-c vpc=my-vpc must be a VPC id/],
  [{ env: 'acme', vpc: 'vpc-0123456789abcdef0', subnets: 'subnet-0123456789abcdef0,public-a' }, /-c subnets=.*\(bad: public-a\)/],
  [{ env: 'acme', amiParameter: 'ami-0123' }, /-c amiParameter=ami-0123 must be an SSM parameter name/],
])('%j is refused with a message naming the option and the accepted form', (context, message) => {
  expect(() => parse(context)).toThrow(InputError);
  expect(() => parse(context)).toThrow(message);
});
