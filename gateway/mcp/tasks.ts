/**
 * Long tool calls as tasks (the MCP tasks extension, `io.modelcontextprotocol/tasks`).
 *
 * A `tools/call` from a client that declared the extension runs as usual; if it has not
 * ended after `mcp.taskAfterMs`, the hub answers with a task handle instead and the call
 * goes on, detached from the request. Its outcome is written to the store's tasks
 * aggregate, so `tasks/get` answers on any node that shares the store. A client that did
 * not declare the extension waits for the result, as before: the hub never polls on its
 * behalf and never hands it a handle it cannot read.
 *
 * Cancellation (`tasks/cancel`) marks the task cancelled in the store and aborts the call
 * at once when it runs on this node; a node running a task also watches its status at the
 * poll interval, so a cancellation that reached another node stops it there too. The
 * abort travels down the pipeline's signal to the upstream request, which is closed.
 *
 * Only the agent that created a task sees it: every lookup takes the principal's tenant
 * and agent, and another agent's task id answers as not found.
 */
import { ProtocolError, ProtocolErrorCode, type CallToolResult, type Server, type ServerContext } from '@modelcontextprotocol/server';
import type { Logger } from 'pino';
import type { Principal } from '../../auth';
import { isHubError } from '../../errors';
import type { Task, TaskError, TaskOutcome, TaskOwner, TaskStore } from '../../store';
import type { CallContext, CallFn } from '../core';
import {
  ACKNOWLEDGED,
  createTaskResult,
  declaresTasks,
  getTaskResult,
  REQUIRED_CAPABILITIES,
  TaskIdParams,
  TASKS_EXTENSION,
  UpdateTaskParams,
} from './task-wire';

export { TASKS_EXTENSION };

/** How long a task is kept from its creation; a call still running then is stopped. */
export const TASK_TTL_MS = 60 * 60_000; // 1 hour
/** What the hub suggests between two `tasks/get` of one task. */
export const TASK_POLL_INTERVAL_MS = 1000;
/** The largest result a task keeps (its JSON); a larger one fails the task instead. */
export const TASK_RESULT_MAX_BYTES = 8 * 1024 * 1024;
const SWEEP_EVERY_MS = 60_000;

export interface TaskRunnerOptions {
  store: TaskStore;
  log: Logger;
  /** `mcp.taskAfterMs`: how long a call runs before it becomes a task. */
  afterMs: number; // milliseconds
  ttlMs?: number; // milliseconds
  pollIntervalMs?: number; // milliseconds
  maxResultBytes?: number; // bytes
}

/** The tools/call side of one MCP server (one session or one 2026 request). */
export interface TaskSession {
  /** Runs the call; for a client that declared tasks, answers with a task handle once it outlasts `afterMs`. */
  call(ctx: CallContext, request: ServerContext, call: CallFn): Promise<CallToolResult>;
}

export interface TaskRunner {
  /** Serves tasks/get, tasks/update and tasks/cancel on `server`, for `principal`'s tasks. */
  attach(server: Server, principal: Principal | undefined): TaskSession;
  /** Stops the sweep and the calls running here (their tasks fail: the node went away). */
  close(): Promise<void>;
}

interface Running {
  controller: AbortController;
  done: Promise<void>;
}

