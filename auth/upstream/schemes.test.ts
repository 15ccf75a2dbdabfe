import { rejected } from '../../test/helpers/errors';
import type { CredentialPayload } from './payload';
import { applyCredential } from './apply';
import { kindsFor, operationNeedsCredentials, resolveUpstreamAuth, type AuthSection, type UpstreamAuth } from './schemes';

const SCHEMES = {
  key: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
  basic: { type: 'http', scheme: 'Basic' },
  token: { type: 'http', scheme: 'bearer' },
  oauth: {
    type: 'oauth2',
    flows: {
      authorizationCode: {
        authorizationUrl: 'https://id.example.com/authorize',
        tokenUrl: 'https://id.example.com/token',
        refreshUrl: 'https://id.example.com/refresh',
        scopes: { read: 'r', write: 'w' },
      },
    },
  },
  oidc: { type: 'openIdConnect', openIdConnectUrl: 'https://login.example.com/.well-known/openid-configuration' },
  hawk: { type: 'http', scheme: 'hawk' },
  mutual: { type: 'mutualTLS' },
};

describe('resolveUpstreamAuth', () => {
  test.each<
    [string, { schemes?: Record<string, unknown>; security?: Array<Record<string, string[]>>; section?: AuthSection; want: Partial<UpstreamAuth> | undefined }]
  >([
    ['no schemes, no section: no credentials (a public API)', { schemes: {}, want: undefined }],
    [
      'the first requirement the hub can satisfy',
      {
        security: [{ mutual: [] }, { token: [] }],
        want: { scheme: { type: 'bearer', prefix: 'Bearer' }, source: 'spec securitySchemes.token', appliesTo: 'secured' },
      },
    ],
    [
      'no requirement anywhere: the first declared supported scheme, for every operation',
      { schemes: { mutual: SCHEMES.mutual, basic: SCHEMES.basic }, want: { scheme: { type: 'basic' }, appliesTo: 'all' } },
    ],
    ['apiKey in a header', { security: [{ key: [] }], want: { scheme: { type: 'apiKey', in: 'header', name: 'X-Api-Key' } } }],
    [
      'oauth2 flows become endpoints; scopes are those the requirements ask for',
      {
        security: [{ oauth: ['read'] }],
        want: {
          scheme: {
            type: 'oauth2',
            prefix: 'Bearer',
            oauth: {
              authorizationUrl: 'https://id.example.com/authorize',
              tokenUrl: 'https://id.example.com/token',
              refreshUrl: 'https://id.example.com/refresh',
              scopes: ['read'],
              flows: ['authorizationCode'],
            },
          },
        },
      },
    ],
    [
      'openIdConnect becomes discovery of the issuer',
      {
        security: [{ oidc: [] }],
        want: {
          scheme: {
            type: 'oauth2',
            prefix: 'Bearer',
            oauth: { issuer: 'https://login.example.com', scopes: [], flows: ['authorizationCode', 'clientCredentials', 'deviceCode'] },
          },
        },
      },
    ],
    [
      "the connector file picks another of the spec's schemes",
      {
        security: [{ token: [] }],
        section: { scheme: 'key' },
        want: { scheme: { type: 'apiKey', in: 'header', name: 'X-Api-Key' }, source: 'spec securitySchemes.key' },
      },
    ],
    [
      'the connector file refines the picked scheme',
      { security: [{ key: [] }], section: { in: 'query', name: 'api_key' }, want: { scheme: { type: 'apiKey', in: 'query', name: 'api_key' } } },
    ],
    [
      'the connector file wins over the spec (GitHub: `token` prefix)',
      {
        security: [{ key: [] }],
        section: { type: 'bearer', prefix: 'token' },
        want: { scheme: { type: 'bearer', prefix: 'token' }, source: 'connector file', appliesTo: 'all' },
      },
    ],
    [
      "an issuer in the connector file replaces the spec's endpoints",
      {
        security: [{ oauth: [] }],
        section: { issuer: 'https://auth.example.com' },
        want: { scheme: { type: 'oauth2', prefix: 'Bearer', oauth: { issuer: 'https://auth.example.com', scopes: [], flows: ['authorizationCode'] } } },
      },
    ],
    ['type none turns credentials off', { security: [{ key: [] }], section: { type: 'none' }, want: undefined }],
  ])('%s', (_name, { schemes = SCHEMES, security, section, want }) => {
    const auth = resolveUpstreamAuth('demo', schemes, security, section);
    if (want === undefined) expect(auth).toBeUndefined();
    else expect(auth).toMatchObject(want);
  });

  test.each<[string, { section?: AuthSection; schemes?: Record<string, unknown>; want: string }]>([
    [
      'a scheme name the spec does not declare',
      { section: { scheme: 'nope' }, want: 'auth.scheme "nope" is not one of the spec\'s securitySchemes (key, basic' },
    ],
    ['a scheme name where the spec declares none', { section: { scheme: 'nope' }, schemes: {}, want: 'it declares none; give auth.type instead' }],
    ['an HTTP scheme the hub does not speak', { section: { scheme: 'hawk' }, want: 'uses HTTP scheme "hawk"; the hub supports basic and bearer' }],
    ['a scheme type the hub does not speak', { section: { scheme: 'mutual' }, want: 'has type "mutualTLS"' }],
    ['prefix on basic', { section: { scheme: 'basic', prefix: 'x' }, want: 'do not apply to basic authentication' }],
  ])('refuses %s, naming the connector', (_name, { section, schemes = SCHEMES, want }) => {
    const error = (() => {
      try {
        resolveUpstreamAuth('demo', schemes, [], section);
      } catch (e) {
        return e as { code: string; message: string };
      }
      throw new Error('did not throw');
    })();
    expect(error.code).toBe('HUB_ERR_CRED_SCHEME');
    expect(error.message).toContain('Connector demo');
    expect(error.message).toContain(want);
  });

  it('kinds a scheme accepts: a static token serves OAuth APIs too', () => {
    expect(kindsFor({ type: 'oauth2', prefix: 'Bearer', oauth: { scopes: [], flows: [] } })).toEqual(['oauth2', 'bearer']);
    expect(kindsFor({ type: 'apiKey', in: 'query', name: 'k' })).toEqual(['api_key']);
  });

  it('which operations get credentials', () => {
    const secured = { appliesTo: 'secured' } as UpstreamAuth;
    const all = { appliesTo: 'all' } as UpstreamAuth;
    expect(operationNeedsCredentials(secured, undefined)).toBe(false);
    expect(operationNeedsCredentials(all, undefined)).toBe(true);
    expect(operationNeedsCredentials(all, [])).toBe(false);
    expect(operationNeedsCredentials(secured, [{ token: [] }])).toBe(true);
  });
});

