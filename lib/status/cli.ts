import { parseOptions, UsageError } from '../shared/command-line';
import { CloudFormationClient, type StackEvent } from '@aws-sdk/client-cloudformation';
import { EC2Client } from '@aws-sdk/client-ec2';
import type { Fetch } from '../../lambda/altinity-api/client';
import { API_TOKEN_ENVIRONMENT_VARIABLE } from '../shared/cloud-stack-contract';
import { cloudStackNameFor, DEFAULT_ALTINITY_URL, readyStackNameFor, stackNameFor } from '../shared/conventions';
import { exitCodeLines } from '../shared/exit-codes';
import { ENV_NAME_DESCRIPTION, ENV_NAME_PATTERN } from '../shared/names';
import { API_URL_ENVIRONMENT_VARIABLE } from '../shared/cloud-stack-contract';
import { hasApiToken, readAltinityStatus } from './altinity';
import { explainAwsError } from './aws-errors';
import { EXIT_CODES } from './exit-codes';
import { latestOperation } from './events';
import { fetchEnvironmentStacks, fetchSnapshot, type StatusClients } from './fetch';
import { eventLine, formatDuration, renderText, someOf } from './render';
import { environmentNextSteps } from './next-steps';
import { buildStackReport, buildStatusReport } from './report';
import type { Outcome } from './stack-states';
import type { AltinityStatus, StackReport, StackSnapshot, StatusReport } from './types';

const EXIT_FOR_OUTCOME: Readonly<Record<Outcome, number>> = {
  complete: EXIT_CODES.complete.code,
  failed: EXIT_CODES.failed.code,
  'in-progress': EXIT_CODES.inProgress.code,
  'not-found': EXIT_CODES.noStack.code,
  deleted: EXIT_CODES.noStack.code,
};

const EXIT_FOR_ALTINITY: Readonly<Record<Exclude<AltinityStatus['state'], 'unknown'>, number>> = {
  ready: EXIT_CODES.complete.code,
  provisioning: EXIT_CODES.inProgress.code,
  deleting: EXIT_CODES.inProgress.code,
  failed: EXIT_CODES.failed.code,
  'not-found': EXIT_CODES.noStack.code,
};

/**
 * Which code wins when the parts of an environment call for different ones: a failure anywhere is
 * what to act on first; an unreadable Altinity.Cloud leaves readiness unknown, which no work under way
 * or missing stack may hide.
 */
const EXIT_PRECEDENCE: readonly number[] = [
  EXIT_CODES.failed.code,
  EXIT_CODES.altinityError.code,
  EXIT_CODES.inProgress.code,
  EXIT_CODES.noStack.code,
  EXIT_CODES.complete.code,
];

const DEFAULT_INTERVAL_SECONDS = 10;

export const USAGE = `Usage: npm run status -- --env <name> [--region <region>] [--profile <profile>] [--wait [--interval <seconds>]] [--json]

Reports on the CloudFormation stack ${stackNameFor('<name>')}: its status and how long it took, the host,
break-glass access, the cause of a failure, and what to do next. For an environment created from an
Anywhere API token, also on its stacks ${cloudStackNameFor('<name>')} and ${readyStackNameFor('<name>')}, and on the
environment as Altinity.Cloud reports it.

  --env <name>          Altinity.Cloud environment name; the stack is ${stackNameFor('<name>')}
  --region <region>     region of the stack (default: AWS_REGION, or the profile's region)
  --profile <profile>   AWS profile from ~/.aws/config (default: AWS_PROFILE, or the default credential chain)
  --wait                follow the stacks until CloudFormation has finished, printing their events
  --interval <seconds>  how often --wait asks AWS (default ${DEFAULT_INTERVAL_SECONDS})
  --json                print the report as JSON, for scripts
  -h, --help            show this help

Environment variables (for an environment created from an API token):
  ${API_TOKEN_ENVIRONMENT_VARIABLE}  your Anywhere API token, to read the environment from Altinity.Cloud;
                           never an option, since other users can read a command line
  ${API_URL_ENVIRONMENT_VARIABLE}    Altinity.Cloud's API (default ${DEFAULT_ALTINITY_URL})

Exit codes:
${exitCodeLines(EXIT_CODES)}
`;

export interface StatusOptions {
  readonly envName: string;
  readonly region?: string;
  readonly profile?: string;
  readonly json: boolean;
  readonly wait: boolean;
  readonly intervalSeconds: number;
}

