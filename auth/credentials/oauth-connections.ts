/**
 * OAuth connections end to end, with the store: start an authorisation (the URL an
 * admin opens, PKCE verifier and state kept sealed for ten minutes, usable once),
 * finish it at /oauth/callback, connect with client credentials, connect from a
 * terminal with the device flow, and renew tokens for the credential service. Every
 * exchange is auth/oauth's (oauth4webapi); this module decides what is kept and where.
 */
import { createHash } from 'node:crypto';
import { errors } from '../../errors';
import type { SecretBox } from '../crypto/secret-box';
import {
  authorizationServerFromEndpoints,
  clientCredentialsToken,
  discoverAuthorizationServer,
  finishAuthorization,
  pollDeviceAuthorization,
  refreshTokens,
  startAuthorization,
  startDeviceAuthorization,
  type AuthorizationServer,
  type DeviceAuthorization,
  type OAuthClient,
  type TokenSet,
} from '../oauth';
import type { Connection, HubStore, OAuthApp } from '../../store';
import type { OAuthEndpoints } from '../upstream/schemes';
import type { TokenRefresher } from './credential-service';
import type { CredentialPayload, OAuthTokens } from '../upstream/payload';

const PENDING_MS = 10 * 60_000; // an authorisation URL works for 10 minutes

export interface OAuthConnectionsOptions {
  /** The connector's OAuth endpoints (from its scheme), or undefined when it is not an OAuth connector. */
  endpointsOf: (connectorId: string) => OAuthEndpoints | undefined;
  now?: () => number;
}

export interface StartedConnection {
  connectionId: string;
  authorizationUrl: string;
  expiresAt: string;
}

export interface Who {
  tenantId: string;
  connectorId: string;
  userId: string | null;
}

const hash = (value: string) => createHash('sha256').update(value).digest('hex');

export class OAuthConnections {
  private readonly servers = new Map<string, Promise<AuthorizationServer>>();
  private readonly now: () => number;

