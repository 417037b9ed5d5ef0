import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { DescribeParametersCommand, GetParameterCommand, ListTagsForResourceCommand, ParameterNotFound } from '@aws-sdk/client-ssm';
import { OWNER_TAG_KEY } from '../../../lib/shared/conventions';
import { certificateParameterName, HOST_GROUP_LOGICAL_ID, PARAMETER_KEYS } from '../../../lib/shared/names';
import { AltinityApi } from '../../../lambda/altinity-api/client';
import { certificateBundle, certificateRequest } from '../../../lambda/altinity-api/csr';
import { liveStack } from '../../e2e/live-stack';
import { AltinityCloudApi } from '../../support/altinity-cloud-api';
import { BootWorld, environmentOf, type LaunchedHost, type LaunchRequest, sleep, until } from './boot-world';
import { ADDRESSES } from './network';

/**
 * The host's user data, booted as EC2 would boot it: taken from the published template's launch
 * template on moto_server (never from bootstrap.sh), written as-is into cloud-init's NoCloud seed,
 * and run by a real cloud-init under a real systemd (Debian 12 in systemd-nspawn), in a network
 * namespace with no route out. Run with `npm run test:host` (not part of `npm test`).
 *
 * Stand-ins (each file says more at its top):
 * - the Ubuntu AMI: a Debian bookworm root file system with systemd and cloud-init (rootfs.ts)
 * - the EC2 instance and its datasource: systemd-nspawn with a NoCloud seed (host-machine.ts)
 * - the instance metadata service, IMDSv2, at 169.254.169.254:80: instance id, region, the role's
 *   credentials, and for a group's instance its target lifecycle state (../standins/imds.ts)
 * - CloudFormation SignalResource and Auto Scaling SetInstanceHealth: a proxy that answers and
 *   records SignalResource (moto lacks it), records SetInstanceHealth and passes it to moto for a
 *   group's instance (refuses it for any other), and passes every other call (SSM, EC2 CreateTags)
 *   to moto_server, which runs in the namespace (standins/aws-proxy.ts)
 * - the Auto Scaling group of the completed host: its stack runs Replicas 2, moto's group launches
 *   them from the stack's launch template, the harness boots the first, and the metadata stand-in
 *   serves autoscaling/target-lifecycle-state InService for it, as EC2 does (boot-world.ts)
 * - the release download: HTTPS with a test CA's certificate, named by the stack's
 *   ConnectDownloadUrl and ConnectSha256 parameters (standins/connect-releases.ts, on
 *   ../standins/release-location.ts)
 * - the altinitycloud-connect binary: a script whose login asks the Altinity.Cloud stand-in and
 *   whose service connects to its --url and runs until killed, or crashes at once
 *   (standins/altinitycloud-connect.sh)
 * - Altinity.Cloud, named by the stack's AltinityCloudUrl parameter: HTTPS login, tunnel and
 *   statuscheck, a client certificate per environment (issued at login) required, every request
 *   recorded, each environment's statuscheck answer switchable at runtime
 *   (../standins/altinity-cloud.ts)
 * - Altinity.Cloud's API (`POST /sign`), for the existing-certificate scenario's certificate: the
 *   API stand-in of npm test, on a loopback port outside the namespace, signing with the same test
 *   CA (test/support/altinity-cloud-api.ts)
 * - the public CAs behind those, and Altinity.Cloud's client-certificate authority: a test CA
 *   (test/support/test-ca.ts, shared with npm test's bootstrap sandbox, as are the stand-ins under
 *   ../standins/)
 *
 * Test-only plumbing, bound read-only into each host; the shipped script is not told it is tested:
 * - AWS_ENDPOINT_URL=http://127.0.0.1:4566 (the proxy) for every unit, cloud-final's and the
 *   watch's included, through a systemd manager drop-in (DefaultEnvironment)
 * - the test CA appended to the system CA bundle
 * - this machine's AWS CLI (v1.45, pyenv Python) at /usr/local/bin/aws: Debian's awscli ignores
 *   AWS_ENDPOINT_URL. It is on the default PATH, so the script finds it "already installed".
 * - the network namespace itself, and a forwarder in it that gives each stand-in its address
 *   (network.ts); the tests reach moto_server through a Unix socket.
 * Waits are shortened only through the template's own parameters (ConnectionTimeout), as a user
 * would; the script's settle (10 s) and statuscheck poll (15 s) stay as shipped. The watch's timer
 * runs it every minute; the tunnel-drop scenario starts its service itself (see there).
 */

/** The script's own wait with the service up before it asks Altinity.Cloud (not a template parameter). */
const SETTLE_S = 10;
/**
 * The harness's budget for a boot's own work, from first boot to signal, beyond the waits the
 * script and the stack's parameters configure (settle, statuscheck polls within ConnectionTimeout):
 * a connected boot takes under 30 s here (no package downloads: the AWS CLI is bound in).
 */
