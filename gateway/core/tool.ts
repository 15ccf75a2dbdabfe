/**
 * A tool is one of several kinds behind one interface (DESIGN.md): every kind has an
 * MCP face and belongs to a connector (or a built-in source such as `hub`); what runs
 * when it is called is its kind's business (a ToolKind, registered once in
 * pipeline/tool-kinds.ts). The generic stages (observe, resolve, authorise, validate,
 * quota) only ever look at `ToolBase`.
 *
 * To add a kind: a new interface here with its own `kind` literal joined to
 * `RegisteredTool`, and a ToolKind module registered in pipeline/tool-kinds.ts.
 */
import type { HttpOperationTool } from './http';

/** Every kind the hub serves today; GraphQL operations, workflows, code tools, agent skills, meta-tools and multi-modal built-ins join this union. */
export type RegisteredTool = HttpOperationTool;

export type ToolKindName = RegisteredTool['kind'];

/** The tags a toolset filter matches for any kind. */
export function tagsOf(tool: RegisteredTool): readonly string[] {
  return tool.tags ?? (tool.kind === 'http' ? tool.operation.tags : []);
}
