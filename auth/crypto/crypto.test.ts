import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { keyFile, loadMasterKeys, parseKey, secretBoxFor } from './master-key';
import { keyIdOf, SecretBox } from './secret-box';

const dirs: string[] = [];
const scratch = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hub-crypto-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return { code: (error as { code?: string }).code, message: (error as Error).message };
  }
  throw new Error('did not throw');
};

describe('SecretBox', () => {
  const key = randomBytes(32);
  const box = new SecretBox(key);

  test('seals and opens; the sealed text holds no plaintext and differs each time', () => {
    const a = box.seal('ghp_supersecret');
    const b = box.seal('ghp_supersecret');
    expect(a).not.toBe(b);
    expect(a).not.toContain('supersecret');
    expect(a.startsWith(`v1.${keyIdOf(key)}.`)).toBe(true);
    expect(box.open(a)).toBe('ghp_supersecret');
    expect(box.openJson(box.sealJson({ token: 'x', n: 1 }))).toEqual({ token: 'x', n: 1 });
  });

  test('a tampered value fails its integrity check with HUB_ERR_CRED_DECRYPT', () => {
    const parts = box.seal('secret').split('.');
    const body = Buffer.from(parts[4], 'base64url');
    body[0] ^= 1;
    parts[4] = body.toString('base64url');
    expect(code(() => box.open(parts.join('.')))).toMatchObject({ code: 'HUB_ERR_CRED_DECRYPT', message: expect.stringContaining('integrity') });
    expect(code(() => box.open('not-sealed'))).toMatchObject({ code: 'HUB_ERR_CRED_DECRYPT' });
  });

  test('a value sealed under another key names both keys, never the secret', () => {
    const other = new SecretBox(randomBytes(32));
    const failure = code(() => other.open(box.seal('topsecret')));
    expect(failure.code).toBe('HUB_ERR_CRED_DECRYPT');
    expect(failure.message).toContain(keyIdOf(key));
    expect(failure.message).not.toContain('topsecret');
  });

  test('a key ring opens values of every key and seals with the primary', () => {
    const next = randomBytes(32);
    const ring = new SecretBox(next, [key]);
    const old = box.seal('v');
    expect(ring.open(old)).toBe('v');
    expect(ring.isCurrent(old)).toBe(false);
    expect(ring.isCurrent(ring.seal('v'))).toBe(true);
  });

  test('derived keys: one per purpose, equal for boxes of the same key, never the key itself', () => {
    const derived = box.deriveKey('cache hmac');
    expect(derived).toHaveLength(32);
    expect(derived.equals(key)).toBe(false);
    expect(new SecretBox(key).deriveKey('cache hmac').equals(derived)).toBe(true);
    expect(box.deriveKey('other purpose').equals(derived)).toBe(false);
    expect(new SecretBox(randomBytes(32)).deriveKey('cache hmac').equals(derived)).toBe(false);
  });
});

describe('master key', () => {
  test('generated into the data dir with mode 0600 when LUNAR_MASTER_KEY is absent, then reused', () => {
    const dir = scratch();
    const first = loadMasterKeys(dir, {});
    expect(first.source).toBe('generated');
    expect(statSync(keyFile(dir)).mode & 0o777).toBe(0o600);
    const again = loadMasterKeys(dir, {});
    expect(again.source).toBe('file');
    expect(again.primary.equals(first.primary)).toBe(true);
    const box = secretBoxFor(dir, {});
    expect(secretBoxFor(dir, {}).open(box.seal('x'))).toBe('x');
  });

  test('a key file others can read is refused with the chmod to run', () => {
    const dir = scratch();
    loadMasterKeys(dir, {});
    chmodSync(keyFile(dir), 0o644);
    expect(code(() => loadMasterKeys(dir, {}))).toMatchObject({ code: 'HUB_ERR_CRED_MASTER_KEY', message: expect.stringContaining('chmod 600') });
  });

  test('LUNAR_MASTER_KEY wins over the file, as base64 or hex; a malformed one is named', () => {
    const dir = scratch();
    const key = randomBytes(32);
    expect(loadMasterKeys(dir, { masterKey: key.toString('base64') }).primary.equals(key)).toBe(true);
    expect(loadMasterKeys(dir, { masterKey: key.toString('hex') }).primary.equals(key)).toBe(true);
    expect(loadMasterKeys(dir, { masterKey: key.toString('base64url') }).primary.equals(key)).toBe(true);
    const bad = code(() => loadMasterKeys(dir, { masterKey: 'tooshort' }));
    expect(bad).toMatchObject({ code: 'HUB_ERR_CRED_MASTER_KEY', message: expect.stringContaining('LUNAR_MASTER_KEY') });
    expect(bad.message).not.toContain('tooshort');
    expect(code(() => parseKey(randomBytes(16).toString('base64'), 'X'))).toMatchObject({ code: 'HUB_ERR_CRED_MASTER_KEY' });
  });

  test('a malformed key file is named', () => {
    const dir = scratch();
    writeFileSync(keyFile(dir), 'garbage\n', { mode: 0o600 });
    expect(code(() => loadMasterKeys(dir, {}))).toMatchObject({ code: 'HUB_ERR_CRED_MASTER_KEY', message: expect.stringContaining(keyFile(dir)) });
    expect(readFileSync(keyFile(dir), 'utf8')).toBe('garbage\n');
  });
});
