/** What every admin router shares: one handler shape, reading request fields, and answering errors as JSON. */
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { errors, toHubError } from '../../errors';
import type { Actor } from '../admin-operations';

/** A handler of the signed-in admin (the session middleware put the actor in `res.locals`). */
export const route =
  (handler: (actor: Actor, req: Request) => Promise<unknown>, status = 200) =>
  (req: Request, res: Response, next: NextFunction) => {
    handler(res.locals.actor as Actor, req).then((body) => res.status(status).json(body), next);
  };

export const body = (req: Request): Record<string, unknown> => (req.body && typeof req.body === 'object' ? req.body : {});

export const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** A body field that may be left out: a value of another type is a 400 naming it, never read as "not given". */
export const field = (b: Record<string, unknown>, name: string): string | undefined => {
  const value = b[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value === '')
    throw errors.API_BAD_REQUEST([`${name} must be a non-empty string (got ${JSON.stringify(value).slice(0, 40)})`]);
  return value;
};

export function isoTime(field: string, value: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw errors.API_BAD_REQUEST([`${field} must be a date-time such as 2026-11-26T10:00:00Z`]);
  return new Date(ms).toISOString();
}

export function sendError(res: Response, error: { code: string; message: string; httpStatus: number }): void {
  if (error.httpStatus === 401) res.set('www-authenticate', 'Bearer realm="lunar-hub-admin"');
  res.status(error.httpStatus).json({ error: { code: error.code, message: error.code === 'HUB_ERR_INTERNAL' ? 'Internal error' : error.message } });
}

export function notFound(_req: Request, res: Response): void {
  sendError(res, errors.API_NOT_FOUND(['No such admin API route']));
}

export function errorHandler(log: Logger) {
  return (error: unknown, _req: Request, res: Response, _next: NextFunction): void => {
    // body-parser's refusals (broken JSON, a body over the limit) are the client's mistake, not ours.
    const parser = error as { status?: unknown; type?: unknown; message?: unknown };
    const hubError =
      typeof parser.status === 'number' && parser.status >= 400 && parser.status < 500 && typeof parser.type === 'string'
        ? errors.API_BAD_REQUEST([`the request body cannot be read: ${String(parser.message)}`])
        : toHubError(error);
    // The message only: an error's cause may hold request values (a password, a token).
    if (hubError.code === 'HUB_ERR_INTERNAL') log.error({ err: hubError.message }, 'admin API request failed');
    sendError(res, hubError);
  };
}
