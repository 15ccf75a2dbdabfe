/**
 * The last stage: the request on the wire with undici (one pooled Agent per connect
 * timeout; the connector's headers and body timeouts; redirects not followed), the body
 * read up to the connector's cap. A traced call's request carries `traceparent` here, per
 * attempt (core/trace.ts).
 *
 * Each pipeline makes its own (createUndiciExchange) and closes its pools with itself, so
 * two hubs in one process, or a plugin, never share or close each other's sockets.
 */
import { Agent, request, type Dispatcher } from 'undici';
import { readBodyCapped } from './read-body';
import { traceHeaders } from '../core';
import type { Exchange } from './exchange';

export interface UndiciExchange {
  exchange: Exchange;
  /** Closes the pools; calls in flight finish first. */
  close(): Promise<void>;
}

export function createUndiciExchange(): UndiciExchange {
  const agents = new Map<number, Agent>();
  const agentFor = (connectMs: number): Agent => {
    let agent = agents.get(connectMs);
    if (!agent) {
      agent = new Agent({ connect: { timeout: connectMs }, keepAliveTimeout: 30_000 });
      agents.set(connectMs, agent);
    }
    return agent;
  };
  const exchange: Exchange = async (req) => {
    const { connector } = req;
    const response = await request(req.url, {
      method: req.method as Dispatcher.HttpMethod,
      // Each attempt is a span of its own: the same trace id, a new span id.
      headers: req.trace ? { ...req.headers, ...traceHeaders(req.trace) } : req.headers,
      body: req.body as Dispatcher.DispatchOptions['body'],
      signal: req.signal,
      dispatcher: agentFor(connector.timeouts.connectMs),
      headersTimeout: connector.timeouts.headersMs,
      bodyTimeout: connector.timeouts.bodyMs,
    });
    const declared = Number(response.headers['content-length']);
    const declaredBytes = Number.isFinite(declared) && declared >= 0 ? declared : undefined;
    const body = req.onBody ? countBytes(response.body, declaredBytes, req.onBody) : response.body;
    const { body: bytes, truncated } = await readBodyCapped(body, connector.maxResponseBytes);
    return {
      status: response.statusCode,
      headers: response.headers,
      body: bytes,
      truncated,
      ...(declaredBytes !== undefined ? { declaredBytes } : {}),
      attempts: 1,
    };
  };
  return {
    exchange,
    async close() {
      const all = [...agents.values()];
      agents.clear();
      await Promise.all(all.map((a) => a.close()));
    },
  };
}

/**
 * A process-wide instance for the suites and benches that compose an exchange by hand
 * (test/upstream/*, bench/upstream.js). The hub, its pipelines and connection tests
 * never use it: each makes its own with createUndiciExchange().
 */
const shared = createUndiciExchange();
export const undiciExchange: Exchange = shared.exchange;
export const closeAgents: () => Promise<void> = () => shared.close();

async function* countBytes(
  body: AsyncIterable<Uint8Array>,
  total: number | undefined,
  onBody: (received: number, total: number | undefined) => void,
): AsyncGenerator<Uint8Array> {
  let received = 0;
  for await (const chunk of body) {
    received += chunk.length;
    onBody(received, total);
    yield chunk;
  }
}
