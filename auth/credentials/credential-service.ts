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
import type { Principal } from '../principal';
import { ownerLabel } from '../principal';
import type { SecretBox } from '../crypto/secret-box';
import type { Connection, HubStore } from '../store/types';
import { kindsFor, type OAuthEndpoints, type UpstreamScheme } from '../upstream/schemes';
import type { CredentialPayload, OAuthTokens } from './payload';

/** Exchanges a refresh token at the connector's authorisation server with the tenant's OAuth app. */
export type TokenRefresher = (input: { tenantId: string; connectorId: string; oauth: OAuthEndpoints; refreshToken: string }) => Promise<OAuthTokens>;

export interface CallCredential {
  connection: Connection;
  /** `user:<id>` or `tenant`, for the audit trail. */
  owner: string;
  payload: CredentialPayload;
}

export interface CredentialServiceOptions {
  refresher?: TokenRefresher;
  /** Refresh when the token expires within this long. */
  refreshAheadMs?: number; // milliseconds; default 60 s
  now?: () => number;
  /** Where an admin reconnects, for messages (`http://127.0.0.1:8787`). */
  adminUrl?: string;
}

export class CredentialService {
  private readonly inflight = new Map<string, Promise<CallCredential>>();
  private readonly refreshAheadMs: number;
  private readonly now: () => number;
  /** How many refreshes reached the authorisation server (tests and metrics read it). */
  refreshes = 0;

  constructor(
    private readonly store: HubStore,
    private readonly box: SecretBox,
    private readonly options: CredentialServiceOptions = {},
  ) {
    this.refreshAheadMs = options.refreshAheadMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  async forCall(principal: Principal, connectorId: string, scheme: UpstreamScheme): Promise<CallCredential> {
    const { own, tenant } = await this.store.findConnectionFor(principal.tenantId, connectorId, principal.userId);
    const usable = own ?? (principal.userId === null || tenant?.shared ? tenant : undefined);
    if (!usable) throw this.missing(principal, connectorId, scheme, tenant);
    if (usable.status === 'needs_reauth') throw this.needsReauth(usable);
    if (!kindsFor(scheme).includes(usable.kind)) {
      throw errors.CRED_SCHEME([connectorId, `connection ${usable.id} is ${usable.kind}, but the connector authenticates with ${scheme.type} (needs ${kindsFor(scheme).join(' or ')}); create a connection of that kind`]);
    }
    const credential = this.open(usable);
    if (credential.payload.kind === 'oauth2' && this.expiresSoon(credential.payload) && credential.payload.refreshToken && scheme.type === 'oauth2') {
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

  private async refreshOnce(used: CallCredential, scheme: UpstreamScheme): Promise<CallCredential> {
    const { connection } = used;
    // Another process (or an earlier refresh here) may have renewed it already.
    const current = await this.store.getConnection(connection.tenantId, connection.id);
    if (!current || current.status === 'revoked') throw this.needsReauth(connection, 'it was revoked');
    if (current.status === 'needs_reauth') throw this.needsReauth(current);
    const latest = this.open(current);
    const usedToken = used.payload.kind === 'oauth2' ? used.payload.accessToken : undefined;
    if (latest.payload.kind === 'oauth2' && latest.payload.accessToken !== usedToken && !this.expiresSoon(latest.payload)) return latest;
    if (latest.payload.kind !== 'oauth2' || !latest.payload.refreshToken || scheme.type !== 'oauth2' || !this.options.refresher) {
      await this.store.setConnectionStatus(connection.tenantId, connection.id, 'needs_reauth');
      throw this.needsReauth(current, 'its credentials were refused and cannot be refreshed');
    }
    let tokens: OAuthTokens;
    try {
      this.refreshes++;
      tokens = await this.options.refresher({ tenantId: connection.tenantId, connectorId: connection.connectorId, oauth: scheme.oauth, refreshToken: latest.payload.refreshToken });
    } catch (cause) {
      // A refused grant will not get better by itself; a network failure might.
      if (isHubError(cause) && cause.code === 'HUB_ERR_OAUTH_EXCHANGE' && /invalid_grant|invalid_client|unauthorized_client/.test(cause.message)) {
        await this.store.setConnectionStatus(connection.tenantId, connection.id, 'needs_reauth');
        throw this.needsReauth(current, `the authorisation server refused to refresh it (${cause.message.replace(/^.*refused the refresh token: /, '')})`);
      }
      throw cause;
    }
    const payload: CredentialPayload = { kind: 'oauth2', ...tokens, refreshToken: tokens.refreshToken ?? latest.payload.refreshToken };
    const updated = await this.store.updateConnectionSecret(connection.tenantId, connection.id, current.version, {
      secret: this.box.sealJson(payload),
      expiresAt: tokens.expiresAt ?? null,
      status: 'active',
    });
    if (updated) return { connection: updated, owner: used.owner, payload };
    // Another process won the compare-and-set: its tokens are the ones to use (ours may be already rotated away).
    const winner = await this.store.getConnection(connection.tenantId, connection.id);
    if (!winner || winner.status !== 'active') throw this.needsReauth(connection);
    return this.open(winner);
  }

  private open(connection: Connection): CallCredential {
    if (connection.secret === null) throw this.needsReauth(connection, 'it has no credentials yet (the authorisation was not finished)');
    return { connection, owner: ownerLabel(connection.userId), payload: this.box.openJson<CredentialPayload>(connection.secret) };
  }

  private expiresSoon(tokens: OAuthTokens): boolean {
    return tokens.expiresAt !== undefined && Date.parse(tokens.expiresAt) - this.now() <= this.refreshAheadMs;
  }

  private where(): string {
    return this.options.adminUrl ? ` at ${this.options.adminUrl}/api/connections` : '';
  }

  private missing(principal: Principal, connectorId: string, scheme: UpstreamScheme, tenant: Connection | undefined) {
    const kinds = kindsFor(scheme).join(' or ');
    const forWhom = principal.userId === null ? `tenant "${principal.tenantName}"` : `user "${principal.userId}" of tenant "${principal.tenantName}"`;
    const why = principal.userId !== null && tenant ? ` (the tenant's connection is not shared with its users)` : '';
    const how =
      principal.userId === null
        ? `an admin creates one: \`lunar-hub connections add --tenant ${principal.tenantName} --connector ${connectorId} --kind ${kindsFor(scheme)[0]}\` or POST /api/connections${this.where()}`
        : `an admin creates one for the user (\`lunar-hub connections add --tenant ${principal.tenantName} --user ${principal.userId} --connector ${connectorId} --kind ${kindsFor(scheme)[0]}\`), or shares the tenant's (\`lunar-hub connections share ID\`)`;
    return errors.CRED_MISSING([`No ${connectorId} connection (${kinds}) for ${forWhom}${why}: ${how}.`], { details: { connector: connectorId, tenant: principal.tenantName } });
  }

  private needsReauth(connection: Connection, reason = 'its credentials were refused') {
    return errors.CRED_NEEDS_REAUTH([
      `The ${connection.connectorId} connection ${connection.id} needs an admin to reconnect it: ${reason}. Reconnect with \`lunar-hub connections reconnect ${connection.id}\` or POST /api/connections/${connection.id}/reconnect${this.where()}; calls to ${connection.connectorId} fail until then.`,
    ], { details: { connection: connection.id, connector: connection.connectorId } });
  }
}
