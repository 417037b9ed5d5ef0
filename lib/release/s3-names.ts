/**
 * S3's naming rules for the bucket and key that host the published template, checked before any
 * request so that a mistyped argument gets a precise message instead of an AWS error.
 */

/**
 * What is wrong with `name` as a general purpose bucket name, or undefined when it is valid
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
 */
export function bucketNameProblem(name: string): string | undefined {
  if (name.startsWith('s3://') || name.includes('/')) return 'give the bucket name alone, without s3:// or a path (use --prefix for the folder)';
  if (name.length < 3 || name.length > 63) return 'a bucket name has 3 to 63 characters';
  if (!/^[a-z0-9.-]+$/.test(name)) return 'a bucket name has only lowercase letters, digits, dots and hyphens';
  if (!/^[a-z0-9].*[a-z0-9]$/.test(name)) return 'a bucket name begins and ends with a letter or digit';
  if (name.includes('..')) return 'a bucket name has no two adjacent dots';
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return 'a bucket name is not an IP address';
  const prefix = ['xn--', 'sthree-', 'amzn-s3-demo-'].find((reserved) => name.startsWith(reserved));
  if (prefix) return `bucket names beginning with ${prefix} are reserved by AWS`;
  const suffix = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'].find((reserved) => name.endsWith(reserved));
  if (suffix) return `bucket names ending with ${suffix} are reserved by AWS (access points, directory and table buckets cannot host the template)`;
  return undefined;
}

/** Characters S3 documents as safe in keys: they need no escaping in URLs or in the console. */
const SAFE_SEGMENT = /^[A-Za-z0-9!_.*'()-]+$/;

/** The longest key S3 accepts, in UTF-8 bytes. */
const MAX_KEY_BYTES = 1024;

/**
 * What is wrong with `prefix` as the folder that holds the template, or undefined when it is
 * valid. A trailing slash is allowed and ignored.
 */
export function prefixProblem(prefix: string, fileName: string): string | undefined {
  const folder = prefix.replace(/\/$/, '');
  if (folder === '') return 'give a folder such as templates/altinity, or leave --prefix out';
  if (folder.startsWith('/')) return 'a prefix does not begin with a slash (S3 keys have no leading slash)';
  const segments = folder.split('/');
  if (segments.some((segment) => segment === '')) return 'a prefix has no empty folder (no //)';
  if (segments.some((segment) => segment === '.' || segment === '..')) return 'a prefix has no . or .. folder';
  const unsafe = segments.find((segment) => !SAFE_SEGMENT.test(segment));
  if (unsafe !== undefined) return `"${unsafe}" has a character outside letters, digits and ! _ . * ' ( ) -`;
  if (Buffer.byteLength(objectKey(folder, fileName)) > MAX_KEY_BYTES) return `the key would exceed S3's ${MAX_KEY_BYTES} bytes`;
  return undefined;
}

/** The key of the template in the bucket: `<prefix>/<file name>`, or the file name alone. */
export function objectKey(prefix: string | undefined, fileName: string): string {
  const folder = prefix?.replace(/\/$/, '');
  return folder ? `${folder}/${fileName}` : fileName;
}
