/** Hub API keys: an agent's identity inside a tenant, stored as a hash, with its toolsets, read-only flag and quota. */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { booleanColumn, now, nullableColumn, rowMapping, stringsColumn, type BooleanColumn, type StringArrayColumn, type Timestamp } from './rows';

export interface AgentKey {
  id: string;
  tenantId: string;
  /** null: the key acts for the tenant; else for this user of the tenant. */
  userId: string | null;
  name: string;
  /** SHA-256 (hex) of the whole key; the key itself is shown once and never stored. */
  keyHash: string;
  /** The first characters of the key (e.g. `lsh_ab12`), to recognise it in lists. */
  prefix: string;
  /** Toolsets the key may use (`github`, `github:issues`); empty: every enabled connector. */
  toolsets: string[];
  readOnly: boolean;
  expiresAt: Timestamp | null;
  revokedAt: Timestamp | null;
  createdAt: Timestamp;
  /** Front-door quota for this key; null: none (the tenant's still applies). */
  callsPerMinute: number | null;
}

export type NewAgentKey = Omit<AgentKey, 'id' | 'revokedAt' | 'createdAt' | 'callsPerMinute'> & { callsPerMinute?: number | null };

export interface AgentKeysTable {
  id: string;
  tenant_id: string;
  user_id: string | null;
  name: string;
  key_hash: string;
  prefix: string;
  toolsets: StringArrayColumn;
  read_only: BooleanColumn;
  expires_at: string | null;
  revoked_at: string | null;
  created_at: string;
  calls_per_minute: number | null;
}

export interface AgentKeyTables {
  agent_keys: AgentKeysTable;
}

export interface AgentKeyStore {
  createAgentKey(input: NewAgentKey): Promise<AgentKey>;
  /** Any state (revoked, expired): the caller decides. */
  getAgentKeyByHash(keyHash: string): Promise<AgentKey | undefined>;
  listAgentKeys(tenantId: string): Promise<AgentKey[]>;
  revokeAgentKey(tenantId: string, id: string, at: Timestamp): Promise<AgentKey | undefined>;
}

const keys = rowMapping<AgentKey, AgentKeysTable>({
  id: 'id',
  tenantId: 'tenant_id',
  userId: 'user_id',
  name: 'name',
  keyHash: 'key_hash',
  prefix: 'prefix',
  toolsets: stringsColumn('toolsets'),
  readOnly: booleanColumn('read_only'),
  expiresAt: 'expires_at',
  revokedAt: 'revoked_at',
  createdAt: 'created_at',
  callsPerMinute: nullableColumn('calls_per_minute'),
});

export function agentKeyQueries(db: Kysely<AgentKeyTables>): AgentKeyStore {
  return {
    async createAgentKey(input) {
      const row = keys.toRow({ id: randomUUID(), ...input, callsPerMinute: input.callsPerMinute ?? null, revokedAt: null, createdAt: now() });
      return keys.fromRow(await db.insertInto('agent_keys').values(row).returningAll().executeTakeFirstOrThrow());
    },
    async getAgentKeyByHash(keyHash) {
      const row = await db.selectFrom('agent_keys').selectAll().where('key_hash', '=', keyHash).executeTakeFirst();
      return row && keys.fromRow(row);
    },
    async listAgentKeys(tenantId) {
      const rows = await db.selectFrom('agent_keys').selectAll().where('tenant_id', '=', tenantId).orderBy('created_at').orderBy('id').execute();
      return rows.map(keys.fromRow);
    },
    async revokeAgentKey(tenantId, id, at) {
      // Revoking twice keeps the first time: the audit trail and the key list must agree.
      const row = await db
        .updateTable('agent_keys')
        .set((eb) => ({ revoked_at: eb.fn.coalesce('revoked_at', eb.val(at)) }))
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return row && keys.fromRow(row);
    },
  };
}
