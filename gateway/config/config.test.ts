import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadSettings, resolveSettings, SETTING_KEYS, SETTINGS, settingsTable } from './index';

const dir = mkdtempSync(path.join(tmpdir(), 'hub-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const full = path.join(dir, name);
  writeFileSync(full, text);
  return full;
}

function problemsOf(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('expected the settings to be refused');
}

describe('docs/configuration.md', () => {
  const doc = readFileSync(path.join(__dirname, '..', '..', 'docs', 'configuration.md'), 'utf8');

  it('shows the settings table exactly as the schema has it', () => {
    const block = /<!-- settings:start -->\n([\s\S]*?)\n<!-- settings:end -->/.exec(doc)?.[1];
    expect(block).toBe(settingsTable());
  });

  it('documents every key, and every documented key exists', () => {
    const documented = [...doc.matchAll(/^\| `([a-z][\w.]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual([...SETTING_KEYS].sort());
  });
});

describe('the settings', () => {
  it('keep every environment variable the hub has read so far, with its meaning', () => {
    const byVariable = Object.fromEntries(SETTING_KEYS.map((key) => [SETTINGS[key].env, key]));
    expect(byVariable).toMatchObject({
      PORT: 'server.port',
      LOG_LEVEL: 'log.level',
      LUNAR_DATA_DIR: 'data.dir',
      LUNAR_DATABASE_URL: 'store.url',
      LUNAR_DATABASE_SCHEMA: 'store.schema',
      LUNAR_REDIS_URL: 'redis.url',
      LUNAR_MASTER_KEY: 'secrets.masterKey',
      LUNAR_NEW_MASTER_KEY: 'secrets.newMasterKey',
      LUNAR_ADMIN_PASSWORD: 'admin.password',
      LUNAR_PUBLIC_URL: 'server.publicUrl',
      LUNAR_JWT_ISSUER: 'auth.jwt.issuer',
      LUNAR_JWT_AUDIENCE: 'auth.jwt.audience',
      LUNAR_JWT_TENANT_CLAIM: 'auth.jwt.tenantClaim',
      LUNAR_JWT_TOOLSETS_CLAIM: 'auth.jwt.toolsetsClaim',
      LUNAR_JWT_READONLY_SCOPE: 'auth.jwt.readOnlyScope',
      LUNAR_TENANT: 'stdio.tenant',
      LUNAR_PROGRESS: 'cli.progress',
      LUNAR_DEBUG: 'cli.debug',
      CI: 'cli.ci',
    });
  });

  it('default to what the hub did without any', () => {
    const settings = loadSettings({ env: {}, cwd: dir });
    expect(settings.server).toEqual({ port: 8787, host: '127.0.0.1', pageSize: 500, stateless: false, workers: 0, maxInFlight: 512, maxInFlightBusy: 16 });
    expect(settings.specs.dir).toBe(path.join(dir, 'specs'));
    expect(settings.data.dir).toBe(path.join(dir, 'data'));
    expect(settings.store).toEqual({});
    expect(settings.auth).toEqual({ open: false, jwt: { tenantClaim: 'tenant', toolsetsClaim: 'toolsets', readOnlyScope: 'hub:read-only' } });
    expect(settings.cli).toEqual({ progress: 'auto', ci: false, debug: false });
  });

  it('take flags over the environment over the config file over defaults', () => {
    const config = file('layers.yaml', 'server:\n  port: 1001\n  host: 0.0.0.0\n  pageSize: 7\nlog:\n  level: debug\n');
    const { settings, sources } = resolveSettings({ env: { LUNAR_CONFIG: config, PORT: '1002', LUNAR_HOST: '::1' }, flags: { port: '1003' }, cwd: dir });
    expect(settings.server).toMatchObject({ port: 1003, host: '::1', pageSize: 7, stateless: false });
    expect(settings.log.level).toBe('debug');
    expect(sources).toMatchObject({ 'server.port': 'flag', 'server.host': 'environment', 'server.pageSize': 'file', 'server.stateless': 'default' });
    // --config wins over LUNAR_CONFIG
    const other = file('other.yaml', 'server:\n  pageSize: 9\n');
    expect(loadSettings({ env: { LUNAR_CONFIG: config }, flags: { config: other }, cwd: dir }).server.pageSize).toBe(9);
  });

  it("read paths in a file from the file's folder, elsewhere from the current folder; empty variables count as unset", () => {
    const config = file('paths.yaml', 'data:\n  dir: ./state\nspecs:\n  dir: /abs/specs\n');
    const settings = loadSettings({ env: { LUNAR_PROGRESS: '', LUNAR_DATABASE_URL: ' ' }, configFile: config, cwd: '/somewhere' });
    expect(settings.data.dir).toBe(path.join(dir, 'state'));
    expect(settings.specs.dir).toBe('/abs/specs');
    expect(settings.cli.progress).toBe('auto');
    expect(settings.store.url).toBeUndefined();
    expect(loadSettings({ env: { LUNAR_DATA_DIR: 'd' }, cwd: '/somewhere' }).data.dir).toBe('/somewhere/d');
  });

  it("accept the variables' old spellings: LUNAR_PROGRESS=1/0, CI=true, comma lists", () => {
    const settings = loadSettings({ env: { LUNAR_PROGRESS: '1', CI: 'true', LUNAR_ALLOWED_HOSTS: 'a.example, b.example' } });
    expect(settings.cli).toMatchObject({ progress: 'on', ci: true });
    expect(settings.server.allowedHosts).toEqual(['a.example', 'b.example']);
    expect(loadSettings({ env: { LUNAR_PROGRESS: '0' } }).cli.progress).toBe('off');
  });

  it('are deep-frozen', () => {
    const settings = loadSettings({ env: { LUNAR_ALLOWED_HOSTS: 'a' } });
    expect(Object.isFrozen(settings)).toBe(true);
    expect(Object.isFrozen(settings.auth.jwt)).toBe(true);
    expect(Object.isFrozen(settings.server.allowedHosts)).toBe(true);
    expect(() => {
      (settings.server as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('list every problem at once, each with file and line (or variable, or flag), key and what was expected', () => {
    const config = file(
      'bad.yaml',
      ['server:', '  port: 99999', '  hots: 0.0.0.0', 'sotre:', '  url: x', 'redis:', '  url: http://user:s3cret@cache:6379', 'log:', '  level: loud'].join(
        '\n',
      ),
    );
    const error = problemsOf(() => loadSettings({ env: { PORT: 'eighty', LUNAR_MASTER_KEY: 's3cret-key' }, flags: { 'page-size': '0' }, configFile: config }));
    expect(error.code).toBe('HUB_ERR_CONFIG_SETTINGS');
    const lines = error.message
      .split('\n')
      .slice(1)
      .map((l) => l.trim());
    expect(lines).toEqual([
      `${config}:2: server.port expected a whole number from 0 to 65535, got 99999`,
      `${config}:3: server.hots is not a setting; did you mean server.host? (docs/configuration.md lists them)`,
      `${config}:4: sotre is not a setting; did you mean store? (docs/configuration.md lists them)`,
      `${config}:7: redis.url expected a redis:// or rediss:// URL such as redis://127.0.0.1:6379, got "http://***@cache:6379"`,
      `${config}:9: log.level expected one of fatal, error, warn, info, debug, trace, silent, got "loud"`,
      'environment PORT: server.port expected a whole number from 0 to 65535, got "eighty"',
      'flag --page-size: server.pageSize expected a whole number from 1 to 100000, got "0"',
    ]);
    expect(error.message).toContain('(7 problems)');
    expect(error.message).not.toContain('s3cret');
  });

  it('name a YAML syntax error by line, a missing file, and a schema without a database', () => {
    expect(problemsOf(() => loadSettings({ configFile: file('syntax.yaml', 'server:\n  port: [1\n') })).message).toMatch(/syntax\.yaml:\d+: /);
    expect(problemsOf(() => loadSettings({ configFile: path.join(dir, 'nope.yaml') })).message).toContain(
      'nope.yaml: cannot read the config file: no such file',
    );
    expect(problemsOf(() => loadSettings({ configFile: file('list.yaml', '- a\n') })).message).toContain('expected a mapping of settings at the top');
    expect(problemsOf(() => loadSettings({ env: { LUNAR_DATABASE_SCHEMA: 'hub' } })).message).toContain(
      'environment LUNAR_DATABASE_SCHEMA: store.schema is set but store.url (LUNAR_DATABASE_URL) is not',
    );
  });

  it('never echo a secret that is not a URL, nor an unparsable URL', () => {
    const error = problemsOf(() =>
      loadSettings({
        env: { LUNAR_DATABASE_URL: 'hub:s3cret at db', LUNAR_ADMIN_PASSWORD: ' ' },
        configFile: file('secret.yaml', 'secrets:\n  masterKey: [s3cret]\n'),
      }),
    );
    expect(error.message).toContain('secrets.masterKey expected a non-empty string, got (hidden: a secret)');
    expect(error.message).toContain('store.url expected a postgres:// or postgresql:// URL such as postgres://hub@127.0.0.1:5432/hub, got (hidden: not a URL)');
    expect(error.message).not.toContain('s3cret');
  });
});
