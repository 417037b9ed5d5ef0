import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DescribeAutoScalingInstancesCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeTagsCommand } from '@aws-sdk/client-ec2';
import { CONNECTION_STATE_TAG_KEY } from '../../../lib/shared/conventions';
import { PARAMETER_KEYS } from '../../../lib/shared/names';
import { clientsFor, defaultVpc, type EmulatorClients, publishedTemplateForEmulator } from '../../e2e/live-stack';
import { LambdaService } from '../../support/lambda-service';
import { createTestCa, type TestCa } from '../../support/test-ca';
import { AltinityCloud } from '../standins/altinity-cloud';
import { StandInServer } from '../standins/http';
import { InstanceMetadataService } from '../standins/imds';
import { type Bind, HostMachine, withBound } from './host-machine';
import { ADDRESSES, HostNetwork, type StandInName } from './network';
import { type CreatedStack, createPublishedStack } from './published-stack';
import { rootfsForTests } from './rootfs';
import { RunDir } from './run-dir';
import { AwsProxy, type ResourceSignal } from './standins/aws-proxy';
import { ConnectReleases, type ServiceBehaviour } from './standins/connect-releases';

/**
 * Everything the scenarios share, started once: the cached root file system, the hosts' network
 * namespace with moto_server in it, the stand-ins, the test CA, and the published template on the
 * emulator. Each scenario then creates its own stack and boots its own host from that stack's user
 * data (`launch`), one host at a time.
 */

/** With HOST_BOOT_DEBUG=1, the harness's steps with their times, on stderr. */
export function debug(text: string): void {
  if (process.env.HOST_BOOT_DEBUG === '1') process.stderr.write(`host-boot ${new Date().toISOString()} ${text}\n`);
}

const url = (address: { host: string; port: number }, scheme: string) => `${scheme}://${address.host}:${address.port}`;

/** Test plumbing bound into every host; the test file lists them for the reader. */
export const PLUMBING = {
  /** Manager-wide, so that every unit sees it: cloud-final and the units the script adds. */
  managerDropIn: '/etc/systemd/system.conf.d/host-boot-test.conf',
  caBundle: '/etc/ssl/certs/ca-certificates.crt',
  awsCli: '/usr/local/bin/aws',
} as const;

/** The Altinity.Cloud environment of a scenario: also the subject of its client certificate. */
export function environmentOf(scenario: string): string {
  return `acme-boot-${scenario}`;
}

export interface LaunchRequest {
  /** Short name: the environment is acme-boot-<scenario>. */
  readonly scenario: string;
  readonly service: ServiceBehaviour;
  /** The connection token the stack is given. @default one that Altinity.Cloud accepts for the environment */
  readonly token?: string;
  /**
   * Further template parameters, as a user fills them in (ConnectionTimeout, ...). Every stack gets
   * ConnectDownloadUrl and ConnectSha256 naming the release stand-in, and AltinityCloudUrl naming the
   * Altinity.Cloud stand-in.
   */
  readonly parameters?: Readonly<Record<string, string>>;
  /**
   * Makes the host an instance of the stack's Auto Scaling group: the stack is created with
   * Replicas 2, the harness boots the group's first instance (one host per stack), and the metadata
   * stand-in serves its autoscaling/target-lifecycle-state (InService), as EC2 does for a group's
   * instances.
   * @default false
   */
  readonly inGroup?: boolean;
}

export interface LaunchedHost {
  readonly scenario: string;
  /** Its Altinity.Cloud environment (EnvName). */
  readonly environment: string;
  readonly machine: HostMachine;
  readonly stack: CreatedStack;
  readonly token: string;
  /** The template parameters the stack was created with, beyond EnvName, Token and the network. */
  readonly parameters: Readonly<Record<string, string>>;
  /** The moto Auto Scaling group holding the host, when it is in one. */
  readonly groupName?: string;
}

export class BootWorld {
  readonly imds = new InstanceMetadataService();
  readonly altinity: AltinityCloud;
  readonly releases: ConnectReleases;
  readonly aws: AwsProxy;
  readonly clients: EmulatorClients;
  readonly lambda: LambdaService;
  private readonly servers: Readonly<Record<StandInName, StandInServer>>;
  private readonly machines: HostMachine[] = [];

  private constructor(
    readonly runDir: RunDir,
    private readonly ownsRunDir: boolean,
    readonly rootfs: string,
    readonly network: HostNetwork,
    readonly ca: TestCa,
    private readonly template: { templateBody: string; network: { vpcId: string; subnetIds: string[] } },
    private readonly binds: Bind[],
  ) {
    // One server certificate for both HTTPS stand-ins, which answer at 127.0.0.1 in the namespace.
    const tls = ca.serverCertificate(['127.0.0.1', 'localhost']);
    this.altinity = new AltinityCloud(ca);
    this.releases = new ConnectReleases(url(ADDRESSES.releases, 'https'), this.altinityUrl);
    this.aws = new AwsProxy(network.moto);
    this.servers = {
      metadata: new StandInServer(this.imds.answer),
      awsEndpoint: new StandInServer(this.aws.answer),
      releases: new StandInServer(this.releases.answer, tls),
      altinityCloud: new StandInServer(this.altinity.answer, this.altinity.serverTls(tls)),
    };
    this.clients = clientsFor(network.moto);
    this.lambda = new LambdaService(network.moto);
  }

