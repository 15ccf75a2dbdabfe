/**
 * A recording proxy between the hub and Prism, on 127.0.0.1. It keeps, byte for byte,
 * every request the hub sent and Prism's whole answer (status, `sl-violations` header,
 * problem+json body), so the verdict is read from Prism itself and not from what the hub
 * made of the answer.
 *
 * It does two things beyond recording, both visible in each exchange:
 *
 * - Base path. The connector's baseUrl carries the spec's server path (Slack's `/api`,
 *   Asana's `/api/1.0`) exactly as it would in production; Prism serves the spec's paths
 *   without it. The proxy checks that every request starts with that base path (a
 *   request outside it is recorded as `outsideBasePath` and never reaches Prism) and
 *   strips it.
 *
 * Credentials are the hub's own: each run gives the tenant a connection and the hub's
 * credentials stage puts it on the request, as in production (Prism answers 401 to a
 * request without the credentials the spec asks for).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Exchange {
  method: string;
  /** The request target as the hub sent it (with the base path). */
  url: string;
  /** Lower-case header names, as the hub sent them. */
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** How the hub framed its body. */
  framing: 'content-length' | 'chunked' | 'none';
  /** The request did not start with the connector's base path; it was not forwarded. */
  outsideBasePath?: boolean;
  response?: { status: number; headers: http.IncomingHttpHeaders; body: Buffer };
  /** The proxy could not reach Prism. */
  error?: string;
}

export interface RecorderOptions {
  /** Prism's origin, `http://127.0.0.1:PORT`. */
  target: string;
  /** The spec's server path the hub must put in front of every operation path ('' for none). */
  basePath: string;
}

export interface Recorder {
  /** `http://127.0.0.1:PORT` + base path: the connector's baseUrl. */
  baseUrl: string;
  exchanges: Exchange[];
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'te', 'trailer', 'upgrade', 'proxy-connection']);

export async function startRecorder(options: RecorderOptions): Promise<Recorder> {
  const target = new URL(options.target);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const exchanges: Exchange[] = [];
  const basePath = options.basePath.replace(/\/+$/, '');

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const framing = req.headers['transfer-encoding'] !== undefined ? 'chunked' : req.headers['content-length'] !== undefined ? 'content-length' : 'none';
      const exchange: Exchange = { method: req.method!, url: req.url!, headers: req.headers, body, framing };
      exchanges.push(exchange);
      const pathname = req.url!.split('?')[0];
      if (basePath !== '' && pathname !== basePath && !pathname.startsWith(`${basePath}/`)) {
        exchange.outsideBasePath = true;
        res.writeHead(404, { 'content-type': 'application/problem+json' });
        res.end(JSON.stringify({ type: 'recorder#OUTSIDE_BASE_PATH', title: `request outside the base path ${basePath}`, status: 404 }));
        return;
      }
      const headers: http.OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(name) && value !== undefined) headers[name] = value;
      // Prism reads a body only when content-length or transfer-encoding says there is one.
      if (framing !== 'none') headers['content-length'] = String(body.length);
      const upstream = http.request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url!.slice(basePath.length) || '/', headers, agent },
        (answer) => {
          const parts: Buffer[] = [];
          answer.on('data', (c: Buffer) => parts.push(c));
          answer.on('end', () => {
            const answerBody = Buffer.concat(parts);
            exchange.response = { status: answer.statusCode!, headers: answer.headers, body: answerBody };
            const out: http.OutgoingHttpHeaders = {};
            for (const [name, value] of Object.entries(answer.headers)) if (!HOP_BY_HOP.has(name) && value !== undefined) out[name] = value;
            out['content-length'] = String(answerBody.length);
            res.writeHead(answer.statusCode!, out);
            res.end(answerBody);
          });
          answer.on('error', (error) => fail(error));
        },
      );
      const fail = (error: Error) => {
        exchange.error = error.message;
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`recorder: ${error.message}`);
      };
      upstream.on('error', fail);
      upstream.end(framing === 'none' ? undefined : body);
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}${basePath}`,
    exchanges,
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
