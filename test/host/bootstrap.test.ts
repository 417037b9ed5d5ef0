import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import {
  DescribeParametersCommand,
  GetParameterCommand,
  ListTagsForResourceCommand,
  ParameterNotFound,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { BOOTSTRAP_SCRIPT_PATH, type HostSettings } from '../../lib/host/user-data';
import { CONNECTION_STATE_TAG_KEY, OWNER_TAG_KEY, stackNameFor } from '../../lib/shared/conventions';
import { certificateParameterName, HOST_GROUP_LOGICAL_ID, HOST_LOGICAL_ID, tokenParameterName } from '../../lib/shared/names';
import { ConnectProxy } from './sandbox/connect-proxy';
import { ALTINITY_NAME, AWS_NAME, type DeniedCall, HostWorld } from './sandbox/host-world';
import { type BootOptions, type BootRun, HostSandbox, type StandInBehaviour } from './sandbox/host-sandbox';
import { type MotoServer, startMotoServer, TEST_REGION } from '../support/moto-server';
import { createTestCa, type TestCa } from '../support/test-ca';

/**
 * The host bootstrap script, as the user data carries it, run for real by bash in a sandbox, once
 * per situation a host can meet. The AWS CLI is the real one, talking to moto_server for SSM and
 * EC2; the metadata service, the release download and Altinity.Cloud's statuscheck (HTTPS, signed by
 * the tests' CA) and CloudFormation's SignalResource are served by HostWorld, with the real-boot
 * harness's stand-ins of the first three (test/host/standins/); an HTTPS proxy is a
 * real forward proxy on loopback (ConnectProxy); openssl is real. Stand-ins: apt-get, apt-cache,
 * snap, systemctl, journalctl and update-ca-certificates (they would change the machine), and the
 * downloaded altinitycloud-connect (proprietary; it cannot reach Altinity.Cloud here).
 */

const CONNECT_VERSION = '0.61.0';
const RELEASE = fs.readFileSync(path.join(__dirname, 'sandbox/release/altinitycloud-connect'));
const RELEASE_SHA256 = createHash('sha256').update(RELEASE).digest('hex');
/** A loopback port nothing listens on: connections are refused at once. */
const UNREACHABLE = 'http://127.0.0.1:1';
/** The environment that the stored certificate names (its subject), and for which Altinity.Cloud answers statuscheck. */
const CERTIFIED_ENVIRONMENT = 'acme-env';
/** The environment's certificate and key, signed by the tests' CA as Altinity.Cloud's CA signs it: what a login writes and a host stores. */
let STORED_CERTIFICATE: string;
let certificateFile: string;
const SECRETS_KEY = 'arn:aws:kms:us-east-1:123456789012:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0';
const stackIdFor = (env: string) => `arn:aws:cloudformation:${TEST_REGION}:123456789012:stack/${stackNameFor(env)}/6c1e2a30-cb0d-11f0-9f1a-0a1b2c3d4e5f`;
const now = () => Math.floor(Date.now() / 1000);

interface Situation {
  /** Changes to the values the stack fills in. */
  readonly values?: Partial<HostSettings>;
  /** A certificate that an earlier host stored in SSM, or a claim it left there. */
  readonly storedCertificate?: string | (() => Promise<string>);
  /**
   * How a parameter got there when not as the stack writes it (a SecureString under its key, owned by
   * it): planted by someone who may only write parameters, who can use the account's aws/ssm key or
   * write a plain String.
   */
  readonly planted?: { readonly token?: 'aws/ssm' | 'String'; readonly certificate?: 'aws/ssm' | 'String' };
  readonly releaseLocation?: 'redirects-to-http' | 'hangs';
  /** What Altinity.Cloud answers to statuscheck?connected. @default OK */
  readonly altinityAnswer?: string;
  readonly deniedCalls?: readonly DeniedCall[];
  /** A certificate another host of the group stores once this one says it waits for it. */
  readonly certificateStoredMeanwhile?: string;
  readonly awsPreinstalled?: boolean;
  readonly arm64?: boolean;
  readonly awsUnreachable?: boolean;
  readonly inAutoScalingGroup?: boolean;
  readonly environment?: Record<string, string>;
  readonly standIns?: StandInBehaviour;
  /**
   * The host reaches everything but the metadata service through an HTTPS proxy, under names only
   * the proxy resolves; the proxy refuses the names in `refuses`.
   */
  readonly proxy?: { readonly refuses?: readonly string[] };
  /** Signs the release location's and Altinity.Cloud's certificates, as a TLS-inspecting proxy's CA would. */
  readonly serverCa?: () => TestCa;
  /** Lines an earlier run left in /etc/hosts. */
  readonly hostsFileLines?: readonly string[];
}

interface Boot {
  readonly env: string;
  readonly inGroup: boolean;
  readonly token: string;
  readonly instanceId: string;
  readonly world: HostWorld;
  readonly sandbox: HostSandbox;
  readonly proxy?: ConnectProxy;
  readonly run: BootRun;
  /** Runs the script again on the same host, e.g. as the watch (`['watch']`). */
  again(args?: readonly string[]): Promise<BootRun>;
}

let moto: MotoServer;
let ssm: SSMClient;
let ec2: EC2Client;
let ca: TestCa;
/** A TLS-inspecting proxy's CA, which the host trusts only when CaCertificates gives it. */
let corporateCa: TestCa;
const worlds: HostWorld[] = [];
const proxies: ConnectProxy[] = [];
const sandboxes: HostSandbox[] = [];

async function boot(env: string, situation: Situation = {}): Promise<Boot> {
  const instanceId = `i-0${randomBytes(8).toString('hex')}`;
  const world = await HostWorld.start({
    motoEndpoint: moto.endpoint,
    instanceId,
    region: TEST_REGION,
    releases: new Map(['amd64', 'arm64'].map((arch) => [`v${CONNECT_VERSION}/altinitycloud-connect-${CONNECT_VERSION}-linux-${arch}`, RELEASE])),
    deniedCalls: situation.deniedCalls,
    ca,
    serverCa: situation.serverCa?.(),
    releaseLocation: situation.releaseLocation,
  });
  worlds.push(world);
  const proxy = situation.proxy
    ? await ConnectProxy.start({ routes: { [AWS_NAME]: world.address, [ALTINITY_NAME]: world.altinityAddress }, refuses: situation.proxy.refuses })
    : undefined;
  if (proxy) proxies.push(proxy);
  const altinityUrl = proxy ? `https://${ALTINITY_NAME}` : world.altinityUrl;
  const token = `eyJhbGciOiJFUzI1NiJ9.${randomBytes(24).toString('base64url')}`;
  await write(env, tokenParameterName(env), token, situation.planted?.token);
  if (situation.storedCertificate) {
    const value = typeof situation.storedCertificate === 'string' ? situation.storedCertificate : await situation.storedCertificate();
    await write(env, certificateParameterName(env), value, situation.planted?.certificate);
  }
  const sandbox = new HostSandbox(
    {
      STACK_NAME: stackNameFor(env),
      STACK_ID: stackIdFor(env),
      SIGNAL_RESOURCE: situation.inAutoScalingGroup ? HOST_GROUP_LOGICAL_ID : HOST_LOGICAL_ID,
      REGION: TEST_REGION,
      TOKEN_PARAMETER: tokenParameterName(env),
      CERTIFICATE_PARAMETER: certificateParameterName(env),
      EXISTING_CERTIFICATE_PARAMETER: '',
      SECRETS_KEY,
      CONNECT_VERSION,
      DOWNLOAD_URL: `${altinityUrl}/releases`,
      CONNECT_SHA256: '',
      ALTINITY_URL: altinityUrl,
      CONNECTION_TIMEOUT: '300',
      HTTPS_PROXY_URL: proxy?.url ?? '',
      NO_PROXY_LIST: '',
      CA_CERTIFICATES: '',
      HOST_ALIASES: '',
      ...situation.values,
    },
    { awsPreinstalled: situation.awsPreinstalled },
  );
  sandboxes.push(sandbox);
  if (situation.hostsFileLines) fs.appendFileSync(sandbox.hostsFile, situation.hostsFileLines.map((line) => `${line}\n`).join(''));
  const meanwhile = situation.certificateStoredMeanwhile;
  const storedMeanwhile = meanwhile === undefined ? undefined : storeWhenLogged(sandbox.logFile, 'waiting for its certificate', env, meanwhile);
  // Awaited after the run: a failure until then belongs to this boot alone, not to the whole file.
  storedMeanwhile?.catch(() => undefined);
  if (situation.altinityAnswer !== undefined) world.altinity.answerStatuscheck(CERTIFIED_ENVIRONMENT, { connected: situation.altinityAnswer });
  const runOptions: BootOptions = {
    awsEndpoint: situation.awsUnreachable ? UNREACHABLE : proxy ? `http://${AWS_NAME}` : world.url,
    imdsUrl: world.url,
    caFile: ca.caFile,
    certificateFile,
    standIns: situation.standIns,
    arm64: situation.arm64,
    environment: situation.environment,
  };
  const run = await sandbox.run(runOptions);
  await storedMeanwhile;
  const again = (args: readonly string[] = []) => sandbox.run({ ...runOptions, args });
  return { env, inGroup: situation.inAutoScalingGroup === true, token, instanceId, world, sandbox, proxy, run, again };
}

/** Writes a parameter as the stack (or a host of it) does, or as someone planting it would. */
async function write(env: string, name: string, value: string, planted?: 'aws/ssm' | 'String'): Promise<void> {
  if (planted === 'String') return void (await ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: 'String' })));
  if (planted === 'aws/ssm') return void (await ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: 'SecureString' })));
  await ssm.send(
    new PutParameterCommand({ Name: name, Value: value, Type: 'SecureString', KeyId: SECRETS_KEY, Tags: [{ Key: OWNER_TAG_KEY, Value: stackIdFor(env) }] }),
  );
}

