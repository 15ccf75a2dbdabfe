/**
 * The HTTP half of the call pipeline (DESIGN.md stages 6, 8, 9): one upstream exchange,
 * request in, buffered response out, wrapped by stages of one shape composed once:
 *
 *   dedupe -> cache -> retry -> circuit breaker -> rate limit -> undici
 *
 * (the first sees the request first). Identical concurrent reads share one pass through
 * the rest; a cache hit costs no rate-limit token and no attempt; every retry attempt
 * passes the breaker and the limiter again.
 *
 * These are functions over buffered exchanges rather than undici interceptors: the
 * body is read whole (up to the connector's cap) for the MCP result anyway, so each
 * stage works on a plain response object and is tested without undici's handler
 * protocol; undici still does the pooling, timeouts and the socket.
 */
import type { ConnectorRuntime, TraceContext, UpstreamRequest, UpstreamResponse } from '../core';

/** Whose call this is: caches and limiters key on it, so nothing crosses tenants or connections. */
export interface ExchangeScope {
  connectorId: string;
  /** The caller's tenant; every hub call has one. Absent only for callers without a principal (benches, stage tests), which share one space. */
  tenantId?: string;
  /** The connection whose credentials the request carries. */
  connectionId?: string;
  tool: string;
  /** `METHOD /path` of the operation (for limits per method, Slack's tiers). */
  operation: string;
}

export interface ExchangeRequest extends UpstreamRequest {
  signal: AbortSignal;
  connector: ConnectorRuntime;
  scope: ExchangeScope;
  /**
   * The caller's trace. Not a header yet: the dedupe and cache stages key on headers, and
   * a span id is new on every request; the socket stage adds `traceparent` per attempt.
   */
  trace?: TraceContext;
  /** Bytes received so far (and the declared total), for progress notifications. */
  onBody?: (received: number, total: number | undefined) => void;
}

export interface ExchangeResponse extends UpstreamResponse {
  /** Attempts made (1 without retries); 0 for a cache hit. */
  attempts?: number;
  /** `hit`, `revalidated`, `miss`, `bypass`: set by the cache stage. */
  cache?: 'hit' | 'revalidated' | 'miss' | 'bypass';
  /** Answered by an identical request another caller had in flight (dedupe.ts). */
  shared?: boolean;
}

export type Exchange = (request: ExchangeRequest) => Promise<ExchangeResponse>;
export type ExchangeStage = (next: Exchange) => Exchange;

export function composeExchange(stages: readonly ExchangeStage[], terminal: Exchange): Exchange {
  return stages.reduceRight<Exchange>((next, stage) => stage(next), terminal);
}
