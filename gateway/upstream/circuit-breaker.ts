/**
 * The circuit breaker (docs/caching.md "Circuit breaker"): one circuit per upstream
 * host, shared by every tenant and connector that calls it (a host that is down is
 * down for all).
 *
 *   closed --(`failures` consecutive network errors or 5xx)--> open
 *   open   --(calls fail fast with HUB_ERR_UPSTREAM_CIRCUIT_OPEN for `coolDownMs`)--> half-open
 *   half-open: one trial call goes through; others still fail fast
 *     trial succeeds --> closed        trial fails --> open again (a new cool-down)
 *
 * The thresholds are the calling connector's (`circuitBreaker` in its connector file).
 * What counts as a failure: an error thrown by the stages below that is not the hub's
 * own (a coded HUB_ERR_*, such as the rate limiter's) and not the caller giving up
 * (its signal aborted), or an answer with status 500-599. Answers that start before a
 * circuit opens and end after it are not counted again (each state change starts a new
 * epoch and late results of an older one are ignored).
 */
import { errors, isHubError, type HubError } from '../../errors';
import type { Exchange, ExchangeRequest, ExchangeStage } from './exchange';
import { DEFAULT_UPSTREAM_POLICY, type CircuitPolicy } from '../core';

export type CircuitStateName = 'closed' | 'open' | 'half-open';

export interface CircuitState {
  state: CircuitStateName;
  /** Consecutive failures counted so far (those that opened it, while open). */
  failures: number;
  /** When it opened (ms since the epoch); open and half-open only. */
  openedAt?: number;
  /** When the next trial may go through; open only. */
  retryAt?: number;
}

export interface CircuitBreakerOptions {
  /** The clock (tests move it). */
  now?: () => number;
}

export type CircuitBreakerStage = ExchangeStage & {
  /** The circuit of one host (`host[:port]` as in the URL); closed with 0 failures when never seen. */
  state(host: string): CircuitState;
};

interface Circuit {
  state: CircuitStateName;
  failures: number;
  openedAt: number;
  coolDownMs: number;
  /** A half-open circuit's trial is on its way. */
  trial: boolean;
  /** Bumped on every change of state: results of calls from an older epoch are not counted. */
  epoch: number;
}

export function createCircuitBreakerStage(options: CircuitBreakerOptions = {}): CircuitBreakerStage {
  const now = options.now ?? Date.now;
  const circuits = new Map<string, Circuit>();

  const circuitOf = (host: string): Circuit => {
    let circuit = circuits.get(host);
    if (!circuit) {
      circuit = { state: 'closed', failures: 0, openedAt: 0, coolDownMs: 0, trial: false, epoch: 0 };
      circuits.set(host, circuit);
    }
    return circuit;
  };

  const open = (circuit: Circuit, settings: CircuitPolicy) => {
    circuit.state = 'open';
    circuit.openedAt = now();
    circuit.coolDownMs = settings.coolDownMs;
    circuit.trial = false;
    circuit.epoch++;
  };

  /** After a successful trial. */
  const close = (circuit: Circuit) => {
    circuit.state = 'closed';
    circuit.failures = 0;
    circuit.trial = false;
    circuit.epoch++;
  };

  const stage = ((next: Exchange): Exchange =>
    async (request) => {
      const settings = request.connector.policy?.circuitBreaker ?? DEFAULT_UPSTREAM_POLICY.circuitBreaker;
      const host = new URL(request.url).host;
      const circuit = circuitOf(host);

      let trial = false;
      if (circuit.state === 'open') {
        if (now() < circuit.openedAt + circuit.coolDownMs) throw openError(host, circuit, now());
        circuit.state = 'half-open';
        circuit.epoch++;
      }
      if (circuit.state === 'half-open') {
        if (circuit.trial) throw openError(host, circuit, now());
        circuit.trial = true;
        trial = true;
      }
      const epoch = circuit.epoch;

      const failed = () => {
        if (circuit.epoch !== epoch) return;
        circuit.failures++;
        if (trial || circuit.failures >= settings.failures) open(circuit, settings);
      };

      let response;
      try {
        response = await next(request);
      } catch (error) {
        if (countsAsFailure(error, request)) failed();
        else if (trial && circuit.epoch === epoch) {
          // Not the host's fault (the caller gave up, a hub limit): the next call is the trial.
          circuit.trial = false;
        }
        throw error;
      }
      if (response.status >= 500 && response.status <= 599) failed();
      else if (circuit.epoch === epoch) {
        if (trial) close(circuit);
        else circuit.failures = 0;
      }
      return response;
    }) as CircuitBreakerStage;

  stage.state = (host: string): CircuitState => {
    const circuit = circuits.get(host.toLowerCase());
    if (!circuit) return { state: 'closed', failures: 0 };
    if (circuit.state === 'closed') return { state: 'closed', failures: circuit.failures };
    return {
      state: circuit.state,
      failures: circuit.failures,
      openedAt: circuit.openedAt,
      ...(circuit.state === 'open' ? { retryAt: circuit.openedAt + circuit.coolDownMs } : {}),
    };
  };
  return stage;
}

function countsAsFailure(error: unknown, request: ExchangeRequest): boolean {
  if (request.signal.aborted) return false;
  if (isHubError(error)) return false;
  const name = (error as { name?: unknown } | null)?.name;
  const code = (error as { code?: unknown } | null)?.code;
  return name !== 'AbortError' && code !== 'UND_ERR_ABORTED';
}

function openError(host: string, circuit: Circuit, at: number): HubError {
  const retryAt = circuit.state === 'open' ? circuit.openedAt + circuit.coolDownMs : at;
  const retryAfterSeconds = Math.max(1, Math.ceil((retryAt - at) / 1000));
  const when =
    circuit.state === 'open' ? `at ${new Date(retryAt).toISOString()} (in ${retryAfterSeconds} s)` : 'as soon as the one trial call now in flight has answered';
  return errors.UPSTREAM_CIRCUIT_OPEN([host, new Date(circuit.openedAt).toISOString(), String(circuit.failures), when], {
    details: { host, openedAt: circuit.openedAt, failures: circuit.failures, retryAt, retryAfterSeconds },
  });
}
