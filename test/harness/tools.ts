import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The programs the tests run besides Node.js, and where they come from. `npm test` (jest's global
 * setup) and so `.ci/run` call `provideTools` before any test:
 *
 * - the Python tools (moto_server, cfn-lint, aws) come from the project's venv when it holds the
 *   current requirements file; else from PATH when all three are there at the pinned versions (then
 *   nothing is installed and pip is not called); else the requirements file is installed into the
 *   venv; when that fails (no package index, no python3), the tools on PATH are used as they are,
 *   with a note; when some are not on PATH either, the run stops with one line saying what to install.
 * - shellcheck comes from PATH; where it is missing and the user is root with apt-get, the Debian
 *   package is installed; else the same one line names it.
 */

/** The Python programs the tests run, and the distribution that installs each. */
export const PYTHON_TOOLS = [
  { command: 'moto_server', distribution: 'moto' },
  { command: 'cfn-lint', distribution: 'cfn-lint' },
  { command: 'aws', distribution: 'awscli' },
] as const;

/** Where the pins live and where they are installed, relative to the repository root. */
export const REQUIREMENTS_FILE = 'test/harness/requirements.txt';
export const VENV_DIR = '.tools/venv';
/** Set once the tools are provided, so that a jest run started by a test does not check them again. */
export const TOOLS_PROVIDED_ENV = 'ALTINITY_TEST_TOOLS_PROVIDED';

const SHELLCHECK_HINT = 'shellcheck (apt-get install shellcheck, or brew install shellcheck)';

/** The pinned version of each Python tool's distribution (`name[extras]==version` lines). */
export function pinnedVersions(requirements: string): Record<string, string> {
  const pins: Record<string, string> = {};
  for (const line of requirements.split('\n')) {
    const match = line
      .replace(/#.*$/, '')
      .trim()
      .match(/^([A-Za-z0-9._-]+)(?:\[[^\]]*\])?==([^\s;]+)$/);
    if (match) pins[match[1].toLowerCase()] = match[2];
  }
  for (const { distribution } of PYTHON_TOOLS) {
    if (!pins[distribution]) throw new Error(`${REQUIREMENTS_FILE} pins no version of ${distribution}`);
  }
  return pins;
}

export type Attempt = { ok: true } | { ok: false; reason: string };

/** What the decision needs to know of the machine and do to it: `machineHost` below, or a fake in a test. */
export interface ToolHost {
  /** The first executable file called `command` on PATH, or undefined. */
  find(command: string): string | undefined;
  /** For each program, the version of the Python distribution installed with it; undefined where it cannot be told. */
  installedVersions(programs: readonly { executable: string; distribution: string }[]): Promise<(string | undefined)[]>;
  /** Whether the project venv was installed from the current requirements file and has every tool. */
  venvIsCurrent(): boolean;
  /** Creates the project venv where needed and pip-installs the requirements file into it. */
  installVenv(): Promise<Attempt>;
  /** Whether Debian packages can be installed: the user is root and apt-get is on PATH. */
  canInstallDebianPackages(): boolean;
  installDebianPackage(name: string): Promise<Attempt>;
  /** Tells the user what is being done, one line. */
  say(line: string): void;
}

export interface ToolChoice {
  /** Where the Python tools come from: the project venv, or PATH (at the pinned versions, or not). */
  readonly python: 'venv' | 'path' | 'path, not pinned';
  /** Directories to put in front of PATH. */
  readonly pathFirst: readonly string[];
}

/** The one line that says what to install; thrown when the tools cannot be had. */
export class MissingTools extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MissingTools';
    this.stack = message;
  }
}

