/**
 * A real OAuth 2 / OpenID Connect authorisation server for the tests: oidc-provider on
 * 127.0.0.1, in its own process (oidc-provider is ESM-only and jest's loader is not).
 *
 *   node test/helpers/oidc-server.mjs '<config JSON>'     (or OIDC_SERVER_CONFIG='<config JSON>')
 *
 * Config: { port?: number (0 = any free port),
 *           clients: [{ client_id, client_secret?, redirect_uris?, grant_types?, response_types?,
 *                       token_endpoint_auth_method?, scope? }],
 *           scopes?: string[]             extra scopes beyond openid and offline_access,
 *           accessTokenTtl?: number       seconds, for authorization code / refresh / device tokens,
 *           clientCredentialsTtl?: number seconds, for client-credentials tokens,
 *           deviceCodeTtl?: number        seconds,
 *           deviceCodeTtlByClient?: { [client_id]: seconds } }
 *
 * Prints one JSON line {"issuer":"http://127.0.0.1:PORT"} on stdout once listening. Exits on
 * SIGTERM, SIGINT, or when stdin closes (the parent died: no orphan server is left behind).
 * oidc-provider's own warnings (dev keys, dev interactions, "Unsupported runtime" on Node 20)
 * go to stderr.
 */
import http from 'node:http';
import Provider from 'oidc-provider';

const raw = process.argv[2] ?? process.env.OIDC_SERVER_CONFIG ?? '{}';
const config = JSON.parse(raw);
const clients = config.clients ?? [];

let handler = (_req, res) => {
  res.statusCode = 503;
  res.end('starting');
};
const server = http.createServer((req, res) => handler(req, res));

await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(config.port ?? 0, '127.0.0.1', resolve);
});
const { port } = server.address();
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: clients.map((client) => ({
    response_types: client.grant_types?.includes('authorization_code') === false ? [] : ['code'],
    ...client,
  })),
  // Any login works: the dev login form's "login" field becomes the subject.
  async findAccount(_ctx, sub) {
    return {
      accountId: sub,
      async claims() {
        return { sub };
      },
    };
  },
  // PKCE for every client, confidential ones included (S256 is the only method oidc-provider 9 offers).
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    deviceFlow: { enabled: true },
    revocation: { enabled: true },
    introspection: { enabled: true },
    userinfo: { enabled: true },
    // Left at its defaults unless `jwtResource` is given: with no `resource` parameter,
    // oidc-provider issues opaque access tokens with no audience, which userinfo (given openid)
    // and introspection accept. With `jwtResource` (a protected resource such as the hub's /mcp),
    // every token is a JWT (RFC 9068) for that audience, carrying the per-client extra claims.
    resourceIndicators: config.jwtResource
      ? {
          enabled: true,
          defaultResource: () => config.jwtResource.audience,
          useGrantedResource: () => true,
          getResourceServerInfo: () => ({
            scope: config.jwtResource.scope ?? 'hub:read-only',
            audience: config.jwtResource.audience,
            accessTokenFormat: 'jwt',
            accessTokenTTL: config.accessTokenTtl ?? 3600,
          }),
        }
      : { enabled: true },
  },
  ...(config.jwtResource ? { extraTokenClaims: (_ctx, token) => config.jwtResource.claims?.[token.clientId] ?? {} } : {}),
  scopes: ['openid', 'offline_access', ...(config.scopes ?? [])],
  // A refresh token is issued to every client allowed the refresh_token grant, without the
  // offline_access + prompt=consent ceremony, and is rotated on each use: reusing an old one is
  // refused (and revokes the grant).
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: true,
  ttl: {
    AccessToken: config.accessTokenTtl ?? 3600,
    ClientCredentials: config.clientCredentialsTtl ?? config.accessTokenTtl ?? 600,
    DeviceCode: (_ctx, _code, client) => config.deviceCodeTtlByClient?.[client.clientId] ?? config.deviceCodeTtl ?? 600,
    AuthorizationCode: 60,
    IdToken: 3600,
    Interaction: 600,
    Session: 3600,
    Grant: 3600,
    RefreshToken: 24 * 3600,
  },
});
handler = provider.callback();
// One JSON line per token grant, so tests can count what reached the token endpoint
// (exactly one refresh for many waiting calls).
for (const event of ['grant.success', 'grant.error']) {
  provider.on(event, (ctx) => process.stdout.write(`${JSON.stringify({ event, grantType: ctx.oidc?.params?.grant_type })}\n`));
}

process.stdout.write(`${JSON.stringify({ issuer })}\n`);

function stop() {
  server.closeAllConnections();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
