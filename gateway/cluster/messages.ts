/**
 * What the primary and the workers of `serve --workers N` say to each other over
 * Node's cluster IPC channel. Every message carries `lunarHub` (its kind), so that
 * other users of the channel (prom-client's metrics requests) pass by untouched.
 */
export type ToPrimary =
  | { lunarHub: 'listening'; workerId: string; privatePort: number; url: string; tools: number }
  | { lunarHub: 'quota'; id: number; key: string; nowMs: number }
  | { lunarHub: 'metrics'; id: number }
  | { lunarHub: 'broadcast'; event: string; payload?: unknown };

export type ToWorker =
  | { lunarHub: 'peers'; ports: Record<string, number> }
  | { lunarHub: 'quota-reply'; id: number; count?: number; resetInMs?: number; error?: string }
  | { lunarHub: 'metrics-reply'; id: number; text?: string; contentType?: string; error?: string }
  | { lunarHub: 'broadcast'; event: string; payload?: unknown };

export function isHubMessage<T extends { lunarHub: string }>(message: unknown): message is T {
  return typeof message === 'object' && message !== null && typeof (message as { lunarHub?: unknown }).lunarHub === 'string';
}

/** The environment variable that tells a forked process which worker it is. */
export const WORKER_ID_ENV = 'LUNAR_WORKER_ID';
/** And how many workers there are. */
export const WORKER_COUNT_ENV = 'LUNAR_WORKER_COUNT';

/** Set on a request one worker hands to another: the owner answers it, never forwards it again. */
export const FORWARDED_HEADER = 'x-lunar-forwarded';

/** On every /mcp answer: which worker answered (tests, and operators reading a trace). */
export const WORKER_HEADER = 'x-lunar-worker';
