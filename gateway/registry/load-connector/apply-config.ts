/** The connector file's filters, renames and per-operation rates on a generated tool set. */
import {
  appendPointer,
  FOLLOW_PAGES_ARGUMENT,
  type SkippedOperation,
  type ToolSet,
  MAX_TOOL_NAME,
  type OperationModel,
  type Problem,
  type McpTool,
} from '../../../generators';
import { didYouMean } from '../../../errors';
import { MAX_FOLLOWED_PAGES, type Pagination, type Rates, type HttpOperationTool, type UpstreamPolicy } from '../../core';
import { hint, keyPath, shown, TOOL_NAME, type ConnectorConfig, type ToolOverride } from '../connector-config';
import { OperationIndex } from './operation-index';

export interface AppliedConfig {
  tools: HttpOperationTool[];
  /** Operations the filters left out, with the rule that did it. */
  skipped: SkippedOperation[];
  problems: Problem[];
  /** `key.path: what is wrong`, for one CONFIG_CONNECTOR error. */
  errors: string[];
  /** The file's policies with `rateLimit.perOperation` keyed by operation key. */
  policy: UpstreamPolicy;
}

/**
 * The connector file's filters and overrides on a generated tool set. Pure: `document`
 * (the spec the set came from) is read only to know the operations generation skipped,
 * so a deprecated operation named in the file is "deprecated", not "unknown".
 */
export function applyConnectorConfig(set: ToolSet, config: ConnectorConfig, file: string, document: Record<string, unknown>): AppliedConfig {
  const index = new OperationIndex(set, document);
  const errors: string[] = [];

  const pick = (section: 'operations' | 'tags', list: 'include' | 'exclude'): Set<string> | undefined => {
    const entries = config[section][list];
    if (entries === undefined) return undefined;
    const picked = new Set<string>();
    entries.forEach((entry, i) => {
      const where = `${section}.${list}[${i}]`;
      if (section === 'tags') {
        if (index.hasTag(entry)) picked.add(entry.toLowerCase());
        else errors.push(`${where}: unknown tag ${shown(entry)}${hint(didYouMean(entry, index.tags()))}`);
        return;
      }
      const found = index.find(entry);
      if (found.length === 0) errors.push(`${where}: ${index.unknown(entry)}`);
      for (const op of found) {
        if (list === 'include' && op.deprecated && config.deprecated === 'exclude') {
          errors.push(`${where}: ${shown(entry)} is deprecated and \`deprecated: exclude\` leaves it out; set \`deprecated: include\` to serve it`);
        }
        picked.add(op.key);
      }
    });
    return picked;
  };
  const operationsIn = pick('operations', 'include');
  const operationsOut = pick('operations', 'exclude')!;
  const tagsIn = pick('tags', 'include');
  const tagsOut = pick('tags', 'exclude')!;

  // The most specific rule wins: an operation named in the file beats a tag rule.
  const leftOutBy = (op: OperationModel): string | undefined => {
    if (operationsOut.has(op.key)) return 'operations.exclude';
    if (operationsIn?.has(op.key)) return undefined;
    const excludedTag = op.tags.find((t) => tagsOut.has(t.toLowerCase()));
    if (excludedTag !== undefined) return `tags.exclude (tag "${excludedTag}")`;
    if (tagsIn !== undefined && op.tags.some((t) => tagsIn.has(t.toLowerCase()))) return undefined;
    if (operationsIn !== undefined || tagsIn !== undefined) return 'neither operations.include nor tags.include';
    return undefined;
  };

  const overrides = byOperation(index, ['tools'], config.tools, errors);

  const operations = new Map(set.operations.map((op) => [op.key, op]));
  const tools: HttpOperationTool[] = [];
  const skipped: SkippedOperation[] = [];
  set.bindings.forEach((binding, i) => {
    const operation = operations.get(binding.operation)!;
    const rule = leftOutBy(operation);
    if (rule !== undefined) {
      skipped.push({ operation: operation.key, pointer: operation.pointer, reason: `left out by the connector file: ${rule}` });
      return;
    }
    const override = overrides.get(operation.key)?.value;
    if (override) checkHidden(set.tools[i], override, overrides.get(operation.key)!.where, errors);
    const name = override?.name !== undefined ? prefixed(set.connectorId, override.name) : binding.tool;
    const tool = override ? overriddenTool(set.tools[i], name, override) : set.tools[i];
    tools.push({ kind: 'http', connectorId: set.connectorId, tool, binding: name === binding.tool ? binding : { ...binding, tool: name }, operation });
  });

  const grouped = groupIntoToolsets(tools, config, index, errors, file);
  tools.splice(0, tools.length, ...grouped.tools.map((t) => withFollowPages(t, config)));

  const byName = new Map<string, string[]>();
  for (const { tool, operation } of tools) byName.set(tool.name, [...(byName.get(tool.name) ?? []), operation.key]);
  for (const { tool, operation } of tools) {
    const entry = overrides.get(operation.key);
    if (entry?.value.name === undefined) continue;
    if (!TOOL_NAME.test(tool.name)) {
      errors.push(`${entry.where}.name: "${tool.name}" is ${tool.name.length} characters with the "${set.connectorId}_" prefix; at most ${MAX_TOOL_NAME}`);
    }
    const others = byName.get(tool.name)!.filter((key) => key !== operation.key);
    // Generated names never clash, so every clash has a rename in it; blame the renames.
    if (others.length > 0) errors.push(`${entry.where}.name: "${tool.name}" is also the name of ${others.join(', ')}; tool names must be unique`);
  }

  // Rates per operation, named like tool overrides: resolved to operation keys, each named once.
  const rates = byOperation(index, ['rateLimit', 'perOperation'], config.policy.rateLimit.perOperation, errors);
  const perOperation: Record<string, Rates> = Object.fromEntries([...rates].map(([key, { value }]) => [key, value]));
  const policy: UpstreamPolicy = { ...config.policy, rateLimit: { ...config.policy.rateLimit, perOperation } };

  const problems: Problem[] = [];
  const unused = (named: Map<string, { entry: string; where: string }>, pointer: string) => {
    for (const [key, { entry, where }] of named) {
      if (tools.some((t) => t.operation.key === key)) continue;
      const deprecated = index.byKey.get(key)?.deprecated === true;
      problems.push({
        severity: 'warning',
        rule: 'connector-override-unused',
        file,
        pointer: appendPointer(pointer, entry),
        message: `${where} has no effect: ${key} is not served (${deprecated ? 'deprecated' : 'left out by the filters'})`,
      });
    }
  };
  unused(overrides, '/tools');
  unused(rates, '/rateLimit/perOperation');
  problems.push(...grouped.problems);
  return { tools, skipped, problems, errors, policy };
}

