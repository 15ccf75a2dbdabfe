/** `--help`, `--version` and `config check|show`, run as the real binary (issue 14 items 7 and 14, issue 13). */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { removeScratchDirs, REPO, runCli, scratchDir } from '../helpers/cli';

afterAll(() => removeScratchDirs());

describe('lunar-hub --help and --version', () => {
  it.each([[['--help']], [['-h']], [['help']]])("%j prints every command's usage on stdout, exit 0", async (args) => {
    const result = await runCli(args);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('lunar-hub serve [--config FILE]');
    expect(result.stdout).toContain('lunar-hub keys create');
  });

  it.each([
    [['serve', '--help'], /^usage:\n {2}lunar-hub serve \[--config FILE\] \[--port N\]/],
    [['stdio', '-h'], /^usage:\n {2}lunar-hub stdio /],
    [['tools', '--help'], /^usage:\n {2}lunar-hub tools SPEC/],
    [['keys', 'create', '--help'], /^usage:\n {2}lunar-hub keys create --tenant NAME/],
    [['connections', '-h'], /lunar-hub connections add[\s\S]*lunar-hub connections test/],
    [['help', 'validate'], /^usage:\n {2}lunar-hub validate SPEC/],
    [['config', '--help'], /^usage:\n {2}lunar-hub config check/],
  ])("%j prints that command's usage, exit 0", async (args, usage) => {
    const result = await runCli(args as string[]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(usage);
    expect(result.stderr).toBe('');
  });

  it('an unknown option still fails, with exit 2', async () => {
    const result = await runCli(['serve', '--bogus']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Unknown option '--bogus'");
  });

  it('--version prints the package version', async () => {
    const result = await runCli(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${(JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version}\n`);
  });
});

describe('lunar-hub config', () => {
  it('check exits 0 with a summary for a valid file', async () => {
    const dir = scratchDir('config');
    writeFileSync(path.join(dir, 'hub.yaml'), 'server:\n  port: 9000\nlog:\n  level: warn\n');
    const result = await runCli(['config', 'check', path.join(dir, 'hub.yaml')], { env: { PORT: '' } });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/settings valid: 2 from .*hub\.yaml/);
  });

  it('check exits 1 listing every problem with line and key', async () => {
    const dir = scratchDir('config');
    writeFileSync(path.join(dir, 'bad.yaml'), 'server:\n  prot: 9000\n  pageSize: many\n');
    const result = await runCli(['config', 'check', path.join(dir, 'bad.yaml')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('HUB_ERR_CONFIG_SETTINGS');
    expect(result.stderr).toMatch(/bad\.yaml:2: server\.prot is not a setting; did you mean server\.port\?/);
    expect(result.stderr).toMatch(/bad\.yaml:3: server\.pageSize expected a whole number/);
  });

  it('a bad flag is a wrong command line (exit 2), a bad variable wrong input (exit 1); serve starts nothing', async () => {
    expect((await runCli(['serve', '--port', 'eighty'])).code).toBe(2);
    const env = await runCli(['serve'], { env: { PORT: 'eighty' } });
    expect(env.code).toBe(1);
    expect(env.stderr).toContain('environment PORT: server.port expected a whole number from 0 to 65535, got "eighty"');
  });

  it('show prints the effective settings and their sources, secrets hidden', async () => {
    const result = await runCli(['config', 'show', '--json'], {
      env: { LUNAR_MASTER_KEY: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlYzE=', LUNAR_REDIS_URL: 'redis://:pw-s3cret@127.0.0.1:6379', PORT: '9999' },
    });
    expect(result.code).toBe(0);
    const rows = JSON.parse(result.stdout) as Array<{ key: string; value: string; source: string }>;
    expect(rows.find((r) => r.key === 'server.port')).toMatchObject({ value: '9999', source: 'environment' });
    expect(rows.find((r) => r.key === 'redis.url')).toMatchObject({ value: 'redis://***@127.0.0.1:6379' });
    expect(result.stdout).not.toContain('s3cret');
    expect(result.stdout).not.toContain('c2VjcmV0');
  });
});
