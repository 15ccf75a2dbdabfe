/**
 * What `serve` and `stdio` share: a logger, the registry over the specs folder (loaded
 * and watched) and the call pipeline. Each command only adds its transport.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import { createLogger } from './logger';
import { createCallPipeline } from './pipeline/call-pipeline';
import type { CallFn } from './pipeline/compose';
import { closeAgents } from './pipeline/send';
import { Registry } from './registry/registry';

export interface Hub {
  log: Logger;
  registry: Registry;
  call: CallFn;
  close(): Promise<void>;
}

export async function startHub(options: { specsDir: string; logLevel?: string; watch?: boolean }): Promise<Hub> {
  const log = createLogger(options.logLevel);
  const registry = new Registry({ specsDir: path.resolve(options.specsDir), log });
  await registry.start();
  if (options.watch !== false) registry.watch();
  return {
    log,
    registry,
    call: createCallPipeline(),
    async close() {
      registry.close();
      await closeAgents();
      log.flush();
    },
  };
}
