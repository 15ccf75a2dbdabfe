/**
 * Dynamic discovery (`?tools=dynamic`, or `mcp.tools: dynamic`): `tools/list` holds three
 * meta-tools instead of the tools themselves, so an agent's context stays a few hundred
 * bytes however many tools the hub serves:
 * - `search_tools`: ranked search over every tool the caller may use (names, titles,
 *   descriptions, argument names, toolsets, connector, path), a short line per hit;
 * - `describe_tool`: one tool in full (schemas, annotations, method and path);
 * - `call_tool`: a name and its arguments, run exactly as a direct call of that tool (the
 *   same view, authorisation, pipeline and audit: server.ts routes it there).
 *
 * The index is built once per registry snapshot, on the first search (minisearch: a
 * maintained full-text engine with prefix and fuzzy matching and field boosts), and holds
 * every tool; each search keeps only what the session may see.
 */
import type { Tool } from '@modelcontextprotocol/server';
import type MiniSearchType from 'minisearch' with { 'resolution-mode': 'import' };
import type { RegisteredTool, RegistrySnapshot } from '../core';

// Its package declares its types for `import` only; at run time require() gets its CommonJS build.
const MiniSearch = require('minisearch') as typeof MiniSearchType;

/** Where describe_tool says which HTTP operation a tool calls: method, and the path template appended to the base URL. */
export const OPERATION_META = 'lunar-hub/operation';

/** The longest search_tools query: a request in plain words is short, and a megabyte of them would only cost CPU. */
export const MAX_QUERY_LENGTH = 500;

export const SEARCH_TOOLS = 'search_tools';
export const DESCRIBE_TOOL = 'describe_tool';
export const CALL_TOOL = 'call_tool';
export const DISCOVERY_NAMES: ReadonlySet<string> = new Set([SEARCH_TOOLS, DESCRIBE_TOOL, CALL_TOOL]);

const SEARCH_TOOL: Tool = {
  name: SEARCH_TOOLS,
  title: 'Search the tools',
  description: 'Find tools for a task, in plain words ("open a pull request"). Returns the best matches: name, what it does, connector.',
  inputSchema: {
    type: 'object',
    properties: {
      query: { type: 'string', minLength: 1, maxLength: MAX_QUERY_LENGTH, description: 'What you want to do' },
      connector: { type: 'string', description: 'Only this connector (github, notion...)' },
      limit: { type: 'integer', minimum: 1, maximum: 25, description: 'How many (default 8)' },
    },
    required: ['query'],
    additionalProperties: false,
  },
  annotations: { readOnlyHint: true, idempotentHint: true },
};
const DESCRIBE_TOOL_DEFINITION: Tool = {
  name: DESCRIBE_TOOL,
  title: 'Describe a tool',
  description: "A tool's full definition: what it does, its arguments (inputSchema), its result, its HTTP operation.",
  inputSchema: {
    type: 'object',
    properties: { name: { type: 'string', minLength: 1, description: 'A name from search_tools' } },
    required: ['name'],
    additionalProperties: false,
  },
  annotations: { readOnlyHint: true, idempotentHint: true },
};
const CALL_TOOL_DEFINITION: Tool = {
  name: CALL_TOOL,
  title: 'Call a tool',
  description: 'Call a tool by name with its arguments (as describe_tool gives them).',
  inputSchema: {
    type: 'object',
    properties: {
      name: { type: 'string', minLength: 1, description: 'The tool to call' },
      arguments: { type: 'object', description: "The tool's arguments" },
    },
    required: ['name'],
    additionalProperties: false,
  },
};

export const DISCOVERY_TOOLS: readonly Tool[] = Object.freeze([SEARCH_TOOL, DESCRIBE_TOOL_DEFINITION, CALL_TOOL_DEFINITION]);

export interface SearchHit {
  name: string;
  title?: string;
  summary: string;
  connector: string;
  score: number;
}

interface Indexed {
  id: number;
  name: string;
  title: string;
  description: string;
  args: string;
  groups: string;
}

const indexes = new WeakMap<RegistrySnapshot, { search: InstanceType<typeof MiniSearchType<Indexed>>; tools: readonly RegisteredTool[] }>();

/** The snapshot's index, built on first use. */
function indexOf(snapshot: RegistrySnapshot): { search: InstanceType<typeof MiniSearchType<Indexed>>; tools: readonly RegisteredTool[] } {
  let index = indexes.get(snapshot);
  if (!index) {
    const search = new MiniSearch<Indexed>({
      fields: ['name', 'title', 'description', 'args', 'groups'],
      processTerm: normaliseTerm,
      searchOptions: {
        boost: { name: 3, title: 3, groups: 1.5, description: 1, args: 0.5 },
        prefix: (term) => term.length > 3,
        fuzzy: (term) => (term.length > 5 ? 0.2 : false),
        combineWith: 'OR',
      },
    });
    const tools = snapshot.tools;
    search.addAll(tools.map((t, id) => documentOf(t, id)));
    index = { search, tools };
    indexes.set(snapshot, index);
  }
  return index;
}

function documentOf(t: RegisteredTool, id: number): Indexed {
  const meta = operationWords(t);
  return {
    id,
    name: words(t.tool.name),
    title: t.tool.title ?? '',
    description: t.tool.description ?? '',
    args: Object.keys(t.tool.inputSchema.properties ?? {})
      .filter((k) => !k.startsWith('_'))
      .map(words)
      .join(' '),
    groups: [t.connectorId, ...(t.toolsets ?? []), ...(t.tags ?? (t.kind === 'http' ? t.operation.tags : [])), meta].join(' '),
  };
}

