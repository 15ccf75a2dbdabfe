/**
 * The primary of `serve --workers N`: it prepares the store once (migrations are
 * one writer's job), forks N workers that share the listening port (Node's cluster
 * module hands connections out in turn), and then only keeps them: a worker that
 * dies is replaced, SIGTERM and SIGINT are passed on and waited for (each worker drains
 * its calls and flushes its audit batch), and it answers what the workers ask of it:
 * quota counts (one counter for all, when there is no Redis), the other workers'
 * private ports, events for every worker, and the metrics of all of them summed.
 *
 * It serves no request itself and loads neither express nor the pipeline.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { memoryCounter } from '../pipeline/quota';
import { isHubMessage, WORKER_COUNT_ENV, WORKER_ID_ENV, type ToPrimary, type ToWorker } from './messages';

/** A worker that dies sooner than this after starting counts towards a crash loop. */
const EARLY_EXIT_MS = 10_000;
/** This many early deaths in a row: the hub stops instead of forking forever. */
const MAX_EARLY_EXITS = 5;
/** How long workers get to drain after SIGTERM before they are killed. */
const STOP_TIMEOUT_MS = 20_000;

export interface PrimaryOptions {
  workers: number;
  log: Logger;
  /** Once all workers listen: the line `serve` prints. */
  onListening(info: { url: string; tools: number; workers: number }): void;
}

interface Slot {
  id: string;
  worker: Worker;
  startedAt: number;
  privatePort?: number;
}

export async function runPrimary(options: PrimaryOptions): Promise<number> {
  const { log } = options;
  const quota = memoryCounter();
  const { AggregatorRegistry } = require('prom-client') as typeof import('prom-client');
  const aggregator = new AggregatorRegistry();
  const slots = new Map<string, Slot>();
  let stopping = false;
  let announced = false;
  let earlyExits = 0;
  let failure: number | undefined;
  let finish: (code: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => (finish = resolve));

  const send = (worker: Worker, message: ToWorker): void => {
    if (worker.isConnected()) worker.send(message);
  };
  const everyone = (message: ToWorker, except?: Worker): void => {
    for (const slot of slots.values()) if (slot.worker !== except) send(slot.worker, message);
  };
  const sharePorts = (): void => {
    const ports: Record<string, number> = {};
    for (const slot of slots.values()) if (slot.privatePort !== undefined) ports[slot.id] = slot.privatePort;
    everyone({ lunarHub: 'peers', ports });
  };

  const onMessage = (slot: Slot, message: unknown): void => {
    if (!isHubMessage<ToPrimary>(message)) return;
    const { worker } = slot;
    switch (message.lunarHub) {
      case 'listening': {
        slot.privatePort = message.privatePort;
        sharePorts();
        if (!announced && [...slots.values()].every((s) => s.privatePort !== undefined)) {
          announced = true;
          options.onListening({ url: message.url, tools: message.tools, workers: slots.size });
        }
        return;
      }
      case 'quota':
        quota.hit(message.key, message.nowMs).then(
          ({ count, resetInMs }) => send(worker, { lunarHub: 'quota-reply', id: message.id, count, resetInMs }),
          (error: Error) => send(worker, { lunarHub: 'quota-reply', id: message.id, error: error.message }),
        );
        return;
      case 'metrics':
        aggregator.clusterMetrics().then(
          (text) => send(worker, { lunarHub: 'metrics-reply', id: message.id, text, contentType: aggregator.contentType }),
          (error: Error) => send(worker, { lunarHub: 'metrics-reply', id: message.id, error: error.message }),
        );
        return;
      case 'broadcast':
        everyone({ lunarHub: 'broadcast', event: message.event, payload: message.payload }, worker);
        return;
    }
  };

  const fork = (id: string): void => {
    const worker = cluster.fork({ [WORKER_ID_ENV]: id, [WORKER_COUNT_ENV]: String(options.workers) });
    const slot: Slot = { id, worker, startedAt: Date.now() };
    slots.set(id, slot);
    worker.on('message', (message: unknown) => onMessage(slot, message));
    worker.on('exit', (code, signal) => {
      if (slots.get(id)?.worker === worker) slots.delete(id);
      if (stopping) {
        if (slots.size === 0) finish(failure ?? 0);
        return;
      }
      // A worker that never listened failed to start (a port in use, a broken config):
      // forking it again would fail the same way.
      if (slot.privatePort === undefined && !announced) {
        log.error({ worker: id, code, signal }, 'a worker failed to start; stopping');
        failure = typeof code === 'number' && code !== 0 ? code : 1;
        return void stop();
      }
      earlyExits = Date.now() - slot.startedAt < EARLY_EXIT_MS ? earlyExits + 1 : 0;
      if (earlyExits >= MAX_EARLY_EXITS) {
        log.error({ worker: id, code, signal, times: earlyExits }, 'workers keep dying at start; stopping');
        failure = 1;
        return void stop();
      }
      log.warn({ worker: id, code, signal }, 'a worker exited; starting another in its place');
      fork(id);
      sharePorts();
    });
  };

  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    if (slots.size === 0) return finish(failure ?? 0);
    for (const slot of slots.values()) slot.worker.process.kill('SIGTERM');
    const killer = setTimeout(() => {
      for (const slot of slots.values()) {
        log.error({ worker: slot.id }, 'a worker did not stop in time; killing it');
        slot.worker.process.kill('SIGKILL');
      }
    }, STOP_TIMEOUT_MS);
    killer.unref();
  };

  const onSignal = (): void => void stop();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  for (let i = 1; i <= options.workers; i++) fork(String(i));
  const code = await finished;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  await quota.close();
  return code;
}
