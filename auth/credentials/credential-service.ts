/**
 * The credential a call uses. Picks the connection by the rules of docs/credentials.md
 * (the user's own; else the tenant's, for a user only where the admin shared it), opens
 * its secret, and keeps OAuth tokens fresh: refreshed ahead of expiry and once after a
 * 401, with exactly one refresh in flight per connection however many calls wait
 * (single flight in this process; compare-and-set on the row's version across
 * processes, the loser reading the winner's tokens). A refresh the authorisation
 * server refuses marks the connection `needs_reauth`.
 */
import { errors, isHubError } from '../../errors';
import { type Principal, ownerLabel } from '../principal';
import type { SecretBox } from '../crypto/secret-box';
import type { Connection, HubStore } from '../../store';
import { kindsFor, type OAuthEndpoints, type UpstreamScheme } from '../upstream/schemes';
import type { CredentialPayload, OAuthTokens } from '../upstream/payload';

/** New tokens from the connector's authorisation server with the tenant's OAuth app: a refresh-token grant, or client credentials again. */
export type TokenRefresher = (input: {
  tenantId: string;
  connectorId: string;
  oauth: OAuthEndpoints;
  grant: 'refresh_token' | 'client_credentials';
  refreshToken?: string;
}) => Promise<OAuthTokens>;

export interface CallCredential {
  connection: Connection;
  /** `user:<id>` or `tenant`, for the audit trail. */
  owner: string;
  payload: CredentialPayload;
}

export interface CredentialServiceOptions {
  refresher?: TokenRefresher;
  /** Refresh when the token expires within this long (or within half its lifetime, if shorter). */
  refreshAheadMs?: number; // milliseconds; default 60 s
  /** How long a call waits for another process's refresh of the same connection before trying itself. */
  leaseMs?: number; // milliseconds; default 15 s
  now?: () => number;
  /** Where an admin reconnects, for messages (`http://127.0.0.1:8787`). */
  adminUrl?: string;
}

/** The command (or API call) that makes the missing connection, by the connector's scheme. */
function howToConnect(scheme: UpstreamScheme, tenant: string, connector: string, userId: string | null): string {
  const base = `lunar-hub connections add --tenant ${tenant}${userId !== null ? ` --user ${userId}` : ''} --connector ${connector}`;
  switch (scheme.type) {
    case 'apiKey':
      return `\`${base} --kind api_key --secret-env VAR\``;
    case 'basic':
      return `\`${base} --kind basic --username NAME --secret-env VAR\``;
    case 'bearer':
      return `\`${base} --kind bearer --secret-env VAR\``;
    case 'oauth2':
      return `POST /api/connections/oauth {"tenant":"${tenant}","connector":"${connector}"${userId !== null ? `,"user":"${userId}"` : ''}} (then open the authorization URL it returns), or a static token: \`${base} --kind bearer --secret-env VAR\``;
  }
}

