/**
 * What admins do, once, for both the REST API (/api) and the CLI verbs: tenants, agent
 * keys, connections, OAuth apps, the audit trail. Every operation is scoped by the
 * actor (a hub-wide admin, a tenant's admin, or the local CLI) and recorded in the
 * audit trail; secrets arrive here in plain text and leave sealed.
 */
import { errors } from '../errors';
import {
  issueAgentKey,
  type IssuedKey,
  checkPayload,
  type SecretBox,
  DEFAULT_TENANT,
  tenantNamed,
  type OAuthConnections,
  type StartedConnection,
} from '../auth';
import type { RegistrySnapshot } from '../gateway/core';
import { hashPassword, passwordProblem } from './passwords';
import { checkConnectionKind, servedConnector } from './connection-target';
import type { AgentKey, AuditEntry, AuditQuery, Connection, ConnectionKind, HubStore, OAuthApp, Tenant } from '../store';

export interface Actor {
  kind: 'admin' | 'system';
  /** Admin user id, or `cli`. */
  id: string;
  /** null: may act on every tenant. */
  tenantId: string | null;
}

export const CLI_ACTOR: Actor = { kind: 'system', id: 'cli', tenantId: null };

const KINDS: readonly ConnectionKind[] = ['api_key', 'basic', 'bearer', 'oauth2'];
const NAME = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;

/** A connection as shown to admins: never its secret. */
export type ConnectionView = Omit<Connection, 'secret'> & { hasSecret: boolean };
export type OAuthAppView = Omit<OAuthApp, 'clientSecret'> & { hasClientSecret: boolean };

/** The connectors being served (a Registry): new connections are checked against them. */
export interface ConnectorCatalogue {
  readonly current: RegistrySnapshot;
}

export class AdminOperations {
  constructor(
    private readonly store: HubStore,
    private readonly box: SecretBox,
    private readonly oauth?: OAuthConnections,
    private readonly connectors?: ConnectorCatalogue,
  ) {}

  /** The tenant an actor names (by name or id), refusing other tenants for a tenant admin. */
  async tenant(actor: Actor, nameOrId: string | undefined): Promise<Tenant> {
    if (nameOrId === undefined || nameOrId === '') {
      const own = actor.tenantId !== null ? await this.store.getTenant(actor.tenantId) : undefined;
      if (own) return own;
      throw actor.tenantId !== null
        ? errors.API_NOT_FOUND(["This admin's tenant no longer exists"])
        : errors.API_BAD_REQUEST(['tenant is required (a tenant name)']);
    }
    if (typeof nameOrId !== 'string') throw errors.API_BAD_REQUEST(['tenant must be a tenant name']);
    // The default tenant exists for everyone who may act hub-wide, without a setup step.
    const tenant =
      nameOrId === DEFAULT_TENANT && actor.tenantId === null
        ? await tenantNamed(this.store, DEFAULT_TENANT, true)
        : ((await this.store.getTenantByName(nameOrId)) ?? (await this.store.getTenant(nameOrId)));
    // Another tenant's name reads as unknown to a tenant admin: not even its existence leaks.
    if (!tenant || (actor.tenantId !== null && actor.tenantId !== tenant.id)) throw errors.API_NOT_FOUND([`No tenant "${nameOrId}"`]);
    return tenant;
  }

  async createTenant(actor: Actor, name: string): Promise<Tenant> {
    this.hubWide(actor, 'create tenants');
    if (typeof name !== 'string' || !NAME.test(name)) throw errors.API_BAD_REQUEST(['name must be 1-40 characters of a-z, 0-9 and "-"']);
    if (await this.store.getTenantByName(name)) throw errors.API_BAD_REQUEST([`tenant "${name}" exists already`]);
    const tenant = await this.store.createTenant(name);
    await this.audit(actor, tenant.id, 'tenant.create', { detail: name });
    return tenant;
  }

