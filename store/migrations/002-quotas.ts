import type { Kysely } from 'kysely';

/** Front-door quotas (calls per minute) for a tenant and for one agent key; null: none. */
export async function quotas(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('tenants').addColumn('calls_per_minute', 'integer').execute();
  await db.schema.alterTable('agent_keys').addColumn('calls_per_minute', 'integer').execute();
}