const WORK_BOUND_S = 30;
/** ConnectionTimeout as a user may set it in the console (its minimum): the scenarios that wait for it. */
const CONNECTION_TIMEOUT_S = 30;
/** Boot to signal of a host whose statuscheck answers OK at once, or whose service crashes in the settle. */
const SETTLED_SIGNAL_BOUND_MS = (WORK_BOUND_S + SETTLE_S) * 1000;
/** Boot to signal of a host whose login fails (before the service exists). */
const LOGIN_SIGNAL_BOUND_MS = WORK_BOUND_S * 1000;
/** Boot to signal of a host that Altinity.Cloud never sees connected: the settle, then ConnectionTimeout of polls. */
const NEVER_SIGNAL_BOUND_MS = (WORK_BOUND_S + SETTLE_S + CONNECTION_TIMEOUT_S) * 1000;
/** Longest a rebooted host may take to have its service connected again. */
const BACK_AFTER_REBOOT_BOUND_MS = 60_000;
/** Longest systemd may take to restart a killed service (RestartSec=5). */
const RESTART_BOUND_MS = 30_000;
/** Longest one run of the watch may take (a statuscheck, the metadata, one AWS call). */
const WATCH_RUN_BOUND_MS = 30_000;
/** Per test: its stack, its boot and bound, its checks and power-off. */
const TEST_TIMEOUT_MS = 300_000;

const UNIT = 'altinitycloud-connect.service';
const WATCH_TIMER = 'altinitycloud-connect-watch.timer';
const WATCH_SERVICE = 'altinitycloud-connect-watch.service';
const BOOTSTRAP_LOG = '/var/log/altinitycloud-connect-bootstrap.log';
const CLOUD_INIT_OUTPUT = '/var/log/cloud-init-output.log';
const CERTIFICATE_FILE = '/etc/altinitycloud-connect/cloud-connect.pem';
const NOT_CONNECTED = 'NOT_CONNECTED';

let world: BootWorld;

beforeAll(async () => {
  world = await BootWorld.start();
}, 900_000);

afterAll(async () => {
  await world?.stop();
});

/** Runs the scenario's checks; on failure, adds the host's logs to the error. */
async function checking(host: LaunchedHost, checks: () => Promise<void>): Promise<void> {
  try {
    await checks();
  } catch (error) {
    (error as Error).message += `\n\nHost ${host.machine.running ? '(running)' : '(stopped)'} of scenario ${host.scenario}:\n${host.machine.diagnostics()}`;
    throw error;
  }
}

/** Everything the host logged: the bootstrap's own log, cloud-init's output and its log. */
function hostLogs(host: LaunchedHost): string {
  return [BOOTSTRAP_LOG, CLOUD_INIT_OUTPUT, '/var/log/cloud-init.log'].map((file) => host.machine.file(file)).join('\n');
}

/** CloudFormation shows the UniqueId; the script turns every other character into '-'. */
function asUniqueId(text: string): string {
  return text.replace(/[^A-Za-z0-9 ._:/()=+,@[\]-]/g, '-').slice(0, 64);
}

async function certificateParameter(host: LaunchedHost): Promise<string | undefined> {
  try {
    const name = certificateParameterName(host.environment);
    return (await world.clients.ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }))).Parameter?.Value;
  } catch (error) {
    if (error instanceof ParameterNotFound) return undefined;
    throw error;
  }
}

/** A command inside the hosts' namespace. Asynchronous: the stand-ins answer from this very process. */
async function inNamespace(command: string[], env: Record<string, string> = {}): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'ip',
      ['netns', 'exec', world.network.name, ...command],
      { encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...env } },
      (error, stdout, stderr) => resolve({ status: error ? Number(error.code ?? 1) || 1 : 0, stdout, stderr }),
    );
  });
}

/** A systemctl query inside the host, its answer trimmed (is-active, is-enabled, show --value ...). */
async function systemctl(host: LaunchedHost, ...args: string[]): Promise<string> {
  return (await host.machine.exec(['systemctl', ...args])).stdout.trim();
}

