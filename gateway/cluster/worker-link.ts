/**
 * A worker's side of the cluster channel: quotas counted by the primary (so that a
 * tenant's calls per minute hold across every worker without Redis), the other
 * workers' private ports (a 2025-11-25 session lives in the worker that opened it; a
 * request for it that lands elsewhere is handed over), events for every worker (a
 * cache purge through the admin API), and the metrics of all workers together.
 */
import cluster from 'node:cluster';
import { errors } from '../../errors';
import type { QuotaCounter } from '../pipeline/quota';
import { isHubMessage, WORKER_COUNT_ENV, WORKER_ID_ENV, type ToPrimary, type ToWorker } from './messages';

/** The primary answers from memory; a missing answer means it is gone. */
const REPLY_TIMEOUT_MS = 5_000;

export interface WorkerLink {
  readonly workerId: string;
  /** How many workers the primary runs (each keeps to its share of the upstream rates without Redis). */
  readonly workers: number;
  readonly quota: QuotaCounter;
  /** The private port of the worker with this id, once the primary has said. */
  peerPort(workerId: string): number | undefined;
  listening(info: { privatePort: number; url: string; tools: number }): void;
  /** Runs `event`'s handlers in every other worker. */
  broadcast(event: string, payload?: unknown): void;
  onBroadcast(event: string, handler: (payload: unknown) => void): void;
  /** Every worker's metrics, summed by the primary (prom-client's AggregatorRegistry). */
  clusterMetrics(): Promise<{ text: string; contentType: string }>;
  close(): void;
}

/** This process's link, or undefined when it is not a worker of `serve --workers`. */
export function workerLink(env: NodeJS.ProcessEnv = process.env): WorkerLink | undefined {
  const workerId = env[WORKER_ID_ENV];
  if (!cluster.isWorker || workerId === undefined || !process.send) return undefined;
  const send = (message: ToPrimary): void => {
    process.send?.(message);
  };
  let nextId = 1;
  const waiting = new Map<number, { resolve: (reply: ToWorker) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();
  let ports: Record<string, number> = {};
  const handlers = new Map<string, Array<(payload: unknown) => void>>();

  const ask = (build: (id: number) => ToPrimary): Promise<ToWorker> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error('the primary process did not answer'));
      }, REPLY_TIMEOUT_MS);
      waiting.set(id, { resolve, reject, timer });
      send(build(id));
    });

  const onMessage = (message: unknown): void => {
    if (!isHubMessage<ToWorker>(message)) return;
    if (message.lunarHub === 'peers') ports = message.ports;
    else if (message.lunarHub === 'broadcast') for (const handler of handlers.get(message.event) ?? []) handler(message.payload);
    else {
      const pending = waiting.get(message.id);
      if (!pending) return;
      waiting.delete(message.id);
      clearTimeout(pending.timer);
      pending.resolve(message);
    }
  };
  process.on('message', onMessage);

  const quota: QuotaCounter = {
    async hit(key, nowMs) {
      let reply: ToWorker;
      try {
        reply = await ask((id) => ({ lunarHub: 'quota', id, key, nowMs }));
      } catch (error) {
        // As with Redis: a quota that cannot be counted refuses the call, saying why.
        throw errors.STORE_UNAVAILABLE(['quota counter (primary process)', (error as Error).message], { cause: error });
      }
      if (reply.lunarHub !== 'quota-reply' || reply.count === undefined || reply.resetInMs === undefined)
        throw errors.STORE_UNAVAILABLE(['quota counter (primary process)', reply.lunarHub === 'quota-reply' ? (reply.error ?? 'no count') : 'wrong reply']);
      return { count: reply.count, resetInMs: reply.resetInMs };
    },
    async close() {},
  };

  return {
    workerId,
    workers: Number(env[WORKER_COUNT_ENV] ?? '1') || 1,
    quota,
    peerPort: (id) => ports[id],
    listening: (info) => send({ lunarHub: 'listening', workerId, ...info }),
    broadcast: (event, payload) => send({ lunarHub: 'broadcast', event, payload }),
    onBroadcast(event, handler) {
      handlers.set(event, [...(handlers.get(event) ?? []), handler]);
    },
    async clusterMetrics() {
      const reply = await ask((id) => ({ lunarHub: 'metrics', id }));
      if (reply.lunarHub !== 'metrics-reply' || reply.text === undefined)
        throw new Error(reply.lunarHub === 'metrics-reply' ? (reply.error ?? 'no metrics') : 'wrong reply');
      return { text: reply.text, contentType: reply.contentType ?? 'text/plain' };
    },
    close() {
      process.off('message', onMessage);
      for (const pending of waiting.values()) {
        clearTimeout(pending.timer);
        pending.reject(new Error('the worker is closing'));
      }
      waiting.clear();
      // The channel to the primary keeps the event loop alive: without this the worker never exits.
      if (process.connected) process.disconnect();
    },
  };
}
