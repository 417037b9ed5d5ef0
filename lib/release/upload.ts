import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/**
 * YAML's registered media type (RFC 9512). CloudFormation reads the template whatever the type;
 * the type tells a browser or `aws s3 cp` what the object is.
 */
export const TEMPLATE_CONTENT_TYPE = 'application/yaml';

/**
 * The region the client will use, and a check that credentials can be found, before the slow
 * synthesis: a publisher without either learns it at once. Throws the SDK's own errors.
 */
export async function resolveRegionAndCredentials(client: S3Client): Promise<string> {
  const region = await client.config.region();
  await client.config.credentials();
  return region;
}

/**
 * Puts the template at `key`. Each version has its own file name, so publishing one never replaces
 * the template another version's links point at; publishing the same version again does.
 */
export async function uploadTemplate(client: S3Client, target: { bucket: string; key: string }, body: Buffer): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: target.bucket, Key: target.key, Body: body, ContentType: TEMPLATE_CONTENT_TYPE }));
}
