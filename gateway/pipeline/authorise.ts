/**
 * Stage 2: may this principal call this tool? The toolsets of its key (or token) and
 * the read-only flag. Sessions do not list what their principal may not call, so the
 * MCP server already answers such a call as an unknown tool; this stage holds the rule
 * for every other way into the pipeline, with the reason in the error.
 */
import { errors } from '../../errors';
import type { Principal } from '../../auth';
import { type Stage, type RegisteredTool, parseToolsets, visibleIn } from '../core';

/** What a principal may see and call: its toolsets, and only read-only tools for a read-only key. */
export function principalFilter(principal: Principal | undefined): ((tool: RegisteredTool) => boolean) | undefined {
  if (!principal) return undefined;
  const inToolsets = principal.toolsets.length > 0 ? visibleIn(parseToolsets(principal.toolsets.join(','))) : undefined;
  if (!inToolsets && !principal.readOnly) return undefined;
  return (tool) => (!inToolsets || inToolsets(tool)) && (!principal.readOnly || tool.tool.annotations?.readOnlyHint === true);
}

export const authorise: Stage = (next) => async (ctx) => {
  const allowed = principalFilter(ctx.principal);
  if (allowed && !allowed(ctx.registered!)) {
    const p = ctx.principal!;
    const why =
      p.readOnly && ctx.registered!.tool.annotations?.readOnlyHint !== true
        ? 'the key is read-only and this tool changes data'
        : `the tool is outside the key's toolsets (${p.toolsets.join(', ')})`;
    throw errors.AUTH_FORBIDDEN([`${ctx.toolName} may not be called by agent ${p.agentId} of tenant "${p.tenantName}": ${why}`]);
  }
  return next(ctx);
};