async function choosePythonTools(host: ToolHost, pins: Record<string, string>, venvBin: string, problems: string[]): Promise<ToolChoice> {
  if (host.venvIsCurrent()) return { python: 'venv', pathFirst: [venvBin] };

  const found = PYTHON_TOOLS.map((tool) => ({ ...tool, executable: host.find(tool.command) }));
  const onPath = found.filter((tool): tool is typeof tool & { executable: string } => tool.executable !== undefined);
  const versions = await host.installedVersions(onPath);
  const offPin = onPath.flatMap((tool, index) =>
    versions[index] === pins[tool.distribution] ? [] : [`${tool.command} ${versions[index] ?? 'of unknown version'} (pinned ${pins[tool.distribution]})`],
  );
  const missing = found.filter((tool) => tool.executable === undefined).map((tool) => tool.command);
  if (missing.length === 0 && offPin.length === 0) return { python: 'path', pathFirst: [] };

  const why = [...(missing.length ? [`${missing.join(', ')} not on PATH`] : []), ...offPin].join('; ');
  host.say(`Test tools: ${why}. Installing ${REQUIREMENTS_FILE} into ${VENV_DIR} (once; a minute or two)...`);
  const installed = await host.installVenv();
  if (installed.ok) {
    host.say(`Test tools: installed; the tests use moto_server, cfn-lint and aws from ${VENV_DIR}.`);
    return { python: 'venv', pathFirst: [venvBin] };
  }
  if (missing.length === 0) {
    host.say(`Test tools: could not install ${REQUIREMENTS_FILE} (${installed.reason}); using those on PATH: ${offPin.join(', ')}.`);
    return { python: 'path, not pinned', pathFirst: [] };
  }
  problems.push(`${missing.join(', ')} (pip install -r ${REQUIREMENTS_FILE}, with Python 3.11+; installing it into ${VENV_DIR} failed: ${installed.reason})`);
  return { python: 'path, not pinned', pathFirst: [] };
}

async function provideShellcheck(host: ToolHost, problems: string[]): Promise<void> {
  if (host.find('shellcheck')) return;
  if (!host.canInstallDebianPackages()) {
    problems.push(SHELLCHECK_HINT);
    return;
  }
  host.say('Test tools: shellcheck is not on PATH. Installing the Debian package shellcheck...');
  const installed = await host.installDebianPackage('shellcheck');
  if (!installed.ok) problems.push(`${SHELLCHECK_HINT.slice(0, -1)}; apt-get install failed: ${installed.reason})`);
  else if (!host.find('shellcheck')) problems.push(`${SHELLCHECK_HINT.slice(0, -1)}; apt-get installed it, but not on PATH)`);
}

/**
 * Decides where each tool comes from, installing what is missing where it can (see the top of this
 * file). Throws MissingTools, one line, when the tests cannot have them.
 */
export async function chooseTools(host: ToolHost, pins: Record<string, string>, venvBin: string): Promise<ToolChoice> {
  const problems: string[] = [];
  const choice = await choosePythonTools(host, pins, venvBin, problems);
  await provideShellcheck(host, problems);
  if (problems.length > 0) throw new MissingTools(`error: the tests need tools that are missing: ${problems.join('; ')}`);
  return choice;
}

// The machine itself.

interface Finished {
  readonly code: number | null;
  readonly output: string;
  readonly error?: Error;
}

function run(program: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; timeoutMs: number }): Promise<Finished> {
  return new Promise((resolve) => {
    const child = spawn(program, args, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], timeout: options.timeoutMs });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', (error) => resolve({ code: null, output, error }));
    child.once('close', (code) => resolve({ code, output }));
  });
}

/**
 * apt-get, waiting its turn while another apt holds a lock (in CI, the real-boot harness installs its
 * tools meanwhile): `apt-get update` fails at once on a held lock, whatever DPkg::Lock::Timeout says.
 */