/** Plays the other host of a group: stores its certificate once this host's log says `trigger`. */
async function storeWhenLogged(logFile: string, trigger: string, env: string, certificate: string): Promise<void> {
  for (let waited = 0; !(fs.existsSync(logFile) && fs.readFileSync(logFile, 'utf8').includes(trigger)); waited += 200) {
    if (waited > 300_000) throw new Error(`the host never logged "${trigger}"`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await ssm.send(
    new PutParameterCommand({ Name: certificateParameterName(env), Value: certificate, Type: 'SecureString', KeyId: SECRETS_KEY, Overwrite: true }),
  );
}

async function storedCertificate(env: string): Promise<string | undefined> {
  try {
    const answer = await ssm.send(new GetParameterCommand({ Name: certificateParameterName(env), WithDecryption: true }));
    return answer.Parameter?.Value;
  } catch (error) {
    if (error instanceof ParameterNotFound) return undefined;
    throw error;
  }
}

const callsOf = (run: BootRun, command: string) => run.calls.filter((call) => call[0] === command).map((call) => call.slice(1));
const ssmActions = (world: HostWorld) => world.ssmCalls.map((call) => `${call.action} ${call.name}`);
const downloadsOf = (world: HostWorld) => world.releases.downloads.map((download) => download.path);
/** The readiness checks the host asked Altinity.Cloud (`statuscheck?connected`). */
const statuschecksOf = (world: HostWorld) => world.altinity.requestsTo('/statuscheck').filter((request) => request.query === 'connected');
/** Seconds between the log lines that contain `from` and `to`, by their timestamps. */
function secondsInLog(log: string, from: string, to: string): number {
  const at = (text: string) => {
    const line = log.split('\n').find((candidate) => candidate.includes(text));
    if (line === undefined) throw new Error(`no log line contains ${text}`);
    return Date.parse(line.slice(0, line.indexOf(' ')));
  };
  return (at(to) - at(from)) / 1000;
}

const modeOf = (file: string) => (fs.statSync(file).mode & 0o777).toString(8);
/** A PEM as the console's one-line field leaves it: line breaks turned into spaces. */
const oneLine = (pem: string) => pem.trim().replace(/\n/g, ' ');

/** The token may appear in exactly one place: the login command line, which the tool requires. */
function expectTokenOnlyInLogin(situation: Boot, run: BootRun, loginCalls: number): void {
  const { token, sandbox, world } = situation;
  expect(run.console).not.toContain(token);
  expect(run.log).not.toContain(token);
  const filesWithToken = [...sandbox.files()].filter(([, content]) => content.includes(token)).map(([file]) => file);
  expect(filesWithToken).toEqual([]);
  const callsWithToken = run.calls.filter((call) => call.some((arg) => arg.includes(token)));
  expect(callsWithToken).toEqual(Array(loginCalls).fill(['altinitycloud-connect', 'login', `--token=${token}`]));
  expect(world.signals.filter((signal) => signal.UniqueId.includes(token))).toEqual([]);
}

/** One of the public AMIs moto knows. */
const MOTO_AMI = 'ami-12c6146b';

/** An instance that moto reports running, to hold a login claim that is still honoured. */
async function runningInstance(): Promise<string> {
  const reservation = await ec2.send(new RunInstancesCommand({ ImageId: MOTO_AMI, MinCount: 1, MaxCount: 1 }));
  return reservation.Instances?.[0]?.InstanceId ?? '';
}

const pending: Record<string, Promise<Boot>> = {};
let liveClaimHolder: Promise<string>;

// The hosts below boot at once: a minute on an idle two-core machine, minutes on a loaded one. The
// time limit only stops a hung boot; how fast each failure is reported is checked from its log.
beforeAll(async () => {
  moto = await startMotoServer();
  ssm = new SSMClient(moto.clientConfig);
  ec2 = new EC2Client(moto.clientConfig);
  ca = createTestCa();
  corporateCa = createTestCa({ name: 'corporate TLS inspection CA' });
  STORED_CERTIFICATE = ca.clientCertificate(CERTIFIED_ENVIRONMENT).toString().trim();
  certificateFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'environment-')), 'cloud-connect.pem');
  fs.writeFileSync(certificateFile, `${STORED_CERTIFICATE}\n`);
  liveClaimHolder = runningInstance();
  await ssm.send(new PutParameterCommand({ Name: '/customer/existing/cloud-connect.pem', Value: STORED_CERTIFICATE, Type: 'SecureString' }));
  // Independent hosts boot at the same time; each describe block below awaits its own.
  Object.assign(pending, {
    // Altinity.Cloud ends its answer with a line break, as a web service may.
    firstBoot: boot('first-boot', { values: { CONNECT_SHA256: RELEASE_SHA256 }, altinityAnswer: 'OK\n' }),
    replacement: boot('replacement', { storedCertificate: STORED_CERTIFICATE, awsPreinstalled: true, arm64: true }),
    loginRejected: boot('login-rejected', { standIns: { STANDIN_LOGIN: 'reject' } }),
    unpublishedVersion: boot('unpublished', { values: { CONNECT_VERSION: '0.99.0' }, awsPreinstalled: true }),
    checksumMismatch: boot('checksum', { values: { CONNECT_SHA256: 'a'.repeat(64) }, awsPreinstalled: true }),
    // Parameters written by someone who may write parameters, but not use the stack's key.
    tokenPlanted: boot('token-planted', { planted: { token: 'String' }, awsPreinstalled: true }),
    certificatePlanted: boot('certificate-planted', { storedCertificate: STORED_CERTIFICATE, planted: { certificate: 'aws/ssm' }, awsPreinstalled: true }),
    tokenDenied: boot('token-denied', {
      deniedCalls: [{ action: 'GetParameter', name: tokenParameterName('token-denied') }],
      awsPreinstalled: true,
    }),
    // The claim goes through; storing the certificate over it does not.
    storeDenied: boot('store-denied', {
      deniedCalls: [{ action: 'PutParameter', name: certificateParameterName('store-denied'), overwrite: true }],
      awsPreinstalled: true,
    }),
    // Hosts of a group that start together: another one claimed the login and stores its certificate soon.
    claimedByAnotherHost: boot('claimed', {
      storedCertificate: async () => `login claimed by ${await liveClaimHolder} at ${now()}`,
      certificateStoredMeanwhile: STORED_CERTIFICATE,
      awsPreinstalled: true,
      environment: { BOOTSTRAP_CERTIFICATE_POLL_SECONDS: '1', BOOTSTRAP_CERTIFICATE_WAIT_SECONDS: '60' },
    }),
    // A claim left by an instance that is gone (in the form hosts of 0.1.0 wrote it, without a time).
    claimOfGoneInstance: boot('claim-gone', { storedCertificate: 'login claimed by i-0gone0host00000001', awsPreinstalled: true }),
    // A running instance claimed the login just now and never stores a certificate.
    claimNeverFulfilled: boot('claim-live', {
      storedCertificate: async () => `login claimed by ${await liveClaimHolder} at ${now()}`,
      awsPreinstalled: true,
      environment: { BOOTSTRAP_CERTIFICATE_POLL_SECONDS: '1', BOOTSTRAP_CERTIFICATE_WAIT_SECONDS: '2' },
    }),
    // A running instance claimed the login 20 minutes ago: longer than any bootstrap lasts.
    claimExpired: boot('claim-expired', {
      storedCertificate: async () => `login claimed by ${await liveClaimHolder} at ${now() - 1200}`,
      awsPreinstalled: true,
    }),
    existingCertificate: boot('existing', {
      values: { EXISTING_CERTIFICATE_PARAMETER: '/customer/existing/cloud-connect.pem' },
      awsPreinstalled: true,
    }),
    existingCertificateMissing: boot('existing-missing', {
      values: { EXISTING_CERTIFICATE_PARAMETER: '/customer/missing.pem' },
      awsPreinstalled: true,
    }),
    downgradedDownload: boot('downgraded', { releaseLocation: 'redirects-to-http', awsPreinstalled: true }),
    // A deadline long enough to reach the download on a loaded machine, short enough for a test.
    downloadHangs: boot('deadline', { releaseLocation: 'hangs', awsPreinstalled: true, environment: { BOOTSTRAP_DEADLINE_SECONDS: '20' } }),
    noNetwork: boot('no-network', { awsUnreachable: true, values: { DOWNLOAD_URL: `${UNREACHABLE}/releases` } }),
    // Apt lists locked at boot, then a download location the host cannot reach.
    downloadUnreachable: boot('download-unreachable', {
      values: { DOWNLOAD_URL: `${UNREACHABLE}/releases` },
      standIns: { STANDIN_APT: 'locked-once' },
    }),
    // A directory that cannot be created: a failure the script has no message of its own for.
    unexpectedError: boot('unexpected-error', {
      storedCertificate: STORED_CERTIFICATE,
      awsPreinstalled: true,
      environment: { BOOTSTRAP_SYSTEMD_DIR: '/dev/null/systemd' },
    }),
    mirrorUnreachable: boot('mirror-unreachable', { standIns: { STANDIN_APT: 'offline' } }),
    neverConnected: boot('never-connected', {
      storedCertificate: STORED_CERTIFICATE,
      awsPreinstalled: true,
      altinityAnswer: 'NOT CONNECTED',
      values: { CONNECTION_TIMEOUT: '4' },
    }),
    // A host of a group, connected at creation, whose tunnel the tests then drop.
    watched: boot('watched', { storedCertificate: STORED_CERTIFICATE, awsPreinstalled: true, inAutoScalingGroup: true, values: { CONNECTION_TIMEOUT: '2' } }),
    watchedSingle: boot('watched-single', { storedCertificate: STORED_CERTIFICATE, awsPreinstalled: true, values: { CONNECTION_TIMEOUT: '2' } }),
    // Ubuntu 24.04 (no awscli package) in a private subnet: everything through the proxy.
    behindProxy: boot('behind-proxy', { proxy: {}, standIns: { STANDIN_AWSCLI_CANDIDATE: 'none' }, values: { NO_PROXY_LIST: '.corp.example,10.0.0.0/8' } }),
    proxyRefuses: boot('proxy-refuses', { proxy: { refuses: [ALTINITY_NAME] }, awsPreinstalled: true }),
    // A TLS-inspecting network: every server certificate the host sees is signed by the corporate CA.
    ownCa: boot('own-ca', {
      serverCa: () => corporateCa,
      values: { CA_CERTIFICATES: oneLine(corporateCa.caPem().toString()), HOST_ALIASES: 'mirror.corp.test=10.1.2.3,anywhere.corp.test=fd00::4' },
      hostsFileLines: ['10.9.9.9 old.corp.test # altinity-connect'],
      awsPreinstalled: true,
    }),
    caNotGiven: boot('ca-not-given', { serverCa: () => corporateCa, awsPreinstalled: true }),
    caInvalid: boot('ca-invalid', {
      values: { CA_CERTIFICATES: '-----BEGIN CERTIFICATE----- bm90IGEgY2VydGlmaWNhdGU= -----END CERTIFICATE-----' },
      awsPreinstalled: true,
    }),
    serviceCrashes: boot('service-crashes', {
      storedCertificate: STORED_CERTIFICATE,
      inAutoScalingGroup: true,
      standIns: { STANDIN_SERVICE: 'crashing' },
      awsPreinstalled: true,
    }),
  });
  await Promise.allSettled(Object.values(pending));
}, 600_000);

