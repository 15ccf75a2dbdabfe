/**
 * Hub API keys for agents: `lsh_` + 32 random bytes (base64url), shown once at creation
 * and stored only as a SHA-256 hash (a key has 256 bits of entropy, so a fast hash is
 * the right one: no dictionary to slow down). Every use looks the hash up in the store,
 * so expiry and revocation take effect on the next request, in every process.
 */
import { createHash, randomBytes } from 'node:crypto';
import { errors } from '../../errors';
import type { Principal } from '../principal';
import type { AgentKey, HubStore } from '../../store';

const PREFIX = 'lsh_';
const KEY_SHAPE = /^lsh_[A-Za-z0-9_-]{43}$/;

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export interface IssuedKey {
  key: string;
  record: AgentKey;
}

export interface IssueKeyInput {
  tenantId: string;
  userId?: string | null;
  name: string;
  toolsets?: string[];
  readOnly?: boolean;
  expiresAt?: string | null;
  callsPerMinute?: number | null;
}

export async function issueAgentKey(store: HubStore, input: IssueKeyInput): Promise<IssuedKey> {
  const key = `${PREFIX}${randomBytes(32).toString('base64url')}`;
  const record = await store.createAgentKey({
    tenantId: input.tenantId,
    userId: input.userId ?? null,
    name: input.name,
    keyHash: hashSecret(key),
    prefix: key.slice(0, PREFIX.length + 6),
    toolsets: input.toolsets ?? [],
    readOnly: input.readOnly ?? false,
    expiresAt: input.expiresAt ?? null,
    callsPerMinute: input.callsPerMinute ?? null,
  });
  return { key, record };
}

/** The principal a presented key acts as; HUB_ERR_AUTH_UNAUTHENTICATED for anything else (never saying which check failed to an unknown caller beyond that). */
export async function authenticateAgentKey(store: HubStore, presented: string, now = new Date()): Promise<Principal> {
  if (!KEY_SHAPE.test(presented)) throw errors.AUTH_UNAUTHENTICATED(['Unknown hub API key']);
  const record = await store.getAgentKeyByHash(hashSecret(presented));
  if (!record) throw errors.AUTH_UNAUTHENTICATED(['Unknown hub API key']);
  if (record.revokedAt !== null) throw errors.AUTH_UNAUTHENTICATED([`Hub API key ${record.prefix}… was revoked`]);
  if (record.expiresAt !== null && Date.parse(record.expiresAt) <= now.getTime())
    throw errors.AUTH_UNAUTHENTICATED([`Hub API key ${record.prefix}… expired at ${record.expiresAt}`]);
  const tenant = await store.getTenant(record.tenantId);
  if (!tenant) throw errors.AUTH_UNAUTHENTICATED(['Unknown hub API key']);
  return {
    tenantId: tenant.id,
    tenantName: tenant.name,
    userId: record.userId,
    agentId: record.id,
    via: 'key',
    toolsets: record.toolsets,
    readOnly: record.readOnly,
    quota: { tenantPerMinute: tenant.callsPerMinute, agentPerMinute: record.callsPerMinute },
  };
}
