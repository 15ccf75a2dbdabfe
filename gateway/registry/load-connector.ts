/**
 * Spec + optional connector file -> the connector the hub serves: its tools (filtered
 * and renamed as the file says) and the runtime the call pipeline needs (base URL,
 * allowed hosts, timeouts). Every way the file disagrees with the spec (an unknown
 * operation, a rename that clashes, a server URL that cannot be used) is collected and
 * thrown as one CONFIG_CONNECTOR error, like the file's own validation.
 */
import { access } from 'node:fs/promises';
import { didYouMean } from '../../errors';
import { generateTools, type SkippedOperation, type ToolSet } from '../../generators/generate-tools';
import { appendPointer, resolvePointer } from '../../generators/json-pointer';
import { connectorIdFromFile, MAX_TOOL_NAME } from '../../generators/names';
import { HTTP_METHODS, type OperationModel, type ServerModel } from '../../generators/operation';
import type { Problem } from '../../generators/problems';
import { readSpecFile } from '../../generators/spec-reader';
import type { McpTool } from '../../generators/tool';
import type { ConnectorRuntime, RegisteredTool } from '../core';
import type { Rates, UpstreamPolicy } from '../core';
import { resolveUpstreamAuth, type UpstreamAuth } from '../../auth/upstream/schemes';
import {
  connectorError,
  DEFAULT_CONNECTOR_CONFIG,
  deepFreeze,
  keyPath,
  readConnectorConfig,
  shown,
  TOOL_NAME,
  type ConnectorConfig,
  type ToolOverride,
} from './connector-config';

export interface LoadedConnector {
  id: string;
  specFile: string;
  /** The connector file read, if there was one. */
  configFile?: string;
  config: ConnectorConfig;
  runtime: ConnectorRuntime;
  tools: RegisteredTool[];
  /** The spec's problems, and warnings about the connector file (rule `connector-*`). */
  problems: Problem[];
  /** Operations not served: deprecated, not buildable, or left out by the connector file. */
  skipped: SkippedOperation[];
}

export interface LoadConnectorOptions {
  /** Default: `<spec without extension>.connector.yaml` (or `.yml`) beside the spec. */
  configFile?: string;
}

/** `specs/github.json` -> `specs/github.connector.yaml`. */
export function connectorFileFor(specFile: string, extension: 'yaml' | 'yml' = 'yaml'): string {
  return `${specFile.replace(/\.(json|ya?ml)$/i, '')}.connector.${extension}`;
}

export async function loadConnector(specFile: string, options: LoadConnectorOptions = {}): Promise<LoadedConnector> {
  // The connector file first: it is small, and its mistakes are cheaper to report before a 1 s generation.
  const { configFile, config } = await findConnectorConfig(specFile, options.configFile);
  const spec = await readSpecFile(specFile);
  const id = config.id ?? connectorIdFromFile(specFile);
  // Names are assigned before the filters apply, so a tool keeps its name when the filters change.
  const set = generateTools(spec, { connectorId: id, includeDeprecated: config.deprecated === 'include', outputSchema: config.outputSchema });
  const serversDeclared = Array.isArray(spec.document.servers) && spec.document.servers.length > 0;
  return connectorFromToolSet({ id, specFile, configFile, config, set, document: spec.document, serversDeclared });
}

/**
 * The connector file applied to a generated tool set: filters, overrides, base URL,
 * runtime. Shared by loading from the spec and from `generate` artefacts, so both
 * serve exactly the same connector.
 */
export function connectorFromToolSet(input: {
  id: string;
  specFile: string;
  configFile?: string;
  config: ConnectorConfig;
  set: ToolSet;
  /** The spec document, or a stand-in holding what the connector file may refer to. */
  document: Record<string, unknown>;
  serversDeclared: boolean;
}): LoadedConnector {
  const { id, specFile, configFile, config, set } = input;
  const named = configFile ?? `${connectorFileFor(specFile)} (not present)`;
  const applied = applyConnectorConfig(set, config, named, input.document);
  const base = resolveBaseUrl(set.api.servers, input.serversDeclared, config);
  const reasons = [...applied.errors, ...base.errors];
  if (reasons.length > 0 || base.baseUrl === undefined) throw connectorError(named, reasons);
  let auth: UpstreamAuth | undefined;
  try {
    // Specs carry no root `security` in the model; the operations' own requirements stand in for it.
    auth = resolveUpstreamAuth(id, set.api.securitySchemes, set.operations.flatMap((op) => op.security ?? []), config.auth);
  } catch (cause) {
    throw connectorError(named, [`auth: ${(cause as Error).message.replace(/^Connector [^:]+: /, '')}`], cause);
  }
  const runtime: ConnectorRuntime = Object.freeze({
    id,
    baseUrl: base.baseUrl,
    allowedHosts: Object.freeze([...new Set([new URL(base.baseUrl).host, ...config.allowedHosts])]),
    timeouts: config.timeouts,
    maxResponseBytes: config.maxResponseBytes,
    headers: config.headers,
    ...(auth ? { auth: Object.freeze(auth) } : {}),
    policy: deepFreeze(applied.policy),
  });
  return {
    id,
    specFile,
    ...(configFile !== undefined ? { configFile } : {}),
    config,
    runtime,
    tools: applied.tools,
    problems: [...set.problems, ...applied.problems],
    skipped: [...set.skipped, ...applied.skipped],
  };
}

