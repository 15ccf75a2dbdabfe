/**
 * The upstream OAuth client against a real authorisation server: oidc-provider in its own
 * process (test/helpers/oidc-server.mjs), strict about secrets, PKCE, redirect URIs, code
 * replay and refresh-token rotation. No token endpoint is mocked.
 */
import type { HubError } from '../../errors';
import { rejected } from '../../test/helpers/errors';
import { approveDeviceCode, denyDeviceCode, loginAndConsent, startOidcServer, type OidcServer } from '../../test/helpers/oidc';
import {
  authorizationServerFromEndpoints,
  authorizationServerFromFlows,
  chooseAuthMethod,
  clientCredentialsToken,
  discoverAuthorizationServer,
  finishAuthorization,
  pollDeviceAuthorization,
  refreshTokens,
  revokeToken,
  startAuthorization,
  startDeviceAuthorization,
  toTokenSet,
  type AuthorizationServer,
  type OAuthClient,
  type TokenSet,
} from './index';

const REDIRECT = 'http://127.0.0.1:8765/oauth/callback';
const ALL_GRANTS = ['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code'];

const app: Required<Pick<OAuthClient, 'clientId' | 'clientSecret'>> = { clientId: 'hub-app', clientSecret: 'app-secret-5f3c9a1e7b2d4c6e8f0a' };
const postApp = { clientId: 'hub-post', clientSecret: 'post-secret-0a1b2c3d4e5f6a7b8c9d' };
const publicApp: OAuthClient = { clientId: 'hub-public' };
const shortDevice = { clientId: 'hub-short-device', clientSecret: 'short-secret-9e8d7c6b5a4f3e2d1c0b' };

/** Every secret a message must never contain; tests add the tokens, codes and verifiers they see. */
const secrets = new Set<string>([app.clientSecret, postApp.clientSecret, shortDevice.clientSecret]);
const remember = (...values: Array<string | undefined>) => values.forEach((v) => v && secrets.add(v));
const messages: string[] = [];

/** The error, after checking that neither its message nor its details carry a secret seen so far. */
function clean(error: HubError): HubError {
  const text = `${error.message} ${JSON.stringify(error.details)}`;
  messages.push(error.message);
  for (const secret of secrets) expect(text).not.toContain(secret);
  return error;
}

let server: OidcServer;
let as: AuthorizationServer;
const fixedNow = new Date('2030-01-01T00:00:00.000Z');
const now = () => fixedNow;

beforeAll(async () => {
  server = await startOidcServer({
    scopes: ['api:read', 'api:write'],
    accessTokenTtl: 120,
    deviceCodeTtlByClient: { [shortDevice.clientId]: 1 },
    clients: [
      { client_id: app.clientId, client_secret: app.clientSecret, redirect_uris: [REDIRECT], grant_types: ALL_GRANTS },
      {
        client_id: postApp.clientId,
        client_secret: postApp.clientSecret,
        redirect_uris: [REDIRECT],
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'client_secret_post',
      },
      {
        client_id: publicApp.clientId,
        redirect_uris: [REDIRECT],
        grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
        token_endpoint_auth_method: 'none',
      },
      {
        client_id: shortDevice.clientId,
        client_secret: shortDevice.clientSecret,
        grant_types: ['urn:ietf:params:oauth:grant-type:device_code'],
      },
    ],
  });
  as = await discoverAuthorizationServer(server.issuer);
});

afterAll(async () => {
  await server?.stop();
});

/** start → the user signs in and consents → the callback URL (not yet exchanged). */
async function authorize(client: OAuthClient, scopes = ['openid', 'api:read']) {
  const started = await startAuthorization({ as, client, redirectUri: REDIRECT, scopes });
  remember(started.codeVerifier);
  const callback = await loginAndConsent(started.url);
  remember(callback.searchParams.get('code') ?? undefined);
  return { started, callback };
}

/** The callback exchanged for tokens, which are remembered as secrets no message may show. */
async function finish(client: OAuthClient, { started, callback }: Awaited<ReturnType<typeof authorize>>): Promise<TokenSet> {
  const tokens = await finishAuthorization({
    as,
    client,
    redirectUri: REDIRECT,
    callbackParams: callback,
    expectedState: started.state,
    codeVerifier: started.codeVerifier,
    nonce: started.nonce,
    now,
  });
  remember(tokens.accessToken, tokens.refreshToken);
  return tokens;
}

