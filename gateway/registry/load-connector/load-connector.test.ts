/** Spec + `<name>.connector.yaml` -> the connector the hub serves: tools, filters, renames, runtime. */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { rejected } from '../../../test/helpers/errors';
import { DEFAULT_CONNECTOR_CONFIG } from '../connector-config';
import { connectorFileFor, loadConnector, type LoadedConnector } from '.';
import { REAL_SPECS } from '../../../test/helpers/real-specs';
import { fixture, MCP_TOOL_NAME } from '../../../test/helpers/specs';

let root: string;
beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'lunar-load-connector-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A fresh folder holding `files` (name -> text, or a path to copy). */
function folder(name: string, files: Record<string, string | { copy: string }>): string {
  const dir = path.join(root, name);
  mkdirSync(dir);
  for (const [file, content] of Object.entries(files)) {
    if (typeof content === 'string') writeFileSync(path.join(dir, file), content);
    else copyFileSync(content.copy, path.join(dir, file));
  }
  return dir;
}

function names(connector: LoadedConnector): string[] {
  return connector.tools.map((t) => t.tool.name).sort();
}

describe('locations-3.0.yaml (server https://{region}.api.example.com/{basePath})', () => {
  const LOCATIONS = fixture('locations-3.0.yaml');

  it('without a connector file: defaults, server variables from the spec', async () => {
    const dir = folder('locations-plain', { 'locations.yaml': { copy: LOCATIONS } });
    const connector = await loadConnector(path.join(dir, 'locations.yaml'));
    expect(connector.id).toBe('locations');
    expect(connector.configFile).toBeUndefined();
    expect(connector.config).toBe(DEFAULT_CONNECTOR_CONFIG);
    expect(connector.tools).toHaveLength(9);
    expect(connector.tools.every((t) => t.connectorId === 'locations' && t.binding.tool === t.tool.name)).toBe(true);
    expect(connector.skipped.map((s) => s.operation)).toEqual(['GET /legacy/members']);
    expect(connector.runtime).toEqual({
      id: 'locations',
      baseUrl: 'https://eu.api.example.com/v1',
      allowedHosts: ['eu.api.example.com'],
      timeouts: { connectMs: 10000, headersMs: 30000, bodyMs: 60000 },
      maxResponseBytes: 1048576,
      headers: {},
      // The spec's only security scheme (http bearer).
      auth: { scheme: { type: 'bearer', prefix: 'Bearer' }, source: 'spec securitySchemes.bearer', appliesTo: 'secured' },
      policy: DEFAULT_CONNECTOR_CONFIG.policy,
    });
    expect(Object.isFrozen(connector.runtime)).toBe(true);
  });

  it('with a connector file beside it: variables, hosts, timeouts, filters and renames', async () => {
    const dir = folder('locations-configured', {
      'locations.yaml': { copy: LOCATIONS },
      'locations.connector.yaml': [
        'id: members',
        'serverVariables:',
        '  region: us',
        '  basePath: v2/beta',
        'allowedHosts: [CDN.example.com:8443]',
        'timeouts:',
        '  connectMs: 2000',
        'maxResponseBytes: 2097152',
        'deprecated: include',
        'outputSchema: none',
        'operations:',
        '  exclude: [uploadAvatar, "get /orgs/{org}/avatar"]',
        'tools:',
        '  getMember:',
        '    name: member',
        '    title: One member',
        '  "DELETE /orgs/{org}/members/{member_id}":',
        '    name: members_remove',
        '  listLegacyMembers:',
        '    description: The old member list; use members_member instead.',
      ].join('\n'),
    });
    const connector = await loadConnector(path.join(dir, 'locations.yaml'));
    expect(connector.id).toBe('members');
    expect(connector.configFile).toBe(path.join(dir, 'locations.connector.yaml'));
    expect(connector.runtime).toEqual({
      id: 'members',
      baseUrl: 'https://us.api.example.com/v2/beta',
      allowedHosts: ['us.api.example.com', 'cdn.example.com:8443'],
      timeouts: { connectMs: 2000, headersMs: 30000, bodyMs: 60000 },
      maxResponseBytes: 2097152,
      headers: {},
      auth: { scheme: { type: 'bearer', prefix: 'Bearer' }, source: 'spec securitySchemes.bearer', appliesTo: 'secured' },
      policy: DEFAULT_CONNECTOR_CONFIG.policy,
    });
    // 10 operations, the deprecated one back in, two excluded.
    expect(names(connector)).toEqual([
      'members_add_note',
      'members_invite_by_form',
      'members_list_legacy_members',
      'members_member',
      'members_remove', // already prefixed: not prefixed twice
      'members_rename_member',
      'members_replace_member',
      'members_upload_attachment',
    ]);
    const member = connector.tools.find((t) => t.tool.name === 'members_member')!;
    expect(member.tool.title).toBe('One member');
    expect(member.tool.description).toMatch(/^Returns one member/); // kept
    expect(member.binding.tool).toBe('members_member');
    expect(member.operation.key).toBe('GET /orgs/{org}/members/{member_id}');
    expect(Object.keys(member.tool).slice(0, 3)).toEqual(['name', 'title', 'description']);
    expect(connector.tools.find((t) => t.tool.name === 'members_list_legacy_members')!.tool.description).toBe(
      'The old member list; use members_member instead.',
    );
    expect(connector.tools.some((t) => t.tool.outputSchema !== undefined)).toBe(false);
    expect(connector.skipped).toEqual([
      expect.objectContaining({ operation: 'GET /orgs/{org}/avatar', reason: 'left out by the connector file: operations.exclude' }),
      expect.objectContaining({ operation: 'PUT /orgs/{org}/avatar', reason: 'left out by the connector file: operations.exclude' }),
    ]);
  });

  it('finds a .yml connector file too, and refuses both at once', async () => {
    const dir = folder('locations-yml', { 'locations.yaml': { copy: LOCATIONS }, 'locations.connector.yml': 'id: loc\n' });
    expect((await loadConnector(path.join(dir, 'locations.yaml'))).id).toBe('loc');
    writeFileSync(path.join(dir, 'locations.connector.yaml'), 'id: loc2\n');
    const error = await rejected(loadConnector(path.join(dir, 'locations.yaml')));
    expect(error.code).toBe('HUB_ERR_CONFIG_CONNECTOR');
    expect(error.message).toContain('locations.connector.yml exists too');
  });

  it('checks server variables against the spec', async () => {
    const dir = folder('locations-variables', {
      'locations.yaml': { copy: LOCATIONS },
      'locations.connector.yaml': 'serverVariables:\n  region: ap\n  basepath: v2\n',
    });
    const error = await rejected(loadConnector(path.join(dir, 'locations.yaml')));
    expect(error.code).toBe('HUB_ERR_CONFIG_CONNECTOR');
    expect(error.details.problems).toEqual([
      'serverVariables.region: must be one of eu, us, as the spec says (got "ap")',
      'serverVariables.basepath: the spec\'s server https://{region}.api.example.com/{basePath} has no variable "basepath" (did you mean "basePath"?)',
    ]);
    expect(error.message).toContain(path.join(dir, 'locations.connector.yaml'));
  });

  it('refuses an explicit connector file that does not exist', async () => {
    const missing = path.join(root, 'nowhere.connector.yaml');
    const error = await rejected(loadConnector(LOCATIONS, { configFile: missing }));
    expect(error.code).toBe('HUB_ERR_CONFIG_CONNECTOR');
    expect(error.message).toBe(`Connector file ${missing} is invalid: no such file`);
  });
});

