/**
 * docs/connectors.md's worked example of a custom connector (docs/examples/tracker.*),
 * served as a user would copy it into specs/: its toolsets, and its cursor pagination
 * against a loopback upstream that pages the way it says.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { removeScratchDirs, runCli, scratchDir } from '../helpers/cli';
import { startServe, type ServedHub } from '../helpers/hub-process';
import { listAll } from '../helpers/mcp';
import { json, startUpstream, type Upstream } from '../helpers/upstream';

const EXAMPLES = path.join(__dirname, '..', '..', 'docs', 'examples');
const TICKETS = Array.from({ length: 7 }, (_, i) => ({ id: `T-${i + 1}`, title: `Ticket ${i + 1}`, status: 'open', assignee: null }));
let upstream: Upstream;
let hub: ServedHub;
let specs: string;
const clients: Client[] = [];

async function connect(query = ''): Promise<Client> {
  const client = new Client({ name: 'tracker-e2e', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${hub.mcpUrl}${query}`)));
  clients.push(client);
  return client;
}

beforeAll(async () => {
  upstream = await startUpstream({
    // Three tickets a page; the cursor is the index to start at.
    'GET /api/v2/tickets': (req, res) => {
      const after = Number(new URL(req.url, 'http://x').searchParams.get('after') ?? '0');
      const data = TICKETS.slice(after, after + 3);
      json(res, 200, { data, meta: { next: after + 3 < TICKETS.length ? String(after + 3) : null } });
    },
  });
  specs = scratchDir('tracker-specs');
  copyFileSync(path.join(EXAMPLES, 'tracker.yaml'), path.join(specs, 'tracker.yaml'));
  const file = readFileSync(path.join(EXAMPLES, 'tracker.connector.yaml'), 'utf8').replace(/^baseUrl: .*$/m, `baseUrl: ${upstream.url}/api/v2`);
  writeFileSync(path.join(specs, 'tracker.connector.yaml'), file);
  const data = scratchDir('tracker-data');
  const added = await runCli(
    ['connections', 'add', '--tenant', 'default', '--connector', 'tracker', '--kind', 'bearer', '--secret-env', 'SECRET', '--specs', specs, '--data', data],
    {
      env: { SECRET: 'tracker-token' },
    },
  );
  expect(added).toMatchObject({ code: 0 });
  hub = await startServe(['--specs', specs, '--data', data]);
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  await hub?.stop();
  await upstream?.close();
  removeScratchDirs();
});

it('validates as the docs say, the connector file with the spec', async () => {
  const result = await runCli(['validate', path.join(specs, 'tracker.yaml')]);
  expect(result.code).toBe(0);
  expect(result.stdout).toContain('0 errors, 0 warnings; 8 tools can be served');
  const broken = scratchDir('tracker-broken');
  copyFileSync(path.join(EXAMPLES, 'tracker.yaml'), path.join(broken, 'tracker.yaml'));
  writeFileSync(
    path.join(broken, 'tracker.connector.yaml'),
    readFileSync(path.join(EXAMPLES, 'tracker.connector.yaml'), 'utf8').replace('[tickets, comments]', '[tickets, coments]'),
  );
  const refused = await runCli(['validate', path.join(broken, 'tracker.yaml')]);
  expect(refused.code).toBe(1);
  expect(refused.stdout).toContain('tracker.connector.yaml: toolsets.tickets.tags[1]: unknown tag "coments" (did you mean "comments"?) [connector-file]');
});

it('lists the tickets toolset by default and all eight tools for ?toolsets=tracker; the cursor-paged ones take _pages', async () => {
  expect((await listAll(await connect('/tracker'))).map((t) => t.name).sort()).toEqual([
    'tracker_add_comment',
    'tracker_create_ticket',
    'tracker_get_ticket',
    'tracker_list_comments',
    'tracker_list_tickets',
  ]);
  const all = await listAll(await connect('?toolsets=tracker'));
  expect(all).toHaveLength(8);
  expect(
    all
      .filter((t) => '_pages' in (t.inputSchema.properties ?? {}))
      .map((t) => t.name)
      .sort(),
  ).toEqual(['tracker_list_comments', 'tracker_list_projects', 'tracker_list_tickets', 'tracker_list_users']);
});

it('pages with the cursor from the body, and follows pages with _pages', async () => {
  const client = await connect('/tracker');
  const first = await client.callTool({ name: 'tracker_list_tickets', arguments: {} });
  expect(first._meta?.['lunar-hub/next']).toEqual({ after: '3' });
  expect(upstream.seen.at(-1)!.headers.authorization).toBe('Bearer tracker-token');
  const all = await client.callTool({ name: 'tracker_list_tickets', arguments: { _pages: 5, _jmespath: 'data[].id' } });
  expect((all.content as Array<{ text: string }>)[0].text).toBe(JSON.stringify(TICKETS.map((t) => t.id)));
  expect((all.content as Array<{ text: string }>)[1].text).toBe('Followed 3 pages: 7 items.');
  expect(all._meta?.['lunar-hub/next']).toBeUndefined();
});