describe('the stand-ins', () => {
  test('statuscheck needs the client certificate and answers each environment what it is set to; SetInstanceHealth is recorded', async () => {
    const statuscheck = `https://${ADDRESSES.altinityCloud.host}:${ADDRESSES.altinityCloud.port}/statuscheck?connected`;
    const certificateFile = (environment: string) => {
      const file = world.runDir.path(`${environment}.pem`);
      fs.writeFileSync(file, world.altinity.certificateOf(environment), { mode: 0o600 });
      return file;
    };
    const [mine, other] = [certificateFile('acme-boot-standins'), certificateFile('acme-boot-standins-other')];
    const curl = async (...args: string[]) => (await inNamespace(['curl', '--silent', '--cacert', world.ca.caFile, ...args])).stdout;
    const as = (file: string) => ['--cert', file, '--key', file, statuscheck];
    expect(await curl(...as(mine))).toBe('OK');
    world.altinity.answerStatuscheck('acme-boot-standins', { connected: NOT_CONNECTED });
    expect(await curl(...as(mine))).toBe(NOT_CONNECTED);
    expect(await curl(...as(other))).toBe('OK');
    expect(await curl('--write-out', ' %{http_code}', statuscheck)).toBe('client certificate required 401');
    expect(world.altinity.requestsTo('/statuscheck').map((request) => request.clientCertificate)).toEqual([
      'acme-boot-standins',
      'acme-boot-standins',
      'acme-boot-standins-other',
      undefined,
    ]);
    world.altinity.requests.length = 0;

    // The AWS CLI inside the namespace, called as a host's would be (with dummy credentials).
    const call = await inNamespace(['aws', 'autoscaling', 'set-instance-health', '--instance-id', 'i-0notinagroup', '--health-status', 'Unhealthy'], {
      AWS_ENDPOINT_URL: `http://${ADDRESSES.awsEndpoint.host}:${ADDRESSES.awsEndpoint.port}`,
      AWS_ACCESS_KEY_ID: 'AKIDSTANDINCHECK',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    });
    expect(call.stderr).toContain('ValidationError');
    expect(world.aws.healthReports).toEqual([
      expect.objectContaining({
        instanceId: 'i-0notinagroup',
        healthStatus: 'Unhealthy',
        accessKeyId: 'AKIDSTANDINCHECK',
        answer: expect.stringContaining('not found'),
      }),
    ]);
    world.aws.healthReports.length = 0;
  });
});

/** Altinity.Cloud requests to `path` since `since` (ms since the epoch). */
function altinityRequests(path: string, since: number) {
  return world.altinity.requestsTo(path).filter((request) => request.at >= since);
}

/**
 * The completed host: a group's instance (see the top), its stack's ConnectionTimeout at the
 * console's minimum so that the tunnel-drop scenario waits 30 s, not 300.
 */
const COMPLETED_HOST: LaunchRequest = {
  scenario: 'connected',
  service: 'steady',
  inGroup: true,
  parameters: { [PARAMETER_KEYS.connectionTimeout]: String(CONNECTION_TIMEOUT_S) },
};