/** The options, or `help` when the user asked for it. */
export function parseStatusArgs(argv: readonly string[]): StatusOptions | 'help' {
  const values = parseOptions(argv, {
    env: { type: 'string' },
    region: { type: 'string' },
    profile: { type: 'string' },
    json: { type: 'boolean', default: false },
    wait: { type: 'boolean', default: false },
    interval: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) return 'help';
  if (!values.env) throw new UsageError('--env <name> is required: the Altinity.Cloud environment name, for example --env acme-prod');
  if (!new RegExp(ENV_NAME_PATTERN).test(values.env)) {
    throw new UsageError(`--env ${values.env} is not an environment name: use ${ENV_NAME_DESCRIPTION}`);
  }
  const intervalSeconds = values.interval === undefined ? DEFAULT_INTERVAL_SECONDS : Number(values.interval);
  if (!Number.isFinite(intervalSeconds) || intervalSeconds <= 0) {
    throw new UsageError(`--interval ${values.interval} must be a number of seconds greater than 0`);
  }
  return { envName: values.env, region: values.region, profile: values.profile, json: values.json, wait: values.wait, intervalSeconds };
}

export interface ClientSettings {
  readonly region?: string;
  readonly profile?: string;
}

export interface StatusIo {
  readonly stdout: { write(text: string): unknown; readonly isTTY?: boolean; readonly columns?: number };
  readonly stderr: { write(text: string): unknown };
  /**
   * Makes the AWS clients the report reads with.
   *
   * @default SDK clients on the default region and credential chain, with the given region and profile
   */
  readonly createClients?: (settings: ClientSettings) => StatusClients;
  /**
   * The current time, for ages and deadlines.
   *
   * @default the clock
   */
  readonly now?: () => Date;
  /**
   * Waits between two reads while watching, and between attempts to reach Altinity.Cloud.
   *
   * @default setTimeout
   */
  readonly sleep?: (milliseconds: number) => Promise<void>;
  /**
   * The environment variables the API token and Altinity.Cloud's URL are read from; bin/status.ts
   * gives the process's.
   *
   * @default none: a caller that gives none never sends a token anywhere
   */
  readonly variables?: Readonly<Record<string, string | undefined>>;
  /**
   * How Altinity.Cloud's API is called.
   *
   * @default the global fetch
   */
  readonly fetch?: Fetch;
}

/** The status command: prints the report and returns the exit code. */
export async function runStatus(argv: readonly string[], io: StatusIo): Promise<number> {
  let options: StatusOptions;
  try {
    const parsed = parseStatusArgs(argv);
    if (parsed === 'help') {
      io.stdout.write(USAGE);
      return EXIT_CODES.complete.code;
    }
    options = parsed;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`error: ${error.message}\n\n${USAGE}`);
    return EXIT_CODES.usage.code;
  }

  const now = io.now ?? (() => new Date());
  const sleep = io.sleep ?? ((milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds)));
  const createClients = io.createClients ?? defaultClients;
  const clients = createClients({ region: options.region, profile: options.profile });
  const variables = io.variables ?? {};
  const stackName = stackNameFor(options.envName);
  const statusLine = new StatusLine(io.stdout, options.wait && !options.json && io.stdout.isTTY === true);
  const printedEvents = new Set<string>();

  try {
    // Once found, each stack is followed by id: by name, a stack that finished deleting just vanishes.
    const targets = { connect: stackName, cloud: cloudStackNameFor(options.envName), ready: readyStackNameFor(options.envName) };
    for (;;) {
      const snapshot = await fetchSnapshot(clients, targets.connect);
      const region = options.region ?? (snapshot ? undefined : await clients.cloudFormation.config.region());
      const report = buildStatusReport({ envName: options.envName, stackName, region, now: now() }, snapshot);
      // The other stacks once the connect stack has settled: while it works, it is what the user waits for.
      const others =
        !options.wait || report.settled ? await fetchEnvironmentStacks(clients, targets, { cloudUnreadableIsAbsent: !hasApiToken(variables) }) : undefined;
      if (snapshot?.stack.StackId) targets.connect = snapshot.stack.StackId;
      if (others?.cloud.stack.StackId) targets.cloud = others.cloud.stack.StackId;
      if (others?.ready?.stack.StackId) targets.ready = others.ready.stack.StackId;
      if (options.wait && !options.json) {
        const fresh = newEvents([snapshot, others?.cloud, others?.ready], printedEvents);
        if (fresh.length > 0) statusLine.above(fresh.map(eventLine));
      }
      const stacks = others && [
        buildStackReport({ stackName: cloudStackNameFor(options.envName), region: report.region, now: now() }, others.cloud),
        buildStackReport({ stackName: readyStackNameFor(options.envName), region: report.region, now: now() }, others.ready),
      ];
      const unsettled = [report, ...(stacks ?? [])].find((stack) => !stack.settled);
      if (!options.wait || !unsettled) {
        const whole = stacks
          ? {
              ...report,
              nextSteps: environmentNextSteps(report, stacks),
              environment: { stacks, altinity: await readAltinityStatus(options.envName, { variables, fetch: io.fetch, delay: sleep }) },
            }
          : report;
        statusLine.clear();
        if (options.wait && !options.json && printedEvents.size > 0) io.stdout.write('\n');
        io.stdout.write(options.json ? `${JSON.stringify(whole, null, 2)}\n` : renderText(whole));
        return exitCodeOf(whole);
      }
      await waitShowingProgress(options.intervalSeconds * 1000, unsettled, unsettled === report ? '' : `${unsettled.stackName} `, statusLine, now, sleep);
    }
  } catch (error) {
    statusLine.clear();
    io.stderr.write(`error: ${explainAwsError(error, { profile: options.profile, region: options.region })}\n`);
    return EXIT_CODES.awsError.code;
  }
}

