import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  chooseTools,
  machineHost,
  MissingTools,
  pinnedVersions,
  provideTools,
  PYTHON_TOOLS,
  REQUIREMENTS_FILE,
  TOOLS_PROVIDED_ENV,
  type ToolHost,
  VENV_DIR,
} from './tools';

/**
 * How `npm test` provides its tools (test/harness/tools.ts), without touching this machine's.
 *
 * Stand-ins: in the first part, FakeHost stands in for the machine: which programs PATH holds, the
 * Python package versions behind them, the project venv, pip (installing, or failing as it does when
 * the package index is unreachable) and apt-get (root or not). In the second part the real code runs
 * against a fake PATH, a temporary directory of shell scripts: moto_server, cfn-lint and aws stand in
 * for pip's console scripts (their first line names the python that runs them); a python3 script
 * stands in for Python (it answers the version query and makes a venv), and its venv's pip stands in
 * for pip, installing the three tools or failing with pip's own unreachable-index messages.
 */

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const PINS = pinnedVersions(fs.readFileSync(path.join(REPO_ROOT, REQUIREMENTS_FILE), 'utf8'));
const VENV_BIN = '/checkout/.tools/venv/bin';
const PINNED = { moto_server: PINS.moto, 'cfn-lint': PINS['cfn-lint'], aws: PINS.awscli };

interface FakeMachine {
  /** Programs on PATH, with the version of the distribution behind each (undefined: cannot be told). */
  onPath: Record<string, string | undefined>;
  venvCurrent?: boolean;
  pip?: 'installs' | 'index unreachable';
  root?: boolean;
  apt?: 'installs' | 'fails';
}

class FakeHost implements ToolHost {
  readonly calls: string[] = [];
  readonly said: string[] = [];
  constructor(private readonly machine: FakeMachine) {}
  find(command: string) {
    return command in this.machine.onPath ? `/usr/bin/${command}` : undefined;
  }
  async installedVersions(programs: readonly { executable: string }[]) {
    this.calls.push('versions');
    return programs.map(({ executable }) => this.machine.onPath[path.basename(executable)]);
  }
  venvIsCurrent() {
    return this.machine.venvCurrent ?? false;
  }
  async installVenv() {
    this.calls.push('pip install');
    if (this.machine.pip === 'installs') return { ok: true } as const;
    return { ok: false, reason: 'pip install: the package index is unreachable' } as const;
  }
  canInstallDebianPackages() {
    return this.machine.root ?? false;
  }
  async installDebianPackage(name: string) {
    this.calls.push(`apt-get install ${name}`);
    if (this.machine.apt !== 'installs') return { ok: false, reason: 'apt-get update: E: could not resolve the mirror' } as const;
    this.machine.onPath[name] = undefined;
    return { ok: true } as const;
  }
  say(line: string) {
    this.said.push(line);
  }
}

const choose = (host: FakeHost) => chooseTools(host, PINS, VENV_BIN);
const shellcheck = { shellcheck: undefined };

