/**
 * Stands in for a corporate HTTPS proxy between a sandboxed host and the internet (see ConnectProxy).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as net from 'node:net';

export interface ConnectProxyOptions {
  /**
   * Where each name the host uses leads, as `host:port`. The names are ones no resolver knows (under
   * `.test`): a request that went around the proxy would find nothing.
   */
  readonly routes: Readonly<Record<string, string>>;
  /** Names the proxy refuses, as a corporate proxy refuses a destination it does not allow. */
  readonly refuses?: readonly string[];
}

/**
 * A forward proxy on loopback, as a corporate HTTPS proxy is to a host: `CONNECT name:443` tunnels
 * for HTTPS, absolute-form requests (`POST http://name/...`) for plain HTTP. It records every request
 * it is asked for, and answers 403 for a refused name, 502 for an unknown one.
 */
export class ConnectProxy {
  /** Each request, in order: `CONNECT name:port`, or the method and the absolute URL. */
  readonly requests: string[] = [];
  private readonly server: http.Server;

  private constructor(private readonly options: ConnectProxyOptions) {
    this.server = http.createServer((request, response) => this.forward(request, response));
    this.server.on('connect', (request: http.IncomingMessage, client: net.Socket, head: Buffer) => this.tunnel(request, client, head));
  }

  static async start(options: ConnectProxyOptions): Promise<ConnectProxy> {
    const proxy = new ConnectProxy(options);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** The proxy's URL, as the template's HttpsProxy parameter gives it. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** `host:port` of `name`, or the status the proxy answers instead. */
  private route(name: string): string | 403 | 502 {
    if (this.options.refuses?.includes(name)) return 403;
    return this.options.routes[name] ?? 502;
  }

  private tunnel(request: http.IncomingMessage, client: net.Socket, head: Buffer): void {
    const target = request.url ?? '';
    this.requests.push(`CONNECT ${target}`);
    const route = this.route(target.replace(/:\d+$/, ''));
    if (typeof route === 'number') {
      client.end(`HTTP/1.1 ${route} ${route === 403 ? 'Forbidden' : 'Bad Gateway'}\r\ncontent-length: 0\r\n\r\n`);
      return;
    }
    const [host, port] = route.split(':');
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    const close = () => {
      upstream.destroy();
      client.destroy();
    };
    upstream.on('error', close);
    client.on('error', close);
  }

  private forward(request: http.IncomingMessage, response: http.ServerResponse): void {
    this.requests.push(`${request.method} ${request.url}`);
    let url: URL;
    try {
      url = new URL(request.url ?? '');
    } catch {
      return void response.writeHead(400).end('not a proxy request');
    }
    const route = this.route(url.hostname);
    if (typeof route === 'number') return void response.writeHead(route).end();
    const [host, port] = route.split(':');
    const upstream = http.request(
      { host, port: Number(port), method: request.method, path: `${url.pathname}${url.search}`, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on('error', (error) => response.writeHead(502).end(error.message));
    request.pipe(upstream);
  }
}
