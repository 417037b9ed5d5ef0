import * as fs from 'node:fs';
import * as path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { stackNameFor } from '../shared/conventions';
import { launchStackMarkdown, quickCreateUrl, regionProblem, templateObjectUrl } from './launch-link';
import { UsageError } from '../shared/command-line';
import { EXIT_CODES, type HostingOptions, parsePublishArgs, USAGE } from './publish-args';
import {
  ENVIRONMENT_TEMPLATE_KINDS,
  ENVIRONMENT_TEMPLATES,
  type EnvironmentTemplate,
  publishEnvironmentTemplates,
  publishedFileName,
  publishTemplate,
} from './publish';
import { objectKey } from './s3-names';
import { explainUploadError } from './upload-errors';
import { resolveRegionAndCredentials, uploadTemplate } from './upload';

export interface PublishIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  /** The template's version, from package.json. */
  readonly version: string;
  /** Where the template goes without --out-dir. */
  readonly defaultOutDir: string;
  /**
   * The directory relative paths are printed from and --out-dir is resolved against.
   *
   * @default process.cwd(); relative paths are printed from here and --out-dir resolved against it
   */
  readonly cwd?: string;
  /**
   * Makes the S3 client that uploads the template.
   *
   * @default an SDK client on the default credential chain, in the given region or the SDK's own
   */
  readonly createS3Client?: (region: string | undefined) => S3Client;
  /**
   * Writes the template into `outDir` and returns its path.
   *
   * @default publishTemplate: synthesizes the console template and writes it
   */
  readonly writeTemplate?: (version: string, outDir: string) => string;
  /**
   * Writes the console templates of API-token mode into `outDir` and returns their paths.
   *
   * @default publishEnvironmentTemplates
   */
  readonly writeEnvironmentTemplates?: (version: string, outDir: string) => Record<EnvironmentTemplate, string>;
}

/** The publish command: writes the template, uploads it when asked, prints the links; returns the exit code. */
export async function runPublish(argv: readonly string[], io: PublishIo): Promise<number> {
  const fileName = publishedFileName(io.version);
  let options: ReturnType<typeof parsePublishArgs>;
  try {
    options = parsePublishArgs(argv, fileName);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`error: ${error.message}\n\n${USAGE}`);
    return EXIT_CODES.usage.code;
  }
  if (options === 'help') {
    io.stdout.write(USAGE);
    return EXIT_CODES.done.code;
  }

  const cwd = io.cwd ?? process.cwd();
  const outDir = options.outDir === undefined ? io.defaultOutDir : path.resolve(cwd, options.outDir);
  const writeTemplate = io.writeTemplate ?? publishTemplate;
  const writeEnvironmentTemplates = io.writeEnvironmentTemplates ?? publishEnvironmentTemplates;
  if (!options.hosting) {
    const file = writeTemplate(io.version, outDir);
    io.stdout.write(`Published ${path.relative(cwd, file)}\nUpload it in the CloudFormation console (Create stack > Upload a template file).\n`);
    const environment = writeEnvironmentTemplates(io.version, outDir);
    io.stdout.write(
      `For API-token mode (README: API-token mode in the CloudFormation console), also ${ENVIRONMENT_TEMPLATE_KINDS.map((kind) => path.relative(cwd, environment[kind])).join(' and ')}.\n`,
    );
    return EXIT_CODES.done.code;
  }

  const hosting = options.hosting;
  const key = objectKey(hosting.prefix, fileName);
  const client = (io.createS3Client ?? ((region) => new S3Client({ region })))(hosting.region);
  let region = hosting.region;
  try {
    region = await resolveRegionAndCredentials(client);
  } catch (error) {
    return awsFailure(io, error, { bucket: hosting.bucket, key, region });
  }
  // Given by --region, it was checked with the arguments; from AWS_REGION or a profile, only now.
  const problem = regionProblem(region);
  if (problem) {
    io.stderr.write(`error: region ${JSON.stringify(region)} (from AWS_REGION or your profile) is not usable: ${problem}; pass --region\n`);
    return EXIT_CODES.usage.code;
  }

  const file = writeTemplate(io.version, outDir);
  io.stdout.write(`Published ${path.relative(cwd, file)}\n`);
  try {
    await uploadTemplate(client, { bucket: hosting.bucket, key }, fs.readFileSync(file));
  } catch (error) {
    return awsFailure(io, error, { bucket: hosting.bucket, key, region });
  }
  io.stdout.write(hostedReport(hosting, key, region));

  const environment = writeEnvironmentTemplates(io.version, outDir);
  io.stdout.write("API-token mode's templates (README: API-token mode in the CloudFormation console):\n");
  for (const kind of ENVIRONMENT_TEMPLATE_KINDS) {
    const templateKey = objectKey(hosting.prefix, path.basename(environment[kind]));
    try {
      await uploadTemplate(client, { bucket: hosting.bucket, key: templateKey }, fs.readFileSync(environment[kind]));
    } catch (error) {
      return awsFailure(io, error, { bucket: hosting.bucket, key: templateKey, region });
    }
    const stackName = ENVIRONMENT_TEMPLATES[kind].stackName;
    io.stdout.write(
      [
        `Uploaded s3://${hosting.bucket}/${templateKey}`,
        `Launch Stack link${hosting.envName ? ` (stack ${stackName(hosting.envName)})` : ''}:`,
        quickCreateUrl(region, templateObjectUrl(hosting.bucket, region, templateKey), hosting.envName, stackName),
        '',
      ].join('\n'),
    );
  }
  return EXIT_CODES.done.code;
}

function awsFailure(io: PublishIo, error: unknown, context: { bucket: string; key: string; region?: string }): number {
  io.stderr.write(`error: ${explainUploadError(error, { ...context, profile: process.env.AWS_PROFILE || undefined })}\n`);
  return EXIT_CODES.awsError.code;
}

/** What the publisher copies: the object, its URL, the Launch Stack link and its Markdown button. */
function hostedReport(hosting: HostingOptions, key: string, region: string): string {
  const templateUrl = templateObjectUrl(hosting.bucket, region, key);
  const launchUrl = quickCreateUrl(region, templateUrl, hosting.envName);
  return [
    `Uploaded s3://${hosting.bucket}/${key}`,
    `Template URL: ${templateUrl}`,
    `Launch Stack link (CloudFormation console in ${region}${hosting.envName ? `, stack ${stackNameFor(hosting.envName)}` : ''}):`,
    launchUrl,
    'Markdown:',
    launchStackMarkdown(launchUrl),
    'Whoever follows the link needs read access to the object (s3:GetObject): see "Host the template" in README.md.',
    '',
  ].join('\n');
}
