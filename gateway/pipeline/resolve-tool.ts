/**
 * Stage 1: the tool in the snapshot the call started on. A tool the session cannot see is
 * unknown to it, like one that does not exist (the MCP adapter turns this error into a
 * JSON-RPC error with the nearest names).
 */
import { errors } from '../../errors';
import type { Stage } from '../core';

export const resolveTool: Stage = (next) => async (ctx) => {
  const registered = ctx.snapshot.byName.get(ctx.toolName);
  if (!registered || (ctx.visible && !ctx.visible(registered))) throw errors.CALL_UNKNOWN_TOOL([ctx.toolName]);
  ctx.registered = registered;
  return next(ctx);
};
