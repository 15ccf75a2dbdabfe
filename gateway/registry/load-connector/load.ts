/**
 * Spec + optional connector file -> the connector the hub serves: its tools (filtered
 * and renamed as the file says) and the runtime the call pipeline needs (base URL,
 * allowed hosts, timeouts). Every way the file disagrees with the spec (an unknown
 * operation, a rename that clashes, a server URL that cannot be used) is collected and
 * thrown as one CONFIG_CONNECTOR error, like the file's own validation.
 */
import { generateTools, type SkippedOperation, type ToolSet, connectorIdFromFile, type Problem, readSpecFile } from '../../../generators';
import type { ConnectorRuntime, HttpOperationTool } from '../../core';
import { resolveUpstreamAuth, type UpstreamAuth } from '../../../auth';
import { connectorError, deepFreeze, type ConnectorConfig } from '../connector-config';
import { applyConnectorConfig } from './apply-config';
import { resolveBaseUrl } from './base-url';
import { connectorFileFor, findConnectorConfig } from './find-config';

export interface LoadedConnector {
  id: string;
  specFile: string;
  /** The connector file read, if there was one. */
  configFile?: string;
  config: ConnectorConfig;
  runtime: ConnectorRuntime;
  tools: HttpOperationTool[];
  /** The spec's problems, and warnings about the connector file (rule `connector-*`). */
  problems: Problem[];
  /** Operations not served: deprecated, not buildable, or left out by the connector file. */
  skipped: SkippedOperation[];
  toolsets: { names: readonly string[]; defaults: readonly string[] };
  /** The built-in connector it is, when it is one. */
  builtIn?: string;
}

export interface LoadConnectorOptions {
  /** Default: `<spec without extension>.connector.yaml` (or `.yml`) beside the spec. */
  configFile?: string;
  /** The id when the connector file sets none; default: from the spec's file name. */
  id?: string;
  /** The connector file already read (and merged: `use:`), instead of reading `configFile`. */
  config?: ConnectorConfig;
}

export async function loadConnector(specFile: string, options: LoadConnectorOptions = {}): Promise<LoadedConnector> {
  // The connector file first: it is small, and its mistakes are cheaper to report before a 1 s generation.
  const { configFile, config } = options.config
    ? { configFile: options.configFile, config: options.config }
    : await findConnectorConfig(specFile, options.configFile);
  const spec = await readSpecFile(specFile);
  const id = config.id ?? options.id ?? connectorIdFromFile(specFile);
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
    auth = resolveUpstreamAuth(
      id,
      set.api.securitySchemes,
      set.operations.flatMap((op) => op.security ?? []),
      withToolsetScopes(config),
    );
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
    ...(config.pagination ? { pagination: config.pagination } : {}),
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
    toolsets: { names: Object.keys(config.toolsets), defaults: config.defaultToolsets ?? [] },
  };
}

/**
 * `auth.scopes` when the file names none: the scopes of the default toolsets (of every
 * toolset when there is no default set), so that connecting asks for what the tools served
 * by default need.
 */
function withToolsetScopes(config: ConnectorConfig): ConnectorConfig['auth'] {
  if (config.auth === undefined || config.auth.scopes !== undefined) return config.auth;
  const names = config.defaultToolsets ?? Object.keys(config.toolsets);
  const scopes = [...new Set(names.flatMap((name) => config.toolsets[name]?.scopes ?? []))];
  return scopes.length > 0 ? { ...config.auth, scopes } : config.auth;
}
