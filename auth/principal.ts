/**
 * Who a call or an admin request acts for. Made at the front door (an agent key, a JWT,
 * stdio's configured tenant) and carried through the pipeline; credentials are chosen
 * from it, the audit trail records it. Inbound keys and tokens never travel further
 * than the front door: the principal holds none.
 */
export interface Principal {
  tenantId: string;
  tenantName: string;
  /** The user of the tenant the agent acts for (a key issued to a user, a JWT's subject); null: the tenant itself. */
  userId: string | null;
  /** The agent key's id, the JWT's subject or client, or `stdio` / `open`. */
  agentId: string;
  via: 'key' | 'jwt' | 'stdio' | 'open';
  /** `connector` or `connector:tag` entries; empty: every enabled connector. */
  toolsets: readonly string[];
  /** Only tools marked read-only (readOnlyHint) may be listed and called. */
  readOnly: boolean;
  /** Front-door quotas in calls per minute: the tenant's (all its agents together) and this agent's. */
  quota?: { tenantPerMinute?: number | null; agentPerMinute?: number | null };
}

/** Whose credentials a call used, as the audit trail records it. */
export function ownerLabel(userId: string | null): string {
  return userId === null ? 'tenant' : `user:${userId}`;
}

/** The tenant stdio, open mode and the CLI use when none is named; created on first use. */
export const DEFAULT_TENANT = 'default';