describe('servers the hub cannot call without a baseUrl', () => {
  const spec = (servers: string) =>
    `openapi: 3.1.0\ninfo: { title: t, version: "1" }\n${servers}paths:\n  /ping:\n    get:\n      operationId: ping\n      responses: { "204": { description: ok } }\n`;

  test.each([
    [
      'a relative server',
      'servers:\n  - url: /api/v3\n',
      'baseUrl: the spec\'s server URL "/api/v3" is relative; set baseUrl to the absolute URL the API is served at (for example https://api.example.com/api/v3)',
    ],
    ['no server at all', '', "baseUrl: the spec declares no server; set baseUrl to the API's absolute URL"],
  ])('%s is an error naming the connector file to write', async (name, servers, want) => {
    const dir = folder(`servers-${name.replace(/\W+/g, '-')}`, { 'api.yaml': spec(servers) });
    const error = await rejected(loadConnector(path.join(dir, 'api.yaml')));
    expect(error.code).toBe('HUB_ERR_CONFIG_CONNECTOR');
    expect(error.message).toContain(`Connector file ${connectorFileFor(path.join(dir, 'api.yaml'))} (not present) is invalid: `);
    expect(error.details.problems).toEqual([expect.stringContaining(want)]);

    writeFileSync(path.join(dir, 'api.connector.yaml'), 'baseUrl: https://Internal.example.com:8443/api/v3/\n');
    const connector = await loadConnector(path.join(dir, 'api.yaml'));
    expect(connector.runtime.baseUrl).toBe('https://internal.example.com:8443/api/v3');
    expect(connector.runtime.allowedHosts).toEqual(['internal.example.com:8443']);
  });
});

