/**
 * Which tools a session sees. With no toolsets asked for, every connector's default set
 * (its connector file's `defaultToolsets`; all its tools when it names none); one
 * connector's default set at `/mcp/<connector>`. Toolsets picked by query,
 * `?toolsets=github:issues,jira`: `connector` for all of its tools, `connector:name` for
 * the tools of its named toolset `name` and those of the OpenAPI tag `name`.
 * An agent key's toolsets use the same words.
 */
import { errors } from '../../errors';
import { tagsOf, type RegisteredTool } from './tool';

/** Of one connector: every tool, its default set, or the named toolsets and tags given (lower-case). */
export type ConnectorPick = 'all' | 'default' | ReadonlySet<string>;

export interface ToolView {
  /** connector id -> what of it is seen; absent: every connector's default set. */
  readonly connectors?: ReadonlyMap<string, ConnectorPick>;
  readonly describe: string;
  /** tools/list holds only the discovery meta-tools (search_tools, describe_tool, call_tool); calls still see every tool of the view. */
  readonly dynamic?: boolean;
}

/** Every connector's default set: what a session sees when it asks for nothing. */
export const DEFAULT_VIEW: ToolView = Object.freeze({ describe: '(default toolsets)' });

const TOOLSET = /^([a-z0-9](?:[a-z0-9-]{0,22}[a-z0-9])?)(?::(.+))?$/;

/** Parses `github:issues,jira`; undefined or '' means each connector's default set (of `connector` only, when given). */
export function parseToolsets(query: string | undefined, connector?: string): ToolView {
  const connectors = new Map<string, Set<string>>();
  const entries = (query ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const entry of entries) {
    const match = TOOLSET.exec(entry);
    if (!match) throw errors.CONFIG_USAGE([`toolsets: "${entry}" is not "connector" or "connector:toolset"`]);
    const [, id, name] = match;
    if (connector !== undefined && id !== connector) throw errors.CONFIG_USAGE([`toolsets: "${entry}" is not part of connector "${connector}"`]);
    const names = connectors.get(id) ?? new Set<string>();
    names.add(name === undefined ? '*' : name.toLowerCase());
    connectors.set(id, names);
  }
  if (connectors.size === 0) return connector === undefined ? DEFAULT_VIEW : { connectors: new Map([[connector, 'default']]), describe: connector };
  const picks = new Map<string, ConnectorPick>([...connectors].map(([id, names]) => [id, names.has('*') ? 'all' : names]));
  return { connectors: picks, describe: entries.join(',') };
}

export function visibleIn(view: ToolView | undefined): ((tool: RegisteredTool) => boolean) | undefined {
  if (!view) return undefined;
  const { connectors } = view;
  // The default sets keep a tool list small; with dynamic discovery the list is three tools, and search reaches every tool.
  const defaultsOnly = view.dynamic !== true;
  if (!connectors) return defaultsOnly ? (tool) => tool.inDefault !== false : undefined;
  return (tool) => {
    const pick = connectors.get(tool.connectorId);
    if (pick === undefined) return false;
    if (pick === 'all') return true;
    if (pick === 'default') return !defaultsOnly || tool.inDefault !== false;
    return inToolsets(tool, pick);
  };
}

/** `?tools=dynamic` (or `mcp.tools: dynamic`): the same view, listed as the discovery meta-tools. */
export function withToolsMode(view: ToolView, mode: string | undefined): ToolView {
  if (mode === undefined || mode === 'all') return view;
  if (mode !== 'dynamic') throw errors.CONFIG_USAGE([`tools: "${mode}" is not "all" or "dynamic"`]);
  return { ...view, dynamic: true, describe: `${view.describe} (dynamic)` };
}

/** A named toolset of the tool's connector, or a tag of the tool (case-insensitive). */
function inToolsets(tool: RegisteredTool, names: ReadonlySet<string>): boolean {
  if (tool.toolsets?.some((t) => names.has(t))) return true;
  return tagsOf(tool).some((t) => names.has(t.toLowerCase()));
}
