/**
 * Which tools a session sees: every connector by default; one connector at
 * `/mcp/<connector>`; toolsets picked by query, `?toolsets=github:issues,jira`
 * (`connector` for all its tools, `connector:tag` for one tag's), until agent keys
 * carry their toolsets.
 */
import { errors } from '../../errors';
import { tagsOf, type RegisteredTool } from './tool';

export interface ToolView {
  /** connector id -> tags (an empty set: every tool of the connector). */
  readonly connectors: ReadonlyMap<string, ReadonlySet<string>>;
  readonly describe: string;
}

const TOOLSET = /^([a-z0-9](?:[a-z0-9-]{0,22}[a-z0-9])?)(?::(.+))?$/;

/** Parses `github:issues,jira`; undefined or '' means "everything". */
export function parseToolsets(query: string | undefined, connector?: string): ToolView | undefined {
  const connectors = new Map<string, Set<string>>();
  const entries = (query ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const entry of entries) {
    const match = TOOLSET.exec(entry);
    if (!match) throw errors.CONFIG_USAGE([`toolsets: "${entry}" is not "connector" or "connector:tag"`]);
    const [, id, tag] = match;
    if (connector !== undefined && id !== connector) throw errors.CONFIG_USAGE([`toolsets: "${entry}" is not part of connector "${connector}"`]);
    const tags = connectors.get(id) ?? new Set<string>();
    if (tag === undefined) tags.add('*');
    else tags.add(tag.toLowerCase());
    connectors.set(id, tags);
  }
  if (connector !== undefined && connectors.size === 0) connectors.set(connector, new Set(['*']));
  if (connectors.size === 0) return undefined;
  const normalised = new Map([...connectors].map(([id, tags]) => [id, tags.has('*') ? new Set<string>() : tags]));
  return { connectors: normalised, describe: entries.join(',') || (connector ?? '') };
}

export function visibleIn(view: ToolView | undefined): ((tool: RegisteredTool) => boolean) | undefined {
  if (!view) return undefined;
  return (tool) => {
    const tags = view.connectors.get(tool.connectorId);
    if (!tags) return false;
    if (tags.size === 0) return true;
    return tagsOf(tool).some((t) => tags.has(t.toLowerCase()));
  };
}
