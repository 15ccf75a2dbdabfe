/**
 * How a connector authenticates upstream: the spec's securitySchemes, refined (or, for
 * specs that declare none, such as GitHub's and Microsoft Graph's, supplied) by the
 * connector file's `auth` section. Where both exist the connector file wins
 * (docs/credentials.md). One scheme per connector; an operation whose `security` is an
 * empty list is called without credentials.
 */
import { errors } from '../../errors';
import type { ConnectionKind } from '../../store';

/** An authorisation server's URLs, as a spec's flows or a connector file give them. */
export interface OAuthUrls {
  authorizationUrl?: string;
  tokenUrl?: string;
  refreshUrl?: string;
  deviceAuthorizationUrl?: string;
  revocationUrl?: string;
  /** Discovery (OpenID Connect, then RFC 8414) instead of endpoints. */
  issuer?: string;
}

/** The connector file's `auth` section as written (validated by the connector file's schema). */
export interface AuthSection extends OAuthUrls {
  /** One of the spec's securitySchemes by name. */
  scheme?: string;
  type?: 'apiKey' | 'basic' | 'bearer' | 'oauth2' | 'openIdConnect' | 'none';
  in?: 'header' | 'query' | 'cookie';
  name?: string;
  /** The word before the token in `Authorization` (GitHub accepts `token` or `Bearer`). */
  prefix?: string;
  scopes?: string[];
}

export interface OAuthEndpoints extends OAuthUrls {
  scopes: string[];
  flows: Array<'authorizationCode' | 'clientCredentials' | 'deviceCode'>;
}

export type UpstreamScheme =
  | { type: 'apiKey'; in: 'header' | 'query' | 'cookie'; name: string }
  | { type: 'basic' }
  | { type: 'bearer'; prefix: string }
  | { type: 'oauth2'; prefix: string; oauth: OAuthEndpoints };

export interface UpstreamAuth {
  scheme: UpstreamScheme;
  /** Where it came from, for messages: `spec securitySchemes.api_key`, `connector file`. */
  source: string;
  /**
   * `all`: every operation but those saying `security: []` (a scheme the connector file
   * defines, or a spec that states no requirement anywhere, like GitHub's). `secured`: the
   * spec states requirements, so only operations with one get credentials (Jira's Connect
   * operations state none and must not receive the tenant's password).
   */
  appliesTo: 'all' | 'secured';
}

/** The connection kinds that can feed a scheme. */
export function kindsFor(scheme: UpstreamScheme): ConnectionKind[] {
  switch (scheme.type) {
    case 'apiKey':
      return ['api_key'];
    case 'basic':
      return ['basic'];
    case 'bearer':
      return ['bearer', 'oauth2'];
    // A static token (a personal access token) serves an OAuth API as well.
    case 'oauth2':
      return ['oauth2', 'bearer'];
  }
}

type Raw = Record<string, unknown>;
const isRecord = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The connector's scheme, or undefined when it calls without credentials. Throws CRED_SCHEME for what cannot work. */
export function resolveUpstreamAuth(
  connectorId: string,
  securitySchemes: Record<string, unknown>,
  rootSecurity: Array<Record<string, string[]>> | undefined,
  section: AuthSection | undefined,
): UpstreamAuth | undefined {
  if (section?.type === 'none') return undefined;
  if (section?.type !== undefined) return { scheme: fromSection(connectorId, section), source: 'connector file', appliesTo: 'all' };
  const name = section?.scheme ?? firstSchemeName(securitySchemes, rootSecurity);
  if (name === undefined) return undefined;
  const raw = securitySchemes[name];
  if (!isRecord(raw)) {
    const known = Object.keys(securitySchemes);
    throw errors.CRED_SCHEME([
      connectorId,
      `auth.scheme "${name}" is not one of the spec's securitySchemes (${known.length ? known.join(', ') : 'it declares none; give auth.type instead'})`,
    ]);
  }
  const stated = (rootSecurity ?? []).length > 0;
  let scheme = fromSpec(connectorId, name, raw);
  // Ask for what the operations say they need, not every scope the API defines (Slack's run to hundreds).
  if (scheme.type === 'oauth2') scheme = { ...scheme, oauth: { ...scheme.oauth, scopes: [...new Set((rootSecurity ?? []).flatMap((r) => r[name] ?? []))] } };
  return { scheme: refine(connectorId, scheme, section), source: `spec securitySchemes.${name}`, appliesTo: stated ? 'secured' : 'all' };
}

