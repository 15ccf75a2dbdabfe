/**
 * `lunar-hub generate`: tool definitions, typed clients (type-checked with tsc and
 * called against a real HTTP server) and the Markdown catalogue.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REAL_SPECS } from '../helpers/real-specs';
import { removeScratchDirs, REPO, runCli, scratchDir } from '../helpers/cli';
import { fixture } from '../helpers/specs';
import { json, startUpstream, type Upstream } from '../helpers/upstream';

const TSC = path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');

afterAll(removeScratchDirs);

describe('lunar-hub generate', () => {
  let out: string;

  beforeAll(async () => {
    out = scratchDir('generate');
    const result = await runCli([
      'generate',
      fixture('locations-3.0.yaml'),
      fixture('petstore-swagger2.yaml'),
      fixture('circular-3.1.json'),
      REAL_SPECS.notion,
      '--out',
      out,
    ]);
    expect(result.stderr).toMatch(/generated 4 connectors/);
    expect(result.code).toBe(0);
  }, 120_000);

  it('writes one folder per connector and an index', () => {
    const index = JSON.parse(readFileSync(path.join(out, 'index.json'), 'utf8')) as Array<{ id: string; tools: number }>;
    expect(index.map((c) => [c.id, c.tools])).toEqual([
      ['circular-3-1', 3],
      ['locations-3-0', 9],
      ['notion-openapi', 24],
      ['petstore-swagger2', 6],
    ]);
    for (const { id } of index) {
      for (const file of ['tools.json', 'connector.json', 'problems.json', 'TOOLS.md', 'types.ts', 'client.ts']) {
        expect(existsSync(path.join(out, id, file))).toBe(true);
      }
    }
  });

  it('writes the same tools as `lunar-hub tools --json`', async () => {
    const printed = await runCli(['tools', fixture('locations-3.0.yaml'), '--json']);
    expect(JSON.parse(readFileSync(path.join(out, 'locations-3-0', 'tools.json'), 'utf8'))).toEqual(JSON.parse(printed.stdout));
  });

  it('writes a catalogue with every tool and its arguments', () => {
    const catalogue = readFileSync(path.join(out, 'locations-3-0', 'TOOLS.md'), 'utf8');
    expect(catalogue).toContain('# Locations and bodies (1)');
    expect(catalogue).toContain('## locations-3-0_get_member');
    expect(catalogue).toContain('| `X-Trace` | header | string |  | A trace id echoed in logs. |');
    expect(catalogue).toContain('| `session` | cookie | string | yes |  |');
    expect(catalogue).toContain('| `body_org` | body.org | string | yes | the new organisation |');
    expect(catalogue).toContain('- `GET /legacy/members`: deprecated'); // skipped, with the reason
  });

  it('writes typed clients that type-check, and refuse wrong arguments', () => {
    writeFileSync(
      path.join(out, 'usage.ts'),
      `import { createLocations30Client } from './locations-3-0/client';
import { createNotionOpenapiClient } from './notion-openapi/client';
const members = createLocations30Client({ baseUrl: 'http://127.0.0.1:9' });
export async function use(): Promise<string> {
  const member = await members.getMember({ path: { org: 'acme', member_id: 7 }, cookie: { session: 's' }, query: { page: 2 } });
  const login: string = member.login;
  // @ts-expect-error member_id is an integer in the spec
  await members.getMember({ path: { org: 'acme', member_id: 'seven' }, cookie: { session: 's' } });
  // @ts-expect-error the cookie parameter "session" is required
  await members.getMember({ path: { org: 'acme', member_id: 7 } });
  // @ts-expect-error "role" is one of member/admin
  await members.inviteByForm({ path: { org: 'acme' }, body: { email: 'a@example.com', role: 'owner' } });
  const notion = createNotionOpenapiClient({ baseUrl: 'https://api.notion.com' });
  await notion.postSearch({ body: { query: 'x' } });
  return login;
}
`,
    );
    const result = spawnSync(process.execPath, [TSC, '-p', out], { encoding: 'utf8' });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  }, 120_000);

  describe('a generated client against a real HTTP server', () => {
    let upstream: Upstream;
    let baseUrl: string;

    beforeAll(async () => {
      upstream = await startUpstream({}, (req, res) =>
        req.url.includes('/missing') ? json(res, 404, { message: 'no such member' }) : json(res, 200, { id: 7, login: 'octo' }),
      );
      baseUrl = `${upstream.url}/v1`;
    });
    afterAll(() => upstream.close());
    const lastRequest = () => {
      const seen = upstream.seen.at(-1)!;
      return { ...seen, body: seen.body.toString('utf8') };
    };

    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const client = (): any =>
      require(path.join(out, 'locations-3-0', 'client.ts')).createLocations30Client({ baseUrl, headers: { 'user-agent': 'lunar-test' } });

    it('serialises path, query (form, deepObject), header and cookie parameters', async () => {
      const member = await client().getMember({
        path: { org: 'a b/c', member_id: 7 },
        query: { fields: ['id', 'login'], filter: { role: 'admin' }, page: 2 },
        header: { 'X-Trace': 't-1' },
        cookie: { session: 's=1' },
      });
      expect(member).toEqual({ id: 7, login: 'octo' });
      const request = lastRequest();
      expect(request.method).toBe('GET');
      expect(request.url).toBe('/v1/orgs/a%20b%2Fc/members/7?fields=id,login&filter%5Brole%5D=admin&page=2');
      expect(request.headers['x-trace']).toBe('t-1');
      expect(request.headers.cookie).toBe('session=s%3D1');
      expect(request.headers['user-agent']).toBe('lunar-test');
    });

    it.each([
      ['replaceMember', { path: { org: 'o', member_id: 1 }, body: { login: 'x' } }, 'application/json', '{"login":"x"}'],
      [
        'inviteByForm',
        { path: { org: 'o' }, body: { email: 'a@example.com', role: 'admin' } },
        'application/x-www-form-urlencoded',
        'email=a%40example.com&role=admin',
      ],
      ['addNote', { path: { org: 'o' }, body: 'hello' }, 'text/plain', 'hello'],
      ['uploadAvatar', { path: { org: 'o' }, body: new Uint8Array([1, 2, 3]) }, 'application/octet-stream', '\u0001\u0002\u0003'],
    ])('%s sends its body as %s', async (method, args, contentType, body) => {
      await client()[method](args);
      const request = lastRequest();
      expect(request.headers['content-type']).toBe(contentType);
      expect(request.body).toBe(body);
    });

    it('sends multipart bodies with a boundary', async () => {
      await client().uploadAttachment({ path: { org: 'o' }, body: { caption: 'cat', file: new Blob(['PNG']) } });
      const request = lastRequest();
      expect(request.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
      expect(request.body).toContain('name="caption"');
      expect(request.body).toContain('cat');
      expect(request.body).toContain('PNG');
    });

    it('throws a coded error with the status and body on an HTTP error', async () => {
      const error = await client()
        .getMember({ path: { org: 'missing', member_id: 1 }, cookie: { session: 's' } })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'HUB_ERR_CLIENT_HTTP', status: 404, body: { message: 'no such member' } });
    });
  });
});

describe('lunar-hub generate with no SPEC', () => {
  it('reads every spec in ./specs, as the README shows', async () => {
    // A folder holding a copy of the example the hub ships, not the user's own specs/ (issue 14, item 15).
    const cwd = scratchDir('generate-cwd');
    mkdirSync(path.join(cwd, 'specs'));
    for (const file of ['petstore.yaml', 'petstore.connector.yaml']) copyFileSync(path.join(REPO, 'specs', file), path.join(cwd, 'specs', file));
    const out = scratchDir('generate-default');
    const result = await runCli(['generate', '--out', out], { cwd });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('petstore: 4 tools, 0 skipped, 0 warnings (specs/petstore.yaml)');
    expect(JSON.parse(readFileSync(path.join(out, 'petstore', 'tools.json'), 'utf8')).map((t: { name: string }) => t.name)).toEqual([
      'petstore_list_pets',
      'petstore_create_pet',
      'petstore_get_pet',
      'petstore_delete_pet',
    ]);
  }, 60_000);
});

describe('lunar-hub generate, when something goes wrong', () => {
  it('still writes the good specs, leaves no half-written folder and exits 1', async () => {
    const out = scratchDir('generate-bad');
    const result = await runCli(['generate', fixture('circular-3.1.json'), fixture('broken/bad-json.json'), '--out', out, '--no-client']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/error HUB_ERR_SPEC_PARSE: .*bad-json\.json/);
    expect(result.stderr).toMatch(/generated 1 connectors.*1 specs failed/);
    expect(existsSync(path.join(out, 'circular-3-1', 'tools.json'))).toBe(true);
    expect(existsSync(path.join(out, 'bad-json'))).toBe(false);
    expect(
      require('node:fs')
        .readdirSync(out)
        .filter((n: string) => n.startsWith('.staging')),
    ).toEqual([]);
  });

  it('names the output folder when it cannot be written', async () => {
    const out = scratchDir('generate-file');
    const blocker = path.join(out, 'not-a-dir');
    writeFileSync(blocker, 'x');
    const result = await runCli(['generate', fixture('circular-3.1.json'), '--out', blocker]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/HUB_ERR_GEN_OUTPUT.*not-a-dir/);
  });

  it('draws progress only when asked (LUNAR_PROGRESS=1) and stays quiet in CI', async () => {
    const out = scratchDir('generate-progress');
    const quiet = await runCli(['generate', REAL_SPECS.notion, '--out', out, '--no-client']);
    expect(quiet.stderr).not.toMatch(/\[#*\.*\]/);
    const loud = await runCli(['generate', REAL_SPECS.notion, '--out', out, '--no-client'], { env: { LUNAR_PROGRESS: '1' } });
    expect(loud.stderr).toMatch(/notion-openapi\.json: reading/);
    expect(loud.stderr).toMatch(/\[#{24}\] 24\/24/);
  });
});

describe('lunar-hub generate, specs the tools tolerate (dangling $refs, duplicate operationIds, non-ASCII names)', () => {
  let out: string;
  let result: Awaited<ReturnType<typeof runCli>>;
  const specs = ['external/dangling-mapping.yaml', 'names-3.0.yaml', 'invalid-ops-3.0.yaml', 'unicode-3.0.yaml'];

  beforeAll(async () => {
    out = scratchDir('generate-tolerated');
    result = await runCli(['generate', ...specs.map(fixture), '--out', out, '--strict']);
  }, 120_000);

  it('writes a typed client for every spec that yields tools, even with --strict', () => {
    expect(result.code).toBe(0);
    for (const id of ['dangling-mapping', 'names-3-0', 'invalid-ops-3-0', 'unicode-3-0']) {
      expect([id, existsSync(path.join(out, id, 'types.ts')), existsSync(path.join(out, id, 'client.ts'))]).toEqual([id, true, true]);
    }
    expect(result.stderr).not.toMatch(/without a typed client|HUB_ERR_GEN_TYPES/);
  });

  it("keeps openapi-typescript's own output off the terminal", () => {
    expect(result.stderr).not.toMatch(/✘|⚠|Can't resolve/);
    expect(result.stdout).toBe('');
  });

  it('lists each repair as a problem with its pointer', () => {
    const problems = (id: string) =>
      (JSON.parse(readFileSync(path.join(out, id, 'problems.json'), 'utf8')) as Array<{ rule: string; pointer: string }>).map((p) => `${p.rule} ${p.pointer}`);
    expect(problems('dangling-mapping')).toEqual(
      expect.arrayContaining([
        'ref-dangling /components/schemas/Pet/properties/kind/oneOf/1',
        'ref-dangling /components/schemas/Pet/properties/kind/discriminator/mapping/dog',
        'ref-dangling /components/schemas/Pet/properties/kind/discriminator/mapping/bird',
        'ref-dangling /components/schemas/NewPet/properties/owner',
      ]),
    );
    expect(problems('names-3-0')).toContain('operation-id-duplicate /paths/~1users~1{id}/delete/operationId');
  });

  it('writes clients that type-check', () => {
    writeFileSync(
      path.join(out, 'usage.ts'),
      `import { createDanglingMappingClient } from './dangling-mapping/client';
import { createNames30Client } from './names-3-0/client';
import { createUnicode30Client } from './unicode-3-0/client';
const pets = createDanglingMappingClient({ baseUrl: 'http://127.0.0.1:9' });
export async function use(): Promise<string> {
  const pet = await pets.getPet({ path: { petId: 7 } });
  const name: string = pet.name;
  // @ts-expect-error petId is an integer in the spec
  await pets.getPet({ path: { petId: 'seven' } });
  await pets.addPet({ body: { name: 'Tom', owner: { anything: 'goes' } } });
  await createNames30Client({ baseUrl: 'http://127.0.0.1:9' }).getUserDelete({ path: { id: '1' } });
  const intl = createUnicode30Client({ baseUrl: 'http://127.0.0.1:9' });
  await intl.getUnicodeByKlyuch({ path: { 'ключ': 'x' } });
  await intl.sendGrusse({ body: { 'empfänger': 'you' } });
  return name;
}
`,
    );
    const tsc = spawnSync(process.execPath, [TSC, '-p', out], { encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  }, 120_000);
});