function renewable(tokens: OAuthTokens): boolean {
  return tokens.grant === 'client_credentials' || tokens.refreshToken !== undefined;
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class CredentialService {
  private readonly inflight = new Map<string, Promise<CallCredential>>();
  private readonly refreshAheadMs: number;
  private readonly now: () => number;
  private readonly leaseMs: number;
  /** How many refreshes reached the authorisation server (tests and metrics read it). */
  refreshes = 0;

  constructor(
    private readonly store: HubStore,
    private readonly box: SecretBox,
    private readonly options: CredentialServiceOptions = {},
  ) {
    this.refreshAheadMs = options.refreshAheadMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.leaseMs = options.leaseMs ?? 15_000;
  }

  async forCall(principal: Principal, connectorId: string, scheme: UpstreamScheme): Promise<CallCredential> {
    const { own, tenant } = await this.store.findConnectionFor(principal.tenantId, connectorId, principal.userId);
    const usable = own ?? (principal.userId === null || tenant?.shared ? tenant : undefined);
    if (!usable) throw this.missing(principal, connectorId, scheme, tenant);
    return this.forConnection(usable, scheme);
  }

  /** One connection's credential, renewed when it expires soon (calls, and `connections test`). */
  async forConnection(usable: Connection, scheme: UpstreamScheme): Promise<CallCredential> {
    if (usable.status === 'needs_reauth') throw this.needsReauth(usable);
    if (usable.status === 'revoked') throw this.needsReauth(usable, 'it was revoked');
    if (!kindsFor(scheme).includes(usable.kind)) {
      throw errors.CRED_SCHEME([
        usable.connectorId,
        `connection ${usable.id} is ${usable.kind}, but the connector authenticates with ${scheme.type} (needs ${kindsFor(scheme).join(' or ')}); create a connection of that kind, or pick another of the spec's securitySchemes with \`auth.scheme\` in the connector file`,
      ]);
    }
    const credential = this.open(usable);
    if (
      this.options.refresher &&
      credential.payload.kind === 'oauth2' &&
      this.expiresSoon(credential.payload) &&
      renewable(credential.payload) &&
      scheme.type === 'oauth2'
    ) {
      return this.refresh(credential, scheme);
    }
    return credential;
  }

  /**
   * A fresh credential for a connection whose token `used` was refused or is expiring.
   * Every caller waiting on the same connection shares one refresh.
   */
  refresh(used: CallCredential, scheme: UpstreamScheme): Promise<CallCredential> {
    const key = used.connection.id;
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = this.refreshOnce(used, scheme).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }

  /**
   * Across processes the row's version is a lease: a process bumps it (compare-and-set)
   * before asking the authorisation server, so with rotating refresh tokens only one
   * process ever presents a given refresh token (a second use would revoke the grant).
   * The others wait for the new tokens to appear, and try themselves only when the lease
   * holder vanished without writing any.
   */
  private async refreshOnce(used: CallCredential, scheme: UpstreamScheme): Promise<CallCredential> {
    const { connection } = used;
    const usedToken = used.payload.kind === 'oauth2' ? used.payload.accessToken : undefined;
    const deadline = this.now() + this.leaseMs * 2;
    for (;;) {
      const current = await this.store.getConnection(connection.tenantId, connection.id);
      if (!current || current.status === 'revoked') throw this.needsReauth(connection, 'it was revoked');
      if (current.status === 'needs_reauth') throw this.needsReauth(current);
      const latest = this.open(current);
      // Another process (or an earlier refresh here) renewed it already.
      if (latest.payload.kind === 'oauth2' && latest.payload.accessToken !== usedToken && !this.expiresSoon(latest.payload)) return latest;
      // Without a refresher this process cannot renew anything; that says nothing about the connection.
      if (!this.options.refresher) throw this.needsReauth(current, 'its token was refused and this process cannot renew OAuth tokens');
      if (latest.payload.kind !== 'oauth2' || !renewable(latest.payload) || scheme.type !== 'oauth2') {
        await this.store.setConnectionStatus(connection.tenantId, connection.id, 'needs_reauth');
        throw this.needsReauth(current, 'its credentials were refused and cannot be refreshed');
      }
      const claimed = latest.payload.renewingUntil !== undefined && Date.parse(latest.payload.renewingUntil) > this.now();
      if (!claimed) {
        const claim = { ...latest.payload, renewingUntil: new Date(this.now() + this.leaseMs).toISOString() };
        const lease = await this.store.updateConnectionSecret(connection.tenantId, connection.id, current.version, {
          secret: this.box.sealJson(claim),
          expiresAt: current.expiresAt,
          status: current.status,
        });
        if (lease) return this.renew(lease, latest.payload, used.owner, scheme);
      }
      if (this.now() > deadline) throw errors.STORE_CONFLICT([`connection ${connection.id} (another hub process is renewing its tokens and has not finished)`]);
      await delay(100);
    }
  }

  private async renew(lease: Connection, tokens: OAuthTokens, owner: string, scheme: Extract<UpstreamScheme, { type: 'oauth2' }>): Promise<CallCredential> {
    const grant = tokens.grant ?? 'refresh_token';
    let fresh: OAuthTokens;
    try {
      this.refreshes++;
      fresh = await this.options.refresher!({
        tenantId: lease.tenantId,
        connectorId: lease.connectorId,
        oauth: scheme.oauth,
        grant,
        ...(tokens.refreshToken ? { refreshToken: tokens.refreshToken } : {}),
      });
    } catch (cause) {
      // A refused grant will not get better by itself; a network failure might.
      if (isHubError(cause) && cause.code === 'HUB_ERR_OAUTH_EXCHANGE' && /invalid_grant|invalid_client|unauthorized_client/.test(cause.message)) {
        await this.store.setConnectionStatus(lease.tenantId, lease.id, 'needs_reauth');
        throw this.needsReauth(lease, `the authorisation server refused to renew it (${cause.message.replace(/^.*? refused the [a-z ]+: /, '')})`);
      }
      // Let the next call try at once rather than wait for the claim to lapse.
      const { renewingUntil: _claim, ...unclaimed } = tokens;
      await this.store
        .updateConnectionSecret(lease.tenantId, lease.id, lease.version, {
          secret: this.box.sealJson({ kind: 'oauth2', ...unclaimed }),
          expiresAt: lease.expiresAt,
          status: lease.status,
        })
        .catch(() => undefined);
      throw cause;
    }
    const payload: CredentialPayload = {
      kind: 'oauth2',
      ...fresh,
      obtainedAt: new Date(this.now()).toISOString(),
      grant,
      ...((fresh.refreshToken ?? tokens.refreshToken) ? { refreshToken: fresh.refreshToken ?? tokens.refreshToken } : {}),
    };
    const updated = await this.store.updateConnectionSecret(lease.tenantId, lease.id, lease.version, {
      secret: this.box.sealJson(payload),
      expiresAt: fresh.expiresAt ?? null,
      status: 'active',
    });
    // Nobody else writes while the lease is held; an admin revoking meanwhile is the one way to lose it.
    if (!updated) throw this.needsReauth(lease, 'it changed while its tokens were renewed');
    return { connection: updated, owner, payload };
  }

  private open(connection: Connection): CallCredential {
    if (connection.secret === null) throw this.needsReauth(connection, 'it has no credentials yet (the authorisation was not finished)');
    return { connection, owner: ownerLabel(connection.userId), payload: this.box.openJson<CredentialPayload>(connection.secret) };
  }

  private expiresSoon(tokens: OAuthTokens): boolean {
    if (tokens.expiresAt === undefined) return false;
    const expires = Date.parse(tokens.expiresAt);
    // A token living 5 minutes is not refreshed on every call: at most half its life ahead.
    const lifetime = tokens.obtainedAt !== undefined ? expires - Date.parse(tokens.obtainedAt) : Infinity;
    return expires - this.now() <= Math.min(this.refreshAheadMs, lifetime / 2);
  }

  private where(): string {
    return this.options.adminUrl ? ` at ${this.options.adminUrl}/api/connections` : '';
  }

  private missing(principal: Principal, connectorId: string, scheme: UpstreamScheme, tenant: Connection | undefined) {
    const kinds = kindsFor(scheme).join(' or ');
    const forWhom = principal.userId === null ? `tenant "${principal.tenantName}"` : `user "${principal.userId}" of tenant "${principal.tenantName}"`;
    const why = principal.userId !== null && tenant ? ` (the tenant's connection is not shared with its users)` : '';
    const how = howToConnect(scheme, principal.tenantName, connectorId, principal.userId);
    const share = principal.userId !== null && tenant ? `, or shares the tenant's (\`lunar-hub connections share ${tenant.id}\`)` : '';
    return errors.CRED_MISSING([`No ${connectorId} connection (${kinds}) for ${forWhom}${why}: an admin creates one with ${how}${share}.`], {
      details: { connector: connectorId, tenant: principal.tenantName },
    });
  }

  private needsReauth(connection: Connection, reason = 'its credentials were refused') {
    return errors.CRED_NEEDS_REAUTH(
      [
        `The ${connection.connectorId} connection ${connection.id} needs an admin to reconnect it: ${reason}. Reconnect with \`lunar-hub connections reconnect ${connection.id}\` or POST /api/connections/${connection.id}/reconnect${this.where()}; calls to ${connection.connectorId} fail until then.`,
      ],
      { details: { connection: connection.id, connector: connection.connectorId } },
    );
  }
}
