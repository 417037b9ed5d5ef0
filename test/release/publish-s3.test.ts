import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { parse } from 'yaml';
import { runPublish, type PublishIo } from '../../lib/release/cli';
import { launchStackMarkdown, quickCreateUrl } from '../../lib/release/launch-link';
import { ENVIRONMENT_TEMPLATES, publishedFileName } from '../../lib/release/publish';
import { TEMPLATE_CONTENT_TYPE } from '../../lib/release/upload';
import { version } from '../../package.json';
import { type MotoServer, startMotoServer } from '../support/moto-server';

/**
 * `npm run publish -- --bucket ...` against moto's S3: the object it uploads, the links it prints,
 * and one line for each AWS error a publisher meets. What moto cannot answer (a bucket in another
 * region, an expired session) is in upload-errors.test.ts.
 */

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const BUCKET = 'acme-templates';
const BUCKET_REGION = 'eu-west-1';
const FILE = publishedFileName(version);
const CLOUD_FILE = ENVIRONMENT_TEMPLATES.cloud.fileName(version);
const READY_FILE = ENVIRONMENT_TEMPLATES.ready.fileName(version);

let moto: MotoServer;
let s3: S3Client;
let scratch: string;

beforeAll(async () => {
  moto = await startMotoServer();
  s3 = s3Client(moto.clientConfig.credentials, BUCKET_REGION);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: BUCKET_REGION } }));
});

afterAll(async () => {
  await moto?.stop();
});

beforeEach(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'publish-s3-'));
});

afterEach(() => {
  fs.rmSync(scratch, { recursive: true, force: true });
});

function s3Client(credentials: { accessKeyId: string; secretAccessKey: string }, region: string | undefined): S3Client {
  return new S3Client({ region, endpoint: moto.endpoint, credentials, forcePathStyle: true });
}

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The files the command wrote, by name. */
  readonly written: string[];
}

/**
 * The command in this process, writing into `scratch`. The template is a small stand-in (the real
 * one takes seconds to synthesize; the last test uploads it) and the S3 client talks to moto with
 * `credentials`, unless `io` says otherwise.
 */
async function publish(argv: string[], io: Partial<PublishIo> & { credentials?: { accessKeyId: string; secretAccessKey: string } } = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const { credentials = moto.clientConfig.credentials, ...rest } = io;
  const code = await runPublish(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    version,
    defaultOutDir: scratch,
    cwd: scratch,
    createS3Client: (region) => s3Client(credentials, region),
    writeTemplate: (templateVersion, outDir) => {
      fs.mkdirSync(outDir, { recursive: true });
      const file = path.join(outDir, publishedFileName(templateVersion));
      fs.writeFileSync(file, `Description: stand-in ${templateVersion}\nResources: {}\n`);
      return file;
    },
    writeEnvironmentTemplates: (templateVersion, outDir) => {
      const write = (kind: keyof typeof ENVIRONMENT_TEMPLATES) => {
        const file = path.join(outDir, ENVIRONMENT_TEMPLATES[kind].fileName(templateVersion));
        fs.writeFileSync(file, `Description: stand-in of the ${kind} template ${templateVersion}\nResources: {}\n`);
        return file;
      };
      return { cloud: write('cloud'), ready: write('ready') };
    },
    ...rest,
  });
  return { code, stdout, stderr, written: fs.readdirSync(scratch) };
}

async function object(key: string): Promise<{ contentType?: string; body: string }> {
  const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
  const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return { contentType: head.ContentType, body: (await got.Body?.transformToString()) ?? '' };
}

test("without --bucket it writes the template, and API-token mode's two beside it, and says what each is for", async () => {
  const run = await publish([]);
  expect(run).toEqual({
    code: 0,
    stdout:
      `Published ${FILE}\nUpload it in the CloudFormation console (Create stack > Upload a template file).\n` +
      `For API-token mode (README: API-token mode in the CloudFormation console), also ${CLOUD_FILE} and ${READY_FILE}.\n`,
    stderr: '',
    written: [FILE, CLOUD_FILE, READY_FILE].sort(),
  });
});