afterAll(async () => {
  await Promise.all([...worlds.map((world) => world.stop()), ...proxies.map((proxy) => proxy.stop())]);
  for (const sandbox of sandboxes) sandbox.remove();
  ca?.remove();
  corporateCa?.remove();
  ssm?.destroy();
  ec2?.destroy();
  await moto?.stop();
});

test('shellcheck finds nothing in the script', () => {
  expect(execFileSync('shellcheck', ['--severity=style', BOOTSTRAP_SCRIPT_PATH], { encoding: 'utf8' })).toBe('');
});

test("the script's copies of shared names are the ones the stack, the function and the status command use", () => {
  const script = fs.readFileSync(BOOTSTRAP_SCRIPT_PATH, 'utf8');
  expect(script).toContain(`\nOWNER_TAG_KEY='${OWNER_TAG_KEY}'\n`);
  expect(script).toContain(`\nSTATE_TAG_KEY='${CONNECTION_STATE_TAG_KEY}'\n`);
  // The group's logical id, which the stack hands the script as SIGNAL_RESOURCE.
  expect([...script.matchAll(/\$SIGNAL_RESOURCE == (\w+)/g)].map((match) => match[1])).toEqual([HOST_GROUP_LOGICAL_ID]);
});

describe('first boot', () => {
  let host: Boot;
  beforeAll(async () => {
    host = await pending.firstBoot;
  });

  test('signals SUCCESS with the instance id once the service runs', () => {
    expect(host.run.exitCode).toBe(0);
    expect(host.world.signals).toEqual([{ StackName: stackNameFor('first-boot'), LogicalResourceId: 'Host', UniqueId: host.instanceId, Status: 'SUCCESS' }]);
  });

  test('installs the AWS CLI from Ubuntu without recommends, and nothing else', () => {
    const aptCalls = callsOf(host.run, 'apt-get');
    expect(aptCalls.map((call) => call.filter((arg) => !arg.startsWith('-') && !arg.includes('::')))).toEqual([['update'], ['install', 'awscli']]);
    expect(aptCalls[1]).toContain('--no-install-recommends');
    expect(aptCalls.flat()).not.toContain('upgrade');
  });

  test('downloads the pinned release once, checks its SHA-256 and installs it executable', () => {
    expect(downloadsOf(host.world)).toEqual([`/releases/v${CONNECT_VERSION}/altinitycloud-connect-${CONNECT_VERSION}-linux-amd64`]);
    const binary = path.join(host.sandbox.binDir, 'altinitycloud-connect');
    expect(fs.readFileSync(binary)).toEqual(RELEASE);
    expect(modeOf(binary)).toBe('755');
    expect(host.run.log).toContain(`SHA-256 ${RELEASE_SHA256}`);
  });

  test('logs in once in the root-only config directory and keeps the certificate there', () => {
    expect(callsOf(host.run, 'altinitycloud-connect')).toEqual([['login', `--token=${host.token}`]]);
    const certificate = path.join(host.sandbox.configDir, 'cloud-connect.pem');
    expect(fs.readFileSync(certificate, 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(modeOf(certificate)).toBe('600');
    expect(modeOf(host.sandbox.configDir)).toBe('700');
  });

  test('claims the login in the certificate parameter, reads the token, then stores the certificate from a file over the claim', async () => {
    expect(ssmActions(host.world)).toEqual([
      // No certificate yet: the host claims the login.
      `DescribeParameters ${certificateParameterName('first-boot')}`,
      `PutParameter ${certificateParameterName('first-boot')}`,
      // That the stack wrote the token (its type, key and version, and its owner), then that version's value.
      `DescribeParameters ${tokenParameterName('first-boot')}`,
      `ListTagsForResource ${tokenParameterName('first-boot')}`,
      `GetParameter ${tokenParameterName('first-boot')}:1`,
      `PutParameter ${certificateParameterName('first-boot')}`,
    ]);
    const [claim, store] = callsOf(host.run, 'aws').filter((call) => call.includes('put-parameter'));
    expect(claim).toEqual(expect.arrayContaining(['--type', 'SecureString', '--key-id', SECRETS_KEY]));
    expect(claim[claim.indexOf('--value') + 1]).toMatch(new RegExp(`^login claimed by ${host.instanceId} at \\d{10}$`));
    expect(claim).not.toContain('--overwrite');
    const certificate = path.join(host.sandbox.configDir, 'cloud-connect.pem');
    expect(store).toEqual(expect.arrayContaining(['--type', 'SecureString', '--key-id', SECRETS_KEY, '--overwrite', '--value', `file://${certificate}`]));
    expect((await storedCertificate('first-boot'))?.trim()).toBe(fs.readFileSync(certificate, 'utf8').trim());
  });

  test("the certificate parameter records the stack that owns it and is encrypted with the stack's key", async () => {
    const name = certificateParameterName('first-boot');
    const tags = await ssm.send(new ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: name }));
    expect(tags.TagList).toEqual([{ Key: OWNER_TAG_KEY, Value: stackIdFor('first-boot') }]);
    const described = await ssm.send(new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Name', Values: [name] }] }));
    expect(described.Parameters?.[0]?.KeyId).toBe(SECRETS_KEY);
  });

  test('installs a service that runs the tool with the certificate, restarts it, and starts it at boot', () => {
    const unit = fs.readFileSync(path.join(host.sandbox.systemdDir, 'altinitycloud-connect.service'), 'utf8');
    const binary = path.join(host.sandbox.binDir, 'altinitycloud-connect');
    const certificate = path.join(host.sandbox.configDir, 'cloud-connect.pem');
    expect(unit).toContain(`\nExecStart=${binary} --url=${host.world.altinityUrl} --capability aws -i ${certificate}\n`);
    expect(unit).toMatch(/\nRestart=always\n/);
    expect(unit).toMatch(/\nRestartSec=\d+\n/);
    expect(unit).toMatch(/\nAfter=network-online.target\n/);
    expect(unit).toMatch(/\nWants=network-online.target\n/);
    expect(unit).toMatch(/\nWantedBy=multi-user.target\n/);
    const systemctl = callsOf(host.run, 'systemctl');
    expect(systemctl.slice(0, 2)).toEqual([['daemon-reload'], ['enable', '--now', 'altinitycloud-connect.service']]);
    expect(systemctl).toContainEqual(['is-active', 'altinitycloud-connect.service']);
  });

  test("signals SUCCESS only once Altinity.Cloud, asked with the environment's certificate, sees the environment connected", () => {
    expect(statuschecksOf(host.world).map((check) => check.clientCertificate)).toEqual([CERTIFIED_ENVIRONMENT]);
    const lines = host.run.log.split('\n');
    const connected = lines.findIndex((line) => line.includes('Altinity.Cloud sees the environment connected'));
    const signalled = lines.findIndex((line) => line.includes('signalled SUCCESS'));
    expect(connected).toBeGreaterThan(0);
    expect(signalled).toBeGreaterThan(connected);
    // The certificate reaches no command line: curl reads it from its file.
    const curlCalls = host.run.calls.filter((call) => call.some((arg) => arg.includes('BEGIN')));
    expect(curlCalls).toEqual([]);
    expect(host.run.log).not.toContain('PRIVATE KEY');
  });

  test('starts a watch every minute, and records the connection as an instance tag', () => {
    const timer = fs.readFileSync(path.join(host.sandbox.systemdDir, 'altinitycloud-connect-watch.timer'), 'utf8');
    expect(timer).toMatch(/\nOnUnitActiveSec=1min\n/);
    const service = fs.readFileSync(path.join(host.sandbox.systemdDir, 'altinitycloud-connect-watch.service'), 'utf8');
    expect(service).toContain(`\nExecStart=/bin/bash ${host.sandbox.scriptFile} watch\n`);
    expect(callsOf(host.run, 'systemctl')).toContainEqual(['enable', '--now', 'altinitycloud-connect-watch.timer']);
    expect(host.world.instanceTags).toEqual({ 'altinity:connect/state': 'connected' });
  });

  test('logs every step with a UTC timestamp to the log file and the console', () => {
    const lines = host.run.log.trim().split('\n');
    expect(lines.filter((line) => !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ /.test(line))).toEqual([]);
    const steps = lines.filter((line) => line.includes(' step: ')).map((line) => line.replace(/.* step: /, ''));
    expect(steps).toEqual([
      'read instance identity',
      'configure network',
      'check network',
      'install AWS CLI',
      'install altinitycloud-connect',
      'obtain certificate',
      'start service',
      'await connection',
      'start watch',
    ]);
    const consoleLines = host.run.console.trim().split('\n');
    expect(consoleLines.filter((line) => / step: /.test(line))).toEqual(lines.filter((line) => line.includes(' step: ')));
  });

  test('shows the token nowhere but on the login command line', () => {
    expectTokenOnlyInLogin(host, host.run, 1);
  });

  describe('run again on the same host', () => {
    let rerun: BootRun;
    let ssmCallsBefore: number;
    beforeAll(async () => {
      ssmCallsBefore = host.world.ssmCalls.length;
      host.world.signalTarget = 'complete';
      rerun = await host.sandbox.run({ awsEndpoint: host.world.url, imdsUrl: host.world.url, caFile: ca.caFile, certificateFile });
    });

    test('installs, downloads and logs in to nothing again, and reads no token', () => {
      expect(rerun.exitCode).toBe(0);
      expect(callsOf(rerun, 'apt-get')).toEqual([]);
      expect(downloadsOf(host.world)).toHaveLength(1);
      expect(callsOf(rerun, 'altinitycloud-connect')).toEqual([]);
      const certificate = certificateParameterName('first-boot');
      expect(ssmActions(host.world).slice(ssmCallsBefore)).toEqual([
        `DescribeParameters ${certificate}`,
        `ListTagsForResource ${certificate}`,
        `GetParameter ${certificate}:2`,
      ]);
    });

    test('accepts that CloudFormation no longer waits for a signal', () => {
      expect(rerun.console).toContain('Host is already complete');
    });

    test('still shows the token nowhere', () => {
      expectTokenOnlyInLogin(host, rerun, 0);
    });
  });
});

describe('replacement host (arm64 AMI that has the AWS CLI) finding a stored certificate', () => {
  let host: Boot;
  beforeAll(async () => {
    host = await pending.replacement;
  });

  test('uses the stored certificate: no token read, no login', () => {
    expect(host.run.exitCode).toBe(0);
    const certificate = certificateParameterName('replacement');
    expect(ssmActions(host.world)).toEqual([`DescribeParameters ${certificate}`, `ListTagsForResource ${certificate}`, `GetParameter ${certificate}:1`]);
    expect(callsOf(host.run, 'altinitycloud-connect')).toEqual([]);
    expect(fs.readFileSync(path.join(host.sandbox.configDir, 'cloud-connect.pem'), 'utf8')).toBe(`${STORED_CERTIFICATE}\n`);
    expect(host.world.signals.map((signal) => [signal.UniqueId, signal.Status])).toEqual([[host.instanceId, 'SUCCESS']]);
  });

  test('installs no package and downloads the arm64 release', () => {
    expect(callsOf(host.run, 'apt-get')).toEqual([]);
    expect(downloadsOf(host.world)).toEqual([`/releases/v${CONNECT_VERSION}/altinitycloud-connect-${CONNECT_VERSION}-linux-arm64`]);
  });

  test('shows the token nowhere', () => {
    expectTokenOnlyInLogin(host, host.run, 0);
  });
});

describe('login claims that are abandoned are taken over', () => {
  test('a claim held by an instance that is gone: this host takes it over, logs in and stores its certificate', async () => {
    const host = await pending.claimOfGoneInstance;
    expect(host.run.exitCode).toBe(0);
    expect(host.run.log).toContain('the login claim of i-0gone0host00000001 was abandoned (i-0gone0host00000001 is gone): taking it over');
    expect(callsOf(host.run, 'altinitycloud-connect')).toEqual([['login', `--token=${host.token}`]]);
    expect(await storedCertificate('claim-gone')).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(host.world.signals.map((signal) => signal.Status)).toEqual(['SUCCESS']);
  });

  test('a claim older than any bootstrap lasts, even by a running instance: taken over at once', async () => {
    const host = await pending.claimExpired;
    expect(host.run.exitCode).toBe(0);
    expect(host.run.log).toMatch(/the login claim of i-\w+ at \d+ was abandoned \(older than 900 s\): taking it over/);
    expect(host.run.log).not.toContain('waiting for its certificate');
    expect(callsOf(host.run, 'altinitycloud-connect')).toEqual([['login', `--token=${host.token}`]]);
  });
});

describe("an existing certificate parameter (the customer's own)", () => {
  test('is read and used: no token, no claim, no write or delete of any parameter', async () => {
    const host = await pending.existingCertificate;
    expect(host.run.exitCode).toBe(0);
    expect(ssmActions(host.world)).toEqual(['GetParameter /customer/existing/cloud-connect.pem']);
    expect(callsOf(host.run, 'altinitycloud-connect')).toEqual([]);
    expect(fs.readFileSync(path.join(host.sandbox.configDir, 'cloud-connect.pem'), 'utf8')).toBe(`${STORED_CERTIFICATE}\n`);
    expect(await storedCertificate('existing')).toBeUndefined();
  });
});

describe('failures are signalled with a one-line reason, fast', () => {
  const failureSignal = (host: Boot) => {
    expect(host.run.exitCode).toBe(1);
    expect(host.world.signals).toHaveLength(1);
    const [signal] = host.world.signals;
    // A host of a group signals the group, which waits for one signal per host.
    expect(signal).toMatchObject({ StackName: stackNameFor(host.env), LogicalResourceId: host.inGroup ? 'HostGroup' : 'Host', Status: 'FAILURE' });
    expect(signal.UniqueId.length).toBeLessThanOrEqual(64);
    return signal.UniqueId;
  };

  test('login rejected: the reason quotes the tool, with the token it echoed masked, and the claim is withdrawn', async () => {
    const host = await pending.loginRejected;
    const reason = failureSignal(host);
    expect(reason).toMatch(/^\[login-failed\] Error: token \(token hidden\) rejected by Altinity/);
    expect(host.run.console).toContain(`FAILED at step 'obtain certificate': [login-failed] Error: token (token hidden) rejected`);
    // The claim is withdrawn, so that the next host may log in instead of waiting for this one.
    expect(ssmActions(host.world).slice(-1)).toEqual([`DeleteParameter ${certificateParameterName('login-rejected')}`]);
    expect(await storedCertificate('login-rejected')).toBeUndefined();
    expect(callsOf(host.run, 'systemctl')).toEqual([]);
    expectTokenOnlyInLogin(host, host.run, 1);
  });

  test('another host of the group claimed the login: this one waits for its certificate and does not log in', async () => {
    const host = await pending.claimedByAnotherHost;
    expect(host.run.exitCode).toBe(0);
    expect(host.run.console).toContain(`${await liveClaimHolder} is logging in; waiting for its certificate`);
    expect(callsOf(host.run, 'altinitycloud-connect')).toEqual([]);
    expect(ssmActions(host.world)).not.toContain(`GetParameter ${tokenParameterName('claimed')}`);
    expect(fs.readFileSync(path.join(host.sandbox.configDir, 'cloud-connect.pem'), 'utf8').trim()).toBe(STORED_CERTIFICATE);
    expect(host.world.signals.map((signal) => [signal.UniqueId, signal.Status])).toEqual([[host.instanceId, 'SUCCESS']]);
  });

  test('a claim that a running instance holds and never fulfils: the wait ends with a reason naming that instance', async () => {
    const host = await pending.claimNeverFulfilled;
    const holder = await liveClaimHolder;
    expect(failureSignal(host)).toBe(`[claim-stuck] no certificate from ${holder} within 2 s`);
    expect(host.run.console).toContain(`${holder} is logging in; waiting for its certificate`);
    expect(callsOf(host.run, 'altinitycloud-connect')).toEqual([]);
    expect(await storedCertificate('claim-live')).toMatch(new RegExp(`^login claimed by ${holder} at `));
  });

  test('release redirected to plain HTTP: refused, the reason says so, and nothing is installed', async () => {
    const host = await pending.downgradedDownload;
    expect(failureSignal(host)).toMatch(/^\[download-failed\] .*(Protocol ["']?http["']? not supported|disabled)/i);
    expect(downloadsOf(host.world)).toEqual([]);
    expect(fs.existsSync(path.join(host.sandbox.binDir, 'altinitycloud-connect'))).toBe(false);
  });

  test('a download that never ends: the whole bootstrap gives up at its deadline and signals why', async () => {
    const host = await pending.downloadHangs;
    expect(failureSignal(host)).toBe('[deadline] no success within 20 s');
    expect(host.run.console).toContain("FAILED at step 'install altinitycloud-connect': [deadline] no success within 20 s");
    // The download's own limits (5 tries of up to 300 s) would have lasted far longer.
    expect(secondsInLog(host.run.log, 'altinitycloud-connect 0.61.0 for stack', 'FAILED')).toBeLessThanOrEqual(25);
  });

  test('an existing certificate parameter that does not exist: the reason names it, and the host claims and writes nothing', async () => {
    const host = await pending.existingCertificateMissing;
    expect(failureSignal(host)).toBe('[cert-not-found] /customer/missing.pem');
    expect(host.run.console).toContain('ExistingCertificateParameter names no SSM parameter in us-east-1');
    expect(ssmActions(host.world)).toEqual(['GetParameter /customer/missing.pem']);
  });

  test('release not published: the reason gives the HTTP error, and nothing is read from SSM', async () => {
    const host = await pending.unpublishedVersion;
    expect(failureSignal(host)).toMatch(/^\[download-failed\] The requested URL returned error: 404/);
    expect(host.run.console).toContain(`${host.world.releasesUrl}/v0.99.0/altinitycloud-connect-0.99.0-linux-amd64`);
    expect(ssmActions(host.world)).toEqual([]);
    expectTokenOnlyInLogin(host, host.run, 0);
  });

  test('checksum mismatch: the binary is refused and not installed', async () => {
    const host = await pending.checksumMismatch;
    expect(failureSignal(host)).toBe(`[checksum-mismatch] altinitycloud-connect ${CONNECT_VERSION}`);
    expect(host.run.console).toContain(`has SHA-256 ${RELEASE_SHA256}, expected ${'a'.repeat(64)}`);
    expect(fs.existsSync(path.join(host.sandbox.binDir, 'altinitycloud-connect'))).toBe(false);
    expect(ssmActions(host.world)).toEqual([]);
  });

  test('a token planted by someone who may only write parameters (a plain String) is refused before login', async () => {
    const host = await pending.tokenPlanted;
    expect(failureSignal(host)).toBe('[not-stack-owned] token parameter');
    expect(host.run.console).toContain(
      `${tokenParameterName('token-planted')} is String None 1, owned by nobody; the stack writes SecureStrings under its key ${SECRETS_KEY}`,
    );
    expect(callsOf(host.run, 'altinitycloud-connect')).toEqual([]);
  });

  test("a certificate planted under the account's aws/ssm key is refused: the host does not connect with it", async () => {
    const host = await pending.certificatePlanted;
    expect(failureSignal(host)).toBe('[not-stack-owned] certificate parameter');
    expect(host.run.console).toContain(`${certificateParameterName('certificate-planted')} is SecureString alias/aws/ssm 1, owned by nobody`);
    expect(fs.existsSync(path.join(host.sandbox.configDir, 'cloud-connect.pem'))).toBe(false);
    expect(callsOf(host.run, 'systemctl')).toEqual([]);
  });

  test('token read denied: the reason gives the AWS error code, the console the parameter', async () => {
    const host = await pending.tokenDenied;
    expect(failureSignal(host)).toBe('[ssm-denied] read token: AccessDeniedException');
    expect(host.run.console).toContain(`${tokenParameterName('token-denied')}: An error occurred (AccessDeniedException)`);
    expect(callsOf(host.run, 'altinitycloud-connect')).toEqual([]);
    expectTokenOnlyInLogin(host, host.run, 0);
  });

  describe('certificate store denied, then allowed and run again', () => {
    let host: Boot;
    let firstReason: string;
    let rerun: BootRun;
    let ssmCallsBefore: number;
    beforeAll(async () => {
      host = await pending.storeDenied;
      firstReason = failureSignal(host);
      host.world.deniedCalls = [];
      host.world.signals.length = 0;
      ssmCallsBefore = host.world.ssmCalls.length;
      rerun = await host.sandbox.run({ awsEndpoint: host.world.url, imdsUrl: host.world.url, caFile: ca.caFile, certificateFile });
    });

    test('the first run names the refused write', () => {
      expect(firstReason).toBe('[ssm-denied] store certificate: AccessDeniedException');
      expect(callsOf(host.run, 'altinitycloud-connect')).toEqual([['login', `--token=${host.token}`]]);
    });

    test('the re-run stores the certificate of the first login: no token read, no second login', async () => {
      expect(rerun.exitCode).toBe(0);
      expect(callsOf(rerun, 'altinitycloud-connect')).toEqual([]);
      expect(ssmActions(host.world).slice(ssmCallsBefore)).toEqual([
        `DescribeParameters ${certificateParameterName('store-denied')}`,
        `PutParameter ${certificateParameterName('store-denied')}`,
        `PutParameter ${certificateParameterName('store-denied')}`,
      ]);
      const certificate = fs.readFileSync(path.join(host.sandbox.configDir, 'cloud-connect.pem'), 'utf8');
      expect((await storedCertificate('store-denied'))?.trim()).toBe(certificate.trim());
      expect(host.world.signals.map((signal) => [signal.UniqueId, signal.Status])).toEqual([[host.instanceId, 'SUCCESS']]);
      expectTokenOnlyInLogin(host, rerun, 0);
    });
  });

  test('service does not stay up, on a host of an Auto Scaling group: the reason quotes the journal, the group replaces the host', async () => {
    const host = await pending.serviceCrashes;
    // The signal holds the first 64 characters; the console, the whole line.
    expect(failureSignal(host)).toBe('[service-failed] did not stay up: error: connection refused by anywhere'.slice(0, 64));
    expect(host.run.console).toContain("FAILED at step 'start service': [service-failed] did not stay up: error: connection refused by anywhere");
    expect(host.run.console).toContain('(it restarted 2 times in 0 s and is activating now)');
    // The service's own output, not systemd's lines about the unit.
    expect(callsOf(host.run, 'journalctl')).toEqual([['_SYSTEMD_UNIT=altinitycloud-connect.service', '--lines', '20', '--no-pager', '--output', 'cat']]);
    expect(host.world.healthReports).toEqual([{ InstanceId: host.instanceId, HealthStatus: 'Unhealthy', ShouldRespectGracePeriod: 'false' }]);
  });

  test('an unexpected error is signalled too, naming the step', async () => {
    const host = await pending.unexpectedError;
    expect(failureSignal(host)).toMatch(/^\[unexpected\] start service: line \d+$/);
    expect(host.run.console).toContain("FAILED at step 'start service': [unexpected] start service: line ");
  });

  test('a single host that fails stays, for diagnosis', async () => {
    const host = await pending.tokenDenied;
    expect(host.world.healthReports).toEqual([]);
  });

  test('apt lists locked at boot: apt-get update waits its turn, then the AWS CLI is installed', async () => {
    const host = await pending.downloadUnreachable;
    const aptCalls = callsOf(host.run, 'apt-get');
    expect(aptCalls.filter((call) => call.includes('update'))).toHaveLength(2);
    expect(aptCalls.filter((call) => call.includes('install'))).toHaveLength(1);
    expect(host.run.log).toContain('apt lists locked by another apt process');
  });

  test('download location unreachable: named at once, before any download attempt', async () => {
    const host = await pending.downloadUnreachable;
    expect(failureSignal(host)).toBe('[download-failed] cannot reach 127.0.0.1:1');
    expect(host.run.console).toMatch(/Failed to connect to 127\.0\.0\.1 port 1/);
    // One probe, no retries: a refused connection is final. (Seconds on a loaded machine, not 300.)
    expect(host.run.log.match(/Failed to connect/g)).toHaveLength(1);
    expect(secondsInLog(host.run.log, 'step: install altinitycloud-connect', 'FAILED')).toBeLessThanOrEqual(10);
  });
});

describe('complete means connected', () => {
  test('Altinity.Cloud never sees the environment connected: FAILURE, with its last answer, after the timeout', async () => {
    const host = await pending.neverConnected;
    expect(host.run.exitCode).toBe(1);
    expect(host.world.signals.map((signal) => [signal.Status, signal.UniqueId])).toEqual([['FAILURE', '[not-connected] after 4 s: NOT CONNECTED']]);
    expect(host.run.console).toContain(`${host.world.altinityUrl}/statuscheck?connected answered 'NOT CONNECTED'`);
    expect(host.run.console).toContain('check outbound HTTPS to 127.0.0.1');
    expect(statuschecksOf(host.world).length).toBeGreaterThanOrEqual(2);
    expect(statuschecksOf(host.world).every((check) => check.clientCertificate === CERTIFIED_ENVIRONMENT)).toBe(true);
  });

  describe('the watch, after creation, on a host of a group', () => {
    let host: Boot;
    const watch = () => host.sandbox.run({ awsEndpoint: host.world.url, imdsUrl: host.world.url, caFile: ca.caFile, certificateFile, args: ['watch'] });
    const runs: Record<'dropped' | 'stillDropped' | 'restored', { run: BootRun; tag: string | undefined; healthReports: number }> = {} as never;
    beforeAll(async () => {
      host = await pending.watched;
      const watchOnce = async () => {
        const run = await watch();
        return { run, tag: host.world.instanceTags['altinity:connect/state'], healthReports: host.world.healthReports.length };
      };
      host.world.altinity.answerStatuscheck(CERTIFIED_ENVIRONMENT, { connected: 'NOT CONNECTED' });
      runs.dropped = await watchOnce();
      // Longer than the stack's connection timeout (2 s here).
      await new Promise((resolve) => setTimeout(resolve, 2500));
      runs.stillDropped = await watchOnce();
      host.world.altinity.answerStatuscheck(CERTIFIED_ENVIRONMENT, { connected: 'OK' });
      runs.restored = await watchOnce();
    }, 120_000);

    test('records when the tunnel drops, with the time, in the instance tag', () => {
      const { run, tag, healthReports } = runs.dropped;
      expect(run.exitCode).toBe(0);
      expect(run.log).toContain('watch: disconnected: NOT CONNECTED');
      expect(tag).toMatch(/^disconnected since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(healthReports).toBe(0);
    });

    test('has the group replace the host once it stayed disconnected for the timeout', () => {
      const { run, tag, healthReports } = runs.stillDropped;
      expect(run.log).toMatch(/watch: disconnected for \d+ s/);
      expect(tag).toBe(runs.dropped.tag);
      expect(healthReports).toBe(1);
      expect(host.world.healthReports).toEqual([{ InstanceId: host.instanceId, HealthStatus: 'Unhealthy', ShouldRespectGracePeriod: 'false' }]);
    });

    test('records the connection back, and signals CloudFormation nothing', () => {
      expect(runs.restored.run.log).toContain('watch: connected again');
      expect(runs.restored.tag).toBe('connected');
      expect(host.world.signals.map((signal) => signal.Status)).toEqual(['SUCCESS']);
    });
  });
});

describe('the watch on a single host that stays disconnected', () => {
  test('says so once, and leaves the host in place for diagnosis', async () => {
    const host = await pending.watchedSingle;
    host.world.altinity.answerStatuscheck(CERTIFIED_ENVIRONMENT, { connected: 'NOT CONNECTED' });
    await host.again(['watch']);
    // Longer than the stack's connection timeout (2 s here).
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const timedOut = await host.again(['watch']);
    const later = await host.again(['watch']);
    expect(timedOut.log).toMatch(/watch: disconnected for \d+ s/);
    expect(later.exitCode).toBe(0);
    expect(later.log).toBe('');
    expect(host.world.healthReports).toEqual([]);
    expect(host.world.instanceTags['altinity:connect/state']).toMatch(/^disconnected since /);
  }, 60_000);
});

describe('failures that cannot be signalled say so on the console', () => {
  test('no network: fails in seconds, names the unreachable endpoint, tries no package or download', async () => {
    const host = await pending.noNetwork;
    expect(host.run.exitCode).toBe(1);
    // One probe, no retries: a refused connection is final. (Seconds on a loaded machine, not minutes.)
    expect(host.run.log.match(/Failed to connect/g)).toHaveLength(1);
    expect(secondsInLog(host.run.log, 'step: read instance identity', 'FAILED')).toBeLessThanOrEqual(10);
    expect(host.run.console).toContain("FAILED at step 'check network': [no-network] cannot reach 127.0.0.1:1");
    expect(host.run.console).toContain('the subnet needs a route to the internet');
    expect(host.run.console).toContain('cannot signal FAILURE to CloudFormation: the AWS CLI is not installed');
    expect(callsOf(host.run, 'apt-get')).toEqual([]);
    expect(downloadsOf(host.world)).toEqual([]);
    expect(host.world.signals).toEqual([]);
  });

  test('package mirror unreachable: no AWS CLI, so the console says the signal cannot be sent', async () => {
    const host = await pending.mirrorUnreachable;
    expect(host.run.exitCode).toBe(1);
    expect(host.run.console).toContain("FAILED at step 'install AWS CLI': [no-aws-cli] apt-get update failed");
    expect(host.run.console).toContain('cannot signal FAILURE to CloudFormation: the AWS CLI is not installed');
    expect(downloadsOf(host.world)).toEqual([]);
    expect(host.world.signals).toEqual([]);
  });
});

describe('an HTTPS proxy: every request of the host goes through it', () => {
  // The release location, Altinity.Cloud and the AWS API have names that only the proxy resolves: a
  // request that went around the proxy would not find them, and the bootstrap would fail.
  let host: Boot;
  let proxy: ConnectProxy;
  beforeAll(async () => {
    host = await pending.behindProxy;
    proxy = host.proxy!;
  });
  const destinations = () =>
    new Set(proxy.requests.map((request) => new URL(request.startsWith('CONNECT ') ? `https://${request.slice(8)}` : request.split(' ')[1]).hostname));

  test('the host completes, and the proxy saw the AWS calls, the download and the readiness check, and nothing else', () => {
    expect(host.run.exitCode).toBe(0);
    expect(host.world.signals.map((signal) => signal.Status)).toEqual(['SUCCESS']);
    expect(destinations()).toEqual(new Set([AWS_NAME, ALTINITY_NAME]));
    expect(proxy.requests.filter((request) => request === `CONNECT ${ALTINITY_NAME}:443`).length).toBeGreaterThanOrEqual(3);
    expect(proxy.requests.filter((request) => request.startsWith(`POST http://${AWS_NAME}/`)).length).toBeGreaterThanOrEqual(5);
    expect(downloadsOf(host.world)).toHaveLength(1);
    expect(statuschecksOf(host.world).every((check) => check.clientCertificate === CERTIFIED_ENVIRONMENT)).toBe(true);
    expect(host.run.log).toContain(`network: proxy 127.0.0.1:${new URL(proxy.url).port}, direct to the instance metadata service`);
  });

  test('on Ubuntu 24.04, which packages no AWS CLI, apt and the snap of the AWS CLI use the proxy too', () => {
    const aptCalls = callsOf(host.run, 'apt-get');
    expect(aptCalls.map((call) => call.filter((arg) => !arg.startsWith('-') && !arg.includes('::')))).toEqual([['update']]);
    expect(aptCalls[0]).toEqual(expect.arrayContaining(['-o', `Acquire::http::Proxy=${proxy.url}`, '-o', `Acquire::https::Proxy=${proxy.url}`]));
    expect(callsOf(host.run, 'apt-cache')).toEqual([['policy', 'awscli']]);
    expect(callsOf(host.run, 'snap')).toEqual([
      ['set', 'system', `proxy.http=${proxy.url}`, `proxy.https=${proxy.url}`],
      ['install', 'aws-cli', '--classic'],
    ]);
    expect(host.run.log).toContain('installed the AWS CLI (snap aws-cli: this release packages none)');
  });

  test('the service and the watch get the proxy from systemd, with the metadata service and the no-proxy list reached directly', () => {
    const networkEnv = path.join(host.sandbox.configDir, 'network.env');
    const variables = Object.fromEntries(
      fs
        .readFileSync(networkEnv, 'utf8')
        .trim()
        .split('\n')
        .map((line) => line.split(/=(.*)/s).slice(0, 2)),
    );
    const direct = '127.0.0.1,.corp.example,10.0.0.0/8';
    expect(variables).toEqual({
      https_proxy: proxy.url,
      HTTPS_PROXY: proxy.url,
      http_proxy: proxy.url,
      HTTP_PROXY: proxy.url,
      no_proxy: direct,
      NO_PROXY: direct,
    });
    for (const unit of ['altinitycloud-connect.service', 'altinitycloud-connect-watch.service']) {
      expect(fs.readFileSync(path.join(host.sandbox.systemdDir, unit), 'utf8')).toContain(`\nEnvironmentFile=-${networkEnv}\n`);
    }
  });

  test('the watch asks Altinity.Cloud and tags the instance through the proxy', async () => {
    const before = proxy.requests.length;
    host.world.altinity.answerStatuscheck(CERTIFIED_ENVIRONMENT, { connected: 'NOT CONNECTED' });
    const run = await host.again(['watch']);
    expect(run.exitCode).toBe(0);
    expect(run.log).toContain('watch: disconnected: NOT CONNECTED');
    const watchRequests = proxy.requests.slice(before);
    expect(watchRequests).toContain(`CONNECT ${ALTINITY_NAME}:443`);
    expect(watchRequests.some((request) => request.startsWith(`POST http://${AWS_NAME}/`))).toBe(true);
    expect(host.world.instanceTags['altinity:connect/state']).toMatch(/^disconnected since /);
  });

  test('a proxy that refuses a destination: the reason names the destination and the proxy', async () => {
    const refused = await pending.proxyRefuses;
    expect(refused.run.exitCode).toBe(1);
    const proxyHost = new URL(refused.proxy!.url).host;
    expect(refused.world.signals.map((signal) => signal.Status)).toEqual(['FAILURE']);
    expect(refused.world.signals[0].UniqueId).toBe(`[download-failed] cannot reach ${ALTINITY_NAME} through the proxy ${proxyHost}`.slice(0, 64));
    expect(refused.run.console).toContain(
      `FAILED at step 'install altinitycloud-connect': [download-failed] cannot reach ${ALTINITY_NAME} through the proxy ${proxyHost}`,
    );
    expect(refused.run.console).toMatch(/CONNECT tunnel failed, response 403/);
    expect(downloadsOf(refused.world)).toEqual([]);
  });
});

describe("a CA of the customer's own, and host aliases", () => {
  let host: Boot;
  beforeAll(async () => {
    host = await pending.ownCa;
  });

  test('the download and the readiness check succeed against servers whose certificates only that CA signs', async () => {
    expect(host.run.exitCode).toBe(0);
    expect(host.world.signals.map((signal) => signal.Status)).toEqual(['SUCCESS']);
    expect(downloadsOf(host.world)).toHaveLength(1);
    expect(statuschecksOf(host.world).length).toBeGreaterThanOrEqual(1);
    // Without the CA, the same servers are refused before any download.
    const untrusting = await pending.caNotGiven;
    expect(untrusting.run.exitCode).toBe(1);
    expect(untrusting.world.signals.map((signal) => signal.UniqueId)).toEqual([expect.stringMatching(/^\[untrusted-tls\] 127\.0\.0\.1:\d+$/)]);
    expect(untrusting.run.console).toMatch(/SSL certificate problem: .*; if a proxy inspects TLS, give its CA in CaCertificates/);
    expect(downloadsOf(untrusting.world)).toEqual([]);
  });

  test('is added to the system trust store as PEM, whatever the console did to its line breaks, and given to the tunnel', () => {
    const installed = path.join(host.sandbox.caDir, 'altinity-connect.crt');
    expect(fs.readFileSync(installed, 'utf8')).toBe(corporateCa.caPem().toString());
    expect(modeOf(installed)).toBe('644');
    expect(callsOf(host.run, 'update-ca-certificates')).toEqual([[]]);
    const service = fs.readFileSync(path.join(host.sandbox.systemdDir, 'altinitycloud-connect.service'), 'utf8');
    expect(service).toMatch(new RegExp(`\\nExecStart=\\S+ --url=\\S+ --ca-crt=${installed} --capability aws -i \\S+\\n`));
    const networkEnv = fs.readFileSync(path.join(host.sandbox.configDir, 'network.env'), 'utf8');
    expect(networkEnv).toBe(`AWS_CA_BUNDLE=${host.sandbox.caBundle}\nCURL_CA_BUNDLE=${host.sandbox.caBundle}\n`);
    expect(host.run.log).toContain('trusting the CA certificates of CaCertificates (1)');
  });

  test('a value that holds no certificate fails the stack, naming the parameter', async () => {
    const invalid = await pending.caInvalid;
    expect(invalid.run.exitCode).toBe(1);
    expect(invalid.world.signals.map((signal) => [signal.Status, signal.UniqueId])).toEqual([
      ['FAILURE', '[ca-invalid] CaCertificates holds no valid PEM certificate'],
    ]);
    expect(downloadsOf(invalid.world)).toEqual([]);
  });

  test('host aliases are in /etc/hosts before any connection, replacing those of an earlier run', () => {
    expect(fs.readFileSync(host.sandbox.hostsFile, 'utf8')).toBe(
      '127.0.0.1 localhost\n::1 ip6-localhost ip6-loopback\n10.1.2.3 mirror.corp.test # altinity-connect\nfd00::4 anywhere.corp.test # altinity-connect\n',
    );
    expect(secondsInLog(host.run.log, 'added 2 host aliases', 'AWS endpoints reachable')).toBeGreaterThanOrEqual(0);
    const lines = host.run.log.split('\n');
    expect(lines.findIndex((line) => line.includes('added 2 host aliases'))).toBeLessThan(lines.findIndex((line) => line.includes('step: check network')));
  });
});