describe('filters', () => {
  const SPEC = `openapi: 3.1.0
info: { title: Shop, version: "1" }
servers: [{ url: "https://shop.example.com" }]
tags: [{ name: Unused }]
paths:
  /pets:
    get: { operationId: listPets, tags: [Pets], responses: { "200": { description: ok } } }
    post: { operationId: createPet, tags: [Pets, Admin], responses: { "201": { description: ok } } }
  /orders:
    get: { operationId: listOrders, tags: [Orders], responses: { "200": { description: ok } } }
    delete: { operationId: purgeOrders, tags: [Orders, Admin], responses: { "204": { description: ok } } }
  /health:
    get: { operationId: health, responses: { "200": { description: ok } } }
  /old:
    get: { operationId: oldThing, deprecated: true, tags: [Pets], responses: { "200": { description: ok } } }
`;

  test.each<[string, { given: string; want: string[] }]>([
    ['no filter', { given: '', want: ['create_pet', 'health', 'list_orders', 'list_pets', 'purge_orders'] }],
    ['tags.include (any case)', { given: 'tags: { include: [pets] }', want: ['create_pet', 'list_pets'] }],
    [
      'tags.include and operations.include add up',
      { given: 'tags: { include: [Pets] }\noperations: { include: [health] }', want: ['create_pet', 'health', 'list_pets'] },
    ],
    ['tags.exclude beats tags.include', { given: 'tags: { include: [Pets, Orders], exclude: [Admin] }', want: ['list_orders', 'list_pets'] }],
    ['operations.include beats tags.exclude', { given: 'tags: { exclude: [Admin] }\noperations: { include: ["DELETE /orders"] }', want: ['purge_orders'] }],
    [
      'operations.exclude beats everything',
      { given: 'tags: { include: [Pets] }\noperations: { include: [createPet], exclude: ["POST /pets"] }', want: ['list_pets'] },
    ],
    ['a declared tag no operation uses selects nothing', { given: 'tags: { include: [Unused] }', want: [] }],
    ['deprecated: include', { given: 'deprecated: include\ntags: { include: [Pets] }', want: ['create_pet', 'list_pets', 'old_thing'] }],
  ])('%s', async (name, { given, want }) => {
    const dir = folder(`filters-${name.replace(/\W+/g, '-')}`, { 'shop.yaml': SPEC, 'shop.connector.yaml': given });
    const connector = await loadConnector(path.join(dir, 'shop.yaml'));
    expect(names(connector)).toEqual(want.map((n) => `shop_${n}`));
  });

  it('refuses a deprecated operation named in include while deprecated ones are excluded', async () => {
    const dir = folder('filters-deprecated', { 'shop.yaml': SPEC, 'shop.connector.yaml': 'operations: { include: [oldThing] }\n' });
    const error = await rejected(loadConnector(path.join(dir, 'shop.yaml')));
    expect(error.details.problems).toEqual([
      'operations.include[0]: "oldThing" is deprecated and `deprecated: exclude` leaves it out; set `deprecated: include` to serve it',
    ]);
  });

  it('warns about an override of an operation that is not served', async () => {
    const dir = folder('filters-unused', { 'shop.yaml': SPEC, 'shop.connector.yaml': 'tags: { exclude: [Admin] }\ntools:\n  purgeOrders: { title: Purge }\n' });
    const connector = await loadConnector(path.join(dir, 'shop.yaml'));
    expect(connector.problems).toEqual([
      {
        severity: 'warning',
        rule: 'connector-override-unused',
        file: path.join(dir, 'shop.connector.yaml'),
        pointer: '/tools/purgeOrders',
        message: 'tools.purgeOrders has no effect: DELETE /orders is not served (left out by the filters)',
      },
    ]);
  });
});