test("--bucket --prefix --region --env: the object under the prefix as YAML, its URL, the link with the stack name, the button; API-token mode's two beside it, with links of their own", async () => {
  const run = await publish(['--bucket', BUCKET, '--prefix', 'altinity/connect/', '--region', BUCKET_REGION, '--env', 'acme-prod']);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const key = `altinity/connect/${FILE}`;
  expect(await object(key)).toEqual({ contentType: TEMPLATE_CONTENT_TYPE, body: fs.readFileSync(path.join(scratch, FILE), 'utf8') });

  const templateUrl = `https://${BUCKET}.s3.${BUCKET_REGION}.amazonaws.com/${key}`;
  const launchUrl = quickCreateUrl(BUCKET_REGION, templateUrl, 'acme-prod');
  expect(launchUrl).toBe(
    `https://eu-west-1.console.aws.amazon.com/cloudformation/home?region=eu-west-1#/stacks/quickcreate?templateURL=${encodeURIComponent(templateUrl)}` +
      '&stackName=altinity-connect-acme-prod&param_EnvName=acme-prod',
  );
  expect(run.stdout.split('\n')).toEqual([
    `Published ${FILE}`,
    `Uploaded s3://${BUCKET}/${key}`,
    `Template URL: ${templateUrl}`,
    'Launch Stack link (CloudFormation console in eu-west-1, stack altinity-connect-acme-prod):',
    launchUrl,
    'Markdown:',
    launchStackMarkdown(launchUrl),
    'Whoever follows the link needs read access to the object (s3:GetObject): see "Host the template" in README.md.',
    "API-token mode's templates (README: API-token mode in the CloudFormation console):",
    `Uploaded s3://${BUCKET}/altinity/connect/${CLOUD_FILE}`,
    'Launch Stack link (stack altinity-cloud-acme-prod):',
    `https://eu-west-1.console.aws.amazon.com/cloudformation/home?region=eu-west-1#/stacks/quickcreate?templateURL=${encodeURIComponent(`https://${BUCKET}.s3.${BUCKET_REGION}.amazonaws.com/altinity/connect/${CLOUD_FILE}`)}` +
      '&stackName=altinity-cloud-acme-prod&param_EnvName=acme-prod',
    `Uploaded s3://${BUCKET}/altinity/connect/${READY_FILE}`,
    'Launch Stack link (stack altinity-ready-acme-prod):',
    `https://eu-west-1.console.aws.amazon.com/cloudformation/home?region=eu-west-1#/stacks/quickcreate?templateURL=${encodeURIComponent(`https://${BUCKET}.s3.${BUCKET_REGION}.amazonaws.com/altinity/connect/${READY_FILE}`)}` +
      '&stackName=altinity-ready-acme-prod&param_EnvName=acme-prod',
    '',
  ]);
  for (const [file, kind] of [
    [CLOUD_FILE, 'cloud'],
    [READY_FILE, 'ready'],
  ]) {
    expect(await object(`altinity/connect/${file}`)).toEqual({
      contentType: TEMPLATE_CONTENT_TYPE,
      body: `Description: stand-in of the ${kind} template ${version}\nResources: {}\n`,
    });
  }
});

test('without --prefix and --env: the object at the top of the bucket, a link without a stack name', async () => {
  const run = await publish(['--bucket', BUCKET, '--region', BUCKET_REGION]);
  expect(run.code).toBe(0);
  expect((await object(FILE)).contentType).toBe(TEMPLATE_CONTENT_TYPE);
  const templateUrl = `https://${BUCKET}.s3.${BUCKET_REGION}.amazonaws.com/${FILE}`;
  expect(run.stdout).toContain(`\n${quickCreateUrl(BUCKET_REGION, templateUrl)}\n`);
  expect(run.stdout).not.toContain('stackName=');
});

test('wrong arguments: exit 2 naming the argument, with the usage; nothing written or uploaded', async () => {
  const run = await publish(['--bucket', BUCKET, '--region', BUCKET_REGION, '--env', 'acme-']);
  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(/^error: --env "acme-" is not an environment name: use 1 to 63 lowercase letters/);
  expect(run.stderr).toContain('Exit codes:\n  0  written');
  expect(run).toMatchObject({ stdout: '', written: [] });
});

