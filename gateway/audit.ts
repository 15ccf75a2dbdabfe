/**
 * The audit trail of tool calls, fed from the pipeline's `lunar-hub:call:end` channel
 * (STYLE.md: audit subscribes, it does not sit in the call path). Entries hold who,
 * which tool, whose credentials, the upstream status, duration and outcome: never
 * arguments or tokens. A store failure is logged and never fails a call.
 */
import diagnostics from 'node:diagnostics_channel';
import type { Logger } from 'pino';
import type { HubStore, NewAuditEntry } from '../store';
import type { CallEndEvent } from './core';

export interface AuditTrail {
  /** Resolves when every entry written so far is in the store (tests, shutdown). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export function recordToolCalls(store: HubStore, log: Logger): AuditTrail {
  const pending = new Set<Promise<unknown>>();
  const onEnd = (message: unknown): void => {
    const event = message as CallEndEvent;
    if (event.tenantId === undefined) return;
    const entry: NewAuditEntry = {
      tenantId: event.tenantId,
      actorKind: 'agent',
      actorId: event.agentId ?? null,
      action: 'tool.call',
      tool: event.tool,
      connectorId: event.connector,
      connectionId: event.connectionId ?? null,
      credentialOwner: event.credentialOwner ?? null,
      upstreamStatus: event.upstreamStatus ?? null,
      durationMs: Math.round(event.durationMs),
      outcome: event.outcome,
      detail: event.code ?? null,
    };
    const write = store.appendAudit(entry).catch((error: Error) => log.error({ err: error.message, tool: event.tool }, 'audit entry not written'));
    pending.add(write);
    void write.finally(() => pending.delete(write));
  };
  diagnostics.subscribe('lunar-hub:call:end', onEnd);
  const flush = async () => {
    while (pending.size > 0) await Promise.all([...pending]);
  };
  return {
    flush,
    async close() {
      diagnostics.unsubscribe('lunar-hub:call:end', onEnd);
      await flush();
    },
  };
}