/** The first scheme of the first security requirement the hub can satisfy, else the first declared. */
function firstSchemeName(schemes: Record<string, unknown>, rootSecurity: Array<Record<string, string[]>> | undefined): string | undefined {
  for (const requirement of rootSecurity ?? []) {
    const name = Object.keys(requirement).find((n) => isRecord(schemes[n]) && supported(schemes[n] as Raw));
    if (name !== undefined) return name;
  }
  return Object.keys(schemes).find((n) => isRecord(schemes[n]) && supported(schemes[n] as Raw));
}

function supported(raw: Raw): boolean {
  if (raw.type === 'http') return typeof raw.scheme === 'string' && ['basic', 'bearer'].includes(raw.scheme.toLowerCase());
  return raw.type === 'apiKey' || raw.type === 'oauth2' || raw.type === 'openIdConnect';
}

function fromSpec(connectorId: string, name: string, raw: Raw): UpstreamScheme {
  const where = `securitySchemes.${name}`;
  switch (raw.type) {
    case 'apiKey':
      if (!['header', 'query', 'cookie'].includes(String(raw.in)) || typeof raw.name !== 'string' || raw.name === '') {
        throw errors.CRED_SCHEME([connectorId, `${where} needs \`in\` (header, query or cookie) and \`name\``]);
      }
      return { type: 'apiKey', in: raw.in as 'header' | 'query' | 'cookie', name: raw.name };
    case 'http': {
      const scheme = String(raw.scheme ?? '').toLowerCase();
      if (scheme === 'basic') return { type: 'basic' };
      if (scheme === 'bearer') return { type: 'bearer', prefix: 'Bearer' };
      throw errors.CRED_SCHEME([connectorId, `${where} uses HTTP scheme "${String(raw.scheme)}"; the hub supports basic and bearer`]);
    }
    case 'oauth2':
      return { type: 'oauth2', prefix: 'Bearer', oauth: oauthFromFlows(isRecord(raw.flows) ? raw.flows : {}) };
    case 'openIdConnect':
      if (typeof raw.openIdConnectUrl !== 'string') throw errors.CRED_SCHEME([connectorId, `${where} has no openIdConnectUrl`]);
      return {
        type: 'oauth2',
        prefix: 'Bearer',
        oauth: { issuer: issuerOf(raw.openIdConnectUrl), scopes: [], flows: ['authorizationCode', 'clientCredentials', 'deviceCode'] },
      };
    default:
      throw errors.CRED_SCHEME([
        connectorId,
        `${where} has type "${String(raw.type)}"; the hub supports apiKey, http (basic, bearer), oauth2 and openIdConnect`,
      ]);
  }
}

/** `https://id.example.com/.well-known/openid-configuration` -> `https://id.example.com`. */
function issuerOf(discoveryUrl: string): string {
  return discoveryUrl.replace(/\/\.well-known\/openid-configuration\/?$/, '');
}