/**
 * `toolsets` and `defaultToolsets`: each served tool learns the toolsets it is in and
 * whether the default set holds it. A toolset naming an unknown tag or operation is an
 * error, like the filters; one whose tools are all filtered out is a warning.
 */
function groupIntoToolsets(
  tools: HttpOperationTool[],
  config: ConnectorConfig,
  index: OperationIndex,
  errors: string[],
  file: string,
): { tools: HttpOperationTool[]; problems: Problem[] } {
  const names = Object.keys(config.toolsets);
  const problems: Problem[] = [];
  if (names.length === 0 && config.defaultToolsets === undefined) return { tools, problems };
  const members = new Map<string, { operations: Set<string>; tags: Set<string> }>();
  for (const [name, toolset] of Object.entries(config.toolsets)) {
    const operations = new Set<string>();
    toolset.operations.forEach((entry, i) => {
      const found = index.find(entry);
      if (found.length === 0) errors.push(`${keyPath(['toolsets', name, 'operations'])}[${i}]: ${index.unknown(entry)}`);
      for (const op of found) operations.add(op.key);
    });
    const tags = new Set<string>();
    toolset.tags.forEach((tag, i) => {
      if (index.hasTag(tag)) tags.add(tag.toLowerCase());
      else errors.push(`${keyPath(['toolsets', name, 'tags'])}[${i}]: unknown tag ${shown(tag)}${hint(didYouMean(tag, index.tags()))}`);
    });
    members.set(name, { operations, tags });
  }
  const defaults = config.defaultToolsets;
  defaults?.forEach((name, i) => {
    if (!members.has(name)) errors.push(`defaultToolsets[${i}]: no toolset ${shown(name)} is declared under \`toolsets\`${hint(didYouMean(name, names))}`);
  });
  const grouped = tools.map((t) => {
    const inSets = names.filter((name) => {
      const m = members.get(name)!;
      return m.operations.has(t.operation.key) || t.operation.tags.some((tag) => m.tags.has(tag.toLowerCase()));
    });
    const inDefault = defaults === undefined || inSets.some((name) => defaults.includes(name));
    return { ...t, toolsets: inSets, inDefault };
  });
  for (const name of names) {
    if (grouped.some((t) => t.toolsets.includes(name))) continue;
    problems.push({
      severity: 'warning',
      rule: 'connector-toolset-empty',
      file,
      pointer: appendPointer('/toolsets', name),
      message:
        config.toolsets[name].tags.length + config.toolsets[name].operations.length === 0
          ? `toolsets.${name} names no tags or operations, so it holds no tool`
          : `toolsets.${name} holds no tool that is served (its operations and tags are all left out by the filters)`,
    });
  }
  return { tools: grouped, problems };
}

