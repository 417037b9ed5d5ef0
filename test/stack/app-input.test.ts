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

describe('API-token mode: -c environment=<file>, -c onStackDelete= and -c waitMinutes=', () => {
  test('an environment file makes the stacks create the environment, keeping it when the stacks are deleted unless told otherwise', () => {
    expect(parse({ env: 'acme-prod', environment: ' environment.yaml ' })).toEqual({
      mode: 'deploy',
      envName: 'acme-prod',
      network: { kind: 'default-vpc' },
      environment: { file: 'environment.yaml', onStackDelete: 'keep' },
    });
  });

  test.each(['keep', 'delete', 'delete-with-clusters'])('-c onStackDelete=%s is read beside the file', (onStackDelete) => {
    expect(parse({ env: 'acme-prod', environment: 'environment.yaml', onStackDelete })).toMatchObject({
      environment: { file: 'environment.yaml', onStackDelete },
    });
  });

  test.each([
    ['15', 15],
    ['90', 90],
    [' 720 ', 720],
  ])('-c waitMinutes=%s sets how long the ready stack waits', (waitMinutes, minutes) => {
    expect(parse({ env: 'acme-prod', environment: 'environment.yaml', waitMinutes })).toMatchObject({ environment: { waitMinutes: minutes } });
  });

  test.each([
    [{ environment: 'environment.yaml' }, /^-c env=<name> is required with -c environment: give your Altinity\.Cloud environment name \(1 to 63 lowercase/],
    [{ waitMinutes: '60' }, /^-c env=<name> is required with -c waitMinutes: /],
    [
      { env: 'acme', waitMinutes: '60' },
      /^-c waitMinutes= goes with -c environment=<file>: it says how long the stacks wait for the environment they created$/,
    ],
    ...['14', '721', '90.5', '1h', '-30'].map((waitMinutes): [Record<string, string>, RegExp] => [
      { env: 'acme', environment: 'environment.yaml', waitMinutes },
      new RegExp(
        `^-c waitMinutes=${waitMinutes.replace('.', '\\.')} must be a whole number of minutes from 15 to 720 \\(default 180\\): how long the ready stack waits for the environment$`,
      ),
    ]),
    [{ onStackDelete: 'delete' }, /^-c env=<name> is required with -c onStackDelete: give your Altinity\.Cloud environment name/],
    [{ environment: 'environment.yaml', onStackDelete: 'delete' }, /^-c env=<name> is required with -c environment, -c onStackDelete: /],
    [{ env: 'acme', environment: '' }, /^-c environment= was given without a value$/],
    [{ env: 'acme', environment: 'environment.yaml', onStackDelete: ' ' }, /^-c onStackDelete= was given without a value$/],
    [
      { env: 'acme', onStackDelete: 'delete' },
      /^-c onStackDelete= goes with -c environment=<file>: it says what deleting the stacks does to the environment they created$/,
    ],
    [
      { env: 'acme', environment: 'environment.yaml', onStackDelete: 'destroy' },
      /^-c onStackDelete=destroy must be one of keep, delete, delete-with-clusters \(default keep\)$/,
    ],
    [{ env: 'acme', environment: 'environment.yaml', onStackDelete: 'Delete' }, /^-c onStackDelete=Delete must be one of keep, delete, delete-with-clusters/],
    [
      { env: 'acme', environment: 'environment.yaml', token: 't0ken' },
      /^-c environment= makes the stacks create the environment with an Altinity\.Cloud API token \(ALTINITYCLOUD_API_TOKEN\), so a connection token \(-c token or ALTINITY_CONNECT_TOKEN\) has no place beside it: give one or the other$/,
    ],
  ])('%j is refused with a message naming the option and what is expected', (context, message) => {
    expect(() => parse(context)).toThrow(InputError);
    expect(() => parse(context)).toThrow(message);
  });

  test(`a connection token in ${TOKEN_ENVIRONMENT_VARIABLE} is refused beside an environment file too`, () => {
    const read = () =>
      parseAppInput(
        contextWithTokenFromEnvironment((key) => ({ env: 'acme', environment: 'environment.yaml' })[key as string], { [TOKEN_ENVIRONMENT_VARIABLE]: 't0ken' }),
      );
    expect(read).toThrow(InputError);
    expect(read).toThrow(/^-c environment= .*connection token \(-c token or ALTINITY_CONNECT_TOKEN\) has no place beside it: give one or the other$/);
  });
});
