/**
 * The last stage: the request on the wire with undici (one pooled Agent per connect
 * timeout; the connector's headers and body timeouts; redirects not followed), the body
 * read up to the connector's cap.
 */
import { Agent, request, type Dispatcher } from 'undici';
import { readBodyCapped } from './read-body';
import type { Exchange } from './exchange';

const agents = new Map<number, Agent>();

function agentFor(connectMs: number): Agent {
  let agent = agents.get(connectMs);
  if (!agent) {
    agent = new Agent({ connect: { timeout: connectMs }, keepAliveTimeout: 30_000 });
    agents.set(connectMs, agent);
  }
  return agent;
}

export async function closeAgents(): Promise<void> {
  const all = [...agents.values()];
  agents.clear();
  await Promise.all(all.map((a) => a.close()));
}

export const undiciExchange: Exchange = async (req) => {
  const { connector } = req;
  const response = await request(req.url, {
    method: req.method as Dispatcher.HttpMethod,
    headers: req.headers,
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
  return { status: response.statusCode, headers: response.headers, body: bytes, truncated, ...(declaredBytes !== undefined ? { declaredBytes } : {}), attempts: 1 };
};

async function* countBytes(body: AsyncIterable<Uint8Array>, total: number | undefined, onBody: (received: number, total: number | undefined) => void): AsyncGenerator<Uint8Array> {
  let received = 0;
  for await (const chunk of body) {
    received += chunk.length;
    onBody(received, total);
    yield chunk;
  }
}