  constructor(
    private readonly store: HubStore,
    private readonly box: SecretBox,
    private readonly options: OAuthConnectionsOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** A new pending connection (or `reconnect`, an existing one) and the URL that authorises it. */
  async start(who: Who, reconnect?: Connection): Promise<StartedConnection> {
    const { app, client, as, endpoints } = await this.context(who.tenantId, who.connectorId);
    const scopes = app.scopes.length > 0 ? app.scopes : endpoints.scopes;
    const started = await startAuthorization({ as, client, redirectUri: app.redirectUri, scopes });
    const connection = reconnect ?? (await this.pendingConnection(who));
    const expiresAt = new Date(this.now() + PENDING_MS).toISOString();
    await this.store.createOAuthPending({
      stateHash: hash(started.state),
      tenantId: who.tenantId,
      connectorId: who.connectorId,
      userId: connection.userId,
      connectionId: connection.id,
      verifier: this.box.sealJson({ codeVerifier: started.codeVerifier, ...(started.nonce ? { nonce: started.nonce } : {}), scopes }),
      redirectUri: app.redirectUri,
      createdAt: new Date(this.now()).toISOString(),
      expiresAt,
    });
    return { connectionId: connection.id, authorizationUrl: started.url, expiresAt };
  }

  /** /oauth/callback: the state taken (usable once), the code exchanged, the connection activated. */
  async finish(callback: URL): Promise<Connection> {
    const params = callback.searchParams;
    const state = params.get('state');
    if (!state) throw errors.OAUTH_CALLBACK(['the callback has no state parameter']);
    const pending = await this.store.takeOAuthPending(hash(state), new Date(this.now()).toISOString());
    if (!pending) throw errors.OAUTH_CALLBACK(['the state is unknown, expired or already used; start the connection again']);
    const kept = this.box.openJson<{ codeVerifier: string; nonce?: string; scopes: string[] }>(pending.verifier);
    const { client, as } = await this.context(pending.tenantId, pending.connectorId);
    const tokens = await finishAuthorization({
      as,
      client,
      redirectUri: pending.redirectUri,
      callbackParams: params,
      expectedState: state,
      codeVerifier: kept.codeVerifier,
      ...(kept.nonce ? { nonce: kept.nonce } : {}),
      scopes: kept.scopes,
    });
    return this.save(pending.tenantId, pending.connectionId, tokens, 'refresh_token');
  }

  /** An OAuth connection row with no secret yet: `save` seals its first tokens into it. */
  private pendingConnection(who: Who): Promise<Connection> {
    return this.store.createConnection({
      tenantId: who.tenantId,
      connectorId: who.connectorId,
      userId: who.userId,
      kind: 'oauth2',
      status: 'pending',
      secret: null,
    });
  }

  /** A connection for the tenant's own account at the API (client-credentials grant). */
  async connectClientCredentials(who: Who): Promise<Connection> {
    const { app, client, as, endpoints } = await this.context(who.tenantId, who.connectorId);
    const tokens = await clientCredentialsToken({ as, client, scopes: app.scopes.length > 0 ? app.scopes : endpoints.scopes });
    const connection = await this.pendingConnection(who);
    return this.save(who.tenantId, connection.id, tokens, 'client_credentials');
  }

  /** The device flow, for an admin on a terminal: show the code, then poll until the user approved. */
  async startDevice(who: Who): Promise<DeviceAuthorization> {
    const { app, client, as, endpoints } = await this.context(who.tenantId, who.connectorId);
    return startDeviceAuthorization({ as, client, scopes: app.scopes.length > 0 ? app.scopes : endpoints.scopes });
  }

  async finishDevice(who: Who, device: DeviceAuthorization, wait: (ms: number) => Promise<void>): Promise<Connection> {
    const { client, as } = await this.context(who.tenantId, who.connectorId);
    let interval = device.intervalSeconds * 1000;
    for (;;) {
      if (this.now() > Date.parse(device.expiresAt)) throw errors.OAUTH_EXCHANGE([as.issuer, 'device code', 'expired_token: the user did not approve in time']);
      await wait(interval);
      const poll = await pollDeviceAuthorization({ as, client, deviceCode: device.deviceCode });
      if (poll.status === 'slow_down') interval += 5000;
      if (poll.status !== 'done') continue;
      const connection = await this.pendingConnection(who);
      return this.save(who.tenantId, connection.id, poll.tokens, 'refresh_token');
    }
  }

  /** For CredentialService: new tokens by the grant the connection was made with. */
  readonly refresher: TokenRefresher = async ({ tenantId, connectorId, grant, refreshToken }) => {
    const { app, client, as, endpoints } = await this.context(tenantId, connectorId);
    const tokens =
      grant === 'client_credentials'
        ? await clientCredentialsToken({ as, client, scopes: app.scopes.length > 0 ? app.scopes : endpoints.scopes })
        : await refreshTokens({ as, client, refreshToken: refreshToken! });
    return toOAuthTokens(tokens, grant);
  };

  private async save(tenantId: string, connectionId: string, tokens: TokenSet, grant: OAuthTokens['grant']): Promise<Connection> {
    const current = await this.store.getConnection(tenantId, connectionId);
    if (!current || current.status === 'revoked') throw errors.OAUTH_CALLBACK([`connection ${connectionId} was revoked while it was being authorised`]);
    const payload: CredentialPayload = { kind: 'oauth2', ...toOAuthTokens(tokens, grant), obtainedAt: new Date(this.now()).toISOString() };
    const updated = await this.store.updateConnectionSecret(tenantId, connectionId, current.version, {
      secret: this.box.sealJson(payload),
      expiresAt: tokens.expiresAt ?? null,
      status: 'active',
    });
    if (!updated) throw errors.STORE_CONFLICT([`connection ${connectionId}`]);
    return updated;
  }

  private async context(
    tenantId: string,
    connectorId: string,
  ): Promise<{ app: OAuthApp; client: OAuthClient; as: AuthorizationServer; endpoints: OAuthEndpoints }> {
    const endpoints = this.options.endpointsOf(connectorId);
    if (!endpoints)
      throw errors.OAUTH_APP([
        `Connector "${connectorId}" does not authenticate with OAuth (see its spec's securitySchemes or its connector file's auth section)`,
      ]);
    const app = await this.store.getOAuthApp(tenantId, connectorId);
    if (!app)
      throw errors.OAUTH_APP([
        `No OAuth app is registered for ${connectorId} in this tenant: register one first (\`lunar-hub oauth-apps add --connector ${connectorId} ...\` or POST /api/oauth-apps)`,
      ]);
    const client: OAuthClient = { clientId: app.clientId, ...(app.clientSecret ? { clientSecret: this.box.open(app.clientSecret) } : {}) };
    return { app, client, as: await this.server(endpoints), endpoints };
  }

  /** Discovery once per issuer (retried after a failure); explicit endpoints need none. */
  private server(endpoints: OAuthEndpoints): Promise<AuthorizationServer> {
    if (!endpoints.issuer || endpoints.tokenUrl) {
      if (!endpoints.tokenUrl) throw errors.OAUTH_APP(['The connector names neither an issuer nor a token URL']);
      return Promise.resolve(
        authorizationServerFromEndpoints({
          tokenUrl: endpoints.tokenUrl,
          ...(endpoints.issuer ? { issuer: endpoints.issuer } : {}),
          ...(endpoints.authorizationUrl ? { authorizationUrl: endpoints.authorizationUrl } : {}),
          ...(endpoints.refreshUrl ? { refreshUrl: endpoints.refreshUrl } : {}),
          ...(endpoints.deviceAuthorizationUrl ? { deviceAuthorizationUrl: endpoints.deviceAuthorizationUrl } : {}),
          ...(endpoints.revocationUrl ? { revocationUrl: endpoints.revocationUrl } : {}),
        }),
      );
    }
    const issuer = endpoints.issuer;
    let found = this.servers.get(issuer);
    if (!found) {
      found = discoverAuthorizationServer(issuer);
      found.catch(() => this.servers.delete(issuer));
      this.servers.set(issuer, found);
    }
    return found;
  }
}

function toOAuthTokens(tokens: TokenSet, grant: OAuthTokens['grant']): OAuthTokens {
  return {
    accessToken: tokens.accessToken,
    tokenType: tokens.tokenType,
    ...(tokens.refreshToken ? { refreshToken: tokens.refreshToken } : {}),
    ...(tokens.expiresAt ? { expiresAt: tokens.expiresAt } : {}),
    ...(tokens.scope ? { scope: tokens.scope } : {}),
    ...(grant ? { grant } : {}),
  };
}