/** The connector file beside a spec: `<spec>.connector.yaml` or `.yml` (both: an error), or the one named. */
export async function findConnectorConfig(specFile: string, explicit?: string): Promise<{ configFile?: string; config: ConnectorConfig }> {
  if (explicit !== undefined) {
    const config = await readConnectorConfig(explicit);
    if (!config) throw connectorError(explicit, ['no such file']);
    return { configFile: explicit, config };
  }
  const candidates = [connectorFileFor(specFile, 'yaml'), connectorFileFor(specFile, 'yml')];
  const present = (await Promise.all(candidates.map(async (f) => ((await exists(f)) ? f : undefined)))).filter((f): f is string => f !== undefined);
  if (present.length > 1) throw connectorError(present[0], [`${present[1]} exists too; keep one of the two files`]);
  if (present.length === 0) return { config: DEFAULT_CONNECTOR_CONFIG };
  // Gone between the check and the read (an editor saving): treat as absent, the next reload sees it.
  const config = await readConnectorConfig(present[0]);
  return config ? { configFile: present[0], config } : { config: DEFAULT_CONNECTOR_CONFIG };
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

export interface AppliedConfig {
  tools: RegisteredTool[];
  /** Operations the filters left out, with the rule that did it. */
  skipped: SkippedOperation[];
  problems: Problem[];
  /** `key.path: what is wrong`, for one CONFIG_CONNECTOR error. */
  errors: string[];
  /** The file's policies with `rateLimit.perOperation` keyed by operation key. */
  policy: UpstreamPolicy;
}

interface KnownOperation {
  key: string;
  operationId?: string;
  tags: readonly string[];
  deprecated: boolean;
  pointer: string;
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
  const tools: RegisteredTool[] = [];
  const skipped: SkippedOperation[] = [];
  set.bindings.forEach((binding, i) => {
    const operation = operations.get(binding.operation)!;
    const rule = leftOutBy(operation);
    if (rule !== undefined) {
      skipped.push({ operation: operation.key, pointer: operation.pointer, reason: `left out by the connector file: ${rule}` });
      return;
    }
    const override = overrides.get(operation.key)?.value;
    const name = override?.name !== undefined ? prefixed(set.connectorId, override.name) : binding.tool;
    const tool = override ? overriddenTool(set.tools[i], name, override) : set.tools[i];
    tools.push({ kind: 'http', connectorId: set.connectorId, tool, binding: name === binding.tool ? binding : { ...binding, tool: name }, operation });
  });

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
  return { tools, skipped, problems, errors, policy };
}

/**
 * A mapping the connector file keys by operationId or `METHOD /path` (`tools`,
 * `rateLimit.perOperation`), by operation key; an unknown entry, or two naming one
 * operation, is an error at its key path.
 */
function byOperation<T>(index: OperationIndex, section: string[], mapping: Readonly<Record<string, T>>, errors: string[]): Map<string, { value: T; entry: string; where: string }> {
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
  const { name: _generated, title, description, ...rest } = tool;
  const newTitle = override.title ?? title;
  const newDescription = override.description ?? description;
  // Key order is the order clients print: name, title, description first.
  return {
    name,
    ...(newTitle !== undefined ? { title: newTitle } : {}),
    ...(newDescription !== undefined ? { description: newDescription } : {}),
    ...rest,
  };
}

/** Every operation of the spec, served or skipped by generation, by key, operationId and tag. */
class OperationIndex {
  readonly byKey = new Map<string, KnownOperation>();
  private readonly byOperationId = new Map<string, KnownOperation[]>();
  private readonly tagNames = new Map<string, string>();

  constructor(set: ToolSet, document: Record<string, unknown>) {
    for (const op of set.operations) this.add(op);
    for (const skip of set.skipped) {
      if (this.byKey.has(skip.operation)) continue;
      const raw = resolvePointer(document, skip.pointer) as Record<string, unknown> | undefined;
      const operationId = typeof raw?.operationId === 'string' && raw.operationId.trim() !== '' ? raw.operationId.trim() : undefined;
      const tags = Array.isArray(raw?.tags) ? raw.tags.filter((t): t is string => typeof t === 'string') : [];
      this.add({ key: skip.operation, operationId, tags, deprecated: raw?.deprecated === true, pointer: skip.pointer });
    }
    // A tag declared at the top but used by no operation is still a name the user may write.
    if (Array.isArray(document.tags)) {
      for (const tag of document.tags as Array<{ name?: unknown }>) if (typeof tag?.name === 'string') this.addTag(tag.name);
    }
  }

  private add(op: KnownOperation): void {
    this.byKey.set(op.key, op);
    if (op.operationId !== undefined) this.byOperationId.set(op.operationId, [...(this.byOperationId.get(op.operationId) ?? []), op]);
    for (const tag of op.tags) this.addTag(tag);
  }

  private addTag(tag: string): void {
    if (!this.tagNames.has(tag.toLowerCase())) this.tagNames.set(tag.toLowerCase(), tag);
  }

  /** An operationId, or `METHOD /path` (method in any case). */
  find(entry: string): KnownOperation[] {
    const key = operationKey(entry);
    if (key !== undefined) {
      const op = this.byKey.get(key);
      return op ? [op] : [];
    }
    return this.byOperationId.get(entry) ?? [];
  }

  unknown(entry: string): string {
    const key = operationKey(entry);
    const suggestion = key !== undefined ? didYouMean(key, this.byKey.keys()) : didYouMean(entry, this.byOperationId.keys());
    return `unknown operation ${shown(entry)}${hint(suggestion)}`;
  }

  hasTag(tag: string): boolean {
    return this.tagNames.has(tag.toLowerCase());
  }

  tags(): Iterable<string> {
    return this.tagNames.values();
  }
}

const METHOD_AND_PATH = /^([A-Za-z]+)\s+(\/\S*)$/;

function operationKey(entry: string): string | undefined {
  const match = METHOD_AND_PATH.exec(entry.trim());
  if (!match || !(HTTP_METHODS as readonly string[]).includes(match[1].toLowerCase())) return undefined;
  return `${match[1].toUpperCase()} ${match[2]}`;
}

function hint(suggestion: string | undefined): string {
  return suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`;
}

/**
 * The connector file's baseUrl, else the spec's first server with its variables
 * filled (the file's serverVariables, else the spec's defaults). Tools are called on
 * one absolute URL; a relative or missing server needs the file to say where the API is.
 */
export function resolveBaseUrl(servers: readonly ServerModel[], declared: boolean, config: ConnectorConfig): { baseUrl?: string; errors: string[] } {
  if (config.baseUrl !== undefined) return { baseUrl: config.baseUrl, errors: [] };
  if (!declared || servers.length === 0) {
    return { errors: ["baseUrl: the spec declares no server; set baseUrl to the API's absolute URL (for example https://api.example.com)"] };
  }
  const server = servers[0];
  const errors: string[] = [];
  const placeholders = [...server.url.matchAll(/\{([^{}]+)\}/g)].map((m) => m[1]);
  const known = new Set([...Object.keys(server.variables), ...placeholders]);
  for (const [name, value] of Object.entries(config.serverVariables)) {
    const where = keyPath(['serverVariables', name]);
    if (!known.has(name)) {
      errors.push(`${where}: the spec's server ${server.url} has no variable "${name}"${hint(didYouMean(name, known))}`);
      continue;
    }
    const allowed = server.variables[name]?.enum;
    if (allowed && allowed.length > 0 && !allowed.includes(value)) errors.push(`${where}: must be one of ${allowed.join(', ')}, as the spec says (got ${shown(value)})`);
  }
  const url = server.url.replace(/\{([^{}]+)\}/g, (whole, name: string) => {
    const value = config.serverVariables[name] ?? server.variables[name]?.default;
    if (value === undefined) {
      errors.push(`${keyPath(['serverVariables', name])}: the spec's server ${server.url} has no default for {${name}}; set serverVariables.${name} or baseUrl`);
      return whole;
    }
    return value;
  });
  if (errors.length > 0) return { errors };
  if (!/^[a-z][a-z0-9+.-]*:/i.test(url)) {
    const example = `https://api.example.com${url.startsWith('/') && url !== '/' ? url.replace(/\/+$/, '') : ''}`;
    return { errors: [`baseUrl: the spec's server URL "${url}" is relative; set baseUrl to the absolute URL the API is served at (for example ${example})`] };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { errors: [`baseUrl: the spec's server URL "${url}" is not a valid URL; set baseUrl`] };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return { errors: [`baseUrl: the spec's server URL "${url}" is not http(s); set baseUrl`] };
  return { baseUrl: parsed.href.replace(/\/+$/, ''), errors: [] };
}