  static async start(): Promise<BootWorld> {
    const ownsRunDir = !process.env[RunDir.ENV];
    const runDir = RunDir.forTests();
    let network: HostNetwork | undefined;
    let world: BootWorld | undefined;
    try {
      // The root file system may still be building (a cold run): set up the rest meanwhile.
      const rootfsReady = rootfsForTests();
      rootfsReady.catch(() => undefined);
      network = await HostNetwork.create(runDir);
      debug('network namespace and moto_server ready');
      const ca = createTestCa({ parentDir: runDir.root });
      const clients = clientsFor(network.moto);
      const { templateBody } = await publishedTemplateForEmulator(clients);
      debug('published template synthesized');
      const rootfs = await rootfsReady;
      debug('root file system ready');
      const binds = plumbing(runDir, rootfs, ca);
      const template = { templateBody, network: await defaultVpc(clients) };
      for (const client of Object.values(clients)) client.destroy();
      world = new BootWorld(runDir, ownsRunDir, rootfs, network, ca, template, binds);
      const { servers } = world;
      await Promise.all((Object.keys(servers) as StandInName[]).map((name) => servers[name].listen(HostNetwork.socketFor(runDir, name))));
      return world;
    } catch (error) {
      if (world) await world.stop();
      else {
        await network?.stop();
        if (ownsRunDir) runDir.remove();
      }
      throw error;
    }
  }

  /** The Altinity.Cloud stand-in's address in the namespace: every stack's AltinityCloudUrl. */
  get altinityUrl(): string {
    return url(ADDRESSES.altinityCloud, 'https');
  }

  /**
   * Creates the scenario's stack from the published template (its ConnectDownloadUrl and
   * ConnectSha256 naming the release stand-in, its AltinityCloudUrl the Altinity.Cloud stand-in),
   * with Replicas 2 when the host is to be a group's, points the metadata stand-in at it, and boots a host
   * with its launch template's user data.
   */
  async launch(request: LaunchRequest): Promise<LaunchedHost> {
    const environment = environmentOf(request.scenario);
    const token = request.token ?? this.altinity.issueToken(environment);
    const parameters = {
      [PARAMETER_KEYS.downloadUrl]: this.releases.baseUrl(request.service),
      [PARAMETER_KEYS.connectSha256]: this.releases.sha256(request.service),
      [PARAMETER_KEYS.altinityUrl]: this.altinityUrl,
      ...(request.inGroup ? { [PARAMETER_KEYS.replicas]: '2' } : {}),
      ...request.parameters,
    };
    const stack = await createPublishedStack({ clients: this.clients, lambda: this.lambda, ...this.template }, { envName: environment, token, parameters });
    debug(`${request.scenario}: stack ${stack.stackName} created`);
    const groupName = stack.groupName;
    this.imds.describe({
      instanceId: stack.instanceId,
      region: stack.region,
      roleName: stack.roleName,
      ...(groupName ? { targetLifecycleState: 'InService' } : {}),
    });
    const machine = new HostMachine({
      runDir: this.runDir,
      name: `hb-${this.runDir.id}-${request.scenario}`,
      rootfs: this.rootfs,
      netns: this.network.name,
      instanceId: stack.instanceId,
      userData: stack.userData,
      binds: this.binds,
    });
    this.machines.push(machine);
    await machine.boot();
    debug(`${request.scenario}: host booting`);
    return { scenario: request.scenario, environment, machine, stack, token, parameters, ...(groupName ? { groupName } : {}) };
  }

  /** The host's instance tag altinity:connect/state, as moto holds it; undefined when it has none. */
  async stateTagOf(host: LaunchedHost): Promise<string | undefined> {
    const tags = await this.clients.ec2.send(
      new DescribeTagsCommand({
        Filters: [
          { Name: 'resource-id', Values: [host.stack.instanceId] },
          { Name: 'key', Values: [CONNECTION_STATE_TAG_KEY] },
        ],
      }),
    );
    return tags.Tags?.[0]?.Value;
  }

