/** What every kind of tool has, whatever runs it (core/tool.ts lists the kinds). */
import type { McpTool } from '../../generators';

export interface ToolBase {
  /** Which ToolKind runs it. */
  readonly kind: string;
  /** The connector (or tool source) it belongs to; toolsets and audit use it. */
  connectorId: string;
  tool: McpTool;
  /** Tags that `connector:tag` toolsets match (an operation's tags for HTTP tools). */
  readonly tags?: readonly string[];
  /** The connector's named toolsets this tool is in (its connector file's `toolsets`). */
  readonly toolsets?: readonly string[];
  /** False when the connector has default toolsets and this tool is in none of them: listed only when asked for. */
  readonly inDefault?: boolean;
}
