/**
 * Identical concurrent reads share one request (the hub's first HTTP stage; exchange.ts):
 * a GET or HEAD with the same connector, tenant, connection, URL and headers as one
 * already in flight waits for that one's answer instead of sending its own, as undici's
 * `deduplicate` interceptor does. Ten agents asking for the same issue at once cost one
 * upstream request, one cache lookup and one rate-limit token.
 *
 * Only requests that would be answered alike are merged: the key covers every header
 * (Accept, Authorization...), so nothing crosses tenants, connections or tokens. Bodies
 * mean mutations or searches: never merged.
 *
 * Cancelling: a caller that gives up stops waiting at once; the shared request goes on
 * for the others and is cancelled only when every caller has given up.
 */
import { digest } from './cache-key';
import type { Exchange, ExchangeRequest, ExchangeResponse, ExchangeStage } from './exchange';
import { abortReason } from './retry';

const MERGED_METHODS = new Set(['GET', 'HEAD']);

interface Waiter {
  resolve(response: ExchangeResponse): void;
  reject(error: unknown): void;
  onBody?: ExchangeRequest['onBody'];
}

class Flight {
  readonly waiters = new Set<Waiter>();
  readonly controller = new AbortController();
}

export function dedupeKey(request: ExchangeRequest): string {
  const { connectorId, tenantId, connectionId } = request.scope;
  const headers = Object.entries(request.headers)
    .map(([name, value]) => [name.toLowerCase(), value])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return digest([connectorId, tenantId ?? null, connectionId ?? null, request.method.toUpperCase(), request.url, headers]);
}

export function createDedupeStage(): ExchangeStage {
  return (next: Exchange): Exchange => {
    const inFlight = new Map<string, Flight>();

    function start(key: string, request: ExchangeRequest): Flight {
      const flight = new Flight();
      inFlight.set(key, flight);
      const sent = next({
        ...request,
        signal: flight.controller.signal,
        onBody: (received, total) => {
          for (const waiter of flight.waiters) waiter.onBody?.(received, total);
        },
      });
      // The flight leaves the map before any caller hears the answer: a caller that sends the
      // same request again at once must start a new one, not join this finished one.
      const land = () => {
        if (inFlight.get(key) === flight) inFlight.delete(key);
      };
      sent.then(
        (response) => {
          land();
          let first = true;
          for (const waiter of flight.waiters) {
            // Each caller gets its own response object; the body buffer is shared and never written.
            waiter.resolve({ ...response, headers: { ...response.headers }, ...(first ? {} : { shared: true }) });
            first = false;
          }
        },
        (error: unknown) => {
          land();
          for (const waiter of flight.waiters) waiter.reject(error);
        },
      );
      return flight;
    }

    return (request) => {
      if (!MERGED_METHODS.has(request.method.toUpperCase()) || request.body !== undefined) return next(request);
      if (request.signal.aborted) return Promise.reject(abortReason(request.signal));
      const key = dedupeKey(request);
      const flight = inFlight.get(key) ?? start(key, request);
      return new Promise<ExchangeResponse>((resolve, reject) => {
        const onAbort = () => {
          flight.waiters.delete(waiter);
          reject(abortReason(request.signal));
          if (flight.waiters.size === 0) {
            // Nobody waits any more: the request stops, and the next identical call sends its own.
            if (inFlight.get(key) === flight) inFlight.delete(key);
            flight.controller.abort(abortReason(request.signal));
          }
        };
        const done = () => request.signal.removeEventListener('abort', onAbort);
        const waiter: Waiter = {
          resolve: (response) => {
            done();
            resolve(response);
          },
          reject: (error) => {
            done();
            reject(error);
          },
          ...(request.onBody ? { onBody: request.onBody } : {}),
        };
        flight.waiters.add(waiter);
        request.signal.addEventListener('abort', onAbort, { once: true });
      });
    };
  };
}