describe('a host that completes its bootstrap (one boot, four scenarios in order)', () => {
  // Connected, killed, rebooted and tunnel drops all need a completed host: they share one boot,
  // which saves three. Run alone (jest -t), each of the last three boots it first.
  let host: LaunchedHost | undefined;
  let signal: Awaited<ReturnType<BootWorld['signalOf']>> | undefined;
  let attempted = false;

  afterAll(async () => {
    await host?.machine.powerOff();
  });

  /** The connected host; booted here when the connected scenario did not run (jest -t). */
  async function completedHost(): Promise<LaunchedHost> {
    if (!attempted) {
      attempted = true;
      host = await world.launch(COMPLETED_HOST);
      signal = await world.signalOf(host, SETTLED_SIGNAL_BOUND_MS);
      await world.firstBootFinished(host, SETTLED_SIGNAL_BOUND_MS);
    }
    if (!host?.machine.running || signal?.status !== 'SUCCESS') throw new Error('no completed host: see the connected scenario');
    return host;
  }

  test(
    'connected: the host logs in, runs the service, signals SUCCESS once Altinity.Cloud sees it connected, and starts the watch',
    async () => {
      attempted = true;
      host = await world.launch(COMPLETED_HOST);
      const launched = host;
      const { environment } = launched;
      await checking(launched, async () => {
        signal = await world.signalOf(launched, SETTLED_SIGNAL_BOUND_MS);
        world.recordTiming(launched.scenario, { 'boot to signal': signal.bootToSignal });

        expect(signal).toMatchObject({
          logicalResourceId: launched.stack.signalledResource,
          status: 'SUCCESS',
          uniqueId: launched.stack.instanceId,
          answer: 'accepted',
        });
        expect(await world.firstBootFinished(launched, SETTLED_SIGNAL_BOUND_MS)).toBe('done');
        // Signed with the role credentials from the metadata service, as on EC2.
        expect(signal.accessKeyId).toBe(world.imds.credentials.AccessKeyId);
        expect(await launched.machine.unit(UNIT)).toMatchObject({ activeState: 'active', subState: 'running', unitFileState: 'enabled', nRestarts: 0 });
        // The service connects where the stack's AltinityCloudUrl says, as systemd parsed its unit.
        const altinityUrl = launched.parameters[PARAMETER_KEYS.altinityUrl];
        expect(altinityUrl).toBe(world.altinityUrl);
        expect(await systemctl(launched, 'show', UNIT, '--property=ExecStart', '--value')).toContain(
          `argv[]=/usr/local/bin/altinitycloud-connect --url=${altinityUrl} --capability aws -i ${CERTIFICATE_FILE} ;`,
        );
        expect(altinityRequests('/login', launched.machine.firstBootAt).map((request) => request.status)).toEqual([200]);
        expect(altinityRequests('/connect', launched.machine.firstBootAt).map((request) => request.clientCertificate)).toEqual([environment]);

        // SUCCESS only after a statuscheck answered OK, and every statuscheck carried the environment's certificate.
        const statuschecks = altinityRequests('/statuscheck', launched.machine.firstBootAt);
        expect(statuschecks.length).toBeGreaterThanOrEqual(1);
        for (const check of statuschecks) expect(check).toMatchObject({ clientCertificate: environment, query: 'connected', status: 200 });
        expect(statuschecks.filter((check) => check.body === 'OK' && check.at < signal!.at)).not.toHaveLength(0);

        // The watch: its timer enabled, active and scheduled every minute from its start.
        expect(await systemctl(launched, 'is-enabled', WATCH_TIMER)).toBe('enabled');
        expect(await systemctl(launched, 'is-active', WATCH_TIMER)).toBe('active');
        const timers = await systemctl(launched, 'list-timers', '--all', '--no-pager');
        expect(timers.split('\n').find((line) => line.includes(WATCH_TIMER))).toContain(WATCH_SERVICE);
        const schedule = await systemctl(launched, 'show', WATCH_TIMER, '--property=TimersMonotonic', '--value');
        expect(schedule).toMatch(/OnActiveUSec=1min\b/);
        expect(schedule).toMatch(/OnUnitActiveUSec=1min\b/);
        // The instance tag says connected, and was set before the signal.
        expect(await world.stateTagOf(launched)).toBe('connected');
        const tagged = world.aws.forwarded.filter((call) => call.action === 'CreateTags' && call.accessKeyId === signal!.accessKeyId);
        expect(tagged.length).toBeGreaterThanOrEqual(1);
        expect(tagged[0].at).toBeLessThan(signal.at);

        const log = launched.machine.file(BOOTSTRAP_LOG);
        expect(log).toContain(`instance ${launched.stack.instanceId} in ${launched.stack.region}, signalling ${HOST_GROUP_LOGICAL_ID}`);
        expect(log).toContain('logged in to Altinity.Cloud');
        expect(log).toContain(`${UNIT} is active`);
        expect(log).toContain('step: await connection');
        expect(log).toContain('Altinity.Cloud sees the environment connected');
        expect(log).toContain('step: start watch');
        expect(log).toContain(`${WATCH_TIMER} checks the connection every minute`);
        expect(log).toContain(`signalled SUCCESS to ${launched.stack.signalledResource} of stack ${launched.stack.stackName}`);
        expect(launched.machine.file(CLOUD_INIT_OUTPUT)).toContain(
          'done: altinitycloud-connect.service runs, starts at every boot, and Altinity.Cloud sees the environment connected',
        );

        // The certificate is kept for replacement hosts, under the stack's key, tagged with the stack.
        expect(await certificateParameter(launched)).toBe(world.altinity.certificateOf(environment));
        const certificateName = certificateParameterName(environment);
        const tags = await world.clients.ssm.send(new ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: certificateName }));
        expect(tags.TagList).toContainEqual({ Key: OWNER_TAG_KEY, Value: launched.stack.stackId });
        const described = await world.clients.ssm.send(new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Name', Values: [certificateName] }] }));
        expect(described.Parameters?.[0]?.KeyId).toContain((await liveStack(world.clients, launched.stack.stackName)).physicalIds.SecretsKey);
        expect(hostLogs(launched)).not.toContain(launched.token);
      });
    },
    TEST_TIMEOUT_MS,
  );

  test(
    'killed: systemd restarts the service after kill -9 of its main process',
    async () => {
      const completed = await completedHost();
      await checking(completed, async () => {
        const before = await completed.machine.unit(UNIT);
        expect(before).toMatchObject({ activeState: 'active', nRestarts: 0 });

        const killedAt = Date.now();
        expect((await completed.machine.exec(['kill', '-9', String(before.mainPid)])).status).toBe(0);
        const after = await until('the service restarted', RESTART_BOUND_MS, async () => {
          const unit = await completed.machine.unit(UNIT);
          return unit.activeState === 'active' && unit.nRestarts === 1 ? unit : undefined;
        });
        world.recordTiming('killed', { 'boot to signal (the connected host)': signal!.bootToSignal, 'kill to active again': (Date.now() - killedAt) / 1000 });

        expect(after.mainPid).not.toBe(before.mainPid);
        expect(after.unitFileState).toBe('enabled');
        await until('the restarted service connected', RESTART_BOUND_MS, () => (altinityRequests('/connect', killedAt).length === 1 ? true : undefined));
        expect(world.signalsOf(completed)).toHaveLength(1);
      });
    },
    TEST_TIMEOUT_MS,
  );

  test(
    'rebooted: the service and the watch come back; the bootstrap does not run again and there is no second login',
    async () => {
      const completed = await completedHost();
      await checking(completed, async () => {
        await completed.machine.reboot();
        const rebootedAt = completed.machine.bootedAt;
        const back = await until('the service connected again after the reboot', BACK_AFTER_REBOOT_BOUND_MS, () => altinityRequests('/connect', rebootedAt)[0]);
        // cloud-init ran on this boot too, and found nothing left to run.
        expect(await completed.machine.cloudInitFinished(BACK_AFTER_REBOOT_BOUND_MS)).toBe('done');
        world.recordTiming('rebooted', {
          'boot to signal (the connected host)': signal!.bootToSignal,
          'reboot to service connected': (back.at - rebootedAt) / 1000,
        });

        expect(await completed.machine.unit(UNIT)).toMatchObject({ activeState: 'active', unitFileState: 'enabled', nRestarts: 0 });
        expect(await systemctl(completed, 'is-active', WATCH_TIMER)).toBe('active');
        expect(world.signalsOf(completed)).toHaveLength(1);
        expect(altinityRequests('/login', completed.machine.firstBootAt)).toHaveLength(1);
        expect(world.releases.downloads.filter((download) => download.at >= completed.machine.firstBootAt)).toHaveLength(1);
        const log = completed.machine.file(BOOTSTRAP_LOG);
        expect(log.match(/step: read instance identity/g)).toHaveLength(1);
        expect(log.match(/step: start watch/g)).toHaveLength(1);
        expect(completed.machine.file(CLOUD_INIT_OUTPUT).match(/running 'modules:final'/g)).toHaveLength(2);
      });
    },
    TEST_TIMEOUT_MS,
  );

  test(
    'tunnel drops after creation: the watch records it, marks the group instance unhealthy once after ConnectionTimeout, and records the reconnection',
    async () => {
      const completed = await completedHost();
      const { environment } = completed;
      const instanceId = completed.stack.instanceId;
      // The timer runs the watch every minute (its schedule is asserted in the connected scenario).
      // Here the test starts the watch's service itself at each step, as the timer does: systemctl
      // start returns when the oneshot run has ended. Waiting for the timer would take up to a
      // minute per step. The timer may still run the watch in between: each check holds whichever
      // run made the change, and a start that systemd merged into a timer run already under way
      // (begun before the test switched the answer) is followed by another.
      const runWatch = async () => {
        const run = await completed.machine.exec(['systemctl', 'start', WATCH_SERVICE], WATCH_RUN_BOUND_MS);
        expect({ watch: run.status, stderr: run.stderr }).toEqual({ watch: 0, stderr: '' });
      };
      const watchUntil = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined) =>
        until(what, WATCH_RUN_BOUND_MS, async () => {
          await runWatch();
          return probe();
        });
      const healthReports = () => world.aws.healthReports.filter((report) => report.instanceId === instanceId);
      const logSince = (marker: string) => {
        const log = completed.machine.file(BOOTSTRAP_LOG);
        return log.slice(log.lastIndexOf(marker));
      };
      await checking(completed, async () => {
        const startedAt = Date.now();
        // Connected to begin with (a timer run during the killed scenario's restart may have seen the service down).
        await watchUntil('the watch found the host connected', async () => ((await world.stateTagOf(completed)) === 'connected' ? true : undefined));
        expect(healthReports()).toEqual([]);
        expect(await world.groupHealthOf(completed)).toBe('Healthy');

        world.altinity.answerStatuscheck(environment, { connected: NOT_CONNECTED });
        const droppedAt = Date.now();
        const dropped = `watch: disconnected: ${NOT_CONNECTED}`;
        const tag = await watchUntil('the watch recorded the drop', async () => {
          const value = await world.stateTagOf(completed);
          return value?.startsWith('disconnected') ? value : undefined;
        });
        expect(completed.machine.file(BOOTSTRAP_LOG)).toContain(dropped);
        const since = /^disconnected since (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)$/.exec(tag);
        expect({ tag, matches: since !== null }).toEqual({ tag, matches: true });
        const sinceMs = Date.parse(since![1]);
        expect(sinceMs).toBeGreaterThanOrEqual(Math.floor(droppedAt / 1000) * 1000);
        expect(sinceMs).toBeLessThanOrEqual(Date.now());
        const taggedAfter = (Date.now() - droppedAt) / 1000;

        // Within ConnectionTimeout: nothing more.
        await runWatch();
        expect(healthReports()).toEqual([]);
        expect(logSince(dropped)).not.toContain('watch: disconnected for');

        // Past ConnectionTimeout: the group's instance marks itself unhealthy, once. The watch counts
        // in whole seconds from a time no later than the tag's.
        await sleep(Math.max(0, sinceMs + CONNECTION_TIMEOUT_S * 1000 + 200 - Date.now()));
        await watchUntil('the watch reported the instance', () => (healthReports().length > 0 ? true : undefined));
        const reported = /watch: disconnected for (\d+) s/.exec(logSince(dropped));
        expect(reported).not.toBeNull();
        expect(Number(reported![1])).toBeGreaterThanOrEqual(CONNECTION_TIMEOUT_S);
        expect(healthReports()).toEqual([
          expect.objectContaining({
            healthStatus: 'Unhealthy',
            shouldRespectGracePeriod: 'false',
            accessKeyId: world.imds.credentials.AccessKeyId,
            answer: 'accepted',
          }),
        ]);
        const unhealthyAfter = (healthReports()[0].at - droppedAt) / 1000;
        expect(await world.groupHealthOf(completed)).toBe('Unhealthy');
        expect(logSince(dropped)).toContain(`marked ${instanceId} unhealthy: its Auto Scaling group replaces it`);
        await runWatch();
        expect(healthReports()).toHaveLength(1);

        // Connected again.
        world.altinity.answerStatuscheck(environment, { connected: 'OK' });
        const backAt = Date.now();
        await watchUntil('the watch recorded the reconnection', async () => ((await world.stateTagOf(completed)) === 'connected' ? true : undefined));
        expect(logSince(dropped)).toContain('watch: connected again');
        world.recordTiming('tunnel drops', {
          'drop to tag': taggedAfter,
          'drop to Unhealthy': unhealthyAfter,
          'back to tag': (Date.now() - backAt) / 1000,
        });

        // Every watch asked with the environment's certificate; the watch never signals; the service ran throughout.
        const statuschecks = altinityRequests('/statuscheck', startedAt);
        expect(statuschecks.length).toBeGreaterThanOrEqual(6);
        for (const check of statuschecks) expect(check).toMatchObject({ clientCertificate: environment, query: 'connected' });
        expect(world.signalsOf(completed)).toHaveLength(1);
        expect(await completed.machine.unit(UNIT)).toMatchObject({ activeState: 'active', unitFileState: 'enabled' });
      });
    },
    TEST_TIMEOUT_MS,
  );
});

