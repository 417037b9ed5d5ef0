import * as fs from 'node:fs';
import * as path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { type EnvironmentContext, type EnvironmentSpec, EnvironmentSpecError, validateEnvironmentSpec } from './environment-spec';

/**
 * Reads the environment file that `-c environment=<file>` names, YAML or JSON by its extension, and
 * validates it for a stack in `context.region`. The app only: the function that calls Altinity
 * validates the specification it is given, with no file and no YAML parser.
 * @throws EnvironmentSpecError naming the file, and each field or line at fault
 */
export function readEnvironmentFile(file: string, context: EnvironmentContext): EnvironmentSpec {
  const subject = `environment file ${file}`;
  const content = parsed(file, subject);
  try {
    return validateEnvironmentSpec(content, context);
  } catch (error) {
    if (error instanceof EnvironmentSpecError) throw new EnvironmentSpecError(error.problems, subject);
    throw error;
  }
}

const READ_ERRORS: Readonly<Record<string, string>> = { ENOENT: 'no such file', EISDIR: 'it is a directory', EACCES: 'permission denied' };

function parsed(file: string, subject: string): unknown {
  const refuse = (...problems: string[]) => new EnvironmentSpecError(problems, subject);
  const format = path.extname(file).toLowerCase();
  if (!['.yaml', '.yml', '.json'].includes(format)) throw refuse('must be YAML (.yaml or .yml) or JSON (.json), by its extension');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    throw refuse(`cannot be read: ${READ_ERRORS[code ?? ''] ?? message}`);
  }
  if (format === '.json') {
    try {
      return JSON.parse(text);
    } catch (error) {
      throw refuse(`is not valid JSON: ${(error as Error).message}`);
    }
  }
  const lines = new LineCounter();
  // YAML 1.2, as the parser reads by default: `NAT: no` is the text "no", which the validator refuses.
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const faults = [...document.errors, ...document.warnings].map((fault) => {
    const { line, col } = lines.linePos(fault.pos[0]);
    return `line ${line}, column ${col}: ${fault.message}`;
  });
  if (faults.length > 0) throw refuse(...faults);
  if (document.contents === null) throw refuse('is empty: write the fields to set, or {} to take every default');
  try {
    return document.toJS();
  } catch (error) {
    throw refuse((error as Error).message);
  }
}