describe('applyCredential', () => {
  const request = { url: 'https://api.example.com/v1/items?page=2', headers: { accept: 'application/json', cookie: 'theme=dark' } };
  test.each<[string, Parameters<typeof applyCredential>[1], CredentialPayload, { url?: string; headers: Record<string, string> }]>([
    [
      'apiKey header',
      { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
      { kind: 'api_key', apiKey: 'k1' },
      { headers: { ...request.headers, 'x-api-key': 'k1' } },
    ],
    [
      'apiKey query (encoded, other parameters kept)',
      { type: 'apiKey', in: 'query', name: 'api_key' },
      { kind: 'api_key', apiKey: 'a b&c' },
      { url: 'https://api.example.com/v1/items?page=2&api_key=a+b%26c', headers: request.headers },
    ],
    [
      "apiKey cookie beside the request's own cookie",
      { type: 'apiKey', in: 'cookie', name: 'sid' },
      { kind: 'api_key', apiKey: 'x;y' },
      { headers: { ...request.headers, cookie: 'theme=dark; sid=x%3By' } },
    ],
    [
      'basic',
      { type: 'basic' },
      { kind: 'basic', username: 'ann', password: 'pässword' },
      { headers: { ...request.headers, authorization: `Basic ${Buffer.from('ann:pässword', 'utf8').toString('base64')}` } },
    ],
    [
      'bearer with a prefix',
      { type: 'bearer', prefix: 'token' },
      { kind: 'bearer', token: 't1' },
      { headers: { ...request.headers, authorization: 'token t1' } },
    ],
    [
      'oauth2 access token',
      { type: 'oauth2', prefix: 'Bearer', oauth: { scopes: [], flows: [] } },
      { kind: 'oauth2', accessToken: 'at', tokenType: 'Bearer' },
      { headers: { ...request.headers, authorization: 'Bearer at' } },
    ],
    [
      'a static token on an OAuth API',
      { type: 'oauth2', prefix: 'Bearer', oauth: { scopes: [], flows: [] } },
      { kind: 'bearer', token: 'pat' },
      { headers: { ...request.headers, authorization: 'Bearer pat' } },
    ],
  ])('%s', (_name, scheme, credential, want) => {
    const frozen = Object.freeze({ ...request, headers: Object.freeze({ ...request.headers }) });
    expect(applyCredential('demo', scheme, credential, frozen)).toEqual({ url: want.url ?? request.url, headers: want.headers });
  });

  it('refuses a connection of the wrong kind', async () => {
    const error = await rejected(Promise.resolve().then(() => applyCredential('demo', { type: 'basic' }, { kind: 'api_key', apiKey: 'k' }, request)));
    expect(error.code).toBe('HUB_ERR_CRED_SCHEME');
  });
});
