/**
 * A home directory of the suite's own, for every process the tests start: whatever the programs
 * under test (the CDK CLI, npm, the AWS CLI, Python tools) read from a home or write into one, they
 * find it empty and leave it in a directory that is removed after the run, never in the user's.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The variables that name a home or a directory in it, for the tools the tests run. */
export const HOME_VARIABLES = ['HOME', 'CDK_HOME', 'XDG_CACHE_HOME', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_STATE_HOME'] as const;

export interface SuiteHome {
  readonly dir: string;
  /** Puts the user's settings back and removes the directory. */
  remove(): void;
}

/**
 * Points `env` at a new empty home. The CDK CLI finds its home through the user database, not
 * HOME, so CDK_HOME is set too. npm would otherwise ask the registry whether a newer npm exists
 * (its user settings, which may say not to, are in the user's home).
 */
export function useSuiteHome(env: NodeJS.ProcessEnv = process.env): SuiteHome {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'altinity-connect-test-home-'));
  const saved = Object.fromEntries([...HOME_VARIABLES, 'npm_config_update_notifier'].map((name) => [name, env[name]]));
  env.HOME = dir;
  env.CDK_HOME = path.join(dir, '.cdk');
  env.XDG_CACHE_HOME = path.join(dir, '.cache');
  env.XDG_CONFIG_HOME = path.join(dir, '.config');
  env.XDG_DATA_HOME = path.join(dir, '.local', 'share');
  env.XDG_STATE_HOME = path.join(dir, '.local', 'state');
  env.npm_config_update_notifier = 'false';
  return {
    dir,
    remove() {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete env[name];
        else env[name] = value;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