describe('the decision, on a fake machine', () => {
  test('the requirements file pins every package, the three tools among them', () => {
    const text = fs.readFileSync(path.join(REPO_ROOT, REQUIREMENTS_FILE), 'utf8');
    const lines = text.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#'));
    for (const line of lines) expect(line).toMatch(/^[a-z0-9._-]+(\[[a-z,]+\])?==[\w.]+$/);
    expect(PINS).toMatchObject({ moto: '5.2.1', 'cfn-lint': '1.51.0', awscli: '1.45.11' });
    expect(lines).toContain('moto[server]==5.2.1');
  });

  test('a venv installed from the current requirements file is used without looking further', async () => {
    const host = new FakeHost({ onPath: { ...shellcheck }, venvCurrent: true });
    expect(await choose(host)).toEqual({ python: 'venv', pathFirst: [VENV_BIN] });
    expect(host.calls).toEqual([]);
    expect(host.said).toEqual([]);
  });

  test('the pinned tools on PATH are used as they are: no pip call, nothing said', async () => {
    const host = new FakeHost({ onPath: { ...PINNED, ...shellcheck }, pip: 'installs' });
    expect(await choose(host)).toEqual({ python: 'path', pathFirst: [] });
    expect(host.calls).toEqual(['versions']);
    expect(host.said).toEqual([]);
  });

  test('a tool missing from PATH: the requirements are installed into the venv, which then comes first on PATH', async () => {
    const host = new FakeHost({ onPath: { 'cfn-lint': PINS['cfn-lint'], ...shellcheck }, pip: 'installs' });
    expect(await choose(host)).toEqual({ python: 'venv', pathFirst: [VENV_BIN] });
    expect(host.calls).toEqual(['versions', 'pip install']);
    expect(host.said[0]).toBe(`Test tools: moto_server, aws not on PATH. Installing ${REQUIREMENTS_FILE} into ${VENV_DIR} (once; a minute or two)...`);
  });

  test("other versions on PATH: the pinned ones are installed; with the index unreachable, PATH's are used, with a note", async () => {
    const onPath = { ...PINNED, 'cfn-lint': '1.40.0', aws: undefined, ...shellcheck };
    expect(await choose(new FakeHost({ onPath, pip: 'installs' }))).toEqual({ python: 'venv', pathFirst: [VENV_BIN] });

    const offline = new FakeHost({ onPath, pip: 'index unreachable' });
    expect(await choose(offline)).toEqual({ python: 'path, not pinned', pathFirst: [] });
    expect(offline.calls).toEqual(['versions', 'pip install']);
    expect(offline.said[1]).toBe(
      `Test tools: could not install ${REQUIREMENTS_FILE} (pip install: the package index is unreachable); using those on PATH: ` +
        `cfn-lint 1.40.0 (pinned ${PINS['cfn-lint']}), aws of unknown version (pinned ${PINS.awscli}).`,
    );
  });

  test('missing from PATH and not installable: one line names what to install, and why the install failed', async () => {
    const host = new FakeHost({ onPath: { aws: PINS.awscli, ...shellcheck }, pip: 'index unreachable' });
    const failure = await choose(host).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MissingTools);
    const message = (failure as MissingTools).message;
    expect(message).toBe(
      `error: the tests need tools that are missing: moto_server, cfn-lint (pip install -r ${REQUIREMENTS_FILE}, with Python 3.11+; ` +
        `installing it into ${VENV_DIR} failed: pip install: the package index is unreachable)`,
    );
    expect((failure as MissingTools).stack).toBe(message);
  });

  test('shellcheck missing: root with apt-get installs the Debian package; anyone else is told what to install', async () => {
    const asRoot = new FakeHost({ onPath: { ...PINNED }, root: true, apt: 'installs' });
    expect(await choose(asRoot)).toEqual({ python: 'path', pathFirst: [] });
    expect(asRoot.calls).toEqual(['versions', 'apt-get install shellcheck']);

    const asUser = new FakeHost({ onPath: { ...PINNED }, root: false });
    await expect(choose(asUser)).rejects.toThrow(
      /^error: the tests need tools that are missing: shellcheck \(apt-get install shellcheck, or brew install shellcheck\)$/,
    );
    expect(asUser.calls).toEqual(['versions']);

    const aptFails = new FakeHost({ onPath: { ...PINNED }, root: true, apt: 'fails' });
    await expect(choose(aptFails)).rejects.toThrow(
      'error: the tests need tools that are missing: shellcheck (apt-get install shellcheck, or brew install shellcheck; apt-get install failed: apt-get update: E: could not resolve the mirror)',
    );
  });

  test('everything missing and nothing installable: still one line', async () => {
    const failure = (await choose(new FakeHost({ onPath: {}, pip: 'index unreachable' })).catch((error: unknown) => error)) as Error;
    expect(failure.message.split('\n')).toHaveLength(1);
    expect(failure.message).toMatch(
      /^error: the tests need tools that are missing: moto_server, cfn-lint, aws \(pip install -r .*\); shellcheck \(apt-get install shellcheck/,
    );
  });
});

