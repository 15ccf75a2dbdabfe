/**
 * Secrets at rest: AES-256-GCM under the master key (node:crypto; no library adds
 * anything over it for one authenticated cipher). A sealed value names the key that
 * sealed it, so a key ring can open values sealed before and after a rotation, and a
 * rotation interrupted half way loses nothing.
 *
 *   v1.<keyId>.<iv>.<tag>.<ciphertext>   (base64url; iv 12 bytes, tag 16 bytes)
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { errors } from '../../errors';
import type { Sealed } from '../../store';

const VERSION = 'v1';
const IV_BYTES = 12; // the GCM standard nonce size
export const KEY_BYTES = 32; // AES-256

/** A short public name for a key: the first 8 hex digits of its SHA-256 (never the key). */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

export class SecretBox {
  private readonly keys = new Map<string, Buffer>();
  private primary: string;

  /**
   * `primary` seals; every key (primary included) opens. `reload` is asked for the keys
   * again when a value names a key this box does not hold: `lunar-hub rotate-key` run
   * beside a running hub re-seals under a key the hub learns only from the data dir.
   */
  constructor(
    primary: Buffer,
    others: Buffer[] = [],
    private readonly reload?: () => Buffer[],
  ) {
    for (const key of [primary, ...others]) this.add(key);
    this.primary = keyIdOf(primary);
  }

  get primaryId(): string {
    return this.primary;
  }

  private add(key: Buffer): void {
    if (key.length !== KEY_BYTES) throw errors.CRED_MASTER_KEY(['is not usable', `a key must be ${KEY_BYTES} bytes, got ${key.length}`]);
    this.keys.set(keyIdOf(key), key);
  }

  /**
   * A key for another purpose (`purpose` names it), derived from the primary key with
   * HKDF-SHA-256: never the master key itself, and the same on every node that shares it.
   */
  deriveKey(purpose: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.keys.get(this.primary)!, Buffer.alloc(0), `lunar-hub ${purpose}`, KEY_BYTES));
  }

  seal(plaintext: string): Sealed {
    // Seal with the data dir's key of now: a value sealed under a key a rotation already
    // retired would not open after the next restart. Seals are rare (admin actions, token refreshes).
    if (this.reload) {
      const [current, ...others] = this.reload();
      [current, ...others].forEach((k) => this.add(k));
      this.primary = keyIdOf(current);
    }
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.primary)!, iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, this.primary, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
  }

  open(sealed: Sealed): string {
    const parts = sealed.split('.');
    if (parts.length !== 5 || parts[0] !== VERSION) throw errors.CRED_DECRYPT(['unknown format', 'the value was not sealed by this hub']);
    const [, keyId, iv, tag, body] = parts;
    if (!this.keys.has(keyId) && this.reload) {
      try {
        this.reload().forEach((k) => this.add(k));
      } catch {
        // The unknown-key error below says what to do; a failing reload adds nothing to it.
      }
    }
    const key = this.keys.get(keyId);
    if (!key)
      throw errors.CRED_DECRYPT([
        `sealed with key ${keyId}`,
        `the master key in use is ${this.primary}; restore the old key or rotate with \`lunar-hub rotate-key\``,
      ]);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    } catch (cause) {
      throw errors.CRED_DECRYPT([`key ${keyId}`, 'the value fails its integrity check (tampered with or truncated)'], { cause });
    }
  }

  /** Whether a value is sealed under the primary key (rotation skips those). */
  isCurrent(sealed: Sealed): boolean {
    return sealed.split('.')[1] === this.primary;
  }

  sealJson(value: unknown): Sealed {
    return this.seal(JSON.stringify(value));
  }

  openJson<T>(sealed: Sealed): T {
    return JSON.parse(this.open(sealed)) as T;
  }
}
