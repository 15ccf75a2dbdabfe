/**
 * The tool half of the call pipeline: stages of one shape, `(next) => (ctx) => result`,
 * reduced once at start-up (STYLE.md "The tool half"). The first stage in the list
 * sees the call first.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import type { CallCredential } from '../../auth/credentials/credential-service';
import type { Principal } from '../../auth/principal';
import type { RegistrySnapshot } from '../registry/snapshot';
import type { ConnectorRuntime, RegisteredTool, UpstreamRequest } from './types';

export interface CallContext {
  readonly callId: string;
  readonly toolName: string;
  readonly args: Record<string, unknown>;
  /** Aborted when the client cancels (notifications/cancelled) or the session closes. */
  readonly signal: AbortSignal;
  /** The registry snapshot this call started on; a reload does not change it mid-call. */
  readonly snapshot: RegistrySnapshot;
  /** Tools this session may call (undefined: every tool of the snapshot). */
  readonly visible?: (tool: RegisteredTool) => boolean;
  /** Reports progress when the client asked for it (a progress token); a no-op otherwise. */
  readonly progress: (progress: number, total?: number, message?: string) => void;
  readonly log: Logger;
  /** Who the call acts for (the front door made it); absent only where no store is configured. */
  readonly principal?: Principal;
  registered?: RegisteredTool;
  connector?: ConnectorRuntime;
  request?: UpstreamRequest;
  /** The connection whose credentials the request carries (for the audit trail). */
  credential?: CallCredential;
  /** The upstream's HTTP status, set by send. */
  upstreamStatus?: number;
}

export type CallFn = (ctx: CallContext) => Promise<CallToolResult>;
export type Stage = (next: CallFn) => CallFn;

export function compose(stages: readonly Stage[], terminal: CallFn): CallFn {
  return stages.reduceRight<CallFn>((next, stage) => stage(once(next)), terminal);
}

/** A stage that calls next() twice would send the upstream request twice; refuse loudly. */
function once(next: CallFn): CallFn {
  const called = new WeakSet<CallContext>();
  return (ctx) => {
    if (called.has(ctx)) return Promise.reject(new Error('a pipeline stage called next() twice'));
    called.add(ctx);
    return next(ctx);
  };
}
