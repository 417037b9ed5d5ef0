/**
 * A front for moto_server that passes it one request at a time: `node one-request-at-a-time.js
 * <moto_server's port>` listens on a free loopback port, prints `listening <port>`, and exits when its
 * standard input closes (its parent stopped it, or died).
 *
 * Why: moto makes a new stack visible (DescribeStacks, DescribeStackResources) before CreateStack has
 * built its resources, and builds each resource on its first read, without a lock. A read that
 * arrives meanwhile builds one a second time: a function then has two names, and the stack's export
 * gives one while its resources list the other. CloudFormation is never seen half-applied; one
 * request at a time makes moto the same, whoever else (the CDK CLI, a function) calls it meanwhile.
 *
 * It runs in a process of its own so that a test blocked in spawnSync, whose child calls moto, does
 * not block the front too. A client that goes away, or a moto_server that does not answer, holds up
 * the requests behind it no longer than its own turn.
 */
const http = require('node:http');
const { pipeline } = require('node:stream');

const upstreamPort = Number(process.argv[2]);
/** Far over anything moto takes here (a CreateStack of the largest template: seconds); then the caller hears why. */
const UPSTREAM_TIMEOUT_MS = 120_000;
/** Headers of one connection, not of the message: each side of the front has its own connection. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'expect'];

const agent = new http.Agent({ keepAlive: true });
let previous = Promise.resolve();

function endToEnd(headers) {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.includes(name)));
}

/** Passes one request to moto_server; settles once its answer has been passed on, or its client is gone. */
function pass(request, body, response) {
  return new Promise((passed) => {
    if (response.destroyed) return passed();
    const upstream = http.request({
      host: '127.0.0.1',
      port: upstreamPort,
      method: request.method,
      path: request.url,
      headers: { ...endToEnd(request.headers), 'content-length': body.length },
      agent,
    });
    upstream.setTimeout(UPSTREAM_TIMEOUT_MS, () =>
      upstream.destroy(new Error(`no answer to ${request.method} ${request.url} within ${UPSTREAM_TIMEOUT_MS / 1000} s`)),
    );
    upstream.once('response', (answer) => {
      response.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
      // Ends when the answer is passed on, or when the client went away meanwhile (the answer is then dropped).
      pipeline(answer, response, () => passed());
    });
    upstream.once('error', (error) => {
      if (!response.headersSent) response.writeHead(502, { 'content-type': 'text/plain' });
      response.end(`moto_server: ${error.message}`);
      passed();
    });
    response.once('close', () => {
      if (!response.writableFinished) upstream.destroy();
      passed();
    });
    upstream.end(body);
  });
}

const server = http.createServer((request, response) => {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.once('end', () => {
    previous = previous.then(() => pass(request, Buffer.concat(chunks), response)).catch((error) => console.error(`one-request-at-a-time: ${error}`));
  });
});
// Idle connections stay open until their client closes them, so that no client reuses one the front is closing.
server.keepAliveTimeout = 0;

server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
process.stdin.resume();
process.stdin.once('end', () => process.exit(0));
