/**
 * Signed round-trip state (MCP 2026-07-28 `requestState`, basic/patterns/mrtr): what the
 * hub hands a client with an `input_required` result comes back as attacker-controlled
 * input, so it is signed, bound to who it was issued to and for what, and short-lived.
 *
 * Each key is the SDK's own HMAC-SHA256 codec (createRequestStateCodec: constant-time
 * checks, expiry, a binding kept as a keyed tag, never in clear); this module adds a
 * keyring around it so keys can rotate without breaking flows in progress:
 *
 *   <kid>.<the SDK codec's token: v1.<body>.<mac>>
 *
 * The newest key signs; every listed key verifies, chosen by the token's kid (the kid is
 * not covered by the MAC, and needs not be: a changed kid selects another key, whose MAC
 * fails). Every node that lists the same keys (`mcp.stateKeys`), or, by default, has the
 * same master key, accepts what any of them issued: the 2026-07-28 era is stateless, the
 * retry may land anywhere.
 *
 * Tokens are signed, not encrypted: a client can read the payload. Keep secrets out of it.
 */
import { createHash, hkdfSync } from 'node:crypto';
import { createRequestStateCodec, type RequestStateCodec, type ServerContext } from '@modelcontextprotocol/server';
import { errors, type HubError } from '../../errors';

/** How long an issued state (and a connect link) stays valid: long enough for a person to sign in somewhere. */
export const STATE_TTL_SECONDS = 600; // 10 minutes

/** The SDK codec refuses shorter keys; so does the setting. */
export const MIN_STATE_KEY_BYTES = 32;
const KID = /^[A-Za-z0-9_-]{1,32}$/;

/** Where the keys come from, for messages. */
export const STATE_KEYS_SETTING = 'mcp.stateKeys';

export interface StateKey {
  /** Names the key in every token it signs. */
  kid: string;
  key: Buffer;
}

/** Why a token was refused: the SDK codec's reasons, and `kid` for a key this hub does not list. */
export type StateRefusal = 'malformed' | 'mac' | 'expired' | 'bind' | 'kid';

const SDK_REASONS = new Set<StateRefusal>(['malformed', 'mac', 'expired', 'bind']);

/** `kid:base64key` entries (the setting's list, newest first): each key at least 32 bytes. */
export function parseStateKeys(entries: readonly string[]): StateKey[] {
  const problems: string[] = [];
  const keys: StateKey[] = [];
  for (const [i, entry] of entries.entries()) {
    const colon = entry.indexOf(':');
    const kid = colon > 0 ? entry.slice(0, colon).trim() : '';
    const text = colon > 0 ? entry.slice(colon + 1).trim() : '';
    if (!KID.test(kid)) {
      problems.push(`entry ${i + 1} must be kid:base64key, the kid 1 to 32 letters, digits, - or _`);
      continue;
    }
    const key = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text) || key.length < MIN_STATE_KEY_BYTES) {
      problems.push(`key "${kid}" must be at least ${MIN_STATE_KEY_BYTES} bytes as base64 (\`openssl rand -base64 32\`), got ${key.length} bytes`);
      continue;
    }
    if (keys.some((k) => k.kid === kid)) problems.push(`kid "${kid}" is listed twice`);
    keys.push({ kid, key });
  }
  if (problems.length > 0) throw errors.CONFIG_SETTINGS([STATE_KEYS_SETTING, problems.join('\n  ')]);
  return keys;
}

/**
 * The default key: derived (HKDF-SHA256) from the master key, so every node with that
 * master key agrees without another secret to distribute, and a state key never equals
 * the key that seals the stored secrets. Its kid is a digest of it: another master key
 * gives another kid, and a token from a hub with another key reads as "unknown key".
 */
export function stateKeyFromMasterKey(master: Buffer): StateKey {
  const key = Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), 'lunar-hub mcp requestState v1', 32));
  return { kid: `mk-${createHash('sha256').update(key).digest('hex').slice(0, 8)}`, key };
}

/** The keys when `mcp.stateKeys` is unset: one derived from each master key (the newest first, as a master-key rotation loads them). */
export function defaultStateKeys(masterKeys: { primary: Buffer; others: readonly Buffer[] }): StateKey[] {
  return [masterKeys.primary, ...masterKeys.others].map(stateKeyFromMasterKey);
}

/**
 * What a token is bound to. The SDK's bind callback receives whatever `mint`/`verify`
 * were given as their context; the keyring gives it this object, not the request's
 * ServerContext, because the binding is ours to define (principal, tool, purpose).
 */
interface Bound {
  readonly binding: string;
}

export class RequestStateKeyring {
  private readonly codecs: ReadonlyMap<string, RequestStateCodec>;
  private readonly signer: { kid: string; codec: RequestStateCodec };

  constructor(keys: readonly StateKey[], options: { ttlSeconds?: number } = {}) {
    if (keys.length === 0) throw errors.CONFIG_SETTINGS([STATE_KEYS_SETTING, 'at least one key is needed']);
    const ttlSeconds = options.ttlSeconds ?? STATE_TTL_SECONDS;
    const codecs = new Map<string, RequestStateCodec>();
    for (const { kid, key } of keys) {
      codecs.set(kid, createRequestStateCodec({ key: new Uint8Array(key), ttlSeconds, bind: (ctx) => (ctx as unknown as Bound).binding }));
    }
    this.codecs = codecs;
    this.signer = { kid: keys[0]!.kid, codec: codecs.get(keys[0]!.kid)! };
  }

  /** The kids this keyring verifies, the signing one first. */
  get kids(): string[] {
    return [...this.codecs.keys()];
  }

  /** A token for `payload`, signed with the newest key and bound to `binding`. */
  async mint<T>(payload: T, binding: string): Promise<string> {
    return `${this.signer.kid}.${await this.signer.codec.mint(payload, asContext(binding))}`;
  }

  /** The payload of a token this hub (or a node with the same keys) issued for `binding`; a STATE_INVALID error otherwise. */
  async verify<T>(token: string, binding: string): Promise<T> {
    const dot = token.indexOf('.');
    if (dot <= 0) throw refused('malformed');
    const kid = token.slice(0, dot);
    const codec = this.codecs.get(kid);
    if (!codec) throw refused('kid', kid);
    try {
      return (await codec.verify(token.slice(dot + 1), asContext(binding))) as T;
    } catch (error) {
      const reason = (error as Error).message as StateRefusal;
      throw refused(SDK_REASONS.has(reason) ? reason : 'malformed');
    }
  }
}

/** What a tools/call state is bound to: the principal (tenant and agent) and the tool. */
export function callBinding(principal: { tenantId: string; agentId: string } | undefined, tool: string): string {
  return ['tools/call', principal?.tenantId ?? '', principal?.agentId ?? '', tool].join('\0');
}

function asContext(binding: string): ServerContext {
  return { binding } satisfies Bound as unknown as ServerContext;
}

const WHY: Record<StateRefusal, (kid?: string) => string> = {
  malformed: () => 'it is not a requestState this hub issued',
  mac: () => 'its signature does not match, so it was changed after the hub issued it',
  expired: () => 'it has expired (a requestState is good for a few minutes: a person had to act in between)',
  kid: (kid) => `it was signed with key "${kid}", which this hub does not list (${STATE_KEYS_SETTING}, or a different master key)`,
  bind: () => 'it was issued to another agent or for another tool',
};

function refused(reason: StateRefusal, kid?: string): HubError {
  return errors.STATE_INVALID([reason, `${WHY[reason](kid)}; call the tool again without requestState and inputResponses`], { details: { reason } });
}
