/** `<name>.connector.yaml`: the format, its defaults, and one error that lists every problem. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { HubError } from '../../../errors';
import { rejected } from '../../../test/helpers/errors';
import { DEFAULT_CONNECTOR_CONFIG, parseConnectorConfig, readConnectorConfig, type ConnectorConfig } from '.';
import { loadConnector } from '../load-connector';

const FILE = 'specs/acme.connector.yaml';
// A copy of the example shipped in specs/: that folder is the user's, and tests never read it.
const EXAMPLE = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'specs', 'petstore-example');
const PETSTORE = path.join(EXAMPLE, 'petstore.yaml');

function thrown(fn: () => unknown): HubError {
  try {
    fn();
  } catch (error) {
    return error as HubError;
  }
  throw new Error('expected an error');
}

function expectConnectorError(error: HubError, file: string, want: string[]): void {
  expect(error.code).toBe('HUB_ERR_CONFIG_CONNECTOR');
  expect(error.message).toContain(`Connector file ${file} is invalid: `);
  const problems = error.details.problems as string[];
  // Every problem, each once, in one error.
  expect(problems).toHaveLength(want.length);
  want.forEach((text, i) => {
    expect(problems[i]).toContain(text);
    expect(error.message).toContain(problems[i]);
  });
}

const COMPLETE = `
id: acme
baseUrl: https://API.example.com/v2/
allowedHosts: [uploads.example.com, "CDN.example.com:8443", "[::1]:9000"]
timeouts:
  connectMs: 2000
  bodyMs: 120000
maxResponseBytes: 4194304
headers:
  User-Agent: acme-hub/1.0
  X-Api-Version: "2024-01-01"
operations:
  include: [listThings, "GET /things/{id}"]
  exclude: [deleteThing]
tags:
  exclude: [admin]
deprecated: include
outputSchema: full
tools:
  listThings:
    name: things
    title: List things
  "GET /things/{id}":
    description: One thing, by id.
`;

describe('valid connector files', () => {
  test.each<[string, { given: string; want: ConnectorConfig }]>([
    ['empty file', { given: '', want: DEFAULT_CONNECTOR_CONFIG }],
    ['only comments', { given: '# nothing to change\n', want: DEFAULT_CONNECTOR_CONFIG }],
    ['minimal', { given: 'baseUrl: https://api.example.com\n', want: { ...DEFAULT_CONNECTOR_CONFIG, baseUrl: 'https://api.example.com' } }],
    [
      'one timeout keeps the other defaults',
      { given: 'timeouts: { headersMs: 5000 }\n', want: { ...DEFAULT_CONNECTOR_CONFIG, timeouts: { connectMs: 10000, headersMs: 5000, bodyMs: 60000 } } },
    ],
    [
      'toolsets and the default set',
      {
        given:
          'toolsets:\n  issues:\n    description: Issues and their comments\n    tags: [issues]\n    operations: [listThings]\n  repos: { tags: [repos], scopes: [repo] }\ndefaultToolsets: [issues, issues]\n',
        want: {
          ...DEFAULT_CONNECTOR_CONFIG,
          toolsets: {
            issues: { description: 'Issues and their comments', tags: ['issues'], operations: ['listThings'], scopes: [] },
            repos: { tags: ['repos'], operations: [], scopes: ['repo'] },
          },
          defaultToolsets: ['issues'],
        },
      },
    ],
    [
      'pagination with the style defaults filled in',
      {
        given: 'pagination:\n  style: cursor\n  items: channels\n  next: response_metadata.next_cursor\n',
        want: { ...DEFAULT_CONNECTOR_CONFIG, pagination: { style: 'cursor', param: 'cursor', next: 'response_metadata.next_cursor', items: 'channels' } },
      },
    ],
    [
      'server variables',
      {
        given: 'serverVariables:\n  region: us\n  basePath: v2/beta\n',
        want: { ...DEFAULT_CONNECTOR_CONFIG, serverVariables: { region: 'us', basePath: 'v2/beta' } },
      },
    ],
    [
      'complete',
      {
        given: COMPLETE,
        want: {
          id: 'acme',
          baseUrl: 'https://api.example.com/v2',
          serverVariables: {},
          allowedHosts: ['uploads.example.com', 'cdn.example.com:8443', '[::1]:9000'],
          timeouts: { connectMs: 2000, headersMs: 30000, bodyMs: 120000 },
          maxResponseBytes: 4194304,
          headers: { 'user-agent': 'acme-hub/1.0', 'x-api-version': '2024-01-01' },
          operations: { include: ['listThings', 'GET /things/{id}'], exclude: ['deleteThing'] },
          tags: { exclude: ['admin'] },
          deprecated: 'include',
          outputSchema: 'full',
          tools: { listThings: { name: 'things', title: 'List things' }, 'GET /things/{id}': { description: 'One thing, by id.' } },
          toolsets: {},
          policy: DEFAULT_CONNECTOR_CONFIG.policy,
        },
      },
    ],
    [
      'upstream policies keep the defaults they do not set',
      {
        given:
          'rateLimit:\n  perConnection: { perSecond: 3 }\n  perConnector: { perMinute: 1000, concurrency: 8 }\n  perOperation:\n    chat.postMessage: { perSecond: 1 }\n    GET /conversations.list: { perMinute: 20 }\n  headers: github\nretry:\n  attempts: 5\n  idempotencyHeader: Idempotency-Key\ncache:\n  defaultTtlSeconds: 60\ncircuitBreaker:\n  failures: 3\n',
        want: {
          ...DEFAULT_CONNECTOR_CONFIG,
          policy: {
            rateLimit: {
              perConnection: { perSecond: 3 },
              perConnector: { perMinute: 1000, concurrency: 8 },
              perOperation: { 'chat.postMessage': { perSecond: 1 }, 'GET /conversations.list': { perMinute: 20 } },
              headers: 'github',
              maxWaitMs: 30000,
            },
            retry: { attempts: 5, budgetMs: 30000, baseDelayMs: 250, maxDelayMs: 10000, idempotencyHeader: 'idempotency-key' },
            cache: { enabled: true, defaultTtlSeconds: 60, maxEntryBytes: 1048576 },
            circuitBreaker: { failures: 3, coolDownMs: 30000 },
          },
        },
      },
    ],
  ])('%s', (_name, { given, want }) => {
    const config = parseConnectorConfig(FILE, given);
    expect(config).toEqual(want);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.timeouts)).toBe(true);
  });

  it('has the documented defaults', () => {
    expect(DEFAULT_CONNECTOR_CONFIG).toEqual({
      serverVariables: {},
      allowedHosts: [],
      timeouts: { connectMs: 10000, headersMs: 30000, bodyMs: 60000 },
      maxResponseBytes: 1048576,
      headers: {},
      operations: { exclude: [] },
      tags: { exclude: [] },
      deprecated: 'exclude',
      outputSchema: 'shallow',
      tools: {},
      toolsets: {},
      policy: {
        rateLimit: { perConnection: {}, perConnector: {}, perOperation: {}, headers: 'standard', maxWaitMs: 30000 },
        retry: { attempts: 3, budgetMs: 30000, baseDelayMs: 250, maxDelayMs: 10000 },
        cache: { enabled: true, defaultTtlSeconds: 0, maxEntryBytes: 1048576 },
        circuitBreaker: { failures: 5, coolDownMs: 30000 },
      },
    });
    expect(Object.isFrozen(DEFAULT_CONNECTOR_CONFIG.timeouts)).toBe(true);
  });

  it('keeps the example beside specs/petstore.yaml valid (as copied into the fixtures)', async () => {
    const file = path.join(EXAMPLE, 'petstore.connector.yaml');
    const config = await readConnectorConfig(file);
    expect(config?.baseUrl).toBe('http://127.0.0.1:4010');
    const loaded = await loadConnector(PETSTORE);
    expect(loaded.configFile).toBe(file);
    expect(loaded.runtime.timeouts.connectMs).toBe(config?.timeouts.connectMs);
    expect(loaded.tools.find((t) => t.tool.name === 'petstore_list_pets')?.tool.description).toBe(config?.tools.listPets.description);
  });

  it('reads no config when the file does not exist', async () => {
    await expect(readConnectorConfig(path.join(os.tmpdir(), 'no-such-dir-lunar', 'x.connector.yaml'))).resolves.toBeUndefined();
  });
});

describe('invalid connector files', () => {
  test.each<[string, { given: string; want: string[] }]>([
    [
      'wrong type',
      { given: 'timeouts:\n  connectMs: 5s\n', want: ['timeouts.connectMs: must be a whole number of milliseconds from 1 to 3600000 (got "5s")'] },
    ],
    ['number out of range', { given: 'maxResponseBytes: 0\n', want: ['maxResponseBytes: must be a whole number of bytes from 1 to 268435456 (got 0)'] }],
    ['section of the wrong type', { given: 'timeouts: 5000\n', want: ['timeouts: must be a mapping with connectMs, headersMs and/or bodyMs (got 5000)'] }],
    ['empty section', { given: 'timeouts:\n', want: ['timeouts: must be a mapping with connectMs, headersMs and/or bodyMs (got nothing)'] }],
    ['unknown key', { given: 'colour: blue\n', want: ['colour: unknown key'] }],
    ['typo at the top', { given: 'timeout:\n  connectMs: 5\n', want: ['timeout: unknown key (did you mean "timeouts"?)'] }],
    ['typo in case', { given: 'baseURL: https://api.example.com\n', want: ['baseURL: unknown key (did you mean "baseUrl"?)'] }],
    ['typo nested', { given: 'timeouts:\n  conectMs: 5\n', want: ['timeouts.conectMs: unknown key (did you mean "connectMs"?)'] }],
    [
      'typo in a tool override',
      { given: 'tools:\n  listPets:\n    descripton: x\n', want: ['tools.listPets.descripton: unknown key (did you mean "description"?)'] },
    ],
    [
      'URL without scheme',
      { given: 'baseUrl: api.example.com\n', want: ['baseUrl: must be an absolute http(s) URL such as https://api.example.com (got "api.example.com")'] },
    ],
    ['URL not http', { given: 'baseUrl: ftp://files.example.com\n', want: ['baseUrl: must use http or https'] }],
    ['URL with credentials', { given: 'baseUrl: https://me:secret@api.example.com\n', want: ['baseUrl: must not carry a user name or password'] }],
    ['URL with a query', { given: 'baseUrl: https://api.example.com/?key=1\n', want: ['baseUrl: must not have a query or fragment'] }],
    [
      'server variables beside a baseUrl',
      { given: 'baseUrl: https://api.example.com\nserverVariables: { region: us }\n', want: ['serverVariables: has no effect when baseUrl is set'] },
    ],
    ['CR/LF in a header', { given: 'headers:\n  X-Trace: "a\\r\\nHost: evil.example"\n', want: ['headers.X-Trace: must not contain line breaks (CR/LF)'] }],
    [
      'authorization header',
      {
        given: 'headers:\n  Authorization: Bearer abc\n',
        want: ["headers.Authorization: credentials do not belong in static headers (they would reach every tenant); the connector file's `auth` section"],
      },
    ],
    ['cookie header', { given: 'headers:\n  cookie: session=1\n', want: ['headers.cookie: credentials do not belong in static headers'] }],
    ['framing header', { given: 'headers:\n  Content-Length: "10"\n', want: ['headers.Content-Length: is set by the hub'] }],
    ['bad header name', { given: 'headers:\n  "X Trace": a\n', want: ['headers["X Trace"]: is not a valid header name'] }],
    ['header value outside Latin-1', { given: 'headers:\n  X-Team: "équipe ✓"\n', want: ['headers.X-Team: must be Latin-1 text'] }],
    [
      'header value not a string',
      { given: 'headers:\n  X-Api-Version: 2\n', want: ['headers.X-Api-Version: must be a string (quote numbers: "2") (got a number)'] },
    ],
    ['header twice', { given: 'headers:\n  User-Agent: a\n  user-agent: b\n', want: ['headers.user-agent: repeats headers.User-Agent'] }],
    ['auth oauth2 without endpoints', { given: 'auth:\n  type: oauth2\n', want: ['auth: type oauth2 needs `issuer` (discovery) or `tokenUrl`'] }],
    ['auth apiKey without in and name', { given: 'auth:\n  type: apiKey\n', want: ['auth: type apiKey needs `in`', 'auth: type apiKey needs `name`'] }],
    ['auth scheme and type both', { given: 'auth:\n  scheme: token\n  type: bearer\n', want: ['auth.scheme: give either `scheme`'] }],
    [
      'auth setting of another type',
      { given: 'auth:\n  type: bearer\n  tokenUrl: https://id.example.com/token\n', want: ['auth.tokenUrl: does not apply to type bearer'] },
    ],
    [
      'auth unknown type',
      { given: 'auth:\n  type: hawk\n', want: ['auth.type: must be one of apiKey, basic, bearer, oauth2, openIdConnect, none (got "hawk")'] },
    ],
    ['auth prefix with a space', { given: 'auth:\n  type: bearer\n  prefix: "my token"\n', want: ['auth.prefix: must be one word such as Bearer or token'] }],
    ['auth token URL not a URL', { given: 'auth:\n  type: oauth2\n  tokenUrl: /token\n', want: ['auth.tokenUrl: must be an absolute http(s) URL'] }],
    [
      'auth typo',
      { given: 'auth:\n  type: apiKey\n  in: header\n  name: X-Key\n  prefx: token\n', want: ['auth.prefx: unknown key (did you mean "prefix"?)'] },
    ],
    [
      'toolsets not a mapping',
      { given: 'toolsets: []\n', want: ['toolsets: must be a mapping from toolset name to { description, tags, operations, scopes } (got a list)'] },
    ],
    [
      'a toolset name that cannot be asked for',
      {
        given: 'toolsets:\n  Pull Requests: { tags: [pulls] }\n',
        want: ['toolsets: must be a toolset name: 1-40 characters of a-z, 0-9, "_" and "-", starting with a letter (got "Pull Requests")'],
      },
    ],
    [
      'an empty toolset',
      {
        given: 'toolsets:\n  issues: {}\n',
        want: ['toolsets.issues: must be a mapping with tags and/or operations, a description and scopes (got a mapping)'],
      },
    ],
    [
      'use naming a path, not a built-in',
      { given: 'use: ../../etc\n', want: ['use: must be a built-in connector id, 1-24 characters of a-z, 0-9 and "-" (got "../../etc")'] },
    ],
    [
      'pagination without a style',
      {
        given: 'pagination:\n  items: data\n',
        want: ['pagination: must be a mapping with style and, as the style needs, items, next, param, sizeParam and total'],
      },
    ],
    [
      'pagination of an unknown style',
      { given: 'pagination:\n  style: links\n', want: ['pagination.style: must be one of link, cursor, pageToken, offset, page, startAt (got "links")'] },
    ],
    [
      'a pagination path with an empty step',
      {
        given: 'pagination:\n  style: cursor\n  next: meta..next\n',
        want: ['pagination.next: must be a dotted path to the next cursor or token in the body, such as meta.next_cursor (got "meta..next")'],
      },
    ],
    ['a toolset typo', { given: 'toolsets:\n  issues: { tag: [issues] }\n', want: ['toolsets.issues.tag: unknown key (did you mean "tags"?)'] }],
    [
      'default toolsets not names',
      {
        given: 'defaultToolsets: [Issues]\n',
        want: ['defaultToolsets[0]: must be a toolset name: 1-40 characters of a-z, 0-9, "_" and "-", starting with a letter (got "Issues")'],
      },
    ],
    [
      'rate of the wrong kind',
      {
        given: 'rateLimit:\n  perConnection: { perSecond: 0, burst: 3 }\n',
        want: ['rateLimit.perConnection.perSecond: must be a number of requests from 0.001 to 1000000 (got 0)', 'rateLimit.perConnection.burst: unknown key'],
      },
    ],
    [
      "a rate too slow for Node's timers",
      {
        given: 'rateLimit:\n  perConnector: { perHour: 0.001 }\n',
        want: ['rateLimit.perConnector.perHour: must be a number of requests from 0.01 to 1000000 (got 0.001)'],
      },
    ],
    ['retry attempts out of range', { given: 'retry:\n  attempts: 20\n', want: ['retry.attempts: must be a whole number of attempts from 1 to 10 (got 20)'] }],
    [
      'per-operation rates of the wrong kind',
      {
        given: 'rateLimit:\n  perOperation:\n    chat.postMessage: { perSecond: -1 }\n    files.upload: 5\n',
        want: [
          'rateLimit.perOperation["chat.postMessage"].perSecond: must be a number of requests from 0.001 to 1000000 (got -1)',
          'rateLimit.perOperation["files.upload"]: must be a mapping with perSecond, perMinute, perHour and/or concurrency (got 5)',
        ],
      },
    ],
    [
      'unknown header convention',
      { given: 'rateLimit:\n  headers: twitter\n', want: ['rateLimit.headers: must be one of standard, github, slack, none (got "twitter")'] },
    ],
    ['bad id', { given: 'id: GitHub\n', want: ['id: must be 1-24 characters of a-z, 0-9 and "-", starting and ending with a letter or digit (got "GitHub")'] }],
    ['id too long', { given: 'id: a-very-long-connector-name-indeed\n', want: ['id: must be 1-24 characters'] }],
    [
      'enum',
      {
        given: 'deprecated: yes\noutputSchema: deep\n',
        want: ['deprecated: must be one of include, exclude (got "yes")', 'outputSchema: must be one of shallow, full, none (got "deep")'],
      },
    ],
    [
      'empty include',
      { given: 'tags:\n  include: []\n', want: ['tags.include: must be a non-empty list of tag names (leave `include` out to keep every one) (got a list)'] },
    ],
    [
      'include item of the wrong type',
      { given: 'operations:\n  include: [listPets, 42]\n', want: ['operations.include[1]: must be an operationId or "METHOD /path" (got 42)'] },
    ],
    ['same entry included and excluded', { given: 'tags:\n  include: [pets]\n  exclude: [pets]\n', want: ['tags.exclude[0]: "pets" is also in tags.include'] }],
    [
      'tool name with a space',
      {
        given: 'tools:\n  listPets:\n    name: list pets\n',
        want: ['tools.listPets.name: must be 1-64 characters of A-Z, a-z, 0-9, "_", "-" and "." (got "list pets")'],
      },
    ],
    [
      'empty tool override',
      {
        given: 'tools:\n  "GET /pets": {}\n',
        want: ['tools["GET /pets"]: must be a mapping with name, title, description and/or hideArguments (got a mapping)'],
      },
    ],
    ['allowed host as a URL', { given: 'allowedHosts: ["https://uploads.example.com"]\n', want: ['allowedHosts[0]: must be a host or host:port, not a URL'] }],
    ['allowed host wildcard', { given: 'allowedHosts: ["*.example.com"]\n', want: ['allowedHosts[0]: wildcards are not supported'] }],
    ['allowed host port', { given: 'allowedHosts: [example.com, "example.com:70000"]\n', want: ['allowedHosts[1]: port must be from 1 to 65535'] }],
    ['server variable with a brace', { given: 'serverVariables:\n  region: "{eu}"\n', want: ['serverVariables.region: must not contain'] }],
    ['YAML syntax', { given: 'timeouts: [1, 2\nid: x\n', want: ['line '] }],
    ['duplicate key', { given: 'id: a\nid: b\n', want: ['line 2, column 1: Map keys must be unique'] }],
    ['top level is a list', { given: '- baseUrl: https://api.example.com\n', want: ['(top level): must be a mapping of connector settings (got a list)'] }],
  ])('%s', (_name, { given, want }) => {
    expectConnectorError(
      thrown(() => parseConnectorConfig(FILE, given)),
      FILE,
      want,
    );
  });

  it.each([
    ['an unquoted numeric key in a header', 'headers:\n  x-api-key: 8675309123456789\n', '8675309123456789', 'headers.x-api-key: must be'],
    ['a hex key YAML reads as a number', 'headers:\n  x-api-key: 0x1234abcd\n', '305441741', 'headers.x-api-key: must be'],
    ['a key in the base URL query', 'baseUrl: https://api.example.com/v1?k=SECRETQUERYKEY1\n', 'SECRETQUERYKEY1', 'baseUrl: must not have a query or fragment'],
    ['a token in a base URL that is not a URL', 'baseUrl: "not a url?access_token=SECRETTOKEN2"\n', 'SECRETTOKEN2', 'baseUrl: must be an absolute http(s) URL'],
  ])('never repeats a secret in its message: %s', (_name, given, secret, want) => {
    const error = thrown(() => parseConnectorConfig(FILE, given));
    expect(error.code).toBe('HUB_ERR_CONFIG_CONNECTOR');
    expect(error.message).toContain(want);
    expect(error.message).not.toContain(secret);
  });

  it('names malformed percent-encoding in the base URL instead of failing inside', () => {
    expectConnectorError(
      thrown(() => parseConnectorConfig(FILE, 'baseUrl: https://api.example.com/%ZZ\n')),
      FILE,
      ['baseUrl: has malformed percent-encoding in its path'],
    );
  });

  it('lists every problem of a file in one error', () => {
    const given = [
      'id: Acme_API',
      'baseUrl: not a url',
      'timeouts:',
      '  connectMs: 5s',
      '  readMs: 100',
      'headers:',
      '  Authorization: token abc',
      '  X-Trace: "a\\nb"',
      'deprecated: sometimes',
      'auth:',
      '  kind: oauth',
      'tools:',
      '  listPets:',
      '    name: "pets!"',
    ].join('\n');
    // In the order of the file, whichever check found them.
    expectConnectorError(
      thrown(() => parseConnectorConfig(FILE, given)),
      FILE,
      [
        'id: must be 1-24 characters',
        'baseUrl: must be an absolute http(s) URL',
        'timeouts.connectMs: must be a whole number',
        'timeouts.readMs: unknown key',
        'headers.Authorization: credentials do not belong',
        'headers.X-Trace: must not contain line breaks',
        'deprecated: must be one of include, exclude',
        'auth.kind: unknown key',
        'tools.listPets.name: must be 1-64 characters',
      ],
    );
  });
});

describe('connector files checked against the spec', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'lunar-connector-config-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function configFile(name: string, text: string): string {
    const file = path.join(dir, `${name}.connector.yaml`);
    writeFileSync(file, text);
    return file;
  }

  test.each<[string, { given: string; want: string[] }]>([
    [
      'unknown operation in include',
      {
        given: 'operations:\n  include: [listPets, getPet, lisPets, "GET /pet", "PUT /pets"]\n',
        want: [
          'operations.include[2]: unknown operation "lisPets" (did you mean "listPets"?)',
          'operations.include[3]: unknown operation "GET /pet" (did you mean "GET /pets"?)',
          'operations.include[4]: unknown operation "PUT /pets"',
        ],
      },
    ],
    ['unknown operation in exclude', { given: 'operations:\n  exclude: [removePet]\n', want: ['operations.exclude[0]: unknown operation "removePet"'] }],
    ['unknown tag', { given: 'tags:\n  include: [pets]\n', want: ['tags.include[0]: unknown tag "pets"'] }],
    ['unknown operation in tools', { given: 'tools:\n  "DELETE /pets":\n    title: x\n', want: ['tools["DELETE /pets"]: unknown operation "DELETE /pets"'] }],
    [
      'duplicate names after override',
      { given: 'tools:\n  listPets:\n    name: get_pet\n', want: ['tools.listPets.name: "petstore_get_pet" is also the name of GET /pets/{petId}'] },
    ],
    [
      'two renames to one name',
      {
        given: 'tools:\n  listPets:\n    name: pets\n  createPet:\n    name: petstore_pets\n',
        want: ['tools.listPets.name: "petstore_pets" is also the name of POST /pets', 'tools.createPet.name: "petstore_pets" is also the name of GET /pets'],
      },
    ],
    ['name too long with the prefix', { given: `tools:\n  listPets:\n    name: ${'x'.repeat(60)}\n`, want: ['tools.listPets.name: "petstore_xxx'] }],
    [
      'one operation overridden twice',
      { given: 'tools:\n  listPets: { title: a }\n  get /pets: { title: b }\n', want: ['tools["get /pets"]: names GET /pets, as tools.listPets does'] },
    ],
  ])('%s', async (name, { given, want }) => {
    const file = configFile(name.replace(/\W+/g, '-'), given);
    expectConnectorError(await rejected(loadConnector(PETSTORE, { configFile: file })), file, want);
  });

  it('lists file problems and spec problems of one load together', async () => {
    const file = configFile('together', 'operations:\n  exclude: [listPet]\ntools:\n  listPets:\n    name: get_pet\n');
    const spec = path.join(dir, 'relative.yaml');
    writeFileSync(spec, readFileSync(PETSTORE, 'utf8').replace('url: http://127.0.0.1:4010', 'url: /v1'));
    expectConnectorError(await rejected(loadConnector(spec, { configFile: file })), file, [
      'operations.exclude[0]: unknown operation "listPet"',
      'tools.listPets.name',
      'baseUrl: the spec\'s server URL "/v1" is relative',
    ]);
  });
});
