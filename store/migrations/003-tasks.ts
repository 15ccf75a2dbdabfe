import type { Kysely } from 'kysely';
import { ownedByTenant, primaryKey, required } from './dialect';

/**
 * Long tool calls turned into tasks (the MCP tasks extension): one row per task, shared
 * by every hub node, so any node can answer `tasks/get` for a task another node runs.
 */
export async function tasks(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('tasks')
    .addColumn('id', 'text', primaryKey)
    .addColumn('tenant_id', 'text', ownedByTenant)
    // The agent (key id, JWT subject, `open`) that created it: no other agent may see it.
    .addColumn('agent_id', 'text', required)
    .addColumn('tool', 'text', required)
    .addColumn('status', 'text', required)
    .addColumn('status_message', 'text')
    .addColumn('created_at', 'text', required)
    .addColumn('updated_at', 'text', required)
    .addColumn('ttl_ms', 'integer', required)
    .addColumn('expires_at', 'text', required)
    .addColumn('poll_interval_ms', 'integer', required)
    // JSON text: the CallToolResult of a completed task, the JSON-RPC error of a failed one.
    .addColumn('result', 'text')
    .addColumn('error', 'text')
    .execute();
  // tasks/get and tasks/cancel look a task up within its owner; the sweep by expiry.
  await db.schema.createIndex('tasks_tenant_agent').on('tasks').columns(['tenant_id', 'agent_id', 'id']).execute();
  await db.schema.createIndex('tasks_expires_at').on('tasks').column('expires_at').execute();
}
