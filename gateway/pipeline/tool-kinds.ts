/**
 * The tool kinds the pipeline can run, one registration line each, and the terminal
 * that hands a call to its kind once the generic stages have let it through.
 */
import type { CallFn, StageTrace, ToolKind, ToolKindName } from '../core';
import { httpToolKind, type HttpToolServices } from './http-tool';

/** What every kind may draw on; each takes the part it needs. */
export type ToolKindServices = HttpToolServices;

export const TOOL_KINDS: readonly ToolKind<ToolKindServices>[] = [httpToolKind];

export function dispatchToKind(services: ToolKindServices, trace?: StageTrace, kinds: readonly ToolKind<ToolKindServices>[] = TOOL_KINDS): CallFn {
  const invokers = new Map<ToolKindName, CallFn>(kinds.map((k) => [k.kind, k.createInvoker(services, trace)]));
  return async (ctx) => {
    const kind = ctx.registered!.kind;
    const invoke = invokers.get(kind);
    if (!invoke) throw new Error(`no tool kind "${kind}" is registered (pipeline/tool-kinds.ts)`);
    return invoke(ctx);
  };
}
