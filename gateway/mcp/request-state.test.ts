import { randomBytes } from 'node:crypto';
import { callBinding, defaultStateKeys, parseStateKeys, RequestStateKeyring, stateKeyFromMasterKey, type StateKey } from './request-state';

const key = (kid: string): StateKey => ({ kid, key: randomBytes(32) });
const alice = callBinding({ tenantId: 't1', agentId: 'alice' }, 'shop_get_item');

async function refusal(promise: Promise<unknown>): Promise<{ code?: string; details?: { reason?: string }; message?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: string };
  }
  throw new Error('expected a refusal');
}

describe('RequestStateKeyring', () => {
  const k1 = key('k1');
  const ring = new RequestStateKeyring([k1]);

  it('gives back the payload of a token it minted for the same binding; the token names its kid', async () => {
    const token = await ring.mint({ tool: 'shop_get_item', n: 1 }, alice);
    expect(token.startsWith('k1.v1.')).toBe(true);
    await expect(ring.verify(token, alice)).resolves.toEqual({ tool: 'shop_get_item', n: 1 });
  });

  it.each([
    ['another agent', callBinding({ tenantId: 't1', agentId: 'bob' }, 'shop_get_item')],
    ['another tenant', callBinding({ tenantId: 't2', agentId: 'alice' }, 'shop_get_item')],
    ['another tool', callBinding({ tenantId: 't1', agentId: 'alice' }, 'shop_delete_item')],
  ])('refuses a token presented by %s (bind)', async (_name, binding) => {
    const token = await ring.mint({ n: 1 }, alice);
    expect(await refusal(ring.verify(token, binding))).toMatchObject({ code: 'HUB_ERR_STATE_INVALID', details: { reason: 'bind' } });
  });

  it('refuses a token whose body was changed (mac), and garbage (malformed)', async () => {
    const token = await ring.mint({ admin: false }, alice);
    const [kid, v, body, mac] = token.split('.');
    const forged = Buffer.from(Buffer.from(body!, 'base64url').toString('utf8').replace('false', 'true ')).toString('base64url');
    expect(await refusal(ring.verify([kid, v, forged, mac].join('.'), alice))).toMatchObject({ details: { reason: 'mac' } });
    expect(await refusal(ring.verify('k1.nonsense', alice))).toMatchObject({ details: { reason: 'malformed' } });
    expect(await refusal(ring.verify('no-dots', alice))).toMatchObject({ details: { reason: 'malformed' } });
  });

  it('refuses a token signed with a key it does not list (kid), also when the kid is renamed to a listed one (mac)', async () => {
    const other = new RequestStateKeyring([key('k9')]);
    const token = await other.mint({ n: 1 }, alice);
    const refused = await refusal(ring.verify(token, alice));
    expect(refused).toMatchObject({ code: 'HUB_ERR_STATE_INVALID', details: { reason: 'kid' } });
    expect(refused.message).toContain('"k9"');
    expect(await refusal(ring.verify(token.replace(/^k9\./, 'k1.'), alice))).toMatchObject({ details: { reason: 'mac' } });
  });

  it('refuses an expired token', async () => {
    const short = new RequestStateKeyring([k1], { ttlSeconds: -1 });
    const token = await short.mint({ n: 1 }, alice);
    expect(await refusal(ring.verify(token, alice))).toMatchObject({ details: { reason: 'expired' } });
  });

  it('rotates: the newest key signs, an older one listed second still verifies', async () => {
    const k2 = key('k2');
    const before = await ring.mint({ n: 'old' }, alice);
    const rotated = new RequestStateKeyring([k2, k1]);
    await expect(rotated.verify(before, alice)).resolves.toEqual({ n: 'old' });
    const after = await rotated.mint({ n: 'new' }, alice);
    expect(after.startsWith('k2.')).toBe(true);
    // A node not yet rotated does not know k2.
    expect(await refusal(ring.verify(after, alice))).toMatchObject({ details: { reason: 'kid' } });
  });
});

describe('state keys', () => {
  it('parses kid:base64 entries, newest first', () => {
    const a = randomBytes(32);
    const b = randomBytes(48);
    const keys = parseStateKeys([`new:${a.toString('base64')}`, `old:${b.toString('base64url')}`]);
    expect(keys.map((k) => k.kid)).toEqual(['new', 'old']);
    expect(keys[0]!.key.equals(a)).toBe(true);
    expect(keys[1]!.key.equals(b)).toBe(true);
  });

  it('lists every bad entry at once: short keys, missing kids, duplicates', () => {
    const good = randomBytes(32).toString('base64');
    let message = '';
    try {
      parseStateKeys([`a:${randomBytes(16).toString('base64')}`, good, `b:${good}`, `b:${good}`]);
    } catch (error) {
      message = (error as Error).message;
      expect((error as { code: string }).code).toBe('HUB_ERR_CONFIG_SETTINGS');
    }
    expect(message).toContain('mcp.stateKeys');
    expect(message).toContain('key "a" must be at least 32 bytes');
    expect(message).toContain('entry 2 must be kid:base64key');
    expect(message).toContain('kid "b" is listed twice');
    expect(message).not.toContain(good);
  });

  it('derives the default from the master key: the same master, the same key and kid; another master, another kid', () => {
    const master = randomBytes(32);
    const one = stateKeyFromMasterKey(master);
    const two = stateKeyFromMasterKey(Buffer.from(master));
    expect(one.kid).toMatch(/^mk-[0-9a-f]{8}$/);
    expect(two).toEqual(one);
    expect(one.key.equals(master)).toBe(false);
    expect(stateKeyFromMasterKey(randomBytes(32)).kid).not.toBe(one.kid);
    // During a master-key rotation both derive, the new one first.
    const next = randomBytes(32);
    expect(defaultStateKeys({ primary: next, others: [master] }).map((k) => k.kid)).toEqual([stateKeyFromMasterKey(next).kid, one.kid]);
  });
});
