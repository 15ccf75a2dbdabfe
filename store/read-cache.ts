/**
 * The lookups every tool call makes (its agent key, its tenant, the connection whose
 * credentials it uses), answered from memory while the change feed says nothing they
 * depend on has changed: one store round trip less per lookup on the hot path, and
 * still a revoked key is refused on its next request (change-feed.ts says how each
 * dialect learns of another process's writes).
 *
 * Every method of the store has a role below, checked by the compiler: a new method
 * must say whether it is a cached read, a write that changes what is cached, or
 * neither. Cached values are frozen: a caller that mutated one would change it for
 * every later caller.
 */
import type { ChangeFeed } from './change-feed';
import type { HubStore } from './hub-store';

type Role = 'cached' | 'invalidates' | 'passes';
type Method = Exclude<keyof HubStore, 'kind'>;

const ROLES: Record<Method, Role> = {
  getAgentKeyByHash: 'cached',
  getTenant: 'cached',
  findConnectionFor: 'cached',
  createTenant: 'invalidates',
  setTenantQuota: 'invalidates',
  createAgentKey: 'invalidates',
  revokeAgentKey: 'invalidates',
  createConnection: 'invalidates',
  updateConnectionSecret: 'invalidates',
  setConnectionStatus: 'invalidates',
  setConnectionShared: 'invalidates',
  // Re-sealing under a new master key rewrites connection secrets.
  replaceSealedValues: 'invalidates',
  migrate: 'invalidates',
  close: 'passes',
  getTenantByName: 'passes',
  listTenants: 'passes',
  listAgentKeys: 'passes',
  getConnection: 'passes',
  listConnections: 'passes',
  createAdmin: 'passes',
  getAdminByUsername: 'passes',
  getAdmin: 'passes',
  countAdmins: 'passes',
  createAdminSession: 'passes',
  getAdminSession: 'passes',
  deleteAdminSession: 'passes',
  upsertOAuthApp: 'passes',
  getOAuthApp: 'passes',
  listOAuthApps: 'passes',
  deleteOAuthApp: 'passes',
  createOAuthPending: 'passes',
  takeOAuthPending: 'passes',
  listSealedValues: 'passes',
  appendAudit: 'passes',
  appendAuditBatch: 'passes',
  queryAudit: 'passes',
  // Tasks change under every poll (another node finishes or cancels them): never cached.
  createTask: 'passes',
  getTask: 'passes',
  finishTask: 'passes',
  cancelTask: 'passes',
  taskStatus: 'passes',
  sweepTasks: 'passes',
};

/** Enough for every key and connection of a busy hub; past it the cache starts again. */
const MAX_ENTRIES = 10_000;

interface Entry {
  generation: number;
  value: Promise<unknown>;
}

export interface ReadCacheStats {
  hits: number;
  misses: number;
}

export function withReadCache<S extends HubStore>(store: S, feed: ChangeFeed): S & { readCacheStats(): ReadCacheStats } {
  const entries = new Map<string, Entry>();
  const stats: ReadCacheStats = { hits: 0, misses: 0 };
  const wrapped: Record<string, unknown> = { ...(store as object), readCacheStats: () => ({ ...stats }) };
  const target = store as unknown as Record<Method, (...args: unknown[]) => Promise<unknown>>;

  for (const [method, role] of Object.entries(ROLES) as Array<[Method, Role]>) {
    const original = target[method].bind(store);
    if (role === 'cached') {
      wrapped[method] = (...args: unknown[]) => {
        const generation = feed.generation();
        const key = `${method}\u0000${JSON.stringify(args)}`;
        const entry = entries.get(key);
        if (entry && entry.generation === generation) {
          stats.hits += 1;
          return entry.value;
        }
        stats.misses += 1;
        if (entries.size >= MAX_ENTRIES) entries.clear();
        const value = original(...args).then(freeze);
        entries.set(key, { generation, value });
        // A failed lookup is not remembered: the next call asks the store again.
        value.catch(() => {
          if (entries.get(key)?.value === value) entries.delete(key);
        });
        return value;
      };
    } else if (role === 'invalidates') {
      wrapped[method] = async (...args: unknown[]) => {
        try {
          return await original(...args);
        } finally {
          // Even after a failure: a write may have happened before it failed.
          entries.clear();
          await feed.announce();
        }
      };
    } else if (method === 'close') {
      wrapped[method] = async () => {
        entries.clear();
        await feed.close();
        await original();
      };
    } else {
      wrapped[method] = original;
    }
  }
  return wrapped as unknown as S & { readCacheStats(): ReadCacheStats };
}

function freeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) freeze(inner);
  }
  return value;
}
