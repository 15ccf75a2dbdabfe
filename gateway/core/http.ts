/**
 * The HTTP operation kind's shapes: the connector runtime a call needs, and the request
 * and response the HTTP half exchanges (DESIGN.md "The call pipeline", stages 5-10).
 */
import type { UpstreamAuth } from '../../auth';
import type { OperationModel, ToolBinding } from '../../generators';
import type { Pagination } from './pagination';
import type { UpstreamPolicy } from './policy';
import type { ToolBase } from './tool-base';

/** What the pipeline needs to know about a connector at call time; frozen per registry snapshot. */
export interface ConnectorRuntime {
  id: string;
  /** Absolute base URL requests are built on (server variables applied, or the connector file's override). */
  baseUrl: string;
  /** `host[:port]` values (lower case) a request may go to; the base URL's host is always one. */
  allowedHosts: readonly string[];
  timeouts: Readonly<{ connectMs: number; headersMs: number; bodyMs: number }>;
  /** Bodies above this many bytes are cut, with a notice, in the result. */
  maxResponseBytes: number;
  /** Static headers sent with every request (lower-case names; never credentials). */
  headers?: Readonly<Record<string, string>>;
  /** How the upstream authenticates; absent: calls carry no credentials. */
  auth?: UpstreamAuth;
  /** Rate limits, retries, caching, circuit breaker (core/policy.ts); defaults when absent. */
  policy?: Readonly<UpstreamPolicy>;
  /** How its lists are paged (core/pagination.ts); absent: results carry no next page. */
  pagination?: Readonly<Pagination>;
}

/** A tool that calls one HTTP operation of a connector's spec. */
export interface HttpOperationTool extends ToolBase {
  readonly kind: 'http';
  binding: ToolBinding;
  operation: OperationModel;
}

/** An HTTP request ready to send; `url` is absolute and already checked against the connector's hosts. */
export interface UpstreamRequest {
  method: string;
  url: string;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** FormData is undici's (multipart); undici sets its content-type with the boundary. */
  body?: string | Buffer | import('undici').FormData;
}

export interface UpstreamResponse {
  status: number;
  /** Lower-case header names, as undici gives them. */
  headers: Record<string, string | string[] | undefined>;
  /** At most maxResponseBytes (+1 byte read to detect the cut). */
  body: Buffer;
  /** True when the upstream sent more than maxResponseBytes and the rest was not read. */
  truncated: boolean;
  /** The body's full size when the upstream said it (content-length). */
  declaredBytes?: number;
}
