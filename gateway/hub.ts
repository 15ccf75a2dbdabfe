/**
 * What `serve` and `stdio` share: a logger, the registry over the specs folder (loaded
 * and watched), the durable services (store, credentials, audit trail) and the call
 * pipeline. Each command only adds its transport.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { errors } from '../errors';
import { createLogger } from './logger';
import type { CallFn } from './core';
import { Registry, type BuiltInConnectorsOptions } from './registry';
import type { AuditTrail } from './audit';
import type { HubServices, ServiceSettings } from './services';
import type { UpstreamStages } from './upstream/upstream-stages';
import type { CallPipeline } from './pipeline/call-pipeline';
import type { SharedState } from './state';
import type { QuotaCounter } from './pipeline/quota';
import { oauthEndpoints } from '../auth';

export interface Hub {
  log: Logger;
  registry: Registry;
  call: CallFn;
  /** Opened on first use (`eagerServices`: at start): stdio answers tools/list without the store. */
  services(): Promise<HubServices>;
  /** The HTTP half's cache, limiters and breakers (opened with the services). */
  upstream(): Promise<UpstreamStages>;
  close(): Promise<void>;
}

export interface HubOptions {
  specsDir: string;
  /** A folder written by `lunar-hub generate --out`: start from its artefacts where they are fresh. */
  generatedDir?: string;
  /** Built-in connectors to serve: `dir` holds one folder each (`<id>/connector.yaml`), `enabled` names them. */
  connectors?: BuiltInConnectorsOptions['connectors'];
  logLevel?: string;
  watch?: boolean;
  /** The data dir: the SQLite store and the master key live here (unless the settings say otherwise). */
  dataDir: string;
  /** Store, Redis and master key settings (gateway/config). */
  settings: ServiceSettings;
  adminUrl?: string;
  /** Open the store while the specs load (serve's front door needs it for the first request). */
  eagerServices?: boolean;
  /** Where front-door quotas are counted instead of this process (a worker's primary). */
  quota?: QuotaCounter;
  /** Of each upstream rate, what this process may use without Redis (a worker of N: 1/N). */
  rateShare?: number;
}

/** `--generated DIR` must name a folder `lunar-hub generate` wrote; the absolute path when given. */
export async function checkGeneratedDir(dir: string | undefined): Promise<string | undefined> {
  if (dir === undefined) return undefined;
  const absolute = path.resolve(dir);
  if (!(await isDirectory(absolute))) throw errors.CONFIG_USAGE([`--generated ${dir}: no such folder; write it with \`lunar-hub generate --out ${dir}\``]);
  return absolute;
}

export async function startHub(options: HubOptions): Promise<Hub> {
  const generatedDir = await checkGeneratedDir(options.generatedDir);
  const log = createLogger(options.logLevel);
  // The registry comes next; OAuth endpoints are looked up in its snapshot of the moment.
  let registryRef: Registry | undefined;
  const endpointsOf = (id: string) => oauthEndpoints(registryRef?.current.connectors.get(id)?.runtime.auth?.scheme);
  // kysely, the SQLite driver and the key file cost ~50 ms: not paid before the first tools/list over stdio.
  let opening: Promise<{ shared: SharedState; services: HubServices; audit: AuditTrail; upstream: UpstreamStages }> | undefined;
  const open = () =>
    (opening ??= (async () => {
      const { openServices } = require('./services') as typeof import('./services');
      const { recordToolCalls } = require('./audit') as typeof import('./audit');
      const { createUpstreamStages } = require('./upstream/upstream-stages') as typeof import('./upstream/upstream-stages');
      const { openSharedState } = require('./state') as typeof import('./state');
      const redisUrl = options.settings.redis.url;
      // The hub's one Redis connection (quotas, cache); a bad URL stops here, before anything else is opened.
      const shared = openSharedState(redisUrl ? { redisUrl } : {});
      let services: HubServices;
      try {
        services = await openServices({
          dataDir: options.dataDir,
          log,
          endpointsOf,
          settings: options.settings,
          shared,
          ...(options.quota ? { quota: options.quota } : {}),
          ...(options.adminUrl ? { adminUrl: options.adminUrl } : {}),
        });
      } catch (error) {
        await shared.close().catch(() => undefined);
        throw error;
      }
      let upstream: UpstreamStages;
      try {
        upstream = createUpstreamStages({
          log,
          cacheHashKey: services.box.deriveKey('cache hmac'),
          shared,
          ...(options.rateShare !== undefined ? { rateShare: options.rateShare } : {}),
        });
      } catch (error) {
        // What was opened is closed, not left reconnecting behind the error.
        await services.close().catch(() => undefined);
        await shared.close().catch(() => undefined);
        throw error;
      }
      return { shared, services, audit: recordToolCalls(services.store, log), upstream };
    })().catch((error: unknown) => {
      // A store that failed to open (PostgreSQL restarting, say) is tried again by the next call.
      opening = undefined;
      throw error;
    }));
  /** Closes what was opened, if anything was (a failed open left nothing to close). */
  const closeOpened = async () => {
    const opened = await opening?.catch(() => undefined);
    if (!opened) return;
    await opened.audit.close();
    await opened.upstream.close();
    await opened.services.close();
    // Last: the cache and the quotas above borrowed its connection.
    await opened.shared.close();
  };
  if (options.eagerServices) await open();
  const registry = new Registry({
    specsDir: path.resolve(options.specsDir),
    log,
    ...(generatedDir !== undefined ? { generatedDir } : {}),
    ...(options.connectors ? { connectors: options.connectors, builtInDir: path.resolve(options.connectors.dir) } : {}),
  });
  registryRef = registry;
  try {
    await registry.start();
  } catch (error) {
    await closeOpened();
    throw error;
  }
  if (options.watch !== false) registry.watch();
  const services = async () => (await open()).services;
  const upstream = async () => (await open()).upstream;
  const pipeline = lazyCallPipeline(open);
  return {
    log,
    registry,
    call: pipeline.call,
    services,
    upstream,
    async close() {
      registry.close();
      try {
        await pipeline.close();
        await closeOpened();
      } finally {
        log.flush();
      }
    },
  };
}

/**
 * The call pipeline is loaded on the first tools/call, not at start: its modules (undici
 * above all, ~0.1 s) are not needed to answer initialize and tools/list, which a client
 * waits for when it starts the hub. Composed once, as before; `close()` closes its
 * undici pools if it was ever made.
 */
function lazyCallPipeline(open: () => Promise<{ services: HubServices; upstream: UpstreamStages }>): { call: CallFn; close: () => Promise<void> } {
  let pipeline: Promise<CallPipeline> | undefined;
  return {
    call: async (ctx) => {
      pipeline ??= open().then(
        ({ services, upstream }) =>
          (require('./pipeline/call-pipeline') as typeof import('./pipeline/call-pipeline')).createCallPipeline({
            credentials: services.credentials,
            quota: services.quota,
            exchangeStages: upstream.stages,
          }),
        (error: unknown) => {
          pipeline = undefined; // the next call tries to open the store again
          throw error;
        },
      );
      return (await pipeline).call(ctx);
    },
    close: async () => {
      const made = await pipeline?.catch(() => undefined);
      await made?.close();
    },
  };
}

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}
