import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GetParameterCommand, ParameterNotFound, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { BOOTSTRAP_SCRIPT_PATH, type BootstrapValues } from '../lib/host/user-data';
import { certificateParameterName, stackNameFor, tokenParameterName } from '../lib/shared/names';
import { type DeniedCall, HostWorld } from './bootstrap/host-world';
import { type BootRun, HostSandbox, type StandInBehaviour } from './bootstrap/sandbox';
import { type MotoServer, startMotoServer, TEST_REGION } from './support/moto-server';

/**
 * The host bootstrap script, run for real by bash in a sandbox, once per situation a host can meet.
 * The AWS CLI is the real one, talking to moto_server for SSM; the metadata service, the release
 * download and CloudFormation's SignalResource are served by HostWorld; apt-get, systemctl and
 * journalctl are stand-ins, and so is the downloaded altinitycloud-connect.
 */

const CONNECT_VERSION = '0.61.0';
const RELEASE = fs.readFileSync(path.join(__dirname, 'bootstrap/release/altinitycloud-connect'));
const RELEASE_SHA256 = createHash('sha256').update(RELEASE).digest('hex');
/** A loopback port nothing listens on: connections are refused at once. */
const UNREACHABLE = 'http://127.0.0.1:1';
const STORED_CERTIFICATE = '-----BEGIN CERTIFICATE-----\nc3RvcmVkIGJ5IGFuIGVhcmxpZXIgaG9zdA==\n-----END CERTIFICATE-----';

interface Situation {
  /** Changes to the values the stack fills in. */
  readonly values?: Partial<BootstrapValues>;
  /** A certificate that an earlier host stored in SSM. */
  readonly storedCertificate?: string;
  readonly deniedCalls?: readonly DeniedCall[];
  /** A certificate another host of the group stores once this one says it waits for it. */
  readonly certificateStoredMeanwhile?: string;
  readonly awsPreinstalled?: boolean;
  readonly arm64?: boolean;
  readonly awsUnreachable?: boolean;
  readonly inAutoScalingGroup?: boolean;
  readonly environment?: Record<string, string>;
  readonly standIns?: StandInBehaviour;
}

interface Boot {
  readonly env: string;
  readonly token: string;
  readonly instanceId: string;
  readonly world: HostWorld;
  readonly sandbox: HostSandbox;
  readonly run: BootRun;
}

let moto: MotoServer;
let ssm: SSMClient;
const worlds: HostWorld[] = [];
const sandboxes: HostSandbox[] = [];

async function boot(env: string, situation: Situation = {}): Promise<Boot> {
  const instanceId = `i-0${randomBytes(8).toString('hex')}`;
  const world = await HostWorld.start({
    ssmEndpoint: moto.endpoint,
    instanceId,
    region: TEST_REGION,
    releases: new Map(['amd64', 'arm64'].map((arch) => [`v${CONNECT_VERSION}/altinitycloud-connect-${CONNECT_VERSION}-linux-${arch}`, RELEASE])),
    deniedCalls: situation.deniedCalls,
    inAutoScalingGroup: situation.inAutoScalingGroup,
  });
  worlds.push(world);
  const token = `eyJhbGciOiJFUzI1NiJ9.${randomBytes(24).toString('base64url')}`;
  await ssm.send(new PutParameterCommand({ Name: tokenParameterName(env), Value: token, Type: 'SecureString' }));
  if (situation.storedCertificate) {
    await ssm.send(new PutParameterCommand({ Name: certificateParameterName(env), Value: situation.storedCertificate, Type: 'SecureString' }));
  }
  const sandbox = new HostSandbox(
    {
      STACK_NAME: stackNameFor(env),
      REGION: TEST_REGION,
      SIGNAL_RESOURCE: 'Host',
      TOKEN_PARAMETER: tokenParameterName(env),
      CERTIFICATE_PARAMETER: certificateParameterName(env),
      CONNECT_VERSION,
      DOWNLOAD_URL: world.releasesUrl,
      CONNECT_SHA256: '',
      ...situation.values,
    },
    { awsPreinstalled: situation.awsPreinstalled },
  );
  sandboxes.push(sandbox);
  const meanwhile = situation.certificateStoredMeanwhile;
  const storedMeanwhile = meanwhile === undefined ? undefined : storeWhenLogged(sandbox.logFile, 'waiting for its certificate', env, meanwhile);
  const run = await sandbox.run({
    awsEndpoint: situation.awsUnreachable ? UNREACHABLE : world.url,
    imdsUrl: world.url,
    standIns: situation.standIns,
    arm64: situation.arm64,
    environment: situation.environment,
  });
  await storedMeanwhile;
  return { env, token, instanceId, world, sandbox, run };
}