async function runApt(args: readonly string[], options: { env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<Finished> {
  const giveUpAt = Date.now() + options.timeoutMs;
  for (;;) {
    const finished = await run('apt-get', [...args, '-o', 'DPkg::Lock::Timeout=60'], options);
    if (finished.code === 0 || !/Could not get lock/.test(finished.output) || Date.now() > giveUpAt) return finished;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}

/** A short reason from a failed command's output: unreachable network, or its last error line. */
function reasonFrom(what: string, finished: Finished): string {
  if (finished.error) return `${what}: ${finished.error.message}`;
  const lines = finished.output
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  if (
    lines.some((line) =>
      /NewConnectionError|Name or service not known|Temporary failure in name resolution|Network is unreachable|Connection refused|ConnectTimeout|Read timed out/.test(
        line,
      ),
    )
  ) {
    return `${what}: the package index is unreachable`;
  }
  const ensurepip = lines.find((line) => /ensurepip is not available/.test(line));
  if (ensurepip) return `${what}: ensurepip is not available (Debian: apt-get install python3-venv)`;
  const last = [...lines].reverse().find((line) => /^(ERROR|E:|Error)/.test(line)) ?? lines[lines.length - 1] ?? `exit ${finished.code}`;
  return `${what}: ${last}`;
}

function isExecutableFile(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) return false;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const PYTHON_NAME = /^python(?:\d+(?:\.\d+)*)?$/;

/** The Python interpreter that runs a console script, from its first lines; undefined for anything else. */
export function interpreterOf(executable: string, find: (command: string) => string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  let head: string;
  try {
    const fd = fs.openSync(executable, 'r');
    try {
      const buffer = Buffer.alloc(1024);
      head = buffer.subarray(0, fs.readSync(fd, buffer, 0, buffer.length, 0)).toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
  if (!head.startsWith('#!')) return undefined;
  const [program = '', ...args] = head.split('\n', 1)[0].slice(2).trim().split(/\s+/);
  if (PYTHON_NAME.test(path.basename(program))) return program;
  if (path.basename(program) === 'env') {
    const name = args.find((arg) => !arg.startsWith('-') && !arg.includes('='));
    if (name && PYTHON_NAME.test(name)) return find(name);
  }
  // pip's console scripts under a long path: `#!/bin/sh` then `'''exec' "/path/to/python" "$0" "$@"`.
  const long = head.match(/^'''exec' "([^"]+)" "\$0" "\$@"/m);
  if (long && PYTHON_NAME.test(path.basename(long[1]))) return long[1];
  // A pyenv shim: the selected version's python, found as pyenv finds it, or else the python shim
  // beside it (which runs the same version, at the cost of starting pyenv).
  const pyenvRoot = head.match(/^export PYENV_ROOT="([^"]+)"$/m)?.[1];
  if (pyenvRoot && /exec "[^"]*pyenv" exec "\$program"/.test(head)) {
    const command = path.basename(executable);
    const version = selectedPyenvVersions(pyenvRoot, env).find((name) => isExecutableFile(path.join(pyenvRoot, 'versions', name, 'bin', command)));
    if (version) return path.join(pyenvRoot, 'versions', version, 'bin', 'python');
    const shimPython = path.join(path.dirname(executable), 'python');
    return isExecutableFile(shimPython) ? shimPython : undefined;
  }
  return undefined;
}

/** The Python versions pyenv selects: PYENV_VERSION, else the nearest .python-version, else its global version file. */
function selectedPyenvVersions(pyenvRoot: string, env: NodeJS.ProcessEnv): string[] {
  const names = (text: string) => text.split(/\s+/).filter((name) => name !== '' && !name.startsWith('#'));
  if (env.PYENV_VERSION) return names(env.PYENV_VERSION.replace(/:/g, ' '));
  const read = (file: string) => {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  };
  for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
    const local = read(path.join(dir, '.python-version'));
    if (local !== undefined) return names(local);
    if (path.dirname(dir) === dir) break;
  }
  return names(read(path.join(pyenvRoot, 'version')) ?? '');
}

const VERSIONS_SCRIPT = `
import json, sys
from importlib import metadata
def version(name):
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None
print(json.dumps([version(name) for name in sys.argv[1:]]))
`;

/** The tools as this machine has them: PATH, the project venv under `root`, pip, apt-get. */
export function machineHost(
  root: string,
  env: NodeJS.ProcessEnv = process.env,
  say: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): ToolHost {
  const venvDir = path.join(root, VENV_DIR);
  const venvBin = path.join(venvDir, 'bin');
  const requirementsPath = path.join(root, REQUIREMENTS_FILE);
  const stampPath = path.join(venvDir, 'requirements.sha256');
  const requirementsDigest = () => createHash('sha256').update(fs.readFileSync(requirementsPath)).digest('hex');

  const find = (command: string): string | undefined => {
    for (const dir of (env.PATH ?? '').split(path.delimiter)) {
      if (dir === '') continue;
      const candidate = path.join(dir, command);
      if (isExecutableFile(candidate)) return candidate;
    }
    return undefined;
  };

  return {
    find,
    say,
    async installedVersions(programs) {
      const byInterpreter = new Map<string, number[]>();
      programs.forEach(({ executable }, index) => {
        const interpreter = interpreterOf(executable, find, env);
        if (interpreter) byInterpreter.set(interpreter, [...(byInterpreter.get(interpreter) ?? []), index]);
      });
      const versions: (string | undefined)[] = programs.map(() => undefined);
      await Promise.all(
        [...byInterpreter].map(async ([interpreter, indexes]) => {
          const asked = await run(interpreter, ['-c', VERSIONS_SCRIPT, ...indexes.map((index) => programs[index].distribution)], { env, timeoutMs: 30_000 });
          if (asked.code !== 0) return;
          try {
            const answered = JSON.parse(asked.output.trim().split('\n').pop() ?? '') as (string | null)[];
            for (const [position, index] of indexes.entries()) versions[index] = answered[position] ?? undefined;
          } catch {
            // Not a Python we understand: the versions stay unknown.
          }
        }),
      );
      return versions;
    },
    venvIsCurrent() {
      try {
        if (fs.readFileSync(stampPath, 'utf8').trim() !== requirementsDigest()) return false;
      } catch {
        return false;
      }
      // Its python is a link to the one that made it, which may have gone since.
      return [{ command: 'python' }, ...PYTHON_TOOLS].every(({ command }) => isExecutableFile(path.join(venvBin, command)));
    },
    async installVenv() {
      const python = find('python3') ?? find('python');
      if (!python) return { ok: false, reason: 'python3 is not on PATH' };
      const venvPython = path.join(venvBin, 'python');
      if (!isExecutableFile(venvPython)) {
        fs.rmSync(venvDir, { recursive: true, force: true });
        const created = await run(python, ['-m', 'venv', venvDir], { env, timeoutMs: 120_000 });
        if (created.code !== 0) {
          fs.rmSync(venvDir, { recursive: true, force: true });
          return { ok: false, reason: reasonFrom(`${python} -m venv`, created) };
        }
      }
      fs.rmSync(stampPath, { force: true });
      const installed = await run(
        venvPython,
        ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--retries', '1', '--timeout', '30', '-r', requirementsPath],
        { env: { ...env, PIP_REQUIRE_VIRTUALENV: 'false' }, timeoutMs: 20 * 60_000 },
      );
      if (installed.code !== 0) return { ok: false, reason: reasonFrom('pip install', installed) };
      const notThere = PYTHON_TOOLS.filter(({ command }) => !isExecutableFile(path.join(venvBin, command))).map(({ command }) => command);
      if (notThere.length) return { ok: false, reason: `pip install left no ${notThere.join(', ')} in ${VENV_DIR}/bin` };
      fs.writeFileSync(stampPath, `${requirementsDigest()}\n`);
      return { ok: true };
    },
    canInstallDebianPackages() {
      return process.getuid?.() === 0 && find('apt-get') !== undefined;
    },
    async installDebianPackage(name) {
      const aptEnv = { ...env, DEBIAN_FRONTEND: 'noninteractive' };
      const updated = await runApt(['update', '-qq'], { env: aptEnv, timeoutMs: 5 * 60_000 });
      if (updated.code !== 0) return { ok: false, reason: reasonFrom('apt-get update', updated) };
      const installed = await runApt(['install', '-y', '-qq', name], { env: aptEnv, timeoutMs: 10 * 60_000 });
      return installed.code === 0 ? { ok: true } : { ok: false, reason: reasonFrom('apt-get install', installed) };
    },
  };
}

/**
 * Provides the tools for a test run from the repository at `root`: decides, installs where needed,
 * and puts the chosen directories in front of `env.PATH`. Throws MissingTools (one line).
 */
export async function provideTools(root: string, env: NodeJS.ProcessEnv = process.env, host: ToolHost = machineHost(root, env)): Promise<ToolChoice> {
  const pins = pinnedVersions(fs.readFileSync(path.join(root, REQUIREMENTS_FILE), 'utf8'));
  const choice = await chooseTools(host, pins, path.join(root, VENV_DIR, 'bin'));
  if (choice.pathFirst.length > 0) env.PATH = [...choice.pathFirst, env.PATH ?? ''].join(path.delimiter);
  env[TOOLS_PROVIDED_ENV] = choice.python;
  return choice;
}
