/**
 * The audit trail of tool calls, fed from the pipeline's `lunar-hub:call:end` channel
 * (STYLE.md: audit subscribes, it does not sit in the call path). Entries hold who,
 * which tool, whose credentials, the upstream status, duration and outcome: never
 * arguments or tokens. A store failure is logged and never fails a call.
 *
 * Entries are written in batches, one statement each, a few milliseconds after the
 * call: the embedded store (better-sqlite3) is synchronous, and one INSERT per call
 * on the call's own tick was ~9% of a stdio call's CPU (issue 14, item 6). An entry's
 * `at` is the call's end, whenever it is written.
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

export interface AuditTrailOptions {
  /** How long an entry may wait for others to share its write. */
  batchMs?: number; // milliseconds
  /** A batch this large is written at once. */
  batchSize?: number;
}

export function recordToolCalls(store: HubStore, log: Logger, options: AuditTrailOptions = {}): AuditTrail {
  const batchMs = options.batchMs ?? 20;
  const batchSize = options.batchSize ?? 200;
  let queue: NewAuditEntry[] = [];
  let timer: NodeJS.Timeout | undefined;
  const pending = new Set<Promise<unknown>>();

  const writeBatch = async (batch: NewAuditEntry[]): Promise<void> => {
    try {
      await store.appendAuditBatch(batch);
    } catch {
      // One bad entry (a tenant removed meanwhile) must not cost the others theirs: one by one.
      for (const entry of batch) {
        await store.appendAudit(entry).catch((error: Error) => log.error({ err: error.message, tool: entry.tool }, 'audit entry not written'));
      }
    }
  };
  const drain = (): void => {
    clearTimeout(timer);
    timer = undefined;
    if (queue.length === 0) return;
    const batch = queue;
    queue = [];
    const write = writeBatch(batch);
    pending.add(write);
    void write.finally(() => pending.delete(write));
  };
  const onEnd = (message: unknown): void => {
    const event = message as CallEndEvent;
    if (event.tenantId === undefined) return;
    queue.push({
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
      at: new Date().toISOString(),
    });
    if (queue.length >= batchSize) drain();
    else timer ??= setTimeout(drain, batchMs);
  };
  diagnostics.subscribe('lunar-hub:call:end', onEnd);
  const flush = async () => {
    drain();
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
