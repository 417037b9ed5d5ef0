import type { Answer } from './http';

/**
 * Stands in for the release download location (github.com/altinity/altinitycloud-connect/releases/download):
 * a GET of a file it holds answers the file, anything else 404 Not Found, and every download is
 * recorded. Each harness says which files it holds: the sandbox, a binary that records how it is
 * called; the real boot, one that logs in and connects (boot/standins/connect-releases.ts).
 */
export class ReleaseLocation {
  /** Downloads, in order: path and when (ms since the epoch). */
  readonly downloads: { path: string; at: number }[] = [];

  /** `fileAt` gives the file at a request's path, if there is one. */
  constructor(private readonly fileAt: (path: string) => Buffer | undefined) {}

  readonly answer: Answer = (request, response) => {
    const path = request.url ?? '/';
    const file = request.method === 'GET' ? this.fileAt(path) : undefined;
    if (file === undefined) return void response.writeHead(404).end('Not Found');
    this.downloads.push({ path, at: Date.now() });
    response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(file);
  };
}
