/**
 * The two stores the durable-state suites run on: SQLite in a temp file, PostgreSQL
 * (the machine's, 127.0.0.1:5432) in a fresh schema dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import type { StoreConfig } from '../../store';

export const PG_URL = process.env.LUNAR_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface Backend {
  config: StoreConfig;
  cleanup(): Promise<void>;
}

export function sqliteBackend(): Backend {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hub-store-'));
  return {
    config: { kind: 'sqlite', file: path.join(dir, 'hub.sqlite') },
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function postgresBackend(): Backend {
  const schema = `hub_test_${randomBytes(6).toString('hex')}`;
  return { config: { kind: 'postgres', url: PG_URL, schema }, cleanup: () => dropSchema(schema) };
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}
