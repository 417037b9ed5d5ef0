/** An exit code, and what it means: what `--help` and docs/ say. */
export interface ExitCode {
  readonly code: number;
  readonly meaning: string;
}

/**
 * The exit codes that are the same number in every command, so that a script can tell them apart
 * whichever command it runs. Each command says what success and the AWS error are for it, and adds
 * codes of its own.
 */
export const SHARED_EXIT_CODES = {
  success: { code: 0 },
  /** A UsageError (command-line.ts). */
  usage: { code: 2, meaning: 'wrong arguments' },
  /** AWS refused the request, or could not be reached. */
  awsError: { code: 5 },
} as const;

/** A command's exit codes as `--help` lists them, one a line. */
export function exitCodeLines(codes: Readonly<Record<string, ExitCode>>): string {
  return Object.values(codes)
    .map(({ code, meaning }) => `  ${code}  ${meaning}`)
    .join('\n');
}