/**
 * A mapping the connector file keys by operationId or `METHOD /path` (`tools`,
 * `rateLimit.perOperation`), by operation key; an unknown entry, or two naming one
 * operation, is an error at its key path.
 */
function byOperation<T>(
  index: OperationIndex,
  section: string[],
  mapping: Readonly<Record<string, T>>,
  errors: string[],
): Map<string, { value: T; entry: string; where: string }> {
  const named = new Map<string, { value: T; entry: string; where: string }>();
  for (const [entry, value] of Object.entries(mapping)) {
    const where = keyPath([...section, entry]);
    const found = index.find(entry);
    if (found.length === 0) errors.push(`${where}: ${index.unknown(entry)}`);
    for (const op of found) {
      const earlier = named.get(op.key);
      if (earlier) errors.push(`${where}: names ${op.key}, as ${earlier.where} does; keep one`);
      else named.set(op.key, { value, entry, where });
    }
  }
  return named;
}

/** `open_issue` in `github` -> `github_open_issue`; a name already prefixed keeps it, as generated names do. */
function prefixed(connectorId: string, name: string): string {
  return name.startsWith(`${connectorId}_`) ? name : `${connectorId}_${name}`;
}

function overriddenTool(tool: McpTool, name: string, override: ToolOverride): McpTool {
  const { name: _generated, title, description, inputSchema, ...rest } = tool;
  const newTitle = override.title ?? title;
  const newDescription = override.description ?? description;
  const hidden = new Set(override.hideArguments ?? []);
  // A hidden argument is not offered, so validation refuses it like any unknown argument and nothing is sent for it.
  const properties =
    hidden.size > 0 && inputSchema.properties ? Object.fromEntries(Object.entries(inputSchema.properties).filter(([k]) => !hidden.has(k))) : undefined;
  // Key order is the order clients print: name, title, description first.
  return {
    name,
    ...(newTitle !== undefined ? { title: newTitle } : {}),
    ...(newDescription !== undefined ? { description: newDescription } : {}),
    inputSchema: properties ? { ...inputSchema, properties } : inputSchema,
    ...rest,
  };
}

/** `tools.<op>.hideArguments`: each must be an optional argument of the tool. */
function checkHidden(tool: McpTool, override: ToolOverride, where: string, errors: string[]): void {
  const properties = Object.keys(tool.inputSchema.properties ?? {});
  const required = new Set(tool.inputSchema.required ?? []);
  (override.hideArguments ?? []).forEach((arg, i) => {
    if (required.has(arg)) errors.push(`${where}.hideArguments[${i}]: "${arg}" is required by the operation and cannot be hidden`);
    else if (!properties.includes(arg))
      errors.push(`${where}.hideArguments[${i}]: ${tool.name} has no argument ${shown(arg)}${hint(didYouMean(arg, properties))}`);
  });
}

/**
 * A tool whose operation the connector's pagination applies to takes `_pages`: GET
 * operations for Link headers, those with the style's query parameter for the others.
 */
function withFollowPages(t: HttpOperationTool, config: ConnectorConfig): HttpOperationTool {
  const pagination = config.pagination;
  if (!pagination || !isPaged(t, pagination)) return t;
  const properties = { ...t.tool.inputSchema.properties, [FOLLOW_PAGES_ARGUMENT]: { ...FOLLOW_PAGES_SCHEMA } };
  return { ...t, tool: { ...t.tool, inputSchema: { ...t.tool.inputSchema, properties } } };
}

const FOLLOW_PAGES_SCHEMA = Object.freeze({
  type: 'integer',
  minimum: 1,
  maximum: MAX_FOLLOWED_PAGES,
  description: `Follow up to ${MAX_FOLLOWED_PAGES} pages, merging the items`,
});

function isPaged(t: Pick<HttpOperationTool, 'binding' | 'operation'>, pagination: Pagination): boolean {
  const query = t.binding.arguments.filter((a) => a.in === 'query').map((a) => a.name);
  // Where the style's parameter is taken: the query, or a body property (Notion's search).
  if (pagination.style !== 'link' && pagination.param !== undefined)
    return t.binding.arguments.some((a) => (a.in === 'query' || a.in === 'body') && a.name === pagination.param);
  if (pagination.param !== undefined) return query.includes(pagination.param);
  // Link headers: the GET operations that take a paging parameter (GitHub's lists take page and per_page; a get by id takes none).
  return t.operation.method === 'get' && query.some((name) => LINK_PAGED_HINTS.has(name.toLowerCase()));
}

const LINK_PAGED_HINTS: ReadonlySet<string> = new Set(['page', 'per_page', 'page_size', 'pagesize', 'limit', 'cursor', 'after', 'before', 'offset']);
