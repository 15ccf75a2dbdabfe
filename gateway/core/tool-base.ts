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
}