describe('each AWS error is one line on stderr, exit 5, no stack trace', () => {
  test('no such bucket', async () => {
    const run = await publish(['--bucket', 'acme-no-such-bucket', '--region', BUCKET_REGION]);
    expect(run).toMatchObject({ code: 5, stdout: `Published ${FILE}\n` });
    expect(run.stderr).toBe(
      'error: bucket acme-no-such-bucket does not exist: check --bucket, or create it first (aws s3 mb s3://acme-no-such-bucket --region eu-west-1)\n',
    );
  });

  describe('with moto checking IAM permissions', () => {
    let publisher: { accessKeyId: string; secretAccessKey: string };

    beforeAll(async () => {
      const iam = new IAMClient(moto.clientConfig);
      await iam.send(new CreateUserCommand({ UserName: 'publisher-without-policy' }));
      const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'publisher-without-policy' }))).AccessKey!;
      publisher = { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
      await setMotoAuthentication(true);
    });

    afterAll(async () => {
      await setMotoAuthentication(false);
    });

    test('access denied: an identity without s3:PutObject', async () => {
      const run = await publish(['--bucket', BUCKET, '--prefix', 'altinity', '--region', BUCKET_REGION], { credentials: publisher });
      expect(run.code).toBe(5);
      expect(run.stderr).toBe(
        `error: AWS denied the upload to s3://${BUCKET}/altinity/${FILE}: your identity needs s3:PutObject on arn:aws:s3:::${BUCKET}/altinity/${FILE}, and the bucket policy must allow it (AccessDenied)\n`,
      );
    });

    test('credentials AWS does not know', async () => {
      const run = await publish(['--bucket', BUCKET, '--region', BUCKET_REGION], {
        credentials: { accessKeyId: 'AKIAUNKNOWN0000000000', secretAccessKey: 'x' },
      });
      expect(run.code).toBe(5);
      expect(run.stderr).toBe('error: AWS did not accept your credentials (InvalidAccessKeyId): check the access key, or sign in again\n');
    });
  });

  describe('with the SDK finding nothing in the environment', () => {
    const saved = { ...process.env };

    beforeEach(() => {
      for (const key of Object.keys(process.env)) if (key.startsWith('AWS_')) delete process.env[key];
      Object.assign(process.env, {
        AWS_ENDPOINT_URL: moto.endpoint,
        AWS_CONFIG_FILE: path.join(scratch, 'no-config'),
        AWS_SHARED_CREDENTIALS_FILE: path.join(scratch, 'no-credentials'),
        AWS_EC2_METADATA_DISABLED: 'true',
      });
    });

    afterEach(() => {
      process.env = { ...saved };
    });

    /** The command with the SDK's default client, as bin/publish.ts makes it. */
    const publishAsShipped = (argv: string[]) => publish(argv, { createS3Client: undefined });

    test('no credentials: said before the template is synthesized', async () => {
      process.env.AWS_REGION = BUCKET_REGION;
      const run = await publishAsShipped(['--bucket', BUCKET]);
      expect(run).toEqual({
        code: 5,
        stdout: '',
        stderr:
          'error: no AWS credentials found: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or sign in (aws configure, aws sso login)\n',
        written: [],
      });
    });

    test('a profile that is not defined', async () => {
      process.env.AWS_PROFILE = 'publisher';
      const run = await publishAsShipped(['--bucket', BUCKET, '--region', BUCKET_REGION]);
      expect(run).toMatchObject({ code: 5, stdout: '', written: [] });
      expect(run.stderr).toBe(
        'error: no AWS credentials for profile "publisher" (AWS_PROFILE): check that ~/.aws/config or ~/.aws/credentials defines it, or sign in (aws sso login --profile publisher)\n',
      );
    });

    test('no region', async () => {
      Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });
      const run = await publishAsShipped(['--bucket', BUCKET]);
      expect(run).toEqual({
        code: 5,
        stdout: '',
        stderr: 'error: no AWS region: pass --region <region of the bucket>, set AWS_REGION, or give your profile a region\n',
        written: [],
      });
    });

    test('a region from the environment that the link cannot open is a usage error naming where it came from', async () => {
      Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'cn-north-1' });
      const run = await publishAsShipped(['--bucket', BUCKET]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^error: region "cn-north-1" \(from AWS_REGION or your profile\) is not usable: only regions of the standard AWS partition/);
      expect(run.written).toEqual([]);
    });

    test('the region from AWS_REGION is the one in the URL and the link', async () => {
      Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: BUCKET_REGION });
      const run = await publishAsShipped(['--bucket', BUCKET, '--prefix', 'from-env']);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`Template URL: https://${BUCKET}.s3.eu-west-1.amazonaws.com/from-env/${FILE}\n`);
      expect(run.stdout).toContain('https://eu-west-1.console.aws.amazon.com/cloudformation/home?region=eu-west-1#');
    });
  });
});

/** moto checks every request against IAM once its count of unchecked requests is 0; infinity turns that off. */
async function setMotoAuthentication(enabled: boolean): Promise<void> {
  const response = await fetch(`${moto.endpoint}/moto-api/reset-auth`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
    body: enabled ? '0' : 'inf',
  });
  expect(response.ok).toBe(true);
}

test('npm run publish -- --bucket ...: the real template, uploaded; the exit code; no SDK warning', async () => {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_')));
  const child = spawn(
    path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
    ['bin/publish.ts', '--bucket', BUCKET, '--prefix', 'cli', '--region', BUCKET_REGION, '--out-dir', scratch],
    {
      cwd: REPO_ROOT,
      env: { ...inherited, ...moto.env, AWS_CONFIG_FILE: path.join(scratch, 'no-config'), AWS_SHARED_CREDENTIALS_FILE: path.join(scratch, 'no-credentials') },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  expect(stdout).toContain(`Published ${path.relative(REPO_ROOT, path.join(scratch, FILE))}\nUploaded s3://${BUCKET}/cli/${FILE}\n`);
  const uploaded = await object(`cli/${FILE}`);
  expect(uploaded.body).toBe(fs.readFileSync(path.join(scratch, FILE), 'utf8'));
  expect(parse(uploaded.body).Description).toContain(`(template v${version})`);
}, 120_000);
