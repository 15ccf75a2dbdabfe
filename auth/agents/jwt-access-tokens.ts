/**
 * JWT access tokens at the front door (the MCP authorization spec: `/mcp` is an OAuth
 * protected resource). Tokens from one configured external authorisation server are
 * checked by oauth4webapi (RFC 9068: signature against the issuer's JWKS, `iss`, `aud`,
 * `exp`, `typ`) and mapped to a principal by their claims: the tenant from a claim
 * naming it, toolsets from another, read-only from a scope, the user from `sub` (unless
 * `sub` is the client itself, as in client-credentials tokens).
 */
import { errors } from '../../errors';
import { discoverAuthorizationServer, type AuthorizationServer } from '../oauth';
import { oauth } from '../oauth/oauth4webapi';
import { requestOptions } from '../oauth/transport';
import type { Principal } from '../principal';
import type { HubStore } from '../../store';

export interface JwtFrontDoorConfig {
  /** The authorisation server whose tokens are accepted (discovery at its well-known URL). */
  issuer: string;
  /** This hub's identifier in the tokens' `aud` (the `/mcp` URL by default). */
  audience: string;
  /** The claim naming the tenant; default `tenant`. */
  tenantClaim?: string;
  /** The claim listing toolsets (array, or space-separated string); default `toolsets`. */
  toolsetsClaim?: string;
  /** A token whose `scope` has this is read-only; default `hub:read-only`. */
  readOnlyScope?: string;
  /** The tenant of a token without the tenant claim (a hub serving one tenant); absent: such a token is refused. */
  defaultTenant?: string;
}

export class JwtAccessTokens {
  private server?: Promise<AuthorizationServer>;
  // oauth4webapi keeps the fetched JWKS here between calls (it refetches on an unknown `kid`).
  private readonly jwks: NonNullable<Parameters<typeof oauth.validateJwtAccessToken>[3]>[typeof oauth.jwksCache] = {};

  constructor(
    private readonly store: HubStore,
    readonly config: JwtFrontDoorConfig,
  ) {}

  async authenticate(token: string): Promise<Principal> {
    const as = await this.authorizationServer();
    let claims: Awaited<ReturnType<typeof oauth.validateJwtAccessToken>>;
    try {
      const request = new Request('http://hub.invalid/mcp', { headers: { authorization: `Bearer ${token}` } });
      claims = await oauth.validateJwtAccessToken(as, request, this.config.audience, { ...requestOptions(as), [oauth.jwksCache]: this.jwks });
    } catch (error) {
      // The library's messages name the failed check (signature, "aud", "exp"), never the token.
      throw errors.AUTH_UNAUTHENTICATED([`The access token was refused: ${(error as Error).message}`], { cause: error });
    }
    const tenantClaim = this.config.tenantClaim ?? 'tenant';
    const claimed = claims[tenantClaim];
    const tenantName = claimed === undefined ? this.config.defaultTenant : claimed;
    if (typeof tenantName !== 'string' || tenantName === '') {
      throw errors.AUTH_UNAUTHENTICATED([
        `The access token has no "${tenantClaim}" claim naming a tenant of this hub; the hub's operator can name the claim to read with auth.jwt.tenantClaim (LUNAR_JWT_TENANT_CLAIM), or serve such tokens as one tenant with auth.jwt.defaultTenant (LUNAR_JWT_DEFAULT_TENANT)`,
      ]);
    }
    const tenant = await this.store.getTenantByName(tenantName);
    if (!tenant) throw errors.AUTH_UNAUTHENTICATED([`The access token's tenant "${tenantName}" is not a tenant of this hub`]);
    const rawToolsets = claims[this.config.toolsetsClaim ?? 'toolsets'];
    const toolsets = Array.isArray(rawToolsets)
      ? rawToolsets.filter((t): t is string => typeof t === 'string')
      : typeof rawToolsets === 'string'
        ? rawToolsets.split(/\s+/).filter(Boolean)
        : [];
    const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ') : [];
    return {
      tenantId: tenant.id,
      tenantName: tenant.name,
      userId: claims.sub === claims.client_id ? null : claims.sub,
      agentId: `jwt:${claims.client_id}`,
      via: 'jwt',
      toolsets,
      readOnly: scopes.includes(this.config.readOnlyScope ?? 'hub:read-only'),
      quota: { tenantPerMinute: tenant.callsPerMinute },
    };
  }

  private authorizationServer(): Promise<AuthorizationServer> {
    if (!this.server) {
      this.server = discoverAuthorizationServer(this.config.issuer);
      // A failed discovery is retried by the next request, not remembered.
      this.server.catch(() => (this.server = undefined));
    }
    return this.server;
  }
}
