/**
 * Handing a request to the worker that owns its 2025-11-25 session, over that
 * worker's private loopback port: the answer (a JSON body or an event stream) is
 * piped back as it comes. The body was already parsed here, so it is sent again as
 * JSON. Headers go as they came (the owner authenticates the request itself), with
 * one more saying it was forwarded, so that it is never forwarded twice.
 */
import http from 'node:http';
import type { Request, Response } from 'express';
import { FORWARDED_HEADER } from './messages';

const agent = new http.Agent({ keepAlive: true });

export function forwardRequest(port: number, req: Request, res: Response): void {
  const body = req.method === 'POST' && req.body !== undefined ? Buffer.from(JSON.stringify(req.body)) : undefined;
  const headers: http.OutgoingHttpHeaders = { ...req.headers, [FORWARDED_HEADER]: '1' };
  delete headers['content-length'];
  delete headers['transfer-encoding'];
  delete headers.connection;
  if (body) headers['content-length'] = String(body.length);
  const onward = http.request({ host: '127.0.0.1', port, method: req.method, path: req.originalUrl, headers, agent }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  onward.on('error', () => {
    if (res.headersSent) return void res.destroy();
    res
      .status(502)
      .json({ jsonrpc: '2.0', error: { code: -32603, message: 'The worker holding this session is not reachable; start a new session' }, id: null });
  });
  // The client went away (an event stream closed): so does the request to the owner.
  res.on('close', () => {
    if (!res.writableFinished) onward.destroy();
  });
  onward.end(body);
}
