/**
 * `serve --workers N`: N processes behind one port (primary.ts forks and keeps them,
 * worker-link.ts is a worker's side of their channel, forward.ts hands a session's
 * request to the worker that holds it). docs/architecture.md "Workers" is the account.
 */
export { runPrimary, type PrimaryOptions } from './primary';
export { workerLink, type WorkerLink } from './worker-link';
export { forwardRequest } from './forward';
export { FORWARDED_HEADER, WORKER_HEADER, WORKER_ID_ENV } from './messages';
