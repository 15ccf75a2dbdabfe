/** The audit trail: who did what, with whose credentials, and how it ended. Never arguments, secrets or tokens. */
import type { ColumnType, Kysely } from 'kysely';
import { generatedIdColumn, now, rowMapping, type Codec, type Timestamp } from './rows';

export type AuditActorKind = 'agent' | 'admin' | 'system';

export interface AuditEntry {
  id: number;
  at: Timestamp;
  tenantId: string | null;
  actorKind: AuditActorKind;
  /** Agent key id, admin user id, JWT subject, or `cli`. */
  actorId: string | null;
  /** `tool.call`, `connection.create`, `key.revoke`, ... */
  action: string;
  tool: string | null;
  connectorId: string | null;
  connectionId: string | null;
  /** Whose credentials were used: `user:<id>`, `tenant` (shared), or null. */
  credentialOwner: string | null;
  upstreamStatus: number | null;
  durationMs: number | null;
  /** `ok`, `error`, `denied`, ... */
  outcome: string;
  /** A short human sentence; never arguments, secrets or tokens. */
  detail: string | null;
}

export type NewAuditEntry = Omit<AuditEntry, 'id' | 'at'> & { at?: Timestamp };

export interface AuditQuery {
  /** Required unless the caller is a hub-wide admin (then undefined means every tenant). */
  tenantId?: string;
  actorId?: string;
  tool?: string;
  action?: string;
  /** Inclusive lower and exclusive upper bound on `at`. */
  since?: Timestamp;
  until?: Timestamp;
  /** Newest first; default 100, at most 1000. */
  limit?: number;
  /** Entries with id lower than this (paging newest-first). */
  before?: number;
}

export interface AuditTable {
  /** Assigned by the database; PostgreSQL's bigint arrives as a string. */
  id: ColumnType<number | string, never, never>;
  at: string;
  tenant_id: string | null;
  actor_kind: AuditActorKind;
  actor_id: string | null;
  action: string;
  tool: string | null;
  connector_id: string | null;
  connection_id: string | null;
  credential_owner: string | null;
  upstream_status: number | null;
  duration_ms: number | null;
  outcome: string;
  detail: string | null;
}

export interface AuditTables {
  audit: AuditTable;
}

export interface AuditStore {
  appendAudit(entry: NewAuditEntry): Promise<AuditEntry>;
  /** Several entries in one statement, in order (the call trail writes in batches, off the call path). */
  appendAuditBatch(entries: readonly NewAuditEntry[]): Promise<void>;
  queryAudit(query: AuditQuery): Promise<AuditEntry[]>;
}

const AUDIT_LIMIT = { default: 100, max: 1000 };

// PostgreSQL's integer refuses a fraction that SQLite would keep: round so both agree.
const roundedMs: Codec<AuditTable, number | null> = {
  column: 'duration_ms',
  read: (value: number | null) => value,
  write: (value) => (value === null ? null : Math.round(value)),
};

const entries = rowMapping<AuditEntry, AuditTable, 'id'>({
  id: generatedIdColumn('id'),
  at: 'at',
  tenantId: 'tenant_id',
  actorKind: 'actor_kind',
  actorId: 'actor_id',
  action: 'action',
  tool: 'tool',
  connectorId: 'connector_id',
  connectionId: 'connection_id',
  credentialOwner: 'credential_owner',
  upstreamStatus: 'upstream_status',
  durationMs: roundedMs,
  outcome: 'outcome',
  detail: 'detail',
});

function auditLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return AUDIT_LIMIT.default;
  return Math.min(Math.max(Math.trunc(limit), 1), AUDIT_LIMIT.max);
}

export function auditQueries(db: Kysely<AuditTables>): AuditStore {
  return {
    async appendAudit(entry) {
      const row = entries.toRow({ ...entry, at: entry.at ?? now() });
      return entries.fromRow(await db.insertInto('audit').values(row).returningAll().executeTakeFirstOrThrow());
    },
    async appendAuditBatch(batch) {
      if (batch.length === 0) return;
      const at = now();
      await db
        .insertInto('audit')
        .values(batch.map((entry) => entries.toRow({ ...entry, at: entry.at ?? at })))
        .execute();
    },
    async queryAudit(filter) {
      let query = db.selectFrom('audit').selectAll();
      if (filter.tenantId !== undefined) query = query.where('tenant_id', '=', filter.tenantId);
      if (filter.actorId !== undefined) query = query.where('actor_id', '=', filter.actorId);
      if (filter.tool !== undefined) query = query.where('tool', '=', filter.tool);
      if (filter.action !== undefined) query = query.where('action', '=', filter.action);
      if (filter.since !== undefined) query = query.where('at', '>=', filter.since);
      if (filter.until !== undefined) query = query.where('at', '<', filter.until);
      if (filter.before !== undefined) query = query.where('id', '<', filter.before);
      // By id, not `at`: ids only grow, so `before` pages never skip or repeat an entry,
      // even when a caller wrote an entry with an earlier `at`.
      const rows = await query.orderBy('id', 'desc').limit(auditLimit(filter.limit)).execute();
      return rows.map(entries.fromRow);
    },
  };
}
