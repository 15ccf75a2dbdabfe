/**
 * The `auth` section: its schema and the checks that need more than a schema (which
 * settings fit which `type`). Its type is auth/upstream/schemes.ts's AuthSection.
 */
import { HEADER_NAME } from './limits';
import type { Reasons } from './problems';
import { httpsUrl, nonEmptyString } from './schema-parts';

export const AUTH_SECTION_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  expected: "a mapping: `scheme` (one of the spec's securitySchemes) and/or `type` with its settings",
  properties: {
    scheme: nonEmptyString,
    type: { enum: ['apiKey', 'basic', 'bearer', 'oauth2', 'openIdConnect', 'none'], expected: 'one of apiKey, basic, bearer, oauth2, openIdConnect, none' },
    in: { enum: ['header', 'query', 'cookie'], expected: 'one of header, query, cookie' },
    name: { type: 'string', pattern: HEADER_NAME.source, expected: 'a header, query or cookie name' },
    prefix: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9._~+/-]*$', expected: 'one word such as Bearer or token' },
    authorizationUrl: httpsUrl,
    tokenUrl: httpsUrl,
    refreshUrl: httpsUrl,
    deviceAuthorizationUrl: httpsUrl,
    revocationUrl: httpsUrl,
    issuer: httpsUrl,
    scopes: {
      type: 'array',
      items: { type: 'string', pattern: '^[\\x21\\x23-\\x5b\\x5d-\\x7e]+$', expected: 'a scope (no spaces or quotes)' },
      expected: 'a list of scopes',
    },
  },
};

const AUTH_KEYS_OF: Record<string, readonly string[]> = {
  apiKey: ['in', 'name'],
  basic: [],
  bearer: ['prefix'],
  oauth2: ['prefix', 'authorizationUrl', 'tokenUrl', 'refreshUrl', 'deviceAuthorizationUrl', 'revocationUrl', 'issuer', 'scopes'],
  none: [],
};
AUTH_KEYS_OF.openIdConnect = AUTH_KEYS_OF.oauth2;

/** `type` defines a scheme, `scheme` picks the spec's; settings must fit the type they refine. */
export function checkAuth(auth: Record<string, unknown>, reasons: Reasons): void {
  const type = typeof auth.type === 'string' ? auth.type : undefined;
  if (type !== undefined && auth.scheme !== undefined)
    reasons.add(['auth', 'scheme'], "give either `scheme` (one of the spec's securitySchemes) or `type` (a scheme defined here), not both");
  if (type === 'apiKey') for (const key of ['in', 'name']) if (auth[key] === undefined) reasons.add(['auth'], `type apiKey needs \`${key}\``);
  if ((type === 'oauth2' || type === 'openIdConnect') && auth.issuer === undefined && auth.tokenUrl === undefined) {
    reasons.add(['auth'], `type ${type} needs \`issuer\` (discovery) or \`tokenUrl\``);
  }
  const allowed = type !== undefined ? AUTH_KEYS_OF[type] : undefined;
  if (allowed === undefined) return;
  const known = AUTH_KEYS_OF.oauth2.concat(['in', 'name']);
  for (const key of Object.keys(auth)) {
    // Unknown keys are the schema's to report; this names known keys in the wrong place.
    if (known.includes(key) && !allowed.includes(key)) reasons.add(['auth', key], `does not apply to type ${type}`);
  }
}
