/**
 * The connector file's shape once read and defaulted: what load-connector/ applies to a
 * spec. Each section's type is owned by the folder that reads it (`auth` is
 * auth/upstream/schemes.ts's AuthSection, `policy` is core/policy.ts's UpstreamPolicy).
 */
import type { OutputSchemaMode } from '../../../generators';
import type { AuthSection } from '../../../auth';
import type { Pagination, UpstreamPolicy } from '../../core';

export interface ConnectorTimeouts {
  /** Opening the connection (TCP + TLS). */
  connectMs: number;
  /** From sending the request until the response headers arrive. */
  headersMs: number;
  /** The longest pause between two chunks of the response body (undici's bodyTimeout). */
  bodyMs: number;
}

/** Operations or tags picked by name. `include` absent: no restriction from this list. */
export interface Selection {
  include?: readonly string[];
  exclude: readonly string[];
}

/**
 * A named group of tools an agent can ask for (`?toolsets=github:issues`, an agent key's
 * toolsets): the operations named, and those of the tags named.
 */
export interface ToolsetDefinition {
  description?: string;
  /** OpenAPI tags, matched case-insensitively. */
  tags: readonly string[];
  /** operationIds or `METHOD /path` keys. */
  operations: readonly string[];
  /** OAuth scopes its tools need; an OAuth app registered with none asks for those of the default toolsets. */
  scopes: readonly string[];
}

export interface ToolOverride {
  /** Without the `<connector>_` prefix, which the hub adds (a name that has it keeps it). */
  name?: string;
  title?: string;
  /** Used as written: not compacted like generated descriptions. */
  description?: string;
  /** Optional arguments the tool does not offer (niche fields that cost an agent's context). */
  hideArguments?: readonly string[];
}

export interface ConnectorConfig {
  /** Absent: derived from the spec's file name (a built-in connector's: its folder's name). */
  id?: string;
  /**
   * A built-in connector's spec file, relative to its folder (`connectors/<id>/connector.yaml`);
   * a file beside a spec in specs/ refines that spec and names none.
   */
  spec?: string;
  /**
   * In a file in specs/ with no spec beside it: the built-in connector it turns on, its
   * connector.yaml under this file (docs/connectors.md "Built-in connectors").
   */
  use?: string;
  /** Absolute http(s) URL without a trailing slash; absent: the spec's first server. */
  baseUrl?: string;
  serverVariables: Readonly<Record<string, string>>;
  /** Lower-case `host[:port]` values allowed besides the base URL's host. */
  allowedHosts: readonly string[];
  timeouts: Readonly<ConnectorTimeouts>;
  maxResponseBytes: number;
  /** Static request headers; lower-case names. */
  headers: Readonly<Record<string, string>>;
  /** Entries are operationIds or `METHOD /path` keys. */
  operations: Readonly<Selection>;
  tags: Readonly<Selection>;
  deprecated: 'include' | 'exclude';
  outputSchema: OutputSchemaMode;
  /** Keyed by operationId or `METHOD /path`. */
  tools: Readonly<Record<string, Readonly<ToolOverride>>>;
  /** Named toolsets, by name (lower-case). */
  toolsets: Readonly<Record<string, Readonly<ToolsetDefinition>>>;
  /** What `/mcp/<id>` and `/mcp` list when no toolsets are asked for; absent: every tool. */
  defaultToolsets?: readonly string[];
  /** How the API pages its lists, with each style's defaults filled in. */
  pagination?: Readonly<Pagination>;
  /** How the upstream authenticates; absent: from the spec's securitySchemes. */
  auth?: Readonly<AuthSection>;
  /** Rate limits, retries, caching and the circuit breaker (gateway/upstream/policy.ts). */
  policy: Readonly<UpstreamPolicy>;
}