  /** The tenant's front-door quota (calls per minute for all its agents); null removes it. */
  async setTenantQuota(actor: Actor, nameOrId: string, callsPerMinute: number | null): Promise<Tenant> {
    this.hubWide(actor, 'set tenant quotas');
    const problem = callsPerMinuteProblem(callsPerMinute);
    if (problem) throw errors.API_BAD_REQUEST([problem]);
    const tenant = await this.tenant(actor, nameOrId);
    const updated = (await this.store.setTenantQuota(tenant.id, callsPerMinute))!;
    await this.audit(actor, tenant.id, 'tenant.quota', { detail: callsPerMinute === null ? 'no quota' : `${callsPerMinute} calls per minute` });
    return updated;
  }

  async listTenants(actor: Actor): Promise<Tenant[]> {
    const all = await this.store.listTenants();
    return actor.tenantId === null ? all : all.filter((t) => t.id === actor.tenantId);
  }

  async createAdmin(
    actor: Actor,
    input: { username: string; password: string; tenant?: string },
  ): Promise<{ id: string; username: string; tenantId: string | null }> {
    this.hubWide(actor, 'create admins');
    const problems: string[] = [];
    if (typeof input.username !== 'string' || !/^[A-Za-z0-9._@-]{1,64}$/.test(input.username))
      problems.push('username must be 1-64 characters of letters, digits and ._@-');
    const weak = typeof input.password === 'string' ? passwordProblem(input.password) : 'must be a string';
    if (weak) problems.push(`password ${weak}`);
    if (problems.length > 0) throw errors.API_BAD_REQUEST([problems.join('; ')]);
    if (await this.store.getAdminByUsername(input.username)) throw errors.API_BAD_REQUEST([`admin "${input.username}" exists already`]);
    const tenantId = input.tenant ? (await this.tenant(actor, input.tenant)).id : null;
    const admin = await this.store.createAdmin({ username: input.username, passwordHash: await hashPassword(input.password), tenantId });
    await this.audit(actor, tenantId, 'admin.create', { detail: input.username });
    return { id: admin.id, username: admin.username, tenantId: admin.tenantId };
  }

  async issueKey(
    actor: Actor,
    input: {
      tenant?: string;
      user?: string | null;
      name: string;
      toolsets?: string[];
      readOnly?: boolean;
      expiresAt?: string | null;
      callsPerMinute?: number | null;
    },
  ): Promise<IssuedKey> {
    const tenant = await this.tenant(actor, input.tenant);
    const problems: string[] = [];
    const quotaProblem = callsPerMinuteProblem(input.callsPerMinute);
    if (quotaProblem) problems.push(quotaProblem);
    if (typeof input.name !== 'string' || input.name.trim() === '' || input.name.length > 100) problems.push('name must be 1-100 characters');
    if (input.toolsets !== undefined && (!Array.isArray(input.toolsets) || input.toolsets.some((t) => typeof t !== 'string' || !/^[a-z0-9-]+(:.+)?$/.test(t))))
      problems.push('toolsets must be a list of "connector" or "connector:tag"');
    if (input.expiresAt !== undefined && input.expiresAt !== null && Number.isNaN(Date.parse(input.expiresAt)))
      problems.push('expiresAt must be an ISO date-time');
    if (input.user !== undefined && input.user !== null && (typeof input.user !== 'string' || input.user === ''))
      problems.push('user must be a non-empty string');
    if (problems.length > 0) throw errors.API_BAD_REQUEST([problems.join('; ')]);
    const issued = await issueAgentKey(this.store, {
      tenantId: tenant.id,
      userId: input.user ?? null,
      name: input.name.trim(),
      toolsets: input.toolsets ?? [],
      readOnly: input.readOnly === true,
      expiresAt: input.expiresAt ? new Date(input.expiresAt).toISOString() : null,
      callsPerMinute: input.callsPerMinute ?? null,
    });
    await this.audit(actor, tenant.id, 'key.create', { detail: `${issued.record.prefix}… ${issued.record.name}` });
    return issued;
  }

