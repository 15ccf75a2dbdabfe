/**
 * A call's wait for its turn: ends in a rejection when the call is cancelled or the
 * deadline passes, unless the call started first; from then on the deadline is off and
 * a cancellation goes to undici with the request's signal.
 */
import { abortReason } from '../abortable-sleep';

/** A job that found its call gone (cancelled, or given up waiting): nothing was sent. */
export const SKIPPED = Symbol('skipped');

export class Turn {
  readonly settled: Promise<never>;
  started = false;
  private readonly controller = new AbortController();
  private rejectSettled!: (error: unknown) => void;
  private readonly timer: NodeJS.Timeout;
  private readonly onAbort = () => this.giveUp(abortReason(this.callSignal));

  constructor(
    private readonly callSignal: AbortSignal,
    deadline: number,
    late: () => Error,
  ) {
    this.settled = new Promise<never>((_, reject) => {
      this.rejectSettled = reject;
    });
    this.timer = setTimeout(() => this.giveUp(late()), Math.max(0, deadline - Date.now()));
    if (callSignal.aborted) queueMicrotask(this.onAbort);
    else callSignal.addEventListener('abort', this.onAbort, { once: true });
  }

  get abandoned(): boolean {
    return this.controller.signal.aborted;
  }

  /** Aborts when the call is given up: waits inside the job end with it. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  giveUp(error: unknown): void {
    if (this.started || this.abandoned) return;
    this.cleanUp();
    this.controller.abort(error);
    this.rejectSettled(error);
  }

  /** The job is about to send: false when the call was given up meanwhile. */
  start(): boolean {
    if (this.abandoned) return false;
    this.started = true;
    this.cleanUp();
    return true;
  }

  private cleanUp(): void {
    clearTimeout(this.timer);
    this.callSignal.removeEventListener('abort', this.onAbort);
  }
}