export function createTaskRunner(options: TaskRunnerOptions): TaskRunner {
  const { store, log, afterMs } = options;
  const ttlMs = options.ttlMs ?? TASK_TTL_MS;
  const pollIntervalMs = options.pollIntervalMs ?? TASK_POLL_INTERVAL_MS;
  const maxResultBytes = options.maxResultBytes ?? TASK_RESULT_MAX_BYTES;
  const running = new Map<string, Running>();

  const sweep = setInterval(() => {
    store.sweepTasks().then(
      (removed) => removed > 0 && log.debug({ removed }, 'expired tasks swept'),
      (error: Error) => log.warn({ err: error.message }, 'task sweep failed'),
    );
  }, SWEEP_EVERY_MS);
  sweep.unref();

  const record = async (taskId: string, outcome: TaskOutcome): Promise<void> => {
    try {
      // Undefined: the task had ended already (cancelled while the call wound down).
      const ended = await store.finishTask(taskId, outcome);
      if (ended) log.info({ taskId, status: ended.status }, 'task ended');
    } catch (error) {
      log.error({ taskId, err: (error as Error).message }, 'task outcome not stored');
    }
  };

  const outcomeOf = (result: CallToolResult): TaskOutcome => {
    const bytes = Buffer.byteLength(JSON.stringify(result));
    if (bytes <= maxResultBytes) return { status: 'completed', result: result as Record<string, unknown> };
    const message = `The tool result (${bytes} bytes) is larger than a task keeps (${maxResultBytes} bytes); call the tool without tasks, or ask for less`;
    return { status: 'failed', error: { code: ProtocolErrorCode.InternalError, message }, statusMessage: message };
  };

  /** Follows a detached call to its end: the store learns the outcome, cancellations elsewhere reach it. */
  const follow = (task: Task, call: Promise<CallToolResult>, controller: AbortController): void => {
    const watch = setInterval(() => {
      store.taskStatus(task.id).then(
        (status) => status === 'cancelled' && controller.abort(new Error('task cancelled')),
        () => undefined, // the store is briefly unreachable: look again at the next tick
      );
    }, task.pollIntervalMs);
    const expiry = setTimeout(() => controller.abort(new Error('task expired')), task.ttlMs);
    watch.unref();
    expiry.unref();
    const done = call
      .then(
        (result) => record(task.id, controller.signal.aborted ? abortedOutcome(controller.signal) : outcomeOf(result)),
        (error: unknown) => record(task.id, controller.signal.aborted ? abortedOutcome(controller.signal) : { status: 'failed', error: jsonRpcError(error) }),
      )
      .finally(() => {
        clearInterval(watch);
        clearTimeout(expiry);
        running.delete(task.id);
      });
    running.set(task.id, { controller, done });
  };

  return {
    attach(server, principal) {
      const owner: TaskOwner | undefined = principal && { tenantId: principal.tenantId, agentId: principal.agentId };
      const declared = (ctx: ServerContext) => declaresTasks(ctx, server.getClientCapabilities());
      /** The principal's task, or the spec's errors: -32021 to a client without the extension, -32602 for an unknown id. */
      const ownTask = async (ctx: ServerContext, taskId: string): Promise<Task> => {
        if (!declared(ctx))
          throw new ProtocolError(ProtocolErrorCode.MissingRequiredClientCapability, 'Missing required client capability', REQUIRED_CAPABILITIES);
        const task = owner && (await store.getTask(owner, taskId));
        // Another agent's task reads exactly as a task that does not exist.
        if (!task) throw new ProtocolError(ProtocolErrorCode.InvalidParams, 'Failed to retrieve task: Task not found');
        return task;
      };

      server.setRequestHandler('tasks/get', { params: TaskIdParams }, async ({ taskId }, ctx) => getTaskResult(await ownTask(ctx, taskId)));

      // The hub's tasks never wait for input (no `input_required`), so no key is ever
      // outstanding: the spec has the server ignore responses to such keys and acknowledge.
      server.setRequestHandler('tasks/update', { params: UpdateTaskParams }, async ({ taskId, inputResponses }, ctx) => {
        if (inputResponses === undefined && ctx.mcpReq.inputResponses === undefined)
          throw new ProtocolError(ProtocolErrorCode.InvalidParams, 'Invalid params for tasks/update: inputResponses is required');
        await ownTask(ctx, taskId);
        return ACKNOWLEDGED;
      });

      server.setRequestHandler('tasks/cancel', { params: TaskIdParams }, async ({ taskId }, ctx) => {
        await ownTask(ctx, taskId);
        const cancelled = await store.cancelTask(owner!, taskId, 'Cancelled by the client');
        if (cancelled?.status === 'cancelled') {
          running.get(taskId)?.controller.abort(new Error('task cancelled'));
          log.info({ taskId }, 'task cancelled');
        }
        return ACKNOWLEDGED;
      });

      return {
        async call(ctx, request, call) {
          if (!owner || !declared(request)) return call(ctx);
          // The call's own signal: the request's until the call is detached, the task's after.
          const controller = new AbortController();
          let detached = false;
          const onRequestAbort = () => controller.abort(ctx.signal.reason);
          if (ctx.signal.aborted) onRequestAbort();
          else ctx.signal.addEventListener('abort', onRequestAbort, { once: true });
          const calling = call({
            ...ctx,
            signal: controller.signal,
            // Progress belongs to the request; once it has been answered there is nowhere to send it.
            progress: (...args) => (detached ? undefined : ctx.progress(...args)),
          });
          let timer: NodeJS.Timeout | undefined;
          const outlasted = new Promise<'outlasted'>((resolve) => (timer = setTimeout(() => resolve('outlasted'), afterMs)));
          try {
            const first = await Promise.race([calling, outlasted]);
            if (first !== 'outlasted') return first;
          } finally {
            clearTimeout(timer);
          }
          let task: Task;
          try {
            task = await store.createTask({ ...owner, tool: ctx.toolName, ttlMs, pollIntervalMs, statusMessage: 'The call is running' });
          } catch (error) {
            // No task without a stored row (tasks/get must find it): the client waits instead.
            log.warn({ tool: ctx.toolName, err: (error as Error).message }, 'task not created; the call is answered when it ends');
            return calling;
          }
          detached = true;
          ctx.signal.removeEventListener('abort', onRequestAbort);
          follow(task, calling, controller);
          log.info({ taskId: task.id, tool: ctx.toolName, callId: ctx.callId }, 'call continues as a task');
          // Not a CallToolResult: the extension's polymorphic answer, told apart by `resultType: 'task'`.
          return createTaskResult(task) as unknown as CallToolResult;
        },
      };
    },

    async close() {
      clearInterval(sweep);
      const stopping = [...running.entries()].map(async ([taskId, { controller, done }]) => {
        await record(taskId, { status: 'failed', error: { code: ProtocolErrorCode.InternalError, message: 'The hub node running this task stopped' } });
        controller.abort(new Error('hub stopping'));
        await done;
      });
      await Promise.all(stopping);
    },
  };
}

/** A call that ended because its task was cancelled, expired or the node stopped. */
function abortedOutcome(signal: AbortSignal): TaskOutcome {
  const reason = (signal.reason as Error | undefined)?.message ?? 'aborted';
  const message = reason === 'task expired' ? 'The task expired before the call ended' : `The call was stopped (${reason})`;
  return { status: 'failed', error: { code: ProtocolErrorCode.InternalError, message }, statusMessage: message };
}

/** A thrown error as the JSON-RPC error a direct call would have answered with. */
function jsonRpcError(error: unknown): TaskError {
  // Duck-typed, not instanceof (errors/ says why): a JSON-RPC error has a numeric code.
  const { code, message, data } = (error ?? {}) as { code?: unknown; message?: unknown; data?: unknown };
  if (typeof code === 'number' && typeof message === 'string') return { code, message, ...(data === undefined ? {} : { data }) };
  if (isHubError(error)) {
    const code = error.code === 'HUB_ERR_CALL_UNKNOWN_TOOL' ? ProtocolErrorCode.InvalidParams : ProtocolErrorCode.InternalError;
    return { code, message: error.message, data: { code: error.code } };
  }
  return { code: ProtocolErrorCode.InternalError, message: 'Internal error' };
}