  async listKeys(actor: Actor, tenantName?: string): Promise<Array<Omit<AgentKey, 'keyHash'>>> {
    const tenant = await this.tenant(actor, tenantName);
    return (await this.store.listAgentKeys(tenant.id)).map(({ keyHash: _hash, ...rest }) => rest);
  }

  async revokeKey(actor: Actor, id: string, tenantName?: string): Promise<Omit<AgentKey, 'keyHash'>> {
    const tenant = await this.tenant(actor, tenantName);
    const key = await this.store.revokeAgentKey(tenant.id, id, new Date().toISOString());
    if (!key) throw errors.API_NOT_FOUND([`No agent key ${id} in tenant "${tenant.name}"`]);
    await this.audit(actor, tenant.id, 'key.revoke', { detail: key.prefix + '…' });
    const { keyHash: _hash, ...rest } = key;
    return rest;
  }

  async addConnection(
    actor: Actor,
    input: {
      tenant?: string;
      connector: string;
      user?: string | null;
      kind: ConnectionKind;
      credential: Record<string, unknown>;
      shared?: boolean;
      label?: string;
    },
  ): Promise<ConnectionView> {
    const tenant = await this.tenant(actor, input.tenant);
    if (typeof input.connector !== 'string' || !/^[a-z0-9-]{1,24}$/.test(input.connector)) throw errors.API_BAD_REQUEST(['connector must be a connector id']);
    if (!KINDS.includes(input.kind)) throw errors.API_BAD_REQUEST([`kind must be one of ${KINDS.join(', ')}`]);
    checkUser(input.user);
    if (input.label !== undefined && input.label !== null && (typeof input.label !== 'string' || input.label.length > 100))
      throw errors.API_BAD_REQUEST(['label must be a string of at most 100 characters']);
    if (input.credential !== undefined && (typeof input.credential !== 'object' || input.credential === null || Array.isArray(input.credential)))
      throw errors.API_BAD_REQUEST(['credential must be an object (apiKey, username and password, token or accessToken)']);
    checkConnectionKind(servedConnector(this.catalogue().current, input.connector), input.kind);
    const payload = checkPayload(input.kind, input.credential ?? {});
    const connection = await this.store.createConnection({
      tenantId: tenant.id,
      connectorId: input.connector,
      userId: input.user ?? null,
      kind: input.kind,
      status: 'active',
      shared: input.shared === true && (input.user ?? null) === null,
      label: input.label ?? null,
      secret: this.box.sealJson(payload),
    });
    await this.audit(actor, tenant.id, 'connection.create', {
      connectorId: connection.connectorId,
      connectionId: connection.id,
      detail: `${connection.kind}${connection.userId ? ` for user ${connection.userId}` : ''}`,
    });
    return view(connection);
  }

  async listConnections(actor: Actor, tenantName?: string, connector?: string): Promise<ConnectionView[]> {
    const tenant = await this.tenant(actor, tenantName);
    return (await this.store.listConnections(tenant.id, connector ? { connectorId: connector } : undefined)).map(view);
  }

  /** A connection of the actor's tenant, for checks the gateway runs (connections test). */
  async connection(actor: Actor, id: string, tenantName?: string): Promise<Connection> {
    const tenant = await this.tenant(actor, tenantName);
    const connection = await this.store.getConnection(tenant.id, id);
    if (!connection) throw errors.API_NOT_FOUND([`No connection ${id} in tenant "${tenant.name}"`]);
    return connection;
  }

  async revokeConnection(actor: Actor, id: string, tenantName?: string): Promise<ConnectionView> {
    return this.changeConnection(actor, id, tenantName, 'connection.revoke', (tenantId) => this.store.setConnectionStatus(tenantId, id, 'revoked'));
  }

