/**
 * Load shedding at `/mcp`: when this process is already as busy as it should be, a new
 * request is answered at once with HTTP 503, `Retry-After` and a JSON-RPC error carrying
 * `HUB_ERR_OVERLOADED`, instead of joining a queue that makes every call slow and grows
 * memory without bound. Two limits on the requests in flight in this process:
 * - `server.maxInFlight`, always: bounds memory and the upstream connections one process
 *   holds, whatever the upstream's latency;
 * - `server.maxInFlightBusy`, lower, while the event loop is saturated (busy at least 90%
 *   of the last 50 ms, `performance.eventLoopUtilization`). Calls to a slow upstream
 *   wait on sockets and cost no CPU, so many of them may be in flight; but when the CPU
 *   is what they wait for, every request taken beyond a few only lengthens the queue
 *   that all of them wait in.
 *
 * Hand-written: the express-side libraries for this (toobusy-js, overload-protection)
 * are unmaintained and neither counts requests in flight; fastify's under-pressure is
 * fastify's. The refusal is decided before the body is read or the key is checked, and
 * written with node's own response methods, so that refusing costs a fraction of a call.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors } from '../../errors';

export interface AdmissionOptions {
  /** Requests served at once by this process; more are shed. */
  maxInFlight: number;
  /** Requests served at once while the event loop is saturated. */
  maxInFlightBusy: number;
  /** What `Retry-After` says (seconds). */
  retryAfterSeconds?: number;
  /** Told of every shed request (metrics). */
  onShed?: (reason: ShedReason) => void;
}

export type ShedReason = 'in-flight' | 'busy';

export interface AdmissionGate {
  middleware: (req: IncomingMessage, res: ServerResponse, next: () => void) => void;
  stats(): { inFlight: number; shed: number; busy: boolean };
  close(): void;
}

/** How often the loop's utilisation is read, and over how long a window (50 ms). */
const TICK_MS = 10;
const WINDOW_TICKS = 5;
const BUSY_UTILISATION = 0.9;

export function admissionGate(options: AdmissionOptions): AdmissionGate {
  const retryAfter = String(options.retryAfterSeconds ?? 1);
  let inFlight = 0;
  let shed = 0;
  let busy = false;
  // A ring of utilisation snapshots: the window is the oldest one to now.
  const marks = Array.from({ length: WINDOW_TICKS }, () => performance.eventLoopUtilization());
  let tick = 0;
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    busy = performance.eventLoopUtilization(now, marks[tick]).utilization >= BUSY_UTILISATION;
    marks[tick] = now;
    tick = (tick + 1) % WINDOW_TICKS;
  }, TICK_MS);
  timer.unref();
  // Read again when it matters: one pass of a flooded loop reads hundreds of requests
  // after its timers ran, and the last tick has not seen that pass yet.
  const busyNow = (): boolean => busy || performance.eventLoopUtilization(performance.eventLoopUtilization(), marks[tick]).utilization >= BUSY_UTILISATION;

  const refuse = (res: ServerResponse, reason: ShedReason, limit: number): void => {
    shed++;
    options.onShed?.(reason);
    const why =
      reason === 'in-flight'
        ? `${limit} requests in flight (server.maxInFlight)`
        : `its event loop is saturated and ${limit} requests are in flight (server.maxInFlightBusy)`;
    const error = errors.OVERLOADED([why, retryAfter]);
    const body = JSON.stringify({
      jsonrpc: '2.0',
      error: { code: -32000, message: `${error.code}: ${error.message}`, data: { code: error.code, retryAfterSeconds: Number(retryAfter) } },
      id: null,
    });
    // Keep-alive stays: Connection: close would cost the client a new handshake for its retry.
    res.writeHead(503, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'retry-after': retryAfter }).end(body);
  };

  return {
    middleware(req, res, next) {
      // A 2026-07-28 subscription stream stays open for as long as its client listens, and
      // costs nothing meanwhile: it is not a request in flight.
      if (req.headers['mcp-method'] === 'subscriptions/listen') return next();
      if (inFlight >= options.maxInFlight) return refuse(res, 'in-flight', options.maxInFlight);
      if (inFlight >= options.maxInFlightBusy && busyNow()) return refuse(res, 'busy', options.maxInFlightBusy);
      inFlight++;
      // close fires once for every response, finished or aborted by the client.
      res.once('close', () => inFlight--);
      next();
    },
    stats: () => ({ inFlight, shed, busy }),
    close: () => clearInterval(timer),
  };
}