describe('real specs', () => {
  it('Notion without a connector file', async () => {
    const connector = await loadConnector(REAL_SPECS.notion);
    expect(connector.id).toBe('notion-openapi');
    expect(connector.tools).toHaveLength(24);
    expect(connector.runtime.baseUrl).toBe('https://api.notion.com');
    expect(connector.runtime.allowedHosts).toEqual(['api.notion.com']);
  });

  it('Notion with a tag filter, an operation, a header and a rename', async () => {
    const dir = folder('notion', {
      'notion.connector.yaml': [
        'id: notion',
        'headers:',
        '  Notion-Version: "2025-09-03"',
        'tags:',
        '  include: [data sources]',
        'operations:',
        '  include: [get-self]',
        'tools:',
        '  query-data-source:',
        '    name: query_data',
      ].join('\n'),
    });
    const connector = await loadConnector(REAL_SPECS.notion, { configFile: path.join(dir, 'notion.connector.yaml') });
    expect(names(connector)).toEqual([
      'notion_create_a_data_source',
      'notion_get_self',
      'notion_list_data_source_templates',
      'notion_query_data',
      'notion_retrieve_a_data_source',
      'notion_update_a_data_source',
    ]);
    expect(connector.config.headers).toEqual({ 'notion-version': '2025-09-03' });
    expect(connector.skipped).toHaveLength(24 - 6);
  });

  it('Notion with toolsets and a default set: each tool knows its toolsets and whether the default set holds it', async () => {
    const dir = folder('notion-toolsets', {
      'notion.connector.yaml': [
        'id: notion',
        'toolsets:',
        '  pages:',
        '    description: Pages and their properties',
        '    tags: [Pages]',
        '    operations: [retrieve-a-page, patch-page, post-page]',
        '  search:',
        '    operations: [post-search]',
        '  users: { operations: [get-user, get-users, get-self] }',
        '  nothing: { description: Reserved for later }',
        'defaultToolsets: [pages, search]',
      ].join('\n'),
    });
    const connector = await loadConnector(REAL_SPECS.notion, { configFile: path.join(dir, 'notion.connector.yaml') });
    const byName = new Map(connector.tools.map((t) => [t.tool.name, t]));
    expect(byName.get('notion_post_search')).toMatchObject({ toolsets: ['search'], inDefault: true });
    expect(byName.get('notion_retrieve_a_page')).toMatchObject({ toolsets: ['pages'], inDefault: true });
    expect(byName.get('notion_move_page')).toMatchObject({ toolsets: ['pages'], inDefault: true });
    expect(byName.get('notion_retrieve_a_block')).toMatchObject({ toolsets: [], inDefault: false });
    expect(byName.get('notion_get_users')).toMatchObject({ toolsets: ['users'], inDefault: false });
    // Every tool is still served; the default set only narrows what is listed when nothing is asked for.
    expect(connector.tools).toHaveLength(24);
    expect(connector.tools.filter((t) => t.inDefault).length).toBeLessThan(24);
    expect(connector.problems.filter((p) => p.rule === 'connector-toolset-empty').map((p) => [p.pointer, p.message])).toEqual([
      ['/toolsets/nothing', 'toolsets.nothing names no tags or operations, so it holds no tool'],
    ]);
  });

  it('refuses a toolset naming an unknown tag or operation, and a default toolset not declared', async () => {
    const dir = folder('notion-toolsets-bad', {
      'notion.connector.yaml': 'toolsets:\n  pages: { tags: [Page], operations: [retrieve-a-pag] }\ndefaultToolsets: [pages, serch]\n',
    });
    const file = path.join(dir, 'notion.connector.yaml');
    const error = await rejected(loadConnector(REAL_SPECS.notion, { configFile: file }));
    expect(error.code).toBe('HUB_ERR_CONFIG_CONNECTOR');
    expect(error.details.problems).toEqual([
      'toolsets.pages.operations[0]: unknown operation "retrieve-a-pag" (did you mean "retrieve-a-page"?)',
      'toolsets.pages.tags[0]: unknown tag "Page" (did you mean "Pages"?)',
      'defaultToolsets[1]: no toolset "serch" is declared under `toolsets`',
    ]);
  });

  it('GitHub with tags include [issues, repos], a rename and an extra host', async () => {
    const dir = folder('github', {
      'github.connector.yaml': [
        'id: github',
        'baseUrl: https://api.github.com',
        'allowedHosts: [uploads.github.com]',
        'headers:',
        '  X-GitHub-Api-Version: "2022-11-28"',
        'timeouts: { headersMs: 20000 }',
        'tags:',
        '  include: [issues, repos]',
        'tools:',
        '  issues/create:',
        '    name: open_issue',
        '    title: Open an issue',
      ].join('\n'),
    });
    const connector = await loadConnector(REAL_SPECS.github, { configFile: path.join(dir, 'github.connector.yaml') });

    const spec = JSON.parse(readFileSync(REAL_SPECS.github, 'utf8')) as { paths: Record<string, Record<string, { tags?: string[]; deprecated?: boolean }>> };
    const wanted = Object.values(spec.paths)
      .flatMap((item) => Object.values(item))
      .filter((op) => typeof op === 'object' && op !== null && !op.deprecated && (op.tags ?? []).some((t) => t === 'issues' || t === 'repos'));
    expect(connector.tools).toHaveLength(wanted.length);
    expect(connector.tools.length).toBeGreaterThan(200);
    expect(connector.tools.every((t) => t.operation.tags.some((tag) => tag === 'issues' || tag === 'repos'))).toBe(true);
    expect(connector.tools.every((t) => MCP_TOOL_NAME.test(t.tool.name) && t.tool.name.startsWith('github_'))).toBe(true);
    expect(new Set(names(connector)).size).toBe(connector.tools.length);

    const open = connector.tools.find((t) => t.tool.name === 'github_open_issue')!;
    expect(open.operation.operationId).toBe('issues/create');
    expect(open.tool.title).toBe('Open an issue');
    expect(connector.tools.some((t) => t.tool.name === 'github_issues_create')).toBe(false);
    expect(connector.tools.some((t) => t.tool.name === 'github_repos_get')).toBe(true);

    expect(connector.runtime).toEqual({
      id: 'github',
      baseUrl: 'https://api.github.com',
      allowedHosts: ['api.github.com', 'uploads.github.com'],
      timeouts: { connectMs: 10000, headersMs: 20000, bodyMs: 60000 },
      maxResponseBytes: 1048576,
      headers: { 'x-github-api-version': '2022-11-28' },
      policy: DEFAULT_CONNECTOR_CONFIG.policy,
    });
    expect(connector.problems.filter((p) => p.rule.startsWith('connector-'))).toEqual([]);
  });

  it('GitHub with the complete example of docs/connectors.md', async () => {
    const doc = readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'connectors.md'), 'utf8');
    const example = /```yaml\n(# specs\/github\.connector\.yaml[\s\S]*?)```/.exec(doc)![1];
    const dir = folder('github-docs', { 'github.connector.yaml': example });
    const connector = await loadConnector(REAL_SPECS.github, { configFile: path.join(dir, 'github.connector.yaml') });
    expect(connector.id).toBe('github');
    expect(connector.runtime.allowedHosts).toEqual(['api.github.com', 'uploads.github.com']);
    expect(connector.runtime.timeouts).toEqual({ connectMs: 5000, headersMs: 30000, bodyMs: 60000 });
    expect(connector.runtime.maxResponseBytes).toBe(2097152);
    expect(connector.runtime.headers).toEqual({ 'x-github-api-version': '2022-11-28', 'user-agent': 'lunar-snake-hub' });
    const served = new Set(connector.tools.map((t) => t.operation.operationId));
    expect(served.has('issues/create') && served.has('repos/get')).toBe(true);
    expect(served.has('repos/delete') || served.has('repos/delete-webhook')).toBe(false);
    expect(connector.tools.find((t) => t.operation.operationId === 'issues/create')!.tool.name).toBe('github_open_issue');
    expect(connector.tools.find((t) => t.operation.operationId === 'repos/get')!.tool.description).toMatch(/^Get a repository \(name/);
  });

  it('Slack: per-method tiers in rateLimit.perOperation are resolved to operation keys; an unknown method gets a suggestion', async () => {
    const dir = folder('slack-tiers', {
      'slack.connector.yaml':
        'rateLimit:\n  headers: slack\n  perOperation:\n    chat_postMessage: { perSecond: 1 }\n    GET /conversations.list: { perMinute: 20 }\n',
    });
    const connector = await loadConnector(REAL_SPECS.slack, { configFile: path.join(dir, 'slack.connector.yaml') });
    expect(connector.runtime.policy?.rateLimit.perOperation).toEqual({
      'POST /chat.postMessage': { perSecond: 1 },
      'GET /conversations.list': { perMinute: 20 },
    });
    expect(Object.isFrozen(connector.runtime.policy?.rateLimit.perOperation)).toBe(true);
    // The limiter keys calls by the same operation key the tools carry.
    expect(connector.tools.some((t) => t.operation.key === 'POST /chat.postMessage')).toBe(true);

    // A rate for an operation the filters leave out does nothing, and says so.
    const unused = folder('slack-tier-unused', {
      'slack.connector.yaml': 'operations:\n  exclude: [chat_postMessage]\nrateLimit:\n  perOperation:\n    chat_postMessage: { perSecond: 1 }\n',
    });
    const loaded = await loadConnector(REAL_SPECS.slack, { configFile: path.join(unused, 'slack.connector.yaml') });
    expect(loaded.problems.filter((p) => p.rule === 'connector-override-unused').map((p) => [p.pointer, p.message])).toEqual([
      [
        '/rateLimit/perOperation/chat_postMessage',
        'rateLimit.perOperation.chat_postMessage has no effect: POST /chat.postMessage is not served (left out by the filters)',
      ],
    ]);

    const typo = folder('slack-tier-typo', {
      'slack.connector.yaml':
        'rateLimit:\n  perOperation:\n    chat_postMesage: { perSecond: 1 }\n    chat_postMessage: { perSecond: 1 }\n    POST /chat.postMessage: { perSecond: 2 }\n',
    });
    const error = await rejected(loadConnector(REAL_SPECS.slack, { configFile: path.join(typo, 'slack.connector.yaml') }));
    expect(error.code).toBe('HUB_ERR_CONFIG_CONNECTOR');
    expect(error.details.problems).toEqual([
      'rateLimit.perOperation.chat_postMesage: unknown operation "chat_postMesage" (did you mean "chat_postMessage"?)',
      'rateLimit.perOperation["POST /chat.postMessage"]: names POST /chat.postMessage, as rateLimit.perOperation.chat_postMessage does; keep one',
    ]);
  });

  it('GitHub: a typo in an operation or tag gets a suggestion', async () => {
    const dir = folder('github-typo', { 'github.connector.yaml': 'operations:\n  include: [repos/get, repos/gett]\ntags:\n  exclude: [isues]\n' });
    const file = path.join(dir, 'github.connector.yaml');
    const error = await rejected(loadConnector(REAL_SPECS.github, { configFile: file }));
    expect(error.code).toBe('HUB_ERR_CONFIG_CONNECTOR');
    expect(error.message).toContain(file);
    expect(error.details.problems).toEqual([
      'operations.include[1]: unknown operation "repos/gett" (did you mean "repos/get"?)',
      'tags.exclude[0]: unknown tag "isues" (did you mean "issues"?)',
    ]);
  });
});