function oauthFromFlows(flows: Raw): OAuthEndpoints {
  const code = isRecord(flows.authorizationCode) ? flows.authorizationCode : undefined;
  const client = isRecord(flows.clientCredentials) ? flows.clientCredentials : undefined;
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const out: OAuthEndpoints = { scopes: [], flows: [] };
  if (code) out.flows.push('authorizationCode');
  if (client) out.flows.push('clientCredentials');
  const authorizationUrl = str(code?.authorizationUrl);
  const tokenUrl = str(code?.tokenUrl) ?? str(client?.tokenUrl);
  const refreshUrl = str(code?.refreshUrl) ?? str(client?.refreshUrl);
  return { ...out, ...(authorizationUrl ? { authorizationUrl } : {}), ...(tokenUrl ? { tokenUrl } : {}), ...(refreshUrl ? { refreshUrl } : {}) };
}

function fromSection(connectorId: string, s: AuthSection): UpstreamScheme {
  switch (s.type) {
    case 'apiKey':
      if (!s.in || !s.name) throw errors.CRED_SCHEME([connectorId, 'auth.type apiKey needs auth.in (header, query or cookie) and auth.name']);
      return { type: 'apiKey', in: s.in, name: s.name };
    case 'basic':
      return { type: 'basic' };
    case 'bearer':
      return { type: 'bearer', prefix: s.prefix ?? 'Bearer' };
    default: {
      const oauth = refineOAuth({ scopes: [], flows: ['authorizationCode', 'clientCredentials', 'deviceCode'] }, s);
      if (!oauth.issuer && !oauth.tokenUrl) throw errors.CRED_SCHEME([connectorId, `auth.type ${s.type} needs auth.issuer (discovery) or auth.tokenUrl`]);
      return { type: 'oauth2', prefix: s.prefix ?? 'Bearer', oauth };
    }
  }
}

/** The connector file's keys over the spec's scheme (`scheme:` picks it; the rest refine it). */
function refine(connectorId: string, scheme: UpstreamScheme, s: AuthSection | undefined): UpstreamScheme {
  if (!s) return scheme;
  if (scheme.type === 'apiKey') return { ...scheme, ...(s.in ? { in: s.in } : {}), ...(s.name ? { name: s.name } : {}) };
  if (scheme.type === 'bearer') return { ...scheme, ...(s.prefix ? { prefix: s.prefix } : {}) };
  if (scheme.type === 'oauth2') return { ...scheme, ...(s.prefix ? { prefix: s.prefix } : {}), oauth: refineOAuth(scheme.oauth, s) };
  if (s.prefix || s.in || s.name) throw errors.CRED_SCHEME([connectorId, 'auth.prefix, auth.in and auth.name do not apply to basic authentication']);
  return scheme;
}

function refineOAuth(base: OAuthEndpoints, s: AuthSection): OAuthEndpoints {
  // An issuer in the connector file means discovery: the spec's endpoints (often a
  // placeholder host) give way, unless the file names endpoints too.
  const kept: OAuthEndpoints = s.issuer !== undefined ? { scopes: base.scopes, flows: base.flows } : base;
  const out: OAuthEndpoints = { ...kept, scopes: s.scopes ?? base.scopes };
  for (const key of ['authorizationUrl', 'tokenUrl', 'refreshUrl', 'deviceAuthorizationUrl', 'revocationUrl', 'issuer'] as const) {
    if (s[key] !== undefined) out[key] = s[key];
  }
  return out;
}

/** Whether an operation is called with credentials: `security: []` opts out; absent depends on whether the spec states requirements at all. */
export function operationNeedsCredentials(auth: UpstreamAuth, security: Array<Record<string, string[]>> | undefined): boolean {
  if (security === undefined) return auth.appliesTo === 'all';
  return security.length > 0;
}

/** Whether an operation also works without credentials (`security: [{}]` lists an anonymous alternative). */
export function operationAllowsAnonymous(security: Array<Record<string, string[]>> | undefined): boolean {
  return security !== undefined && security.some((requirement) => Object.keys(requirement).length === 0);
}

/** The OAuth endpoints of a connector's scheme, if it is an OAuth one. */
export function oauthEndpoints(scheme: UpstreamScheme | undefined): OAuthEndpoints | undefined {
  return scheme?.type === 'oauth2' ? scheme.oauth : undefined;
}