/**
 * The existing-certificate mode, with a certificate obtained the way API-token mode obtains it:
 * an RSA key (4096 bits, the least `/sign` takes) and request made here by
 * `certificateRequest`, signed through `AltinityApi.sign` by the API stand-in of npm test (for
 * Altinity.Cloud's `POST /sign`), bundled by `certificateBundle` into the connector's file, and stored
 * with the README's own `aws ssm put-parameter` command (this machine's AWS CLI, in the namespace,
 * through the proxy to moto_server) before the stack is created with ExistingCertificateParameter
 * and no token. At about 4.4 KB the file outgrows SSM's 4 KB standard tier, hence the README's
 * `--tier Intelligent-Tiering` (moto does not enforce the limit). The API stand-in signs with the
 * test CA that the Altinity.Cloud stand-in trusts for client certificates (the provider's way rests
 * on Altinity.Cloud's tunnel accepting what its `/sign` issues); the Altinity.Cloud stand-in knows
 * the environment only by the certificate's CN, and never issued this one: no login, no token.
 */
describe('a host given an existing certificate obtained through the API', () => {
  const scenario = 'own-cert';
  const environment = environmentOf(scenario);
  /** Outside /altinity-connect/, where the stack keeps its own; shaped as the README's example. */
  const parameterName = `/altinity/${environment}/cloud-connect.pem`;
  let api: AltinityCloudApi | undefined;

  afterAll(async () => {
    await world?.powerOffHosts();
    await api?.close();
  });

  test(
    'existing certificate: signed by /sign for a key made here and stored by the customer, it connects the host without a login; SUCCESS',
    async () => {
      const obtainingAt = Date.now();
      api = await AltinityCloudApi.start({ ca: world.ca });
      const client = new AltinityApi({ token: api.issueToken('acme'), baseUrl: api.url, fetch: api.fetch });
      const { privateKey, csrPem } = await certificateRequest(environment);
      const bundle = certificateBundle(environment, await client.sign(environment, csrPem), privateKey);
      const file = world.runDir.path(`${scenario}-cloud-connect.pem`);
      fs.writeFileSync(file, bundle, { mode: 0o600 });
      const region = await world.clients.ssm.config.region();
      // The README's command (Use an existing certificate), with this name, file and region; none holds a space.
      const command = `aws ssm put-parameter --name ${parameterName} --type SecureString --tier Intelligent-Tiering --value file://${file} --region ${region}`;
      const put = await inNamespace(command.split(' '), {
        AWS_ENDPOINT_URL: `http://${ADDRESSES.awsEndpoint.host}:${ADDRESSES.awsEndpoint.port}`,
        AWS_ACCESS_KEY_ID: 'AKIDCUSTOMER',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_CONFIG_FILE: '/dev/null',
        AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      });
      fs.rmSync(file);
      expect({ status: put.status, stderr: put.stderr }).toEqual({ status: 0, stderr: '' });
      expect(api.requests.map((request) => request.path)).toEqual(['/sign']);
      const obtained = (Date.now() - obtainingAt) / 1000;

      const host = await world.launch({ scenario, service: 'steady', token: '', parameters: { [PARAMETER_KEYS.existingCertificate]: parameterName } });
      await checking(host, async () => {
        const signal = await world.signalOf(host, SETTLED_SIGNAL_BOUND_MS);
        world.recordTiming(scenario, { 'key, /sign and put-parameter': obtained, 'boot to signal': signal.bootToSignal });

        expect(signal).toMatchObject({
          logicalResourceId: host.stack.signalledResource,
          status: 'SUCCESS',
          uniqueId: host.stack.instanceId,
          answer: 'accepted',
        });
        expect(await world.firstBootFinished(host, SETTLED_SIGNAL_BOUND_MS)).toBe('done');
        // The host took the customer's file as stored, and logged in nowhere.
        const log = host.machine.file(BOOTSTRAP_LOG);
        expect(log).toContain(`using the certificate stored in ${parameterName}: no new login`);
        expect(log).not.toContain('logged in to Altinity.Cloud');
        expect(host.machine.file(CERTIFICATE_FILE)).toBe(`${bundle.trimEnd()}\n`);
        expect(altinityRequests('/login', host.machine.firstBootAt)).toEqual([]);

        // Altinity.Cloud took that certificate as the environment's: the tunnel, and the statuscheck answered OK before SUCCESS.
        expect(altinityRequests('/connect', host.machine.firstBootAt).map((request) => request.clientCertificate)).toEqual([environment]);
        const statuschecks = altinityRequests('/statuscheck', host.machine.firstBootAt);
        expect(statuschecks.length).toBeGreaterThanOrEqual(1);
        for (const check of statuschecks) expect(check).toMatchObject({ clientCertificate: environment, query: 'connected', status: 200 });
        expect(statuschecks.filter((check) => check.body === 'OK' && check.at < signal.at)).not.toHaveLength(0);
        expect(log).toContain('Altinity.Cloud sees the environment connected');
        expect(await host.machine.unit(UNIT)).toMatchObject({ activeState: 'active', unitFileState: 'enabled', nRestarts: 0 });
        expect(await systemctl(host, 'is-active', WATCH_TIMER)).toBe('active');

        // The customer's parameter is left as stored; the stack's own certificate parameter is never written.
        const stored = await world.clients.ssm.send(new GetParameterCommand({ Name: parameterName, WithDecryption: true }));
        expect(stored.Parameter).toMatchObject({ Type: 'SecureString', Value: bundle, Version: 1 });
        expect(await certificateParameter(host)).toBeUndefined();
        // The key stays out of the logs.
        const keyLines = bundle.slice(bundle.indexOf('-----BEGIN RSA PRIVATE KEY-----')).split('\n');
        expect(keyLines[0]).toBe('-----BEGIN RSA PRIVATE KEY-----');
        expect(hostLogs(host)).not.toContain(keyLines[1]);
      });
    },
    TEST_TIMEOUT_MS,
  );
});

