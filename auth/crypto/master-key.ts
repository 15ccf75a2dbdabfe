/**
 * Where the master key comes from: `LUNAR_MASTER_KEY` (32 bytes as base64 or 64 hex
 * digits) or, when that is absent, `<data>/master.key`, generated on first use with mode
 * 0600. A key file others can read is refused: it would make the encryption pointless.
 *
 * Rotation writes the new key to `master.key.next` before touching any secret, then
 * re-seals, then renames it over `master.key`. At start both files are loaded when
 * `.next` exists, so a rotation that died half way still opens every secret.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { errors } from '../../errors';
import { KEY_BYTES, SecretBox } from './secret-box';

/** Named in messages: where an operator sets the keys (the hub's settings read them from these variables). */
export const MASTER_KEY_ENV = 'LUNAR_MASTER_KEY';
export const NEW_MASTER_KEY_ENV = 'LUNAR_NEW_MASTER_KEY';

/** The master keys given as text (settings `secrets.masterKey`, `secrets.newMasterKey`); absent: the key file. */
export interface MasterKeySettings {
  masterKey?: string;
  newMasterKey?: string;
}

export function keyFile(dataDir: string): string {
  return path.join(dataDir, 'master.key');
}

export function nextKeyFile(dataDir: string): string {
  return `${keyFile(dataDir)}.next`;
}

/** A key given as text (env var or file): base64 (std or url) of 32 bytes, or 64 hex digits. */
export function parseKey(text: string, where: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (key.length !== KEY_BYTES || (!/^[0-9a-fA-F]{64}$/.test(trimmed) && !/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed))) {
    throw errors.CRED_MASTER_KEY([`in ${where} is malformed`, `expected ${KEY_BYTES} bytes as base64 or 64 hex digits (\`openssl rand -base64 32\`)`]);
  }
  return key;
}

export function readKeyFile(file: string): Buffer {
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw errors.CRED_MASTER_KEY([`file ${file} is readable by others (mode ${mode.toString(8)})`, `run \`chmod 600 ${file}\``]);
  }
  return parseKey(readFileSync(file, 'utf8'), file);
}

/** Writes a key file atomically with mode 0600 (temp file, fsync, rename). */
export function writeKeyFile(file: string, key: Buffer): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, `${key.toString('base64')}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(temp, 0o600);
  renameSync(temp, file);
}

export interface MasterKeys {
  /** Seals; with a pending rotation, the key being rotated to. */
  primary: Buffer;
  /** Also opens (the key being rotated away from). */
  others: Buffer[];
  source: 'env' | 'file' | 'generated';
}

export function loadMasterKeys(dataDir: string, keys: MasterKeySettings = {}): MasterKeys {
  const given = keys.masterKey;
  if (given !== undefined && given !== '') {
    const others = keys.newMasterKey ? [parseKey(keys.newMasterKey, NEW_MASTER_KEY_ENV)] : [];
    return { primary: parseKey(given, MASTER_KEY_ENV), others, source: 'env' };
  }
  const file = keyFile(dataDir);
  const next = nextKeyFile(dataDir);
  try {
    if (existsSync(file)) {
      const current = readKeyFile(file);
      return existsSync(next) ? { primary: readKeyFile(next), others: [current], source: 'file' } : { primary: current, others: [], source: 'file' };
    }
    const key = randomBytes(KEY_BYTES);
    writeKeyFile(file, key);
    return { primary: key, others: [], source: 'generated' };
  } catch (cause) {
    if ((cause as { code?: string }).code?.startsWith('HUB_ERR_')) throw cause;
    throw errors.CRED_MASTER_KEY([`file ${file} cannot be used`, (cause as Error).message], { cause });
  }
}

/**
 * The box a hub uses. It seals with the key it started with until restarted, and opens
 * values re-sealed by a rotation run meanwhile by reading the data dir's keys again.
 */
export function secretBoxFor(dataDir: string, settings: MasterKeySettings = {}): SecretBox {
  const keys = loadMasterKeys(dataDir, settings);
  const reload = () => {
    const again = loadMasterKeys(dataDir, settings);
    return [again.primary, ...again.others];
  };
  return new SecretBox(keys.primary, keys.others, reload);
}