  async shareConnection(actor: Actor, id: string, shared: boolean, tenantName?: string): Promise<ConnectionView> {
    if (typeof shared !== 'boolean') throw errors.API_BAD_REQUEST(['shared must be true or false']);
    const tenant = await this.tenant(actor, tenantName);
    const existing = await this.store.getConnection(tenant.id, id);
    if (existing && existing.userId !== null)
      throw errors.API_BAD_REQUEST([`connection ${id} belongs to user ${existing.userId}; only a tenant's own connection can be shared`]);
    return this.changeConnection(actor, id, tenant.name, shared ? 'connection.share' : 'connection.unshare', (tenantId) =>
      this.store.setConnectionShared(tenantId, id, shared),
    );
  }

  /** An OAuth connection: the authorisation URL to open (authorization code), or the connection itself (client credentials). */
  async connectOAuth(
    actor: Actor,
    input: { tenant?: string; connector: string; user?: string | null; flow?: 'authorization_code' | 'client_credentials' },
  ): Promise<StartedConnection | ConnectionView> {
    const tenant = await this.tenant(actor, input.tenant);
    if (typeof input.connector !== 'string' || !/^[a-z0-9-]{1,24}$/.test(input.connector)) throw errors.API_BAD_REQUEST(['connector must be a connector id']);
    checkUser(input.user);
    if (this.connectors) servedConnector(this.connectors.current, input.connector);
    const flow = input.flow ?? 'authorization_code';
    if (flow !== 'authorization_code' && flow !== 'client_credentials') throw errors.API_BAD_REQUEST(['flow must be authorization_code or client_credentials']);
    const who = { tenantId: tenant.id, connectorId: input.connector, userId: input.user ?? null };
    if (flow === 'client_credentials') {
      const connection = await this.oauthFlows().connectClientCredentials(who);
      await this.audit(actor, tenant.id, 'connection.create', {
        connectorId: input.connector,
        connectionId: connection.id,
        detail: 'oauth2 client credentials',
      });
      return view(connection);
    }
    const started = await this.oauthFlows().start(who);
    await this.audit(actor, tenant.id, 'connection.authorize', {
      connectorId: input.connector,
      connectionId: started.connectionId,
      detail: 'authorization URL issued',
    });
    return started;
  }

  /** A new authorisation URL for a connection whose credentials were refused (needs_reauth) or never finished. */
  async reconnect(actor: Actor, id: string, tenantName?: string): Promise<StartedConnection> {
    const tenant = await this.tenant(actor, tenantName);
    const connection = await this.store.getConnection(tenant.id, id);
    if (!connection || connection.status === 'revoked')
      throw errors.API_NOT_FOUND([`No connection ${id} in tenant "${tenant.name}" (revoked connections are not reconnected: create a new one)`]);
    if (connection.kind !== 'oauth2')
      throw errors.API_BAD_REQUEST([`connection ${id} is ${connection.kind}: replace its secret by creating a new connection and revoking this one`]);
    const started = await this.oauthFlows().start({ tenantId: tenant.id, connectorId: connection.connectorId, userId: connection.userId }, connection);
    await this.audit(actor, tenant.id, 'connection.reconnect', { connectorId: connection.connectorId, connectionId: id, detail: 'authorization URL issued' });
    return started;
  }

  private catalogue(): ConnectorCatalogue {
    if (!this.connectors) throw errors.INTERNAL(['connections are added through operations that know the served connectors']);
    return this.connectors;
  }

  private oauthFlows(): OAuthConnections {
    if (!this.oauth) throw errors.OAUTH_APP(['OAuth connections need the running hub (its connectors say where to authorise)']);
    return this.oauth;
  }

