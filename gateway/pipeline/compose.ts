/**
 * The tool half of the call pipeline: stages of one shape, `(next) => (ctx) => result`,
 * reduced once at start-up (STYLE.md "The tool half"). The first stage in the list
 * sees the call first.
 */
import type { CallContext, CallFn, Stage, StageTrace } from '../core';

/** A stage with the name the order test and traces know it by. */
export interface NamedStage {
  readonly name: string;
  readonly stage: Stage;
}

export function compose(stages: readonly (Stage | NamedStage)[], terminal: CallFn, trace?: StageTrace): CallFn {
  return stages.reduceRight<CallFn>((next, entry) => {
    const { name, stage } = typeof entry === 'function' ? { name: entry.name || 'stage', stage: entry } : entry;
    const inner = stage(once(next));
    return trace ? traced(name, inner, trace) : inner;
  }, terminal);
}

/** A stage that calls next() twice would send the upstream request twice; refuse loudly. */
function once(next: CallFn): CallFn {
  const called = new WeakSet<CallContext>();
  return (ctx) => {
    if (called.has(ctx)) return Promise.reject(new Error('a pipeline stage called next() twice'));
    called.add(ctx);
    return next(ctx);
  };
}

function traced(name: string, fn: CallFn, trace: StageTrace): CallFn {
  return async (ctx) => {
    trace('start', name, ctx);
    try {
      return await fn(ctx);
    } finally {
      trace('end', name, ctx);
    }
  };
}

/** A terminal that records its own start and end under `name` when traced. */
export function tracedTerminal(name: string, fn: CallFn, trace?: StageTrace): CallFn {
  return trace ? traced(name, fn, trace) : fn;
}