/** The connect stack's code; for an environment created from an API token, the code its parts call for first. */
function exitCodeOf(report: StatusReport): number {
  const codes = [EXIT_FOR_OUTCOME[report.outcome]];
  if (report.environment) {
    const { stacks, altinity } = report.environment;
    codes.push(...stacks.map((stack) => EXIT_FOR_OUTCOME[stack.outcome]));
    if (altinity.state !== 'unknown') codes.push(EXIT_FOR_ALTINITY[altinity.state]);
    else if ('error' in altinity) codes.push(EXIT_CODES.altinityError.code);
  }
  return codes.reduce((first, code) => (EXIT_PRECEDENCE.indexOf(code) < EXIT_PRECEDENCE.indexOf(first) ? code : first));
}

function defaultClients(settings: ClientSettings): StatusClients {
  return { cloudFormation: new CloudFormationClient(settings), ec2: new EC2Client(settings) };
}

/** Events of the stacks' latest operations not printed yet, oldest first; remembers them as printed. */
function newEvents(snapshots: readonly (StackSnapshot | undefined)[], printed: Set<string>): StackEvent[] {
  const fresh = snapshots.flatMap((snapshot) => (snapshot ? latestOperation(snapshot.events) : [])).filter((event) => !printed.has(event.EventId ?? ''));
  for (const event of fresh) printed.add(event.EventId ?? '');
  // Stable: the events of one stack keep their order.
  return fresh.sort((a, b) => (a.Timestamp?.getTime() ?? 0) - (b.Timestamp?.getTime() ?? 0));
}

const SPINNER = ['|', '/', '-', '\\'];

/** Sleeps until the next poll; on a terminal, ticks the status line of the stack waited for (`label` names another than the connect stack) every second so that time visibly passes. */
async function waitShowingProgress(
  milliseconds: number,
  report: StackReport,
  label: string,
  statusLine: StatusLine,
  now: () => Date,
  sleep: (milliseconds: number) => Promise<void>,
): Promise<void> {
  if (!statusLine.enabled) return sleep(milliseconds);
  const tick = Math.min(1000, milliseconds);
  for (let waited = 0, frame = 0; waited < milliseconds; waited += tick, frame++) {
    const started = report.operation?.startedAt;
    const elapsed = started ? ` for ${formatDuration(Math.max(0, Math.round((now().getTime() - started.getTime()) / 1000)))}` : '';
    const progress = report.progress ? `, ${report.progress.done}/${report.progress.total} resources done` : '';
    const waitingFor = report.progress?.inProgress.length ? `; in progress: ${someOf(report.progress.inProgress)}` : '';
    statusLine.show(`${SPINNER[frame % SPINNER.length]} ${label}${report.stackStatus}${elapsed}${progress}${waitingFor}`);
    await sleep(tick);
  }
}

/** A line at the bottom of a terminal, rewritten in place; inert when the output is not a terminal. */
class StatusLine {
  private text = '';

  constructor(
    private readonly out: { write(text: string): unknown; readonly columns?: number },
    readonly enabled: boolean,
  ) {}

  show(text: string): void {
    if (!this.enabled) return;
    // A line that wraps could not be rewritten in place.
    const width = (this.out.columns ?? 80) - 1;
    this.text = text.length > width ? `${text.slice(0, width - 1)}…` : text;
    this.out.write(`\r\x1b[2K${this.text}`);
  }

  /** Prints lines above the status line, which stays at the bottom. */
  above(lines: readonly string[]): void {
    const current = this.text;
    this.clear();
    this.out.write(`${lines.join('\n')}\n`);
    if (current) this.show(current);
  }

  clear(): void {
    if (this.enabled && this.text) this.out.write('\r\x1b[2K');
    this.text = '';
  }
}
