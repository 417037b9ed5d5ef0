import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Arguments the user got wrong; the message names the argument and says what is expected. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * The values of a command's named `options`, parsed strictly: an unknown option, a missing value or
 * a positional argument is a UsageError with node's message, which names the argument.
 */
export function parseOptions<const T extends NonNullable<ParseArgsConfig['options']>>(argv: readonly string[], options: T) {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
