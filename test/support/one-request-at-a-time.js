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
 * not block the front too.
 */
const http = require('node:http');

const upstreamPort = Number(process.argv[2]);
const agent = new http.Agent({ keepAlive: true });
let previous = Promise.resolve();

/** Passes one request to moto_server; settles once its answer has been passed on in full. */
function pass(request, body, response) {
  return new Promise((passed) => {
    const upstream = http.request(
      { host: '127.0.0.1', port: upstreamPort, method: request.method, path: request.url, headers: request.headers, agent },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
        answer.once('close', passed);
      },
    );
    upstream.once('error', (error) => {
      if (!response.headersSent) response.writeHead(502);
      response.end(`moto_server: ${error.message}`);
      passed();
    });
    upstream.end(body);
  });
}

const server = http.createServer((request, response) => {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.once('end', () => {
    previous = previous.then(() => pass(request, Buffer.concat(chunks), response));
  });
});

server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
process.stdin.resume();
process.stdin.once('end', () => process.exit(0));