/** Plays the other host of a group: stores its certificate once this host's log says `trigger`. */
async function storeWhenLogged(logFile: string, trigger: string, env: string, certificate: string): Promise<void> {
  for (let waited = 0; !(fs.existsSync(logFile) && fs.readFileSync(logFile, 'utf8').includes(trigger)); waited += 200) {
    if (waited > 60_000) throw new Error(`the host never logged "${trigger}"`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await ssm.send(new PutParameterCommand({ Name: certificateParameterName(env), Value: certificate, Type: 'SecureString', Overwrite: true }));
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

const pending: Record<string, Promise<Boot>> = {};

// The hosts below boot at once: a minute on an idle two-core machine, minutes on a loaded one. The
// time limit only stops a hung boot; how fast each failure is reported is checked from its log.
beforeAll(async () => {
  moto = await startMotoServer();
  ssm = new SSMClient(moto.clientConfig);
  // Independent hosts boot at the same time; each describe block below awaits its own.
  Object.assign(pending, {
    firstBoot: boot('first-boot', { values: { CONNECT_SHA256: RELEASE_SHA256 } }),
    replacement: boot('replacement', { storedCertificate: STORED_CERTIFICATE, awsPreinstalled: true, arm64: true }),
    loginRejected: boot('login-rejected', { standIns: { STANDIN_LOGIN: 'reject' } }),
    unpublishedVersion: boot('unpublished', { values: { CONNECT_VERSION: '0.99.0' }, awsPreinstalled: true }),
    checksumMismatch: boot('checksum', { values: { CONNECT_SHA256: 'a'.repeat(64) }, awsPreinstalled: true }),
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
      storedCertificate: 'login claimed by i-0another0host0001',
      certificateStoredMeanwhile: STORED_CERTIFICATE,
      awsPreinstalled: true,
      environment: { BOOTSTRAP_CERTIFICATE_POLL_SECONDS: '1', BOOTSTRAP_CERTIFICATE_WAIT_SECONDS: '60' },
    }),
    claimAbandoned: boot('abandoned', {
      storedCertificate: 'login claimed by i-0gone0host00000001',
      awsPreinstalled: true,
      environment: { BOOTSTRAP_CERTIFICATE_POLL_SECONDS: '1', BOOTSTRAP_CERTIFICATE_WAIT_SECONDS: '2' },
    }),
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
    serviceCrashes: boot('service-crashes', {
      storedCertificate: STORED_CERTIFICATE,
      inAutoScalingGroup: true,
      standIns: { STANDIN_SERVICE: 'crashing' },
      awsPreinstalled: true,
    }),
  });
  await Promise.allSettled(Object.values(pending));
}, 300_000);

afterAll(async () => {
  await Promise.all(worlds.map((world) => world.stop()));
  for (const sandbox of sandboxes) sandbox.remove();
  ssm?.destroy();
  await moto?.stop();
});

test('shellcheck finds nothing in the script', () => {
  expect(execFileSync('shellcheck', ['--severity=style', BOOTSTRAP_SCRIPT_PATH], { encoding: 'utf8' })).toBe('');
});

describe('first boot', () => {
  let host: Boot;
  beforeAll(async () => {
    host = await pending.firstBoot;
  });

  test('signals SUCCESS with the instance id once the service runs', () => {
    expect(host.run.exitCode).toBe(0);
    expect(host.world.signals).toEqual([
      { StackName: stackNameFor('first-boot'), LogicalResourceId: 'Host', UniqueId: host.instanceId, Status: 'SUCCESS' },
    ]);
  });

  test('installs the AWS CLI from Ubuntu without recommends, and nothing else', () => {
    const aptCalls = callsOf(host.run, 'apt-get');
    expect(aptCalls.map((call) => call.filter((arg) => !arg.startsWith('-') && !arg.includes('::')))).toEqual([
      ['update'],
      ['install', 'awscli'],
    ]);
    expect(aptCalls[1]).toContain('--no-install-recommends');
    expect(aptCalls.flat()).not.toContain('upgrade');
  });

  test('downloads the pinned release once, checks its SHA-256 and installs it executable', () => {
    expect(host.world.downloads).toEqual([`/releases/v${CONNECT_VERSION}/altinitycloud-connect-${CONNECT_VERSION}-linux-amd64`]);
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
      `GetParameter ${certificateParameterName('first-boot')}`,
      `PutParameter ${certificateParameterName('first-boot')}`,
      `GetParameter ${tokenParameterName('first-boot')}`,
      `PutParameter ${certificateParameterName('first-boot')}`,
    ]);
    const [claim, store] = callsOf(host.run, 'aws').filter((call) => call.includes('put-parameter'));
    expect(claim).toEqual(expect.arrayContaining(['--type', 'SecureString', '--value', `login claimed by ${host.instanceId}`]));
    expect(claim).not.toContain('--overwrite');
    const certificate = path.join(host.sandbox.configDir, 'cloud-connect.pem');
    expect(store).toEqual(expect.arrayContaining(['--type', 'SecureString', '--overwrite', '--value', `file://${certificate}`]));
    expect((await storedCertificate('first-boot'))?.trim()).toBe(fs.readFileSync(certificate, 'utf8').trim());
  });

  test('installs a service that runs the tool with the certificate, restarts it, and starts it at boot', () => {
    const unit = fs.readFileSync(path.join(host.sandbox.systemdDir, 'altinitycloud-connect.service'), 'utf8');
    const binary = path.join(host.sandbox.binDir, 'altinitycloud-connect');
    const certificate = path.join(host.sandbox.configDir, 'cloud-connect.pem');
    expect(unit).toContain(`\nExecStart=${binary} --capability aws -i ${certificate}\n`);
    expect(unit).toMatch(/\nRestart=always\n/);
    expect(unit).toMatch(/\nRestartSec=\d+\n/);
    expect(unit).toMatch(/\nAfter=network-online.target\n/);
    expect(unit).toMatch(/\nWants=network-online.target\n/);
    expect(unit).toMatch(/\nWantedBy=multi-user.target\n/);
    const systemctl = callsOf(host.run, 'systemctl');
    expect(systemctl.slice(0, 2)).toEqual([['daemon-reload'], ['enable', '--now', 'altinitycloud-connect.service']]);
    expect(systemctl).toContainEqual(['is-active', 'altinitycloud-connect.service']);
  });

  test('logs every step with a UTC timestamp to the log file and the console', () => {
    const lines = host.run.log.trim().split('\n');
    expect(lines.filter((line) => !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ /.test(line))).toEqual([]);
    const steps = lines.filter((line) => line.includes(' step: ')).map((line) => line.replace(/.* step: /, ''));
    expect(steps).toEqual([
      'read instance identity',
      'check network',
      'install AWS CLI',
      'install altinitycloud-connect',
      'obtain certificate',
      'start service',
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
      rerun = await host.sandbox.run({ awsEndpoint: host.world.url, imdsUrl: host.world.url });
    });

    test('installs, downloads and logs in to nothing again, and reads no token', () => {
      expect(rerun.exitCode).toBe(0);
      expect(callsOf(rerun, 'apt-get')).toEqual([]);
      expect(host.world.downloads).toHaveLength(1);
      expect(callsOf(rerun, 'altinitycloud-connect')).toEqual([]);
      expect(ssmActions(host.world).slice(ssmCallsBefore)).toEqual([`GetParameter ${certificateParameterName('first-boot')}`]);
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
    expect(ssmActions(host.world)).toEqual([`GetParameter ${certificateParameterName('replacement')}`]);
    expect(callsOf(host.run, 'altinitycloud-connect')).toEqual([]);
    expect(fs.readFileSync(path.join(host.sandbox.configDir, 'cloud-connect.pem'), 'utf8')).toBe(`${STORED_CERTIFICATE}\n`);
    expect(host.world.signals.map((signal) => [signal.UniqueId, signal.Status])).toEqual([[host.instanceId, 'SUCCESS']]);
  });

  test('installs no package and downloads the arm64 release', () => {
    expect(callsOf(host.run, 'apt-get')).toEqual([]);
    expect(host.world.downloads).toEqual([`/releases/v${CONNECT_VERSION}/altinitycloud-connect-${CONNECT_VERSION}-linux-arm64`]);
  });

  test('shows the token nowhere', () => {
    expectTokenOnlyInLogin(host, host.run, 0);
  });
});

describe('failures are signalled with a one-line reason, fast', () => {
  const failureSignal = (host: Boot) => {
    expect(host.run.exitCode).toBe(1);
    expect(host.world.signals).toHaveLength(1);
    const [signal] = host.world.signals;
    expect(signal).toMatchObject({ StackName: stackNameFor(host.env), LogicalResourceId: 'Host', Status: 'FAILURE' });
    expect(signal.UniqueId.length).toBeLessThanOrEqual(64);
    return signal.UniqueId;
  };

  test('login rejected: the reason quotes the tool, with the token it echoed masked, and the claim is withdrawn', async () => {
    const host = await pending.loginRejected;
    const reason = failureSignal(host);
    expect(reason).toMatch(/^login failed: Error: token \(token hidden\) rejected by Altinity/);
    expect(host.run.console).toContain(`FAILED at step 'obtain certificate': login failed: Error: token (token hidden) rejected`);
    // The claim is withdrawn, so that the next host may log in instead of waiting for this one.
    expect(ssmActions(host.world).slice(-1)).toEqual([`DeleteParameter ${certificateParameterName('login-rejected')}`]);
    expect(await storedCertificate('login-rejected')).toBeUndefined();
    expect(callsOf(host.run, 'systemctl')).toEqual([]);
    expectTokenOnlyInLogin(host, host.run, 1);
  });

  test('another host of the group claimed the login: this one waits for its certificate and does not log in', async () => {
    const host = await pending.claimedByAnotherHost;
    expect(host.run.exitCode).toBe(0);
    expect(host.run.console).toContain('i-0another0host0001 is logging in; waiting for its certificate');
    expect(callsOf(host.run, 'altinitycloud-connect')).toEqual([]);
    expect(ssmActions(host.world)).not.toContain(`GetParameter ${tokenParameterName('claimed')}`);
    expect(fs.readFileSync(path.join(host.sandbox.configDir, 'cloud-connect.pem'), 'utf8').trim()).toBe(STORED_CERTIFICATE);
    expect(host.world.signals.map((signal) => [signal.UniqueId, signal.Status])).toEqual([[host.instanceId, 'SUCCESS']]);
  });

  test('a claim whose host never stored a certificate: the wait ends with a reason naming that host', async () => {
    const host = await pending.claimAbandoned;
    expect(failureSignal(host)).toBe('no certificate from i-0gone0host00000001 within 2 s');
    expect(callsOf(host.run, 'altinitycloud-connect')).toEqual([]);
    expect(await storedCertificate('abandoned')).toBe('login claimed by i-0gone0host00000001');
  });

  test('release not published: the reason gives the HTTP error, and nothing is read from SSM', async () => {
    const host = await pending.unpublishedVersion;
    expect(failureSignal(host)).toMatch(/^download failed: The requested URL returned error: 404/);
    expect(host.run.console).toContain(`${host.world.releasesUrl}/v0.99.0/altinitycloud-connect-0.99.0-linux-amd64`);
    expect(ssmActions(host.world)).toEqual([]);
    expectTokenOnlyInLogin(host, host.run, 0);
  });

  test('checksum mismatch: the binary is refused and not installed', async () => {
    const host = await pending.checksumMismatch;
    expect(failureSignal(host)).toBe(`checksum mismatch: altinitycloud-connect ${CONNECT_VERSION}`);
    expect(host.run.console).toContain(`has SHA-256 ${RELEASE_SHA256}, expected ${'a'.repeat(64)}`);
    expect(fs.existsSync(path.join(host.sandbox.binDir, 'altinitycloud-connect'))).toBe(false);
    expect(ssmActions(host.world)).toEqual([]);
  });

  test('token read denied: the reason gives the AWS error code, the console the parameter', async () => {
    const host = await pending.tokenDenied;
    expect(failureSignal(host)).toBe('cannot read token parameter: AccessDeniedException');
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
      rerun = await host.sandbox.run({ awsEndpoint: host.world.url, imdsUrl: host.world.url });
    });

    test('the first run names the refused write', () => {
      expect(firstReason).toBe('cannot store certificate parameter: AccessDeniedException');
      expect(callsOf(host.run, 'altinitycloud-connect')).toEqual([['login', `--token=${host.token}`]]);
    });

    test('the re-run stores the certificate of the first login: no token read, no second login', async () => {
      expect(rerun.exitCode).toBe(0);
      expect(callsOf(rerun, 'altinitycloud-connect')).toEqual([]);
      expect(ssmActions(host.world).slice(ssmCallsBefore)).toEqual([
        `GetParameter ${certificateParameterName('store-denied')}`,
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
    expect(failureSignal(host)).toMatch(/^service did not stay up: error: connection refused by anywhere/);
    expect(host.run.console).toContain('state activating, 2 restarts');
    expect(host.world.healthReports).toEqual([{ InstanceId: host.instanceId, HealthStatus: 'Unhealthy', ShouldRespectGracePeriod: 'false' }]);
  });

  test('an unexpected error is signalled too, naming the step', async () => {
    const host = await pending.unexpectedError;
    expect(failureSignal(host)).toMatch(/^start service: unexpected error at line \d+$/);
    expect(host.run.console).toContain("FAILED at step 'start service': start service: unexpected error");
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
    expect(failureSignal(host)).toBe('cannot reach the download location 127.0.0.1:1');
    expect(host.run.console).toMatch(/Failed to connect to 127\.0\.0\.1 port 1/);
    expect(secondsInLog(host.run.log, 'step: install altinitycloud-connect', 'FAILED')).toBeLessThanOrEqual(2);
  });
});

describe('failures that cannot be signalled say so on the console', () => {
  test('no network: fails in seconds, names the unreachable endpoint, tries no package or download', async () => {
    const host = await pending.noNetwork;
    expect(host.run.exitCode).toBe(1);
    expect(secondsInLog(host.run.log, 'step: read instance identity', 'FAILED')).toBeLessThanOrEqual(2);
    expect(host.run.console).toContain("FAILED at step 'check network': no network: cannot reach 127.0.0.1:1");
    expect(host.run.console).toContain('the subnet needs a route to the internet');
    expect(host.run.console).toContain('cannot signal FAILURE to CloudFormation: the AWS CLI is not installed');
    expect(callsOf(host.run, 'apt-get')).toEqual([]);
    expect(host.world.downloads).toEqual([]);
    expect(host.world.signals).toEqual([]);
  });

  test('package mirror unreachable: no AWS CLI, so the console says the signal cannot be sent', async () => {
    const host = await pending.mirrorUnreachable;
    expect(host.run.exitCode).toBe(1);
    expect(host.run.console).toContain("FAILED at step 'install AWS CLI': cannot install the AWS CLI: apt-get update failed");
    expect(host.run.console).toContain('cannot signal FAILURE to CloudFormation: the AWS CLI is not installed');
    expect(host.world.downloads).toEqual([]);
    expect(host.world.signals).toEqual([]);
  });
});