describe('hosts that fail their bootstrap', () => {
  afterEach(async () => {
    await world?.powerOffHosts();
  });

  test(
    "crash loop: the service exits at once; the host signals FAILURE with the service's own error from the journal",
    async () => {
      const host = await world.launch({ scenario: 'crashing', service: 'crashing' });
      await checking(host, async () => {
        const signal = await world.signalOf(host, SETTLED_SIGNAL_BOUND_MS);
        world.recordTiming(host.scenario, { 'boot to signal': signal.bootToSignal });

        expect(signal).toMatchObject({ logicalResourceId: 'Host', status: 'FAILURE', answer: 'accepted' });
        expect(await world.firstBootFinished(host, SETTLED_SIGNAL_BOUND_MS)).toBe('error');
        const failed = /FAILED at step 'start service': \[service-failed\] did not stay up: (.*) \(it restarted (\d+) times in 10 s and is (\S+) now\)$/m.exec(
          host.machine.file(BOOTSTRAP_LOG),
        );
        expect(failed).not.toBeNull();
        const [, reason, restarts, state] = failed!;
        expect(Number(restarts)).toBeGreaterThanOrEqual(1);
        // systemctl is-active's word at that moment: the stand-in runs briefly before it exits, so even 'active'.
        expect(state).toMatch(/^(active|activating|deactivating|failed|inactive)$/);
        // The reason is the binary's own last words in the unit's journal, not systemd's line about
        // the unit, and the signal carries it.
        const crash = 'Error: tunnel to Altinity.Cloud failed: handshake refused (stand-in set to crash)';
        expect(reason).toBe(crash);
        expect(signal.uniqueId).toBe(asUniqueId(`[service-failed] did not stay up: ${crash}`));
        const journal = await host.machine.journal(UNIT);
        expect(journal.split('\n')).toContain(reason);

        // The unit stays enabled and crash-loops: systemd keeps restarting it. Altinity.Cloud was never asked.
        const unit = await host.machine.unit(UNIT);
        expect(unit.unitFileState).toBe('enabled');
        expect(unit.nRestarts).toBeGreaterThanOrEqual(Number(restarts));
        expect(journal.split('\n').filter((line) => line === crash).length).toBeGreaterThanOrEqual(2);
        expect(altinityRequests('/statuscheck', host.machine.firstBootAt)).toEqual([]);
        expect(await systemctl(host, 'is-active', WATCH_TIMER)).toBe('inactive');
      });
    },
    TEST_TIMEOUT_MS,
  );

  test(
    'never connected: Altinity.Cloud never answers OK; the host signals FAILURE with the readiness reason after ConnectionTimeout',
    async () => {
      const environment = environmentOf('never');
      world.altinity.answerStatuscheck(environment, { connected: NOT_CONNECTED });
      const host = await world.launch({
        scenario: 'never',
        service: 'steady',
        parameters: { [PARAMETER_KEYS.connectionTimeout]: String(CONNECTION_TIMEOUT_S) },
      });
      await checking(host, async () => {
        const signal = await world.signalOf(host, NEVER_SIGNAL_BOUND_MS);
        const statuschecks = altinityRequests('/statuscheck', host.machine.firstBootAt);
        world.recordTiming(host.scenario, {
          'boot to signal': signal.bootToSignal,
          'first statuscheck to signal': statuschecks.length > 0 ? (signal.at - statuschecks[0].at) / 1000 : NaN,
        });

        const reason = `[not-connected] after ${CONNECTION_TIMEOUT_S} s: ${NOT_CONNECTED}`;
        expect(signal).toMatchObject({ logicalResourceId: 'Host', status: 'FAILURE', uniqueId: asUniqueId(reason), answer: 'accepted' });
        expect(await world.firstBootFinished(host, NEVER_SIGNAL_BOUND_MS)).toBe('error');
        expect(world.signalsOf(host).map((each) => each.status)).toEqual(['FAILURE']);
        const log = host.machine.file(BOOTSTRAP_LOG);
        expect(log).toContain(`waiting up to ${CONNECTION_TIMEOUT_S} s for Altinity.Cloud to see the environment connected`);
        expect(log).toContain(
          `FAILED at step 'await connection': ${reason} (${world.altinityUrl}/statuscheck?connected answered '${NOT_CONNECTED}'; ` +
            `check outbound HTTPS to ${ADDRESSES.altinityCloud.host}:${ADDRESSES.altinityCloud.port} and that the token is this environment's)`,
        );
        expect(log).not.toContain('signalled SUCCESS');

        // Asked every 15 s with the environment's certificate: at 0, 15 and 30 s of ConnectionTimeout.
        expect(statuschecks.map((check) => [check.clientCertificate, check.query, check.body])).toEqual(
          Array(3).fill([environment, 'connected', NOT_CONNECTED]),
        );
        for (let i = 1; i < statuschecks.length; i++) expect(statuschecks[i].at - statuschecks[i - 1].at).toBeGreaterThanOrEqual(14_500);
        expect(signal.at - statuschecks[0].at).toBeGreaterThanOrEqual(CONNECTION_TIMEOUT_S * 1000);

        // The tunnel itself runs (Altinity.Cloud just does not see it); the watch was never started, nothing tagged.
        expect(altinityRequests('/connect', host.machine.firstBootAt).map((request) => request.clientCertificate)).toEqual([environment]);
        expect(await host.machine.unit(UNIT)).toMatchObject({ activeState: 'active', unitFileState: 'enabled', nRestarts: 0 });
        expect(await systemctl(host, 'is-active', WATCH_TIMER)).toBe('inactive');
        expect(await world.stateTagOf(host)).toBeUndefined();
        expect(hostLogs(host)).not.toContain(host.token);
      });
    },
    TEST_TIMEOUT_MS,
  );

  test(
    'login rejected: the host signals FAILURE naming the login, and installs no service',
    async () => {
      const host = await world.launch({ scenario: 'rejected', service: 'steady', token: 'a-token-altinity-does-not-know' });
      await checking(host, async () => {
        const signal = await world.signalOf(host, LOGIN_SIGNAL_BOUND_MS);
        world.recordTiming(host.scenario, { 'boot to signal': signal.bootToSignal });

        expect(signal).toMatchObject({ logicalResourceId: 'Host', status: 'FAILURE', answer: 'accepted' });
        expect(await world.firstBootFinished(host, LOGIN_SIGNAL_BOUND_MS)).toBe('error');
        expect(signal.uniqueId).toBe(asUniqueId('[login-failed] Error: login rejected by Altinity.Cloud: invalid or expired token (HTTP 401)'));
        expect(host.machine.file(BOOTSTRAP_LOG)).toMatch(
          /FAILED at step 'obtain certificate': \[login-failed\] Error: login rejected by Altinity\.Cloud: .* \(altinitycloud-connect login exited with status 1\)/,
        );
        expect(altinityRequests('/login', host.machine.firstBootAt).map((request) => request.status)).toEqual([401]);
        expect(host.machine.file(`/etc/systemd/system/${UNIT}`)).toBe('');
        expect(host.machine.file(`/etc/systemd/system/${WATCH_TIMER}`)).toBe('');
        expect(await host.machine.unit(UNIT)).toMatchObject({ activeState: 'inactive' });
        // The host withdrew its login claim: the next host may try.
        expect(await certificateParameter(host)).toBeUndefined();
        expect(hostLogs(host)).not.toContain(host.token);
      });
    },
    TEST_TIMEOUT_MS,
  );
});
