/**
 * Stage 9 and 10: send the request with undici (one pooled Agent per connect timeout,
 * redirects not followed) and map the answer into an MCP result. The body is read up
 * to the connector's cap, so a huge download costs at most that much memory. When the
 * client asked for progress, long waits and large downloads report it.
 */
import { Agent, request, type Dispatcher } from 'undici';
import type { CallFn, CallContext } from './compose';
import { upstreamResponse, type UpstreamEvent } from './diagnostics';
import { conformOutput } from './conform-output';
import { mapResponse } from './map-result';
import { readBodyCapped } from './read-body';

/** Report progress while waiting for headers, every so often. */
const WAIT_PROGRESS_EVERY = 1000; // milliseconds

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

export const send: CallFn = async (ctx) => {
  const { request: upstream, connector, registered } = ctx;
  const started = performance.now();
  const stopWaiting = reportWaiting(ctx, started);
  let response: Dispatcher.ResponseData;
  try {
    response = await request(upstream!.url, {
      method: upstream!.method as Dispatcher.HttpMethod,
      headers: upstream!.headers,
      body: upstream!.body as Dispatcher.DispatchOptions['body'],
      signal: ctx.signal,
      dispatcher: agentFor(connector!.timeouts.connectMs),
      headersTimeout: connector!.timeouts.headersMs,
      bodyTimeout: connector!.timeouts.bodyMs,
    });
  } finally {
    stopWaiting();
  }
  ctx.upstreamStatus = response.statusCode;
  const declared = Number(response.headers['content-length']);
  const declaredBytes = Number.isFinite(declared) && declared >= 0 ? declared : undefined;
  let received = 0;
  let lastReport = 0;
  const counted = countBytes(response.body, (n) => {
    received += n;
    const now = performance.now();
    if (now - lastReport >= 250) {
      lastReport = now;
      ctx.progress(received, declaredBytes, `received ${received} bytes`);
    }
  });
  const { body, truncated } = await readBodyCapped(counted, connector!.maxResponseBytes);
  const event: UpstreamEvent = { connector: connector!.id, tool: registered!.tool.name, method: upstream!.method, status: response.statusCode, durationMs: performance.now() - started };
  if (upstreamResponse.hasSubscribers) upstreamResponse.publish(event);
  ctx.log.debug(event, 'upstream answered');
  const result = mapResponse(registered!, { status: response.statusCode, headers: response.headers, body, truncated, declaredBytes }, connector!);
  return conformOutput(registered!, result, ctx.log);
};

async function* countBytes(body: AsyncIterable<Uint8Array>, onBytes: (n: number) => void): AsyncGenerator<Uint8Array> {
  for await (const chunk of body) {
    onBytes(chunk.length);
    yield chunk;
  }
}

function reportWaiting(ctx: CallContext, started: number): () => void {
  const timer = setInterval(() => {
    const seconds = Math.round((performance.now() - started) / 1000);
    ctx.progress(seconds, undefined, `waiting for the upstream (${seconds} s)`);
  }, WAIT_PROGRESS_EVERY);
  timer.unref();
  return () => clearInterval(timer);
}