  async registerOAuthApp(
    actor: Actor,
    input: { tenant?: string; connector: string; clientId: string; clientSecret?: string; scopes?: string[]; redirectUri: string },
  ): Promise<OAuthAppView> {
    const tenant = await this.tenant(actor, input.tenant);
    const problems: string[] = [];
    if (typeof input.connector !== 'string' || !/^[a-z0-9-]{1,24}$/.test(input.connector)) problems.push('connector must be a connector id');
    if (typeof input.clientId !== 'string' || input.clientId === '') problems.push('clientId must be a non-empty string');
    if (input.clientSecret !== undefined && (typeof input.clientSecret !== 'string' || input.clientSecret === ''))
      problems.push('clientSecret must be a non-empty string when given');
    if (input.scopes !== undefined && (!Array.isArray(input.scopes) || input.scopes.some((s) => typeof s !== 'string' || /\s/.test(s))))
      problems.push('scopes must be a list of scope strings');
    try {
      if (!/^https?:$/.test(new URL(input.redirectUri).protocol)) problems.push('redirectUri must be an http(s) URL');
    } catch {
      problems.push("redirectUri must be an absolute URL (the hub's /oauth/callback)");
    }
    if (problems.length > 0) throw errors.API_BAD_REQUEST([problems.join('; ')]);
    const app = await this.store.upsertOAuthApp({
      tenantId: tenant.id,
      connectorId: input.connector,
      clientId: input.clientId,
      clientSecret: input.clientSecret ? this.box.seal(input.clientSecret) : null,
      scopes: input.scopes ?? [],
      redirectUri: input.redirectUri,
    });
    await this.audit(actor, tenant.id, 'oauth_app.register', { connectorId: app.connectorId, detail: app.clientId });
    const { clientSecret, ...rest } = app;
    return { ...rest, hasClientSecret: clientSecret !== null };
  }

  async queryAudit(actor: Actor, query: Omit<AuditQuery, 'tenantId'> & { tenant?: string }): Promise<AuditEntry[]> {
    const { tenant: tenantName, ...rest } = query;
    // A hub-wide admin without a tenant sees every tenant; anyone else only their own.
    const tenantId = tenantName === undefined && actor.tenantId === null ? undefined : (await this.tenant(actor, tenantName)).id;
    return this.store.queryAudit({ ...rest, ...(tenantId !== undefined ? { tenantId } : {}) });
  }

  /** Admin actions the operations above do not cover (login, logout) are recorded through here too. */
  async audit(
    actor: Actor,
    tenantId: string | null,
    action: string,
    extra: { connectorId?: string; connectionId?: string; detail?: string; outcome?: string } = {},
  ): Promise<void> {
    await this.store.appendAudit({
      tenantId,
      actorKind: actor.kind,
      actorId: actor.id,
      action,
      tool: null,
      connectorId: extra.connectorId ?? null,
      connectionId: extra.connectionId ?? null,
      credentialOwner: null,
      upstreamStatus: null,
      durationMs: null,
      outcome: extra.outcome ?? 'ok',
      detail: extra.detail ?? null,
    });
  }

  private async changeConnection(
    actor: Actor,
    id: string,
    tenantName: string | undefined,
    action: string,
    change: (tenantId: string) => Promise<Connection | undefined>,
  ): Promise<ConnectionView> {
    const tenant = await this.tenant(actor, tenantName);
    const connection = await change(tenant.id);
    if (!connection) throw errors.API_NOT_FOUND([`No connection ${id} in tenant "${tenant.name}"`]);
    await this.audit(actor, tenant.id, action, { connectorId: connection.connectorId, connectionId: id });
    return view(connection);
  }

  private hubWide(actor: Actor, what: string): void {
    if (actor.tenantId !== null) throw errors.AUTH_FORBIDDEN([`only a hub-wide admin may ${what}`]);
  }
}

function checkUser(user: unknown): void {
  if (user !== undefined && user !== null && (typeof user !== 'string' || user === '' || user.length > 200))
    throw errors.API_BAD_REQUEST(['user must be a non-empty string (a user id of the tenant)']);
}

function callsPerMinuteProblem(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 1_000_000
    ? undefined
    : 'callsPerMinute must be a whole number from 1 to 1000000 (or null for none)';
}

function view(connection: Connection): ConnectionView {
  const { secret, ...rest } = connection;
  return { ...rest, hasSecret: secret !== null };
}