  /** The host's health status in its group, as moto holds it (Healthy, Unhealthy). */
  async groupHealthOf(host: LaunchedHost): Promise<string | undefined> {
    const found = await this.clients.autoScaling.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [host.stack.instanceId] }));
    return found.AutoScalingInstances?.[0]?.HealthStatus;
  }

  /**
   * The host's first signal to its stack, once the proxy has it; fails when none comes within
   * `boundMs` of the first boot, or when the host stops running meanwhile.
   */
  async signalOf(host: LaunchedHost, boundMs: number): Promise<ResourceSignal & { bootToSignal: number }> {
    const find = () => this.signalsOf(host)[0];
    const wait = async () => {
      while (!find()) {
        if (!host.machine.running) throw new Error(`${host.scenario}: the host stopped before signalling`);
        await sleep(200);
      }
      return find();
    };
    const remaining = host.machine.firstBootAt + boundMs - Date.now();
    const signal = await withBound(wait(), Math.max(remaining, 0), `${host.scenario}: no signal to CloudFormation`);
    return { ...signal, bootToSignal: (signal.at - host.machine.firstBootAt) / 1000 };
  }

  /**
   * cloud-init's status once it has finished the host's first boot (the proxy records a signal when
   * it arrives, before the script has logged it), within what is left of `boundMs`.
   */
  async firstBootFinished(host: LaunchedHost, boundMs: number): Promise<string> {
    return host.machine.cloudInitFinished(Math.max(host.machine.firstBootAt + boundMs - Date.now(), 1_000));
  }

  signalsOf(host: LaunchedHost): ResourceSignal[] {
    return this.aws.signals.filter((signal) => signal.stackName === host.stack.stackName);
  }

  /** Records a scenario's timings: printed now, and summarised by `npm run test:host`. */
  recordTiming(scenario: string, seconds: Record<string, number>): void {
    fs.appendFileSync(this.runDir.path('timings.jsonl'), `${JSON.stringify({ scenario, seconds })}\n`);
    const text = Object.entries(seconds)
      .map(([what, value]) => `${what} ${value.toFixed(1)} s`)
      .join(', ');
    process.stdout.write(`host-boot: ${scenario}: ${text}\n`);
  }

  /** Powers off every host still running (after each scenario, whatever its outcome). */
  async powerOffHosts(): Promise<void> {
    await Promise.all(this.machines.map((machine) => machine.powerOff()));
    debug('hosts powered off');
    this.imds.describe(undefined);
  }

  async stop(): Promise<void> {
    await this.powerOffHosts();
    for (const client of Object.values(this.clients)) client.destroy();
    await Promise.all([...Object.values(this.servers).map((server) => server.close()), this.lambda.stop()]);
    this.aws.destroy();
    await this.network.stop();
    debug('stand-ins, moto_server and network stopped');
    // Under the runner the directory is the runner's: it sweeps and removes it, timings read first.
    if (this.ownsRunDir) this.runDir.remove();
    else fs.rmSync(this.runDir.path('hosts'), { recursive: true, force: true });
  }
}

/**
 * The test plumbing every host gets, read-only: the AWS endpoint variable for every unit, the test
 * CA in the system bundle, and the AWS CLI of this machine (v1.45 under pyenv's Python: Debian's
 * awscli ignores AWS_ENDPOINT_URL) at /usr/local/bin/aws with its Python at the same path as here.
 */
function plumbing(runDir: RunDir, rootfs: string, ca: TestCa): Bind[] {
  const dir = runDir.path('plumbing');
  fs.mkdirSync(dir, { recursive: true });
  const dropIn = path.join(dir, 'host-boot-test.conf');
  fs.writeFileSync(dropIn, `[Manager]\nDefaultEnvironment="AWS_ENDPOINT_URL=${url(ADDRESSES.awsEndpoint, 'http')}"\n`);
  const awsCli = fs.realpathSync(
    execFileSync('bash', ['-c', '{ command -v pyenv >/dev/null && pyenv which aws; } 2>/dev/null || command -v aws'], { encoding: 'utf8' }).trim(),
  );
  const interpreter = /^#!\s*(\S+)/.exec(fs.readFileSync(awsCli, 'utf8').split('\n')[0])?.[1] ?? '';
  const pythonPrefix = path.dirname(path.dirname(interpreter));
  if (!interpreter.startsWith(`${pythonPrefix}/bin/`) || pythonPrefix === '/' || pythonPrefix.startsWith('/usr')) {
    throw new Error(`the AWS CLI at ${awsCli} runs on ${interpreter || 'an unknown interpreter'}, not a self-contained Python to bind into the host`);
  }
  return [
    { source: dropIn, target: PLUMBING.managerDropIn },
    { source: hostCaBundle(rootfs, ca, path.join(dir, 'ca-certificates.crt')), target: PLUMBING.caBundle },
    { source: pythonPrefix, target: pythonPrefix },
    { source: awsCli, target: PLUMBING.awsCli },
  ];
}

/** The root file system's CA bundle with the test CA appended: bound over the host's own bundle. */
function hostCaBundle(rootfs: string, ca: TestCa, out: string): string {
  const bundle = fs.readFileSync(path.join(rootfs, 'etc/ssl/certs/ca-certificates.crt'), 'utf8');
  fs.writeFileSync(out, `${bundle.trimEnd()}\n${ca.caPem().toString()}`);
  return out;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `probe` until it returns a value, for at most `boundMs`. */
export async function until<T>(what: string, boundMs: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${boundMs / 1000} s`);
    await sleep(250);
  }
}
