/**
 * Tasks: tool calls that outlived their request (the MCP tasks extension), kept until their
 * retention ends so that the agent that started one can poll it from any hub node.
 *
 * A task belongs to one agent of one tenant: every read and write that a client can cause
 * takes the owner and filters on it, so another agent's task id reads as unknown. The
 * running node's writes (finishTask, taskStatus) go by id alone: it holds the task.
 *
 * A task leaves `working` once: finishing or cancelling only moves a task that has not
 * ended yet, so a call that completes after its cancellation stays cancelled, and a
 * cancellation after completion changes nothing.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { now, rowMapping, type Codec, type Timestamp } from './rows';

export type TaskStatus = 'working' | 'input_required' | 'completed' | 'failed' | 'cancelled';

/** The statuses a task never leaves. */
export const TERMINAL_TASK_STATUSES: readonly TaskStatus[] = ['completed', 'failed', 'cancelled'];
const OPEN_TASK_STATUSES: readonly TaskStatus[] = ['working', 'input_required'];

/** Who may see a task: the agent that created it, within its tenant. */
export interface TaskOwner {
  tenantId: string;
  agentId: string;
}

/** A failed task's JSON-RPC error (`failed` is for protocol errors only; a tool's own error is a completed `isError` result). */
export interface TaskError {
  code: number;
  message: string;
  data?: unknown;
}

export interface Task extends TaskOwner {
  /** Unguessable (128 random bits): it names the task on every node. */
  id: string;
  tool: string;
  status: TaskStatus;
  statusMessage: string | null;
  createdAt: Timestamp;
  updatedAt: Timestamp;
  /** Retention from creation; the task is gone (swept) at `expiresAt`. */
  ttlMs: number;
  expiresAt: Timestamp;
  pollIntervalMs: number;
  /** A completed task's CallToolResult. */
  result: Record<string, unknown> | null;
  error: TaskError | null;
}

export interface NewTask extends TaskOwner {
  tool: string;
  ttlMs: number;
  pollIntervalMs: number;
  statusMessage?: string;
}

export type TaskOutcome =
  { status: 'completed'; result: Record<string, unknown>; statusMessage?: string } | { status: 'failed'; error: TaskError; statusMessage?: string };

export interface TasksTable {
  id: string;
  tenant_id: string;
  agent_id: string;
  tool: string;
  status: TaskStatus;
  status_message: string | null;
  created_at: string;
  updated_at: string;
  ttl_ms: number | string;
  expires_at: string;
  poll_interval_ms: number | string;
  result: string | null;
  error: string | null;
}

export interface TaskTables {
  tasks: TasksTable;
}

export interface TaskStore {
  createTask(input: NewTask): Promise<Task>;
  /** The owner's task, unless it has expired; undefined for another agent's. */
  getTask(owner: TaskOwner, id: string): Promise<Task | undefined>;
  /** Ends a task that has not ended; undefined when it already had (or is gone). */
  finishTask(id: string, outcome: TaskOutcome): Promise<Task | undefined>;
  /**
   * Marks the owner's open task cancelled. Returns the task as it now stands (an ended
   * one unchanged), or undefined when the owner has no such task.
   */
  cancelTask(owner: TaskOwner, id: string, statusMessage?: string): Promise<Task | undefined>;
  /** The status alone, for the node running the task to notice a cancellation made on another node. */
  taskStatus(id: string): Promise<TaskStatus | undefined>;
  /** Deletes the tasks whose retention ended at or before `at`; returns how many. */
  sweepTasks(at?: Timestamp): Promise<number>;
}

/** PostgreSQL returns integers as numbers, but a driver may hand bigints over as strings. */
function integerColumn(column: keyof TasksTable & string): Codec<TasksTable, number> {
  return { column, read: (value: number | string) => Number(value), write: (value) => value };
}

function jsonColumn<Value>(column: keyof TasksTable & string): Codec<TasksTable, Value | null> {
  return {
    column,
    read: (text: string | null) => (text === null || text === undefined ? null : (JSON.parse(text) as Value)),
    write: (value) => (value === null ? null : JSON.stringify(value)),
  };
}

const tasks = rowMapping<Task, TasksTable>({
  id: 'id',
  tenantId: 'tenant_id',
  agentId: 'agent_id',
  tool: 'tool',
  status: 'status',
  statusMessage: 'status_message',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
  ttlMs: integerColumn('ttl_ms'),
  expiresAt: 'expires_at',
  pollIntervalMs: integerColumn('poll_interval_ms'),
  result: jsonColumn<Record<string, unknown>>('result'),
  error: jsonColumn<TaskError>('error'),
});

function newTaskId(): string {
  return randomBytes(16).toString('base64url');
}

export function taskQueries(db: Kysely<TaskTables>): TaskStore {
  const owned = (owner: TaskOwner, id: string) =>
    db.selectFrom('tasks').selectAll().where('tenant_id', '=', owner.tenantId).where('agent_id', '=', owner.agentId).where('id', '=', id);
  return {
    async createTask(input) {
      const createdAt = now();
      const row = tasks.toRow({
        id: newTaskId(),
        tenantId: input.tenantId,
        agentId: input.agentId,
        tool: input.tool,
        status: 'working',
        statusMessage: input.statusMessage ?? null,
        createdAt,
        updatedAt: createdAt,
        ttlMs: input.ttlMs,
        expiresAt: new Date(Date.parse(createdAt) + input.ttlMs).toISOString(),
        pollIntervalMs: input.pollIntervalMs,
        result: null,
        error: null,
      });
      return tasks.fromRow(await db.insertInto('tasks').values(row).returningAll().executeTakeFirstOrThrow());
    },
    async getTask(owner, id) {
      const row = await owned(owner, id).where('expires_at', '>', now()).executeTakeFirst();
      return row && tasks.fromRow(row);
    },
    async finishTask(id, outcome) {
      const row = await db
        .updateTable('tasks')
        .set({
          status: outcome.status,
          status_message: outcome.statusMessage ?? null,
          updated_at: now(),
          result: outcome.status === 'completed' ? JSON.stringify(outcome.result) : null,
          error: outcome.status === 'failed' ? JSON.stringify(outcome.error) : null,
        })
        .where('id', '=', id)
        .where('status', 'in', OPEN_TASK_STATUSES)
        .returningAll()
        .executeTakeFirst();
      return row && tasks.fromRow(row);
    },
    async cancelTask(owner, id, statusMessage) {
      const at = now();
      const row = await db
        .updateTable('tasks')
        .set({ status: 'cancelled', status_message: statusMessage ?? null, updated_at: at })
        .where('tenant_id', '=', owner.tenantId)
        .where('agent_id', '=', owner.agentId)
        .where('id', '=', id)
        .where('expires_at', '>', at)
        .where('status', 'in', OPEN_TASK_STATUSES)
        .returningAll()
        .executeTakeFirst();
      if (row) return tasks.fromRow(row);
      // Not moved: ended already (returned as it is), or not this owner's (undefined).
      const existing = await owned(owner, id).where('expires_at', '>', at).executeTakeFirst();
      return existing && tasks.fromRow(existing);
    },
    async taskStatus(id) {
      const row = await db.selectFrom('tasks').select('status').where('id', '=', id).executeTakeFirst();
      return row?.status;
    },
    async sweepTasks(at = now()) {
      const result = await db.deleteFrom('tasks').where('expires_at', '<=', at).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
