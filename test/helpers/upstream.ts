/** A real HTTP upstream on 127.0.0.1 for end-to-end tests: routes by "METHOD /path", records every request. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export type Route = (req: SeenRequest, res: http.ServerResponse) => void | Promise<void>;

export interface Upstream {
  url: string;
  port: number;
  seen: SeenRequest[];
  route(key: string, handler: Route): void;
  close(): Promise<void>;
}

/** `fallback` answers what no route matches (default: a JSON 404). */
export async function startUpstream(routes: Record<string, Route> = {}, fallback?: Route): Promise<Upstream> {
  const table = new Map(Object.entries(routes));
  const seen: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request: SeenRequest = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks) };
      seen.push(request);
      const pathname = new URL(req.url!, 'http://x').pathname;
      const handler = table.get(`${req.method} ${pathname}`) ?? [...table].find(([key]) => matches(key, req.method!, pathname))?.[1];
      if (!handler && fallback) {
        Promise.resolve(fallback(request, res)).catch((error: Error) => res.headersSent || res.writeHead(500).end(error.message));
        return;
      }
      if (!handler) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ message: `no route for ${req.method} ${pathname}` }));
        return;
      }
      Promise.resolve(handler(request, res)).catch((error: Error) => {
        if (!res.headersSent) res.writeHead(500).end(error.message);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    route: (key, handler) => table.set(key, handler),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** `GET /items/*` matches `/items/42`. */
function matches(key: string, method: string, pathname: string): boolean {
  const [m, pattern] = key.split(' ');
  if (m !== method || !pattern.includes('*')) return false;
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('[^/]+')}$`,
  );
  return re.test(pathname);
}

export function json(res: http.ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(value));
}

/**
 * `GET ...?ms=N`: answers `{ waited: N }` after N ms; a request the hub gives up on
 * first (a cancelled call, a timeout) is pushed onto `aborted` and never answered.
 */
export function slowRoute(aborted: string[]): Route {
  return (req, res) => {
    const ms = Number(new URL(req.url, 'http://x').searchParams.get('ms'));
    const timer = setTimeout(() => json(res, 200, { waited: ms }), ms);
    res.on('close', () => {
      if (!res.writableFinished) {
        clearTimeout(timer);
        aborted.push(req.url);
      }
    });
  };
}
