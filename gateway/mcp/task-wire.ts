/**
 * The MCP tasks extension (`io.modelcontextprotocol/tasks`, SEP-2663) as it goes on the
 * wire: the request params the hub accepts and the results it sends. The shapes follow
 * the extension's own schemas (@modelcontextprotocol/ext-tasks 0.2, `core/v2`); that
 * package is ESM-only and the hub is CommonJS, so the few shapes the hub needs are
 * declared here with the zod the SDK already uses.
 */
import type { ServerContext } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { Task } from '../../store';

export const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';
/** Where a 2026-07-28 request carries its client's capabilities. */
const CLIENT_CAPABILITIES_META_KEY = 'io.modelcontextprotocol/clientCapabilities';

/** `tasks/get` and `tasks/cancel`. */
export const TaskIdParams = z.object({ taskId: z.string().min(1) });

/**
 * `tasks/update`: responses to the input requests a task surfaced (keyed as the task keyed
 * them). The SDK lifts `inputResponses` out of every client request's params (the
 * multi-round-trip retry field) into `ctx.mcpReq.inputResponses`, so it is optional here.
 */
export const UpdateTaskParams = z.object({
  taskId: z.string().min(1),
  inputResponses: z.record(z.string(), z.unknown()).optional(),
});

/** What the extension asks of a server that has to refuse a client that did not declare it. */
export const REQUIRED_CAPABILITIES = { requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } } } as const;

/** A Task as the extension shows it (`Task` in the spec): no payload. */
function taskFields(task: Task): Record<string, unknown> {
  return {
    taskId: task.id,
    status: task.status,
    ...(task.statusMessage === null ? {} : { statusMessage: task.statusMessage }),
    createdAt: task.createdAt,
    lastUpdatedAt: task.updatedAt,
    ttlMs: task.ttlMs,
    pollIntervalMs: task.pollIntervalMs,
  };
}

/** The answer to a `tools/call` that became a task (`CreateTaskResult`). */
export function createTaskResult(task: Task): Record<string, unknown> {
  return { resultType: 'task', ...taskFields(task) };
}

/**
 * The answer to `tasks/get` (`GetTaskResult`: a `DetailedTask`): the result of a completed
 * task, the JSON-RPC error of a failed one, inline.
 */
export function getTaskResult(task: Task): Record<string, unknown> {
  const payload =
    task.status === 'completed'
      ? { result: task.result ?? { content: [] } }
      : task.status === 'failed'
        ? { error: task.error ?? { code: -32603, message: 'Internal error' } }
        : {};
  return { resultType: 'complete', ...taskFields(task), ...payload };
}

/** `tasks/update` and `tasks/cancel` answer with an empty acknowledgement. */
export const ACKNOWLEDGED = { resultType: 'complete' } as const;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Whether the client declared the extension for this request: on 2026-07-28 in the
 * request's own envelope (the spec: a declaration on an earlier request does not count),
 * on 2025-11-25 in the capabilities it sent with `initialize`.
 */
export function declaresTasks(ctx: ServerContext, initializeCapabilities: unknown): boolean {
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  const capabilities = envelope !== undefined ? envelope[CLIENT_CAPABILITIES_META_KEY] : initializeCapabilities;
  const extensions = isObject(capabilities) ? capabilities.extensions : undefined;
  return isObject(extensions) && isObject(extensions[TASKS_EXTENSION]);
}
