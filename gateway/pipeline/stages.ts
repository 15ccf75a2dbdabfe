/**
 * The stages that sit before the upstream call. Order (first sees the call first):
 *
 *   resolveTool -> authorise -> validateArguments -> buildUpstreamRequest -> credentials -> send
 *
 * Later issues slot quota (after validate), cache (before credentials: a cached answer
 * costs no token) and rate limiting (around send) into this list without reshaping it.
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
