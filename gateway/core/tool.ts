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
import type { McpTool } from '../../generators/tool';
import type { CallFn, StageTrace } from './call';
import type { HttpOperationTool } from './http';

export interface ToolBase {
  /** Which ToolKind runs it. */
  readonly kind: string;
  /** The connector (or tool source) it belongs to; toolsets and audit use it. */
  connectorId: string;
  tool: McpTool;
  /** Tags that `connector:tag` toolsets match (an operation's tags for HTTP tools). */
  readonly tags?: readonly string[];
}

/** Every kind the hub serves today; GraphQL operations, workflows, code tools, agent skills, meta-tools and multi-modal built-ins join this union. */
export type RegisteredTool = HttpOperationTool;

export type ToolKindName = RegisteredTool['kind'];

/**
 * What runs a tool of one kind once the generic stages have let the call through.
 * `invoke` is built once per pipeline from the hub's services.
 */
export interface ToolKind<Services = unknown> {
  readonly kind: ToolKindName;
  createInvoker(services: Services, trace?: StageTrace): CallFn;
}

/** The tags a toolset filter matches for any kind. */
export function tagsOf(tool: RegisteredTool): readonly string[] {
  return tool.tags ?? (tool.kind === 'http' ? tool.operation.tags : []);
}
