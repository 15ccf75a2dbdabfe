/**
 * PostgreSQL by configuration alone: the same `serve` and admin verbs with
 * LUNAR_DATABASE_URL set keep their state in the machine's PostgreSQL (a fresh schema
 * here), and nothing in the data dir but the master key.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { Client as PgClient } from 'pg';
import { removeScratchDirs, runCli, scratchDir, REPO } from '../helpers/cli';
import { freshDataDir, startServe, type ServedHub } from '../helpers/hub-process';
import { dropSchema, PG_URL } from '../helpers/stores';
import { json, startUpstream, type Upstream } from '../helpers/upstream';

const SCHEMA = `hub_e2e_${randomBytes(5).toString('hex')}`;
const ENV = { LUNAR_DATABASE_URL: PG_URL, LUNAR_DATABASE_SCHEMA: SCHEMA };
const TOKEN = 'pg-notes-token-K4q';
let upstream: Upstream;
let hub: ServedHub;
let data: string;
let client: Client | undefined;

beforeAll(async () => {
  upstream = await startUpstream({ 'GET /notes/notes': (_req, res) => json(res, 200, []) });
  data = freshDataDir();
  const specs = scratchDir('pg-specs');
  copyFileSync(path.join(REPO, 'test', 'fixtures', 'specs', 'auth', 'notes.yaml'), path.join(specs, 'notes.yaml'));
  writeFileSync(path.join(specs, 'notes.connector.yaml'), `baseUrl: ${upstream.url}/notes\n`);
  const run = async (args: string[]) => {
    const result = await runCli([...args, '--data', data], { env: { ...ENV, SECRET: TOKEN } });
    if (result.code !== 0) throw new Error(result.stderr);
    return result.stdout;
  };
  await run(['tenants', 'add', 'initech']);
  await run(['connections', 'add', '--tenant', 'initech', '--connector', 'notes', '--kind', 'bearer', '--secret-env', 'SECRET', '--specs', specs]);
  const key = (JSON.parse(await run(['keys', 'create', '--tenant', 'initech', '--name', 'bot', '--json'])) as { key: string }).key;
  hub = await startServe(['--specs', specs, '--data', data], ENV, { auth: true });
  client = new Client({ name: 'e2e-pg', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(hub.mcpUrl), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
}, 60_000);

afterAll(async () => {
  await client?.close();
  await hub?.stop();
  await upstream?.close();
  await dropSchema(SCHEMA);
  removeScratchDirs();
});

it('serves calls with credentials kept in PostgreSQL, sealed', async () => {
  const result = (await client!.callTool({ name: 'notes_list_notes', arguments: {} })) as CallToolResult;
  expect(result.isError).toBeFalsy();
  expect(upstream.seen[upstream.seen.length - 1].headers.authorization).toBe(`Bearer ${TOKEN}`);
  expect(readdirSync(data)).toEqual(['master.key']);

  const pg = new PgClient({ connectionString: PG_URL });
  await pg.connect();
  try {
    const tables = (await pg.query(`select table_name from information_schema.tables where table_schema = $1`, [SCHEMA])).rows.map(
      (r: { table_name: string }) => r.table_name,
    );
    expect(tables).toEqual(expect.arrayContaining(['tenants', 'connections', 'agent_keys', 'audit']));
    // The audit entry is written after the result is sent (the trail subscribes to the call's end).
    for (let i = 0; i < 50 && (await pg.query(`select 1 from "${SCHEMA}".audit where action = 'tool.call'`)).rowCount === 0; i++)
      await new Promise((r) => setTimeout(r, 100));
    let everything = '';
    for (const table of tables) everything += JSON.stringify((await pg.query(`select * from "${SCHEMA}"."${table}"`)).rows);
    expect(everything).toContain('initech');
    expect(everything).toContain('tool.call');
    expect(everything).not.toContain(TOKEN);
  } finally {
    await pg.end();
  }
});
