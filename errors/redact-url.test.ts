import { redactUrl } from './redact-url';

describe('redactUrl', () => {
  test.each<[string, string, string]>([
    ['a password', 'redis://user:s3cret@10.0.0.1:6379/0', 'redis://***@10.0.0.1:6379/0'],
    ['no password', 'postgres://127.0.0.1:5432/test', 'postgres://127.0.0.1:5432/test'],
    ['"/" in the password', 'redis://user:s3cr/et@10.0.0.1:6379', 'redis://***@10.0.0.1:6379'],
    ['"@" in the password', 'redis://user:p@ss/w@rd@host:6379', 'redis://***@host:6379'],
    ['no "@" at all', 'not a url', 'not a url'],
  ])('%s', (_name, given, want) => {
    expect(redactUrl(given)).toBe(want);
  });

  it('never echoes the secret parts, whatever the shape', () => {
    for (const url of ['redis://:pw/with/slashes@h:1', 'rediss://u:p%@h', 'x://a:b@c@d/e@f']) {
      const shown = redactUrl(url);
      expect(shown).not.toMatch(/pw\/with|:p%|a:b/);
    }
  });
});
