/**
 * The stages that sit before the upstream call. Order (first sees the call first):
 *
 *   resolveTool -> authorise -> validateArguments -> quota -> buildUpstreamRequest -> credentials -> send
 *
 * send runs the HTTP half (gateway/upstream/exchange.ts): cache -> retry -> circuit
 * breaker -> rate limit -> undici, so a cached answer costs no limiter token and every
 * retry passes the limiter again. The cache keys on the connection the credentials
 * stage chose, so it sits after that stage and before the socket.
 */
import { errors } from '../../errors';
import { buildRequest } from './build-request';
import type { Stage } from './compose';

export const resolveTool: Stage = (next) => async (ctx) => {
  const registered = ctx.snapshot.byName.get(ctx.toolName);
  if (!registered || (ctx.visible && !ctx.visible(registered))) throw errors.CALL_UNKNOWN_TOOL([ctx.toolName]);
  ctx.registered = registered;
  ctx.connector = ctx.snapshot.connectors.get(registered.connectorId)!.runtime;
  return next(ctx);
};

export const buildUpstreamRequest: Stage = (next) => async (ctx) => {
  ctx.request = buildRequest(ctx.registered!, ctx.args, ctx.connector!);
  return next(ctx);
};