describe('the real code, on a fake PATH', () => {
  let dir: string;
  let root: string;
  let bin: string;
  let log: string;

  /** A stand-in for python3, and for the venv's python and pip (the same script, copied). */
  const FAKE_PYTHON = `#!/bin/bash
PATH=/usr/bin:/bin
if [ "$1" = -c ]; then
  shift 2
  echo "$(basename "$0") -c <version query> $*" >>"$FAKE_LOG"
  sep=
  printf '['
  for dist in "$@"; do
    version=$(tr ' ' '\\n' <<<"$FAKE_VERSIONS" | sed -n "s/^$dist=//p")
    if [ -n "$version" ]; then printf '%s"%s"' "$sep" "$version"; else printf '%snull' "$sep"; fi
    sep=,
  done
  printf ']\\n'
  exit 0
fi
echo "$(basename "$0") $*" >>"$FAKE_LOG"
case "$1 $2 $3" in
  "-m venv $3")
    mkdir -p "$3/bin" && cp "$0" "$3/bin/python" ;;
  "-m pip install")
    if [ "$FAKE_PIP" != installs ]; then
      echo "WARNING: Retrying (Retry(total=0, connect=None, read=None, redirect=None, status=None)) after connection broken by 'NewConnectionError(... [Errno -2] Name or service not known)': /simple/moto/" >&2
      echo "ERROR: Could not find a version that satisfies the requirement moto==5.2.1 (from versions: none)" >&2
      echo "ERROR: No matching distribution found for moto==5.2.1" >&2
      exit 1
    fi
    for tool in moto_server cfn-lint aws; do printf '#!%s\\n' "$(dirname "$0")/python" >"$(dirname "$0")/$tool"; chmod +x "$(dirname "$0")/$tool"; done ;;
esac
`;

  function fakePath(
    tools: Record<string, 'pinned' | 'old' | 'absent'>,
    python: 'present' | 'absent' = 'present',
    shellcheck: 'present' | 'absent' = 'present',
  ) {
    fs.rmSync(bin, { recursive: true, force: true });
    fs.mkdirSync(bin);
    const write = (name: string, text: string) => fs.writeFileSync(path.join(bin, name), text, { mode: 0o755 });
    if (python === 'present') write('python3', FAKE_PYTHON);
    if (shellcheck === 'present') write('shellcheck', '#!/bin/bash\n');
    const versions: string[] = [];
    for (const { command, distribution } of PYTHON_TOOLS) {
      if (tools[command] === 'absent') continue;
      write(command, `#!${path.join(bin, 'python3')}\n# console script\n`);
      versions.push(`${distribution}=${tools[command] === 'pinned' ? PINS[distribution] : '0.0.1'}`);
    }
    return { PATH: bin, FAKE_LOG: log, FAKE_VERSIONS: versions.join(' ') };
  }

  const calls = () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n') : []);
  const said: string[] = [];
  const provide = (env: NodeJS.ProcessEnv) => {
    return provideTools(
      root,
      env,
      machineHost(root, env, (line) => said.push(line)),
    );
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tools-test-'));
    root = path.join(dir, 'checkout');
    bin = path.join(dir, 'bin');
    log = path.join(dir, 'calls.log');
    fs.mkdirSync(path.join(root, path.dirname(REQUIREMENTS_FILE)), { recursive: true });
    fs.copyFileSync(path.join(REPO_ROOT, REQUIREMENTS_FILE), path.join(root, REQUIREMENTS_FILE));
    said.length = 0;
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('pinned tools on PATH: one version query, no venv, no pip, PATH unchanged', async () => {
    const env = fakePath({ moto_server: 'pinned', 'cfn-lint': 'pinned', aws: 'pinned' });
    expect(await provide(env)).toEqual({ python: 'path', pathFirst: [] });
    expect(calls()).toEqual(['python3 -c <version query> moto cfn-lint awscli']);
    expect(fs.existsSync(path.join(root, VENV_DIR))).toBe(false);
    expect(env).toMatchObject({ PATH: bin, [TOOLS_PROVIDED_ENV]: 'path' });
    expect(said).toEqual([]);
  });

  test('a missing tool and a reachable index: installs into the venv once, then uses it without pip', async () => {
    const env = { ...fakePath({ moto_server: 'absent', 'cfn-lint': 'pinned', aws: 'pinned' }), FAKE_PIP: 'installs' };
    expect(await provide(env)).toEqual({ python: 'venv', pathFirst: [path.join(root, VENV_DIR, 'bin')] });
    expect(env.PATH).toBe(`${path.join(root, VENV_DIR, 'bin')}${path.delimiter}${bin}`);
    expect(calls().filter((call) => !call.includes('<version query>'))).toEqual([
      `python3 -m venv ${path.join(root, VENV_DIR)}`,
      expect.stringMatching(new RegExp(`^python -m pip install .*-r ${path.join(root, REQUIREMENTS_FILE)}$`)),
    ]);
    fs.rmSync(log);

    const again = { ...env, PATH: bin };
    expect(await provide(again)).toEqual({ python: 'venv', pathFirst: [path.join(root, VENV_DIR, 'bin')] });
    expect(calls()).toEqual([]);

    // A changed requirements file is installed again.
    fs.appendFileSync(path.join(root, REQUIREMENTS_FILE), '\n');
    await provide({ ...env, PATH: bin });
    expect(calls()).toEqual(expect.arrayContaining([expect.stringMatching(/^python -m pip install /)]));
  });

  test('a missing tool and an unreachable index: one line says so and what to install', async () => {
    const env = { ...fakePath({ moto_server: 'pinned', 'cfn-lint': 'absent', aws: 'pinned' }), FAKE_PIP: 'unreachable' };
    await expect(provide(env)).rejects.toThrow(
      new MissingTools(
        `error: the tests need tools that are missing: cfn-lint (pip install -r ${REQUIREMENTS_FILE}, with Python 3.11+; installing it into ${VENV_DIR} failed: pip install: the package index is unreachable)`,
      ),
    );
  });

  test('other versions on PATH and an unreachable index: those on PATH, with a note', async () => {
    const env = { ...fakePath({ moto_server: 'old', 'cfn-lint': 'pinned', aws: 'pinned' }), FAKE_PIP: 'unreachable' };
    expect(await provide(env)).toEqual({ python: 'path, not pinned', pathFirst: [] });
    expect(said[1]).toBe(
      `Test tools: could not install ${REQUIREMENTS_FILE} (pip install: the package index is unreachable); using those on PATH: moto_server 0.0.1 (pinned ${PINS.moto}).`,
    );
  });

  test('shellcheck missing: as root, apt-get installs the Debian package; anyone else gets the one line', async () => {
    const env = fakePath({ moto_server: 'pinned', 'cfn-lint': 'pinned', aws: 'pinned' }, 'present', 'absent');
    const aptGet = `#!/bin/bash\necho "apt-get $*" >>"$FAKE_LOG"\n[ "$1" != install ] || { printf '#!/bin/bash\\n' >${bin}/shellcheck; /bin/chmod +x ${bin}/shellcheck; }\n`;
    fs.writeFileSync(path.join(bin, 'apt-get'), aptGet, { mode: 0o755 });
    if (process.getuid?.() === 0) {
      expect(await provide(env)).toEqual({ python: 'path', pathFirst: [] });
      expect(calls().slice(1)).toEqual(['apt-get update -qq -o DPkg::Lock::Timeout=60', 'apt-get install -y -qq shellcheck -o DPkg::Lock::Timeout=60']);
      expect(said).toEqual(['Test tools: shellcheck is not on PATH. Installing the Debian package shellcheck...']);
    } else {
      await expect(provide(env)).rejects.toThrow(
        'error: the tests need tools that are missing: shellcheck (apt-get install shellcheck, or brew install shellcheck)',
      );
    }
  });

  test('shellcheck missing while another apt holds its lock (CI prepares the real-boot harness meanwhile): apt-get waits its turn', async () => {
    const env = fakePath({ moto_server: 'pinned', 'cfn-lint': 'pinned', aws: 'pinned' }, 'present', 'absent');
    // Only root installs packages (the test before shows what anyone else is told).
    if (process.getuid?.() !== 0) return void (await expect(provide(env)).rejects.toThrow(/missing: shellcheck/));
    // The first update finds the lists locked, as apt-get update does at once whatever its lock timeout.
    const aptGet =
      `#!/bin/bash\necho "apt-get $*" >>"$FAKE_LOG"\n` +
      `if [ "$1" = update ] && [ ! -e ${dir}/unlocked ]; then : >${dir}/unlocked; echo 'E: Could not get lock /var/lib/apt/lists/lock. It is held by process 4242 (apt-get)' >&2; exit 100; fi\n` +
      `[ "$1" != install ] || { printf '#!/bin/bash\\n' >${bin}/shellcheck; /bin/chmod +x ${bin}/shellcheck; }\n`;
    fs.writeFileSync(path.join(bin, 'apt-get'), aptGet, { mode: 0o755 });
    expect(await provide(env)).toEqual({ python: 'path', pathFirst: [] });
    expect(calls().slice(1)).toEqual([
      'apt-get update -qq -o DPkg::Lock::Timeout=60',
      'apt-get update -qq -o DPkg::Lock::Timeout=60',
      'apt-get install -y -qq shellcheck -o DPkg::Lock::Timeout=60',
    ]);
  });

  test('no python3 at all: the line says that too', async () => {
    const env = fakePath({ moto_server: 'absent', 'cfn-lint': 'absent', aws: 'absent' }, 'absent');
    await expect(provide(env)).rejects.toThrow(
      /^error: the tests need tools that are missing: moto_server, cfn-lint, aws \(.* failed: python3 is not on PATH\)$/,
    );
  });
});
