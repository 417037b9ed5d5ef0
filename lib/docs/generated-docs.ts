import { ENVIRONMENT_SCHEMA_FILE, environmentJsonSchema } from '../shared/environment-spec';
import { type DocumentedTemplates, referenceTables } from './reference-tables';

/** A reference file under docs/ and the generated tables it holds, by the names their markers carry. */
export interface GeneratedDoc {
  /** The file's path from the repository's root. */
  readonly file: string;
  readonly tables: readonly string[];
  /** What `npm run docs` says it rewrote in the file. */
  readonly what: string;
}

/** Where each generated table lives: README.md and CONTRIBUTING.md link to these files and hold no table themselves. */
export const GENERATED_DOCS: readonly GeneratedDoc[] = [
  { file: 'docs/parameters.md', tables: ['parameters', 'environment-parameters'], what: 'the parameter tables' },
  { file: 'docs/outputs.md', tables: ['outputs', 'environment-outputs'], what: 'the output tables' },
  { file: 'docs/permissions.md', tables: ['permissions'], what: 'the permission-profile table' },
  { file: 'docs/status-exit-codes.md', tables: ['status-exit-codes'], what: 'the exit-code table' },
  { file: 'docs/failure-codes.md', tables: ['failure-codes'], what: 'the failure-code table' },
  { file: 'docs/environment-file.md', tables: ['environment-file'], what: "the environment file's field table" },
];

const MARKED = /(<!-- generated:([a-z-]+) begin[^>]*-->\n)[\s\S]*?(<!-- generated:\2 end -->)/g;

/** The names of the generated tables whose markers `text` holds, in order. */
export function markedTables(text: string): string[] {
  return [...text.matchAll(MARKED)].map((match) => match[2]);
}

/**
 * `text`, the content of `file`, with each generated table replaced by its current text. Throws when
 * one of `tables` lacks its markers there, or a marker names a table that `tables` does not hold, so
 * that neither goes unnoticed.
 */
function regenerate(file: string, text: string, tables: Readonly<Record<string, string>>): string {
  const seen = new Set<string>();
  const updated = text.replace(MARKED, (_whole, begin: string, name: string, end: string) => {
    if (!(name in tables)) throw new Error(`${file} has markers for a generated table that does not belong there: "${name}"`);
    seen.add(name);
    return `${begin}${tables[name]}${end}`;
  });
  const missing = Object.keys(tables).filter((name) => !seen.has(name));
  if (missing.length > 0) {
    throw new Error(
      `${file} lacks the markers of ${missing.map((name) => `"${name}"`).join(', ')}: <!-- generated:NAME begin --> ... <!-- generated:NAME end -->`,
    );
  }
  return updated;
}

/**
 * Every generated reference file, as it is (`read` gives a file's text by its path from the
 * repository's root) and as the template and the status command make it. Throws before anything is
 * written when a table has no file or two, or a file names a table that is not generated.
 */
export function regeneratedDocs(templates: DocumentedTemplates, read: (file: string) => string): Array<GeneratedDoc & { current: string; updated: string }> {
  const tables = referenceTables(templates);
  const placed = GENERATED_DOCS.flatMap((doc) => doc.tables);
  const unknown = placed.filter((name) => !(name in tables));
  if (unknown.length > 0) throw new Error(`GENERATED_DOCS places tables that are not generated: ${unknown.join(', ')}`);
  const misplaced = Object.keys(tables).filter((name) => placed.filter((candidate) => candidate === name).length !== 1);
  if (misplaced.length > 0) throw new Error(`GENERATED_DOCS must place each generated table in one file: ${misplaced.join(', ')}`);
  return GENERATED_DOCS.map((doc) => {
    const current = read(doc.file);
    const own = Object.fromEntries(doc.tables.map((name) => [name, tables[name]]));
    return { ...doc, current, updated: regenerate(doc.file, current, own) };
  });
}

/** A file `npm run docs` writes: its text as it is, and as the code makes it. */
export interface RegeneratedFile {
  readonly file: string;
  /** What `npm run docs` says it rewrote in the file. */
  readonly what: string;
  readonly current: string;
  readonly updated: string;
}

/** The environment file's published JSON Schema, which `npm run docs` writes whole. */
const ENVIRONMENT_SCHEMA = { file: ENVIRONMENT_SCHEMA_FILE, what: "the environment file's JSON Schema" } as const;

/** Every file `npm run docs` writes, by its path from the repository's root. */
export const GENERATED_FILES: readonly string[] = [...GENERATED_DOCS.map((doc) => doc.file), ENVIRONMENT_SCHEMA.file];

/** Every file `npm run docs` writes, as it is and as it should be: the reference files, then the schema. */
export function regeneratedFiles(templates: DocumentedTemplates, read: (file: string) => string): RegeneratedFile[] {
  const schema = { ...ENVIRONMENT_SCHEMA, current: read(ENVIRONMENT_SCHEMA.file), updated: `${JSON.stringify(environmentJsonSchema(), null, 2)}\n` };
  return [...regeneratedDocs(templates, read), schema];
}
