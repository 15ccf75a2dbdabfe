/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) for one call: the caller's
 * `traceparent` (MCP carries it in a request's `_meta`, SEP-414, on either era), and the
 * header each upstream request carries on: the same trace id, a new span id (the hub's
 * own span, one per attempt), the caller's flags. A malformed value is ignored, as the
 * recommendation asks of a receiver: the call runs untraced rather than refused.
 */
import { randomBytes } from 'node:crypto';

export interface TraceContext {
  /** 32 lower-case hex digits, never all zero. */
  readonly traceId: string;
  /** The caller's span (16 hex digits): the parent of the hub's. */
  readonly parentId: string;
  /** Two hex digits (01: sampled). */
  readonly flags: string;
  /** The caller's `tracestate`, passed on unchanged when it is well-formed. */
  readonly state?: string;
}

// Version 00 exactly; a later version may append fields after the flags (§ "Versioning").
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
/** At most 32 list members of key=value, 512 characters in all (§ "tracestate Header Field Values"). */
const TRACESTATE = /^[\x20-\x7e]{1,512}$/;

/** The trace a `traceparent` (and `tracestate`) names, or undefined when it is absent or malformed. */
export function parseTraceparent(value: unknown, state?: unknown): TraceContext | undefined {
  if (typeof value !== 'string') return undefined;
  const match = TRACEPARENT.exec(value.trim());
  if (!match) return undefined;
  const [, version, traceId, parentId, flags, rest] = match;
  // ff is forbidden; 00 has nothing after the flags; all-zero ids are invalid.
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (/^0+$/.test(traceId!) || /^0+$/.test(parentId!)) return undefined;
  const tracestate = typeof state === 'string' && TRACESTATE.test(state) && state.split(',').length <= 32 ? state : undefined;
  return { traceId: traceId!, parentId: parentId!, flags: flags!, ...(tracestate ? { state: tracestate } : {}) };
}

/** A new span of the trace: what an upstream request carries as `traceparent`. */
export function childTraceparent(trace: TraceContext): string {
  let span: string;
  do span = randomBytes(8).toString('hex');
  while (span === '0000000000000000' || span === trace.parentId);
  return `00-${trace.traceId}-${span}-${trace.flags}`;
}

/** The headers an upstream request gets for a trace (lower-case names, as UpstreamRequest keeps them). */
export function traceHeaders(trace: TraceContext): Record<string, string> {
  return { traceparent: childTraceparent(trace), ...(trace.state ? { tracestate: trace.state } : {}) };
}
