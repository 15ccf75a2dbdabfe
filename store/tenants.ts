/** Tenants: the unit of isolation, with the front-door quota of all their agents together. */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { nullableColumn, now, rowMapping, type Timestamp } from './rows';
import { rejectTaken } from './taken';

export interface Tenant {
  id: string;
  name: string;
  createdAt: Timestamp;
  /** Front-door quota for all the tenant's agents together; null: none. */
  callsPerMinute: number | null;
}

export interface TenantsTable {
  id: string;
  name: string;
  created_at: string;
  calls_per_minute: number | null;
}

export interface TenantTables {
  tenants: TenantsTable;
}

export interface TenantStore {
  createTenant(name: string): Promise<Tenant>;
  /** Sets (or clears, with null) the tenant's front-door quota. */
  setTenantQuota(id: string, callsPerMinute: number | null): Promise<Tenant | undefined>;
  getTenant(id: string): Promise<Tenant | undefined>;
  getTenantByName(name: string): Promise<Tenant | undefined>;
  listTenants(): Promise<Tenant[]>;
}

const tenants = rowMapping<Tenant, TenantsTable>({ id: 'id', name: 'name', createdAt: 'created_at', callsPerMinute: nullableColumn('calls_per_minute') });

export function tenantQueries(db: Kysely<TenantTables>): TenantStore {
  return {
    async createTenant(name) {
      const row = tenants.toRow({ id: randomUUID(), name, createdAt: now(), callsPerMinute: null });
      const insert = db.insertInto('tenants').values(row).returningAll().executeTakeFirstOrThrow();
      return tenants.fromRow(await rejectTaken(insert, { what: 'tenant name', field: 'name', value: name }));
    },
    async setTenantQuota(id, callsPerMinute) {
      const row = await db.updateTable('tenants').set({ calls_per_minute: callsPerMinute }).where('id', '=', id).returningAll().executeTakeFirst();
      return row && tenants.fromRow(row);
    },
    async getTenant(id) {
      const row = await db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
      return row && tenants.fromRow(row);
    },
    async getTenantByName(name) {
      const row = await db.selectFrom('tenants').selectAll().where('name', '=', name).executeTakeFirst();
      return row && tenants.fromRow(row);
    },
    async listTenants() {
      const rows = await db.selectFrom('tenants').selectAll().orderBy('created_at').orderBy('name').execute();
      return rows.map(tenants.fromRow);
    },
  };
}
