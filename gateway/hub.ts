/**
 * What `serve` and `stdio` share: a logger, the registry over the specs folder (loaded
 * and watched) and the call pipeline. Each command only adds its transport.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { errors } from '../errors';
import { createLogger } from './logger';
import type { CallFn } from './pipeline/compose';
import { Registry } from './registry/registry';
import { recordToolCalls, type AuditTrail } from './audit';
import { openServices, type HubServices } from './services';
import { oauthEndpoints } from '../auth/upstream/schemes';

export interface Hub {
  log: Logger;
  registry: Registry;
  call: CallFn;
  services: HubServices;
  audit: AuditTrail;
  close(): Promise<void>;
}

export interface HubOptions {
  specsDir: string;
  /** A folder written by `lunar-hub generate --out`: start from its artefacts where they are fresh. */
  generatedDir?: string;
  logLevel?: string;
  watch?: boolean;
  /** The data dir: the SQLite store and the master key live here (unless env vars say otherwise). */
  dataDir: string;
  env?: NodeJS.ProcessEnv;
  adminUrl?: string;
}

export async function startHub(options: HubOptions): Promise<Hub> {
  const generatedDir = options.generatedDir === undefined ? undefined : path.resolve(options.generatedDir);
  if (generatedDir !== undefined && !(await isDirectory(generatedDir))) {
    throw errors.CONFIG_USAGE([`--generated ${options.generatedDir}: no such folder; write it with \`lunar-hub generate --out ${options.generatedDir}\``]);
  }
  const log = createLogger(options.logLevel);
  // The registry comes next; OAuth endpoints are looked up in its snapshot of the moment.
  let registryRef: Registry | undefined;
  const endpointsOf = (id: string) => oauthEndpoints(registryRef?.current.connectors.get(id)?.runtime.auth?.scheme);
  const services = await openServices({ dataDir: options.dataDir, log, endpointsOf, ...(options.env ? { env: options.env } : {}), ...(options.adminUrl ? { adminUrl: options.adminUrl } : {}) });
  const audit = recordToolCalls(services.store, log);
  const registry = new Registry({ specsDir: path.resolve(options.specsDir), log, ...(generatedDir !== undefined ? { generatedDir } : {}) });
  registryRef = registry;
  await registry.start();
  if (options.watch !== false) registry.watch();
  const pipeline = lazyCallPipeline(services);
  return {
    log,
    registry,
    call: pipeline.call,
    services,
    audit,
    async close() {
      registry.close();
      if (pipeline.loaded()) await (require('./pipeline/send') as typeof import('./pipeline/send')).closeAgents();
      await audit.close();
      await services.close();
      log.flush();
    },
  };
}

/**
 * The call pipeline is loaded on the first tools/call, not at start: its modules (undici
 * above all, ~0.1 s) are not needed to answer initialize and tools/list, which a client
 * waits for when it starts the hub. Composed once, as before.
 */
function lazyCallPipeline(services: HubServices): { call: CallFn; loaded: () => boolean } {
  let pipeline: CallFn | undefined;
  return {
    call: (ctx) => {
      pipeline ??= (require('./pipeline/call-pipeline') as typeof import('./pipeline/call-pipeline')).createCallPipeline({ credentials: services.credentials });
      return pipeline(ctx);
    },
    loaded: () => pipeline !== undefined,
  };
}

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}
