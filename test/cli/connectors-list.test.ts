/** `lunar-hub connectors list --json`: the contract scripts rely on. */
import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { removeScratchDirs, REPO, runCli, scratchDir } from '../helpers/cli';

afterAll(() => removeScratchDirs());

interface Listing {
  id: string;
  source: string;
  enabled: boolean;
  toolsets: string[];
  defaultToolsets: string[];
  tools: number;
  auth: string[];
}

async function list(args: string[], env: Record<string, string> = {}): Promise<Listing[]> {
  const result = await runCli(['connectors', 'list', '--json', ...args], { env });
  expect(result).toMatchObject({ code: 0 });
  return JSON.parse(result.stdout) as Listing[];
}

it('lists every built-in (off unless enabled) and every spec, with toolsets, tool counts and the connection kinds they take', async () => {
  const specs = scratchDir('list-specs');
  copyFileSync(path.join(REPO, 'specs', 'petstore.yaml'), path.join(specs, 'petstore.yaml'));
  const listing = await list(['--specs', specs]);
  expect(listing.map((c) => c.id)).toEqual(expect.arrayContaining(['github', 'petstore']));
  const github = listing.find((c) => c.id === 'github')!;
  expect(github).toEqual({
    id: 'github',
    source: 'builtin',
    enabled: false,
    toolsets: expect.arrayContaining(['repos', 'issues', 'pull_requests', 'actions']),
    defaultToolsets: ['repos', 'issues', 'pull_requests', 'code_search', 'users'],
    tools: 61,
    auth: ['oauth2', 'bearer'],
  });
  expect(listing.find((c) => c.id === 'petstore')).toEqual({
    id: 'petstore',
    source: 'spec',
    enabled: true,
    toolsets: [],
    defaultToolsets: [],
    tools: 4,
    auth: [],
  });
  expect((await list(['--specs', specs, '--connectors', 'github'])).find((c) => c.id === 'github')?.enabled).toBe(true);
  expect((await list(['--specs', specs], { LUNAR_CONNECTORS: 'github' })).find((c) => c.id === 'github')?.enabled).toBe(true);
});

it('shows a built-in turned on by `use:` in specs/ as on, under the id it is served as', async () => {
  const specs = scratchDir('list-use');
  writeFileSync(path.join(specs, 'ghe.connector.yaml'), 'use: github\nid: ghe\nbaseUrl: https://github.example.com/api/v3\n');
  const listing = await list(['--specs', specs]);
  expect(listing.find((c) => c.id === 'ghe')).toMatchObject({ source: 'builtin', enabled: true, tools: 61 });
  expect(listing.find((c) => c.id === 'github')).toMatchObject({ enabled: false });
});