async function authorizeAndFinish(client: OAuthClient, scopes = ['openid', 'api:read']): Promise<TokenSet> {
  return finish(client, await authorize(client, scopes));
}

async function userinfo(accessToken: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(as.userinfo_endpoint!, { headers: { authorization: `Bearer ${accessToken}` } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function introspect(token: string): Promise<Record<string, unknown>> {
  const response = await fetch(as.introspection_endpoint!, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${app.clientId}:${app.clientSecret}`).toString('base64')}` },
    body: new URLSearchParams({ token }),
  });
  return (await response.json()) as Record<string, unknown>;
}

describe('describing the authorisation server', () => {
  test('discovery of the issuer yields its endpoints', () => {
    expect(as).toMatchObject({
      issuer: server.issuer,
      authorization_endpoint: `${server.issuer}/auth`,
      token_endpoint: `${server.issuer}/token`,
      device_authorization_endpoint: `${server.issuer}/device/auth`,
      revocation_endpoint: `${server.issuer}/token/revocation`,
    });
  });

  test('RFC 8414 discovery finds the same server; an issuer with no metadata fails with HUB_ERR_OAUTH_EXCHANGE', async () => {
    expect(await discoverAuthorizationServer(server.issuer, { algorithm: 'oauth2' })).toMatchObject({
      issuer: server.issuer,
      token_endpoint: as.token_endpoint,
    });
    expect(await rejected(discoverAuthorizationServer(`${server.issuer}/elsewhere`))).toMatchObject({
      code: 'HUB_ERR_OAUTH_EXCHANGE',
      message: expect.stringMatching(/\/elsewhere refused the metadata request: .*HTTP 404/),
    });
  });

  test('explicit endpoints from OpenAPI flows work for a real exchange', async () => {
    const fromFlows = authorizationServerFromFlows(
      { clientCredentials: { tokenUrl: '/token', scopes: { 'api:read': 'read' } } },
      { baseUrl: server.issuer, revocationUrl: `${server.issuer}/token/revocation` },
    );
    expect(fromFlows).toMatchObject({
      issuer: server.issuer,
      token_endpoint: `${server.issuer}/token`,
      revocation_endpoint: `${server.issuer}/token/revocation`,
    });
    const tokens = await clientCredentialsToken({ as: fromFlows, client: app, scopes: ['api:read'] });
    remember(tokens.accessToken);
    expect(tokens.tokenType).toBe('Bearer');
  });

  test.each([
    ['an issuer', () => discoverAuthorizationServer('http://auth.example.com')],
    ['a token URL', async () => authorizationServerFromEndpoints({ tokenUrl: 'http://auth.example.com/token' })],
    [
      'a flow URL',
      async () => authorizationServerFromFlows({ authorizationCode: { authorizationUrl: 'http://10.0.0.5/auth', tokenUrl: 'https://auth.example.com/token' } }),
    ],
  ])('http:// on a non-loopback host is refused for %s, naming the URL', async (_name, describe) => {
    const error = await rejected(describe());
    expect(error).toMatchObject({
      code: 'HUB_ERR_OAUTH_APP',
      message: expect.stringMatching(/http:\/\/(auth\.example\.com|10\.0\.0\.5)\/?\S* uses http:\/\//),
    });
  });

  test('https:// anywhere and http:// on 127.0.0.1, ::1 and localhost are accepted', () => {
    expect(authorizationServerFromEndpoints({ tokenUrl: 'https://auth.example.com/oauth/token' }).issuer).toBe('https://auth.example.com');
    for (const host of ['127.0.0.1:9000', '[::1]:9000', 'localhost:9000']) {
      expect(authorizationServerFromEndpoints({ tokenUrl: `http://${host}/token` }).token_endpoint).toBe(`http://${host}/token`);
    }
  });

  test('flows naming different token URLs are refused unless one flow is chosen', () => {
    const flows = {
      authorizationCode: { authorizationUrl: 'https://a.example.com/auth', tokenUrl: 'https://a.example.com/token' },
      clientCredentials: { tokenUrl: 'https://b.example.com/token' },
    };
    expect(() => authorizationServerFromFlows(flows)).toThrow(expect.objectContaining({ code: 'HUB_ERR_OAUTH_APP' }));
    expect(authorizationServerFromFlows(flows, { flow: 'clientCredentials' }).token_endpoint).toBe('https://b.example.com/token');
  });
});

describe('authorization code with PKCE', () => {
  test('start → sign-in and consent → finish gives tokens that work at the server', async () => {
    const { started, callback } = await authorize(app);
    const url = new URL(started.url);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      client_id: app.clientId,
      redirect_uri: REDIRECT,
      response_type: 'code',
      scope: 'openid api:read',
      state: started.state,
      nonce: started.nonce,
      code_challenge_method: 'S256',
    });
    expect(url.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(callback.searchParams.get('state')).toBe(started.state);

    const tokens = await finish(app, { started, callback });
    expect(tokens).toMatchObject({
      tokenType: 'Bearer',
      refreshToken: expect.any(String),
      expiresAt: new Date(fixedNow.getTime() + 120_000).toISOString(), // the server's TTL, from the injected clock
      scope: expect.stringContaining('api:read'),
      idTokenClaims: expect.objectContaining({ sub: 'test-user', nonce: started.nonce, iss: server.issuer }),
    });
    expect(await userinfo(tokens.accessToken)).toEqual({ status: 200, body: { sub: 'test-user' } });
  });

  test('a public client (no secret) completes the flow with PKCE alone', async () => {
    const tokens = await authorizeAndFinish(publicApp, ['api:read']);
    expect(tokens.accessToken).toEqual(expect.any(String));
    expect(tokens.idTokenClaims).toBeUndefined();
    expect(await introspect(tokens.accessToken)).toMatchObject({ active: true, client_id: publicApp.clientId, sub: 'test-user' });
  });

  test('a callback with the wrong state is refused before any token request (the code still works after)', async () => {
    const { started, callback } = await authorize(app);
    const input = { as, client: app, redirectUri: REDIRECT, callbackParams: callback, codeVerifier: started.codeVerifier, nonce: started.nonce };
    const error = clean(await rejected(finishAuthorization({ ...input, expectedState: 'some-other-state' })));
    expect(error).toMatchObject({ code: 'HUB_ERR_OAUTH_CALLBACK', message: expect.stringContaining('"state"') });
    // oidc-provider refuses a code's second use, so this success proves the first call sent nothing.
    const tokens = await finishAuthorization({ ...input, expectedState: started.state });
    remember(tokens.accessToken, tokens.refreshToken);
  });

  test('an error or a missing code in the callback is refused', async () => {
    const started = await startAuthorization({ as, client: app, redirectUri: REDIRECT, scopes: ['api:read'] });
    remember(started.codeVerifier);
    const base = { as, client: app, redirectUri: REDIRECT, expectedState: started.state, codeVerifier: started.codeVerifier };
    const denied = new URLSearchParams({ error: 'access_denied', error_description: 'End-User aborted interaction', state: started.state, iss: server.issuer });
    expect(clean(await rejected(finishAuthorization({ ...base, callbackParams: denied })))).toMatchObject({
      code: 'HUB_ERR_OAUTH_CALLBACK',
      message: 'The OAuth callback was refused: the authorisation server answered access_denied: End-User aborted interaction',
    });
    const noCode = new URLSearchParams({ state: started.state, iss: server.issuer });
    expect(clean(await rejected(finishAuthorization({ ...base, callbackParams: noCode })))).toMatchObject({
      code: 'HUB_ERR_OAUTH_CALLBACK',
      message: expect.stringContaining('no authorization code'),
    });
  });

  test('a replayed authorization code is refused', async () => {
    const { started, callback } = await authorize(app);
    const input = {
      as,
      client: app,
      redirectUri: REDIRECT,
      callbackParams: callback,
      expectedState: started.state,
      codeVerifier: started.codeVerifier,
      nonce: started.nonce,
    };
    const first = await finishAuthorization(input);
    remember(first.accessToken, first.refreshToken);
    const error = clean(await rejected(finishAuthorization(input)));
    expect(error).toMatchObject({
      code: 'HUB_ERR_OAUTH_EXCHANGE',
      message: expect.stringContaining(`${server.issuer} refused the authorization code: invalid_grant`),
    });
  });

  test('a different redirect URI at the token endpoint is refused', async () => {
    const { started, callback } = await authorize(app);
    const error = clean(
      await rejected(
        finishAuthorization({
          as,
          client: app,
          redirectUri: 'http://127.0.0.1:8765/elsewhere',
          callbackParams: callback,
          expectedState: started.state,
          codeVerifier: started.codeVerifier,
          nonce: started.nonce,
        }),
      ),
    );
    expect(error).toMatchObject({ code: 'HUB_ERR_OAUTH_EXCHANGE', message: expect.stringContaining('invalid_grant') });
  });

  test('a wrong code verifier is refused', async () => {
    const { started, callback } = await authorize(app);
    const wrongVerifier = 'x'.repeat(43);
    remember(wrongVerifier);
    const error = clean(
      await rejected(
        finishAuthorization({
          as,
          client: app,
          redirectUri: REDIRECT,
          callbackParams: callback,
          expectedState: started.state,
          codeVerifier: wrongVerifier,
          nonce: started.nonce,
        }),
      ),
    );
    expect(error).toMatchObject({ code: 'HUB_ERR_OAUTH_EXCHANGE', message: expect.stringContaining('invalid_grant') });
  });

  test('extra parameters cannot override the ones the hub sets', async () => {
    const error = await rejected(startAuthorization({ as, client: app, redirectUri: REDIRECT, scopes: [], extraParams: { code_challenge_method: 'plain' } }));
    expect(error).toMatchObject({ code: 'HUB_ERR_OAUTH_APP', message: expect.stringContaining('code_challenge_method') });
  });
});

describe('refresh tokens', () => {
  test('refresh rotates the refresh token; the old one used again is refused', async () => {
    const first = await authorizeAndFinish(app);
    const second = await refreshTokens({ as, client: app, refreshToken: first.refreshToken!, now });
    remember(second.accessToken, second.refreshToken);
    expect(second.refreshToken).toEqual(expect.any(String));
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(second.expiresAt).toBe(new Date(fixedNow.getTime() + 120_000).toISOString());
    expect((await userinfo(second.accessToken)).status).toBe(200);

    const error = clean(await rejected(refreshTokens({ as, client: app, refreshToken: first.refreshToken! })));
    expect(error).toMatchObject({
      code: 'HUB_ERR_OAUTH_EXCHANGE',
      message: expect.stringContaining(`${server.issuer} refused the refresh token: invalid_grant`),
    });
    expect(error.cause).toBeDefined();
  });

  test("OpenAPI's refreshUrl, when it differs from tokenUrl, is where refresh grants go", async () => {
    const tokens = await authorizeAndFinish(app);
    // The token URL is unreachable (port 1); only the refresh URL reaches the server.
    const split = authorizationServerFromFlows(
      { authorizationCode: { authorizationUrl: `${server.issuer}/auth`, tokenUrl: 'http://localhost:1/token', refreshUrl: `${server.issuer}/token` } },
      { issuer: server.issuer },
    );
    const refreshed = await refreshTokens({ as: split, client: app, refreshToken: tokens.refreshToken! });
    remember(refreshed.accessToken, refreshed.refreshToken);
    expect(refreshed.refreshToken).not.toBe(tokens.refreshToken);
  });

  test('a revoked refresh token is refused', async () => {
    const tokens = await authorizeAndFinish(app);
    await revokeToken({ as, client: app, token: tokens.refreshToken!, tokenTypeHint: 'refresh_token' });
    const error = clean(await rejected(refreshTokens({ as, client: app, refreshToken: tokens.refreshToken! })));
    expect(error).toMatchObject({ code: 'HUB_ERR_OAUTH_EXCHANGE', message: expect.stringContaining('invalid_grant') });
  });

  test('the old refresh token is kept when the server does not rotate', () => {
    const tokens = toTokenSet(
      { access_token: 'at-1', token_type: 'bearer', expires_in: 60 },
      { now, previousRefreshToken: 'rt-old', requestedScopes: ['a', 'b'] },
    );
    expect(tokens).toEqual({ accessToken: 'at-1', tokenType: 'Bearer', refreshToken: 'rt-old', expiresAt: '2030-01-01T00:01:00.000Z', scope: 'a b' });
  });
});

describe('client credentials', () => {
  test('gives an access token the server recognises', async () => {
    const tokens = await clientCredentialsToken({ as, client: app, scopes: ['api:read'], now });
    remember(tokens.accessToken);
    expect(tokens).toMatchObject({ tokenType: 'Bearer', scope: 'api:read', expiresAt: new Date(fixedNow.getTime() + 120_000).toISOString() });
    expect(tokens.refreshToken).toBeUndefined();
    expect(await introspect(tokens.accessToken)).toMatchObject({ active: true, client_id: app.clientId, scope: 'api:read' });
  });

  test('a wrong client secret is refused, and the secret is not repeated', async () => {
    const wrong = { clientId: app.clientId, clientSecret: 'wrong-secret-1f2e3d4c5b6a7988' };
    remember(wrong.clientSecret);
    const error = clean(await rejected(clientCredentialsToken({ as, client: wrong, scopes: ['api:read'] })));
    expect(error).toMatchObject({
      code: 'HUB_ERR_OAUTH_EXCHANGE',
      message: expect.stringContaining(`${server.issuer} refused the client credentials: invalid_client`),
    });
  });

  test('the client authentication method follows the client setting, else the server metadata', async () => {
    // oidc-provider accepts Basic and post interchangeably for either registration, so both must work for real;
    // which one is chosen is checked on the metadata.
    for (const authMethod of ['client_secret_post', 'client_secret_basic'] as const) {
      const tokens = await clientCredentialsToken({ as, client: { ...postApp, authMethod }, scopes: [] });
      remember(tokens.accessToken);
    }
    expect(chooseAuthMethod(as, postApp)).toBe('client_secret_basic');
    expect(chooseAuthMethod({ ...as, token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt'] }, postApp)).toBe('client_secret_post');
    expect(chooseAuthMethod({ issuer: 'https://x.example.com' }, postApp)).toBe('client_secret_basic');
    expect(chooseAuthMethod({ ...as, token_endpoint_auth_methods_supported: ['client_secret_post'] }, { ...postApp, authMethod: 'client_secret_basic' })).toBe(
      'client_secret_basic',
    );
    expect(chooseAuthMethod(as, publicApp)).toBe('none');
  });

  test('a public client cannot use client credentials', async () => {
    expect(await rejected(clientCredentialsToken({ as, client: publicApp, scopes: [] }))).toMatchObject({ code: 'HUB_ERR_OAUTH_APP' });
  });
});

describe('device authorization', () => {
  test('pending before approval, tokens after', async () => {
    const device = await startDeviceAuthorization({ as, client: app, scopes: ['openid', 'api:read'], now });
    remember(device.deviceCode);
    expect(device).toMatchObject({
      userCode: expect.stringMatching(/^[A-Z]{4}-?[A-Z]{4}$/),
      verificationUri: `${server.issuer}/device`,
      verificationUriComplete: expect.stringContaining(`${server.issuer}/device?user_code=`),
      expiresAt: new Date(fixedNow.getTime() + 600_000).toISOString(),
      intervalSeconds: 5,
    });
    expect(await pollDeviceAuthorization({ as, client: app, deviceCode: device.deviceCode })).toEqual({ status: 'pending' });

    await approveDeviceCode(server.issuer, device.userCode);
    const done = await pollDeviceAuthorization({ as, client: app, deviceCode: device.deviceCode, now });
    expect(done).toMatchObject({ status: 'done', tokens: { tokenType: 'Bearer', refreshToken: expect.any(String) } });
    if (done.status !== 'done') throw new Error('unreachable');
    remember(done.tokens.accessToken, done.tokens.refreshToken);
    expect(await userinfo(done.tokens.accessToken)).toEqual({ status: 200, body: { sub: 'test-user' } });

    // the device code is spent
    clean(await rejected(pollDeviceAuthorization({ as, client: app, deviceCode: device.deviceCode })));
  });

  test('a denied request fails with access_denied', async () => {
    const device = await startDeviceAuthorization({ as, client: publicApp, scopes: ['api:read'] });
    remember(device.deviceCode);
    await denyDeviceCode(server.issuer, device.userCode);
    const error = clean(await rejected(pollDeviceAuthorization({ as, client: publicApp, deviceCode: device.deviceCode })));
    expect(error).toMatchObject({ code: 'HUB_ERR_OAUTH_EXCHANGE', message: expect.stringContaining('refused the device code: access_denied') });
  });

  test('an expired device code fails with expired_token', async () => {
    const device = await startDeviceAuthorization({ as, client: shortDevice, scopes: [] });
    remember(device.deviceCode);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const error = clean(await rejected(pollDeviceAuthorization({ as, client: shortDevice, deviceCode: device.deviceCode })));
    expect(error).toMatchObject({ code: 'HUB_ERR_OAUTH_EXCHANGE', message: expect.stringContaining('expired_token') });
  });
});

test('no error message carried a secret, token, code or verifier', () => {
  // clean() checked each error against what was known when it was raised; check all again now.
  expect(messages.length).toBeGreaterThanOrEqual(10);
  for (const message of messages) for (const secret of secrets) expect(message).not.toContain(secret);
});