function operationWords(t: RegisteredTool): string {
  return t.kind === 'http' ? words(t.operation.path.replace(/\{[^}]+\}/g, ' ')) : '';
}

/** `github_pulls_list_files` -> `github pulls list files`; `listReviewComments` -> `list review comments`. */
function words(text: string): string {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_\-./]+/g, ' ')
    .trim();
}

/**
 * Lower case, a few words people use for the same thing made one (a pull request is a
 * "PR", a repository a "repo"; "make", "open", "new" create), and a plural or -ing form
 * cut to its stem, so that "comments" finds "comment" and "listing" finds "list".
 */
function normaliseTerm(term: string): string | null {
  const lower = term.toLowerCase();
  if (STOP_WORDS.has(lower)) return null;
  const same = SYNONYMS[lower] ?? lower;
  if (same.length > 4 && same.endsWith('ies')) return `${same.slice(0, -3)}y`;
  if (same.length > 5 && same.endsWith('ing')) return same.slice(0, -3);
  if (same.length > 3 && same.endsWith('es') && /(ch|sh|ss|x)es$/.test(same)) return same.slice(0, -2);
  if (same.length > 3 && same.endsWith('s') && !same.endsWith('ss')) return same.slice(0, -1);
  return same;
}

const STOP_WORDS = new Set([
  'a',
  'an',
  'the',
  'of',
  'to',
  'in',
  'on',
  'for',
  'and',
  'or',
  'with',
  'my',
  'me',
  'i',
  'is',
  'it',
  'this',
  'that',
  'from',
  'by',
  'all',
  'be',
  'at',
  'as',
  'into',
  'some',
]);

const SYNONYMS: Readonly<Record<string, string>> = {
  pr: 'pull',
  prs: 'pull',
  repo: 'repository',
  repos: 'repository',
  make: 'create',
  open: 'create',
  new: 'create',
  add: 'create',
  post: 'create',
  write: 'create',
  remove: 'delete',
  erase: 'delete',
  fetch: 'get',
  show: 'get',
  read: 'get',
  retrieve: 'get',
  view: 'get',
  find: 'search',
  lookup: 'search',
  edit: 'update',
  change: 'update',
  modify: 'update',
  patch: 'update',
  msg: 'message',
  dm: 'message',
  ticket: 'issue',
  bug: 'issue',
  doc: 'page',
  document: 'page',
  people: 'user',
  person: 'user',
  member: 'user',
  folder: 'directory',
  publish: 'create',
  close: 'update',
  react: 'reaction',
  emoji: 'reaction',
  watching: 'watcher',
  watch: 'watcher',
  profile: 'user',
  history: 'list',
  done: 'transition',
  status: 'transition',
};

/** The best matches among the tools `visible` lets the caller use. */
export function searchTools(
  snapshot: RegistrySnapshot,
  query: string,
  options: { visible?: (tool: RegisteredTool) => boolean; connector?: string; limit?: number },
): SearchHit[] {
  const { search, tools } = indexOf(snapshot);
  const limit = options.limit ?? 8;
  // "post to a Slack channel": a connector named in the query is the one meant.
  const named = new Set(
    query
      .toLowerCase()
      .split(/[^a-z0-9-]+/)
      .filter((word) => snapshot.connectors.has(word)),
  );
  const hits = search.search(query, {
    // The tools a connector names in its toolsets, and its default ones most, are the ones people use:
    // between two equally good matches, those come first.
    boostDocument: (id) => {
      const tool = tools[id as number];
      const curated = !tool.toolsets || tool.toolsets.length === 0 ? 1 : tool.inDefault !== false ? 1.6 : 1.3;
      return named.size === 0 ? curated : named.has(tool.connectorId) ? curated * 2 : curated * 0.5;
    },
    filter: (result) => {
      const tool = tools[result.id as number];
      return (options.connector === undefined || tool.connectorId === options.connector) && (!options.visible || options.visible(tool));
    },
  });
  return hits.slice(0, limit).map((hit) => {
    const tool = tools[hit.id as number];
    return {
      name: tool.tool.name,
      ...(tool.tool.title ? { title: tool.tool.title } : {}),
      summary: summaryOf(tool),
      connector: tool.connectorId,
      score: Math.round(hit.score * 100) / 100,
    };
  });
}

/** The first sentence of the description, at most 160 characters: a hit should cost little. */
function summaryOf(tool: RegisteredTool): string {
  const text = (tool.tool.description ?? tool.tool.title ?? '').replace(/\s+/g, ' ').trim();
  const sentence = /^(.+?[.!?])(\s|$)/.exec(text)?.[1] ?? text;
  return sentence.length > 160 ? `${sentence.slice(0, 159)}…` : sentence;
}

/** describe_tool's answer: the tool as tools/list would give it, and the operation it calls. */
export function describeTool(tool: RegisteredTool): Record<string, unknown> {
  return {
    ...tool.tool,
    connector: tool.connectorId,
    ...(tool.toolsets && tool.toolsets.length > 0 ? { toolsets: tool.toolsets } : {}),
    ...(tool.kind === 'http' ? { _meta: { [OPERATION_META]: { method: tool.operation.method.toUpperCase(), path: tool.operation.path } } } : {}),
  };
}
