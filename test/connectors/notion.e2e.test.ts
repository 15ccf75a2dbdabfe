/**
 * The built-in Notion connector through `lunar-hub serve --connectors notion` (with the
 * base URL at a loopback upstream by `use: notion` in specs/), against an upstream that holds
 * each request to the connector's spec and answers in Notion's style: `{ object: "list",
 * results, next_cursor, has_more }` lists, `{ object: "error", code, message }` errors.
 */
import path from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { removeScratchDirs } from '../helpers/cli';
import { serveBuiltIn } from '../helpers/built-in-connector';
import type { ServedHub } from '../helpers/hub-process';
import { listAll } from '../helpers/mcp';
import { json } from '../helpers/upstream';
import { startSpecUpstream, type SpecUpstream } from '../helpers/spec-upstream';

const SPEC = path.join(__dirname, '..', '..', 'connectors', 'notion', 'openapi.json');
const TOKEN = 'ntn_e2eIntegrationSecret';
let upstream: SpecUpstream;
let hub: ServedHub;
const clients: Client[] = [];

function notionError(res: import('node:http').ServerResponse, status: number, message: string): void {
  json(res, status, { object: 'error', status, code: status === 404 ? 'object_not_found' : 'validation_error', message });
}

async function connect(query = ''): Promise<Client> {
  const client = new Client({ name: 'notion-e2e', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${hub.mcpUrl}${query}`)));
  clients.push(client);
  return client;
}

const PAGES = Array.from({ length: 5 }, (_, i) => ({
  object: 'page',
  id: `page-${i + 1}`,
  properties: { title: { title: [{ plain_text: `Page ${i + 1}` }] } },
}));

beforeAll(async () => {
  upstream = await startSpecUpstream({
    spec: SPEC,
    auth: (h) => {
      if (h.authorization !== `Bearer ${TOKEN}`) return `authorization is ${String(h.authorization)}`;
      if (h['notion-version'] !== '2025-09-03') return `notion-version is ${String(h['notion-version'])}`;
      return undefined;
    },
    error: notionError,
    routes: {
      'post-search': (req, res) => {
        const body = JSON.parse(req.body.toString('utf8')) as { query?: string; start_cursor?: string; page_size?: number };
        const start = Number(body.start_cursor ?? '0');
        const size = body.page_size ?? 2;
        const results = PAGES.slice(start, start + size);
        const more = start + size < PAGES.length;
        json(res, 200, { object: 'list', results, next_cursor: more ? String(start + size) : null, has_more: more, type: 'page_or_data_source' });
      },
      'retrieve-a-page': (req, res) =>
        req.params.page_id === 'missing'
          ? notionError(res, 404, 'Could not find page with ID: missing. Make sure the relevant pages and databases are shared with your integration.')
          : json(res, 200, { ...PAGES[0], id: req.params.page_id }),
      'post-page': (req, res) =>
        json(res, 200, { object: 'page', id: 'page-new', parent: (JSON.parse(req.body.toString('utf8')) as { parent: unknown }).parent }),
    },
  });
  ({ hub } = await serveBuiltIn('notion', `use: notion\nbaseUrl: ${upstream.url}\n`, TOKEN));
}, 90_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  await hub?.stop();
  await upstream?.close();
  removeScratchDirs();
});

afterEach(() => {
  expect(upstream.violations).toEqual([]);
});

it('lists pages, databases, search and blocks by default', async () => {
  const names = (await listAll(await connect('/notion'))).map((t) => t.name);
  expect(names).toEqual(expect.arrayContaining(['notion_search', 'notion_create_page', 'notion_query_data_source', 'notion_append_block_children']));
  expect(names).not.toContain('notion_get_users');
});

it('searches with the cursor in the body, page after page, and follows pages with _pages', async () => {
  const client = await connect('/notion');
  const first = await client.callTool({ name: 'notion_search', arguments: { query: 'Page', page_size: 2 } });
  expect(first._meta?.['lunar-hub/next']).toEqual({ start_cursor: '2' });
  const all = await client.callTool({ name: 'notion_search', arguments: { query: 'Page', page_size: 2, _pages: 5, _jmespath: 'results[].id' } });
  expect((all.content as Array<{ text: string }>)[0].text).toBe(JSON.stringify(PAGES.map((p) => p.id)));
  expect(upstream.called.filter((op) => op === 'post-search')).toHaveLength(4);
});

it("creates a page, and returns Notion's own error for a page the integration cannot see", async () => {
  const client = await connect('/notion');
  const created = await client.callTool({
    name: 'notion_create_page',
    // Notion's page body is one `body` argument: its parent is a choice of three shapes.
    arguments: { body: { parent: { page_id: '59833787-2cf9-4fdf-8782-e53db20768a5' }, properties: { title: { title: [{ text: { content: 'New' } }] } } } },
  });
  expect(created.isError).toBeFalsy();
  expect(JSON.parse((created.content as Array<{ text: string }>)[0].text)).toMatchObject({
    id: 'page-new',
    parent: { page_id: '59833787-2cf9-4fdf-8782-e53db20768a5' },
  });
  const missing = await client.callTool({ name: 'notion_retrieve_a_page', arguments: { page_id: 'missing' } });
  expect(missing.isError).toBe(true);
  expect(JSON.stringify(missing.content)).toContain('Could not find page with ID: missing');
});
