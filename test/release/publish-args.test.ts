import { UsageError } from '../../lib/shared/command-line';
import { EXIT_CODES, parsePublishArgs, USAGE } from '../../lib/release/publish-args';

const FILE = 'altinitycloud-connect-1.2.3.aws-cloudformation.yaml';
const parse = (...argv: string[]) => parsePublishArgs(argv, FILE);

/** The message of the UsageError that `argv` raises. */
function refusal(...argv: string[]): string {
  try {
    parse(...argv);
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  throw new Error(`${argv.join(' ')} was accepted`);
}

test('no arguments: only write the template, as before', () => {
  expect(parse()).toEqual({ outDir: undefined });
});

test('--bucket with its companions', () => {
  expect(parse('--bucket', 'acme-templates', '--prefix', 'altinity/', '--region', 'eu-west-1', '--env', 'acme-prod', '--out-dir', 'out')).toEqual({
    outDir: 'out',
    hosting: { bucket: 'acme-templates', prefix: 'altinity/', region: 'eu-west-1', envName: 'acme-prod' },
  });
  expect(parse('--bucket=acme-templates')).toEqual({ outDir: undefined, hosting: { bucket: 'acme-templates' } });
});

test('--help, -h', () => {
  expect(parse('--help')).toBe('help');
  expect(parse('-h', '--bucket', 'BAD')).toBe('help');
});

test('each refusal names the argument and what is expected', () => {
  expect(refusal('--bucket', 'Acme')).toBe('--bucket "Acme" is not a bucket name: a bucket name has only lowercase letters, digits, dots and hyphens');
  expect(refusal('--bucket', 'acme-templates', '--prefix', '/altinity')).toMatch(/^--prefix "\/altinity" is not usable: /);
  expect(refusal('--bucket', 'acme-templates', '--region', 'cn-north-1')).toMatch(
    /^--region "cn-north-1" is not usable: only regions of the standard AWS partition/,
  );
  expect(refusal('--bucket', 'acme-templates', '--env', 'Acme_Prod')).toBe(
    '--env "Acme_Prod" is not an environment name: use 1 to 63 lowercase letters, digits and hyphens, not starting or ending with a hyphen',
  );
  expect(refusal('--env', 'acme-prod')).toBe('--env applies only with --bucket <name>, which uploads the template');
  expect(refusal('--region', 'eu-west-1', '--prefix', 'x')).toBe('--prefix, --region apply only with --bucket <name>, which uploads the template');
  expect(refusal('--bucket')).toMatch(/--bucket/);
  expect(refusal('--bucket', 'acme-templates', '--profile', 'x')).toMatch(/--profile/);
  expect(refusal('upload')).toMatch(/upload/);
  expect(refusal('--out-dir', '')).toBe('--out-dir needs a directory');
});

test('the usage text shows every option and exit code', () => {
  for (const option of ['--bucket <name>', '--prefix <folder>', '--region <region>', '--env <name>', '--out-dir <dir>', '--help'])
    expect(USAGE).toContain(option);
  for (const { code, meaning } of Object.values(EXIT_CODES)) expect(USAGE).toContain(`  ${code}  ${meaning}`);
});
