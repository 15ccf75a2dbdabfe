/**
 * The hub's durable side, opened once per process for `serve`, `stdio` and the admin
 * verbs: the store (SQLite under the data dir, or PostgreSQL by `store.url`),
 * the secret box under the master key, the credential service, and the audit trail
 * fed from the call pipeline's diagnostics channel.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import { CredentialService, OAuthConnections, type OAuthEndpoints, secretBoxFor, type SecretBox } from '../auth';
import type { HubStore } from '../store';
import { memoryCounter, redisCounter, type QuotaCounter } from './pipeline/quota';
import type { SharedState } from './state';
import type { Settings } from './config';

export interface HubServices {
  dataDir: string;
  store: HubStore;
  box: SecretBox;
  credentials: CredentialService;
  oauth: OAuthConnections;
  /** Front-door quota counts: in memory, or in Redis through the shared state (`redis.url`, several nodes). */
  quota: QuotaCounter;
  close(): Promise<void>;
}

/** The sections of the settings the durable services read. */
export type ServiceSettings = Pick<Settings, 'store' | 'redis' | 'secrets'>;

export interface ServicesOptions {
  dataDir: string;
  log?: Logger;
  settings: ServiceSettings;
  /** Where admins reconnect, for messages. */
  adminUrl?: string;
  /** A connector's OAuth endpoints (from the registry), for connecting and refreshing. */
  endpointsOf?: (connectorId: string) => OAuthEndpoints | undefined;
  /** The hub's shared state: with Redis, quotas are counted there (the hub closes it, after these services). */
  shared?: SharedState;
  /** Counts quotas elsewhere (a worker asks its primary); Redis, when configured, still wins: it spans nodes. */
  quota?: QuotaCounter;
}

export async function openServices(options: ServicesOptions): Promise<HubServices> {
  const { settings } = options;
  const dataDir = path.resolve(options.dataDir);
  // Loaded here: kysely and the SQLite driver are not needed by `tools`, `validate` or `generate`.
  const { openStore, storeConfigFrom } = require('../store') as typeof import('../store');
  const store = await openStore(storeConfigFrom(dataDir, settings.store), options.log ? { log: options.log } : {});
  try {
    const box = secretBoxFor(dataDir, settings.secrets);
    const oauth = new OAuthConnections(store, box, { endpointsOf: options.endpointsOf ?? (() => undefined) });
    const credentials = new CredentialService(store, box, { refresher: oauth.refresher, ...(options.adminUrl ? { adminUrl: options.adminUrl } : {}) });
    const quota = options.shared?.redis ? redisCounter(options.shared.redis) : (options.quota ?? memoryCounter());
    return {
      dataDir,
      store,
      box,
      credentials,
      oauth,
      quota,
      close: async () => {
        await quota.close();
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}
