/**
 * Stage 9 and 10: the upstream exchange (gateway/upstream: shared reads, cache, retries, breaker,
 * rate limit, undici) and the answer mapped into an MCP result. When the client asked
 * for progress, long waits and large downloads report it.
 */
import { httpToolOf, upstreamResponse, type CallContext, type CallFn, type UpstreamEvent } from '../core';
import type { OutputConformer } from './conform-output';
import { mapResponse } from './map-result';
import { withNextPage } from './pagination';
import type { Exchange } from '../upstream/exchange';

/** Report progress while waiting for headers, every so often. */
const WAIT_PROGRESS_EVERY = 1000; // milliseconds
/** And while the body arrives, at most this often. */
const BODY_PROGRESS_EVERY = 250; // milliseconds

export function createSend(exchange: Exchange, output: OutputConformer): CallFn {
  return async (ctx) => {
    const { request: upstream, connector, credential } = ctx.http!;
    const registered = httpToolOf(ctx);
    const started = performance.now();
    const stopWaiting = reportWaiting(ctx, started);
    let lastReport = 0;
    let response;
    try {
      response = await exchange({
        ...upstream!,
        signal: ctx.signal,
        connector: connector!,
        ...(ctx.trace ? { trace: ctx.trace } : {}),
        scope: {
          connectorId: connector!.id,
          tool: registered.tool.name,
          operation: registered.operation.key,
          ...(ctx.principal ? { tenantId: ctx.principal.tenantId } : {}),
          ...(credential ? { connectionId: credential.connection.id } : {}),
        },
        onBody: (received, total) => {
          const now = performance.now();
          if (now - lastReport < BODY_PROGRESS_EVERY) return;
          lastReport = now;
          ctx.progress(received, total, `received ${received} bytes`);
        },
      });
    } finally {
      stopWaiting();
    }
    ctx.facts.upstreamStatus = response.status;
    const event: UpstreamEvent = {
      connector: connector!.id,
      tool: registered.tool.name,
      method: upstream!.method,
      status: response.status,
      durationMs: performance.now() - started,
    };
    if (upstreamResponse.hasSubscribers) upstreamResponse.publish(event);
    ctx.log.debug({ ...event, attempts: response.attempts, cache: response.cache, shared: response.shared }, 'upstream answered');
    const result = output.conform(registered, mapResponse(registered, response, connector!), ctx.log);
    return withNextPage(registered, connector!, response, ctx.args, result);
  };
}

function reportWaiting(ctx: CallContext, started: number): () => void {
  const timer = setInterval(() => {
    const seconds = Math.round((performance.now() - started) / 1000);
    ctx.progress(seconds, undefined, `waiting for the upstream (${seconds} s)`);
  }, WAIT_PROGRESS_EVERY);
  timer.unref();
  return () => clearInterval(timer);
}
