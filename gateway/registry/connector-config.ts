/**
 * `<name>.connector.yaml`: what a user adds beside a spec to refine the connector the
 * hub derives from it (docs/connectors.md). One schema, validated once per load with
 * every problem listed as `key.path: what was expected`, defaults in one frozen object
 * (STYLE.md "Configuration"). Unknown keys are errors so a typo never silently does
 * nothing. Checks that need the spec (does this operation exist?) are load-connector.ts's.
 *
 * Later sections (`rateLimit`, `cache`, `toolsets`) are reserved: each becomes one
 * more entry in SECTIONS, with its type owned by the folder that reads it (`auth` is
 * auth/upstream/schemes.ts's AuthSection).
 */
import { readFile } from 'node:fs/promises';
import type Ajv2020 from 'ajv/dist/2020';
import type { ErrorObject } from 'ajv/dist/2020';
import type { Document } from 'yaml';
import { didYouMean, errors, type HubError } from '../../errors';
import { DEFAULT_GENERATE_OPTIONS } from '../../generators/generate-tools';
import { isValidConnectorId } from '../../generators/names';
import { redactText } from '../../errors';
import type { OutputSchemaMode } from '../../generators/output-schema';
import type { AuthSection } from '../../auth/upstream/schemes';
import { DEFAULT_UPSTREAM_POLICY, type UpstreamPolicy } from '../core';
import { dialectNames } from '../upstream/rate-limit';

export interface ConnectorTimeouts {
  /** Opening the connection (TCP + TLS). */
  connectMs: number;
  /** From sending the request until the response headers arrive. */
  headersMs: number;
  /** The longest pause between two chunks of the response body (undici's bodyTimeout). */
  bodyMs: number;
}

/** Operations or tags picked by name. `include` absent: no restriction from this list. */
export interface Selection {
  include?: readonly string[];
  exclude: readonly string[];
}

export interface ToolOverride {
  /** Without the `<connector>_` prefix, which the hub adds (a name that has it keeps it). */
  name?: string;
  title?: string;
  /** Used as written: not compacted like generated descriptions. */
  description?: string;
}

export interface ConnectorConfig {
  /** Absent: derived from the spec's file name. */
  id?: string;
  /** Absolute http(s) URL without a trailing slash; absent: the spec's first server. */
  baseUrl?: string;
  serverVariables: Readonly<Record<string, string>>;
  /** Lower-case `host[:port]` values allowed besides the base URL's host. */
  allowedHosts: readonly string[];
  timeouts: Readonly<ConnectorTimeouts>;
  maxResponseBytes: number;
  /** Static request headers; lower-case names. */
  headers: Readonly<Record<string, string>>;
  /** Entries are operationIds or `METHOD /path` keys. */
  operations: Readonly<Selection>;
  tags: Readonly<Selection>;
  deprecated: 'include' | 'exclude';
  outputSchema: OutputSchemaMode;
  /** Keyed by operationId or `METHOD /path`. */
  tools: Readonly<Record<string, Readonly<ToolOverride>>>;
  /** How the upstream authenticates; absent: from the spec's securitySchemes. */
  auth?: Readonly<AuthSection>;
  /** Rate limits, retries, caching and the circuit breaker (gateway/upstream/policy.ts). */
  policy: Readonly<UpstreamPolicy>;
}

export const DEFAULT_CONNECTOR_CONFIG: Readonly<ConnectorConfig> = deepFreeze({
  serverVariables: {},
  allowedHosts: [],
  timeouts: {
    connectMs: 10_000, // milliseconds
    headersMs: 30_000, // milliseconds
    bodyMs: 60_000, // milliseconds, between two body chunks
  },
  maxResponseBytes: 1_048_576, // bytes (1 MiB); larger bodies are cut with a notice
  headers: {},
  operations: { exclude: [] },
  tags: { exclude: [] },
  deprecated: 'exclude',
  outputSchema: DEFAULT_GENERATE_OPTIONS.outputSchema,
  tools: {},
  policy: DEFAULT_UPSTREAM_POLICY,
});

/** Sections a later version reads; accepting them now would silently do nothing. */
export const RESERVED_SECTIONS: Readonly<Record<string, string>> = Object.freeze({
  toolsets: 'toolsets',
});

// Above 2^31-1 ms Node fires a timer at once; an hour is already far past any sane wait.
const MAX_TIMEOUT_MS = 3_600_000;
// The cut body is held in memory per call.
const MAX_RESPONSE_BYTES = 268_435_456;
export const TOOL_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HOST_LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const HOST_ENTRY = new RegExp(`^(?:${HOST_LABEL}(?:\\.${HOST_LABEL})*|\\[[0-9a-f:.]+\\])(?::(\\d{1,5}))?$`);

const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie']);
// Framing and hop-by-hop headers belong to the HTTP client; a static value would corrupt requests.
const HUB_HEADERS = new Set(['host', 'content-length', 'content-type', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'expect', 'proxy-connection']);

const timeout = { type: 'integer', minimum: 1, maximum: MAX_TIMEOUT_MS, expected: `a whole number of milliseconds from 1 to ${MAX_TIMEOUT_MS}` };
const nonEmptyString = { type: 'string', minLength: 1, expected: 'a non-empty string' };

function selectionSchema(many: string, one: string): Record<string, unknown> {
  const item = { type: 'string', minLength: 1, expected: one };
  return {
    type: 'object',
    additionalProperties: false,
    expected: 'a mapping with `include` and/or `exclude` lists',
    properties: {
      include: { type: 'array', minItems: 1, items: item, expected: `a non-empty list of ${many} (leave \`include\` out to keep every one)` },
      exclude: { type: 'array', items: item, expected: `a list of ${many}` },
    },
  };
}

/** One schema per top-level key; a new section is one more entry. */
const SECTIONS: Record<string, unknown> = {
  id: { type: 'string', expected: 'a connector id: 1-24 characters of a-z, 0-9 and "-"' },
  baseUrl: { type: 'string', expected: 'an absolute http(s) URL' },
  serverVariables: {
    type: 'object',
    expected: 'a mapping from server variable name to value',
    additionalProperties: { type: 'string', expected: 'a string (quote numbers: "2")' },
  },
  allowedHosts: { type: 'array', items: { type: 'string', expected: 'a host or host:port' }, expected: 'a list of host or host:port entries' },
  timeouts: {
    type: 'object',
    additionalProperties: false,
    expected: 'a mapping with connectMs, headersMs and/or bodyMs',
    properties: { connectMs: timeout, headersMs: timeout, bodyMs: timeout },
  },
  maxResponseBytes: { type: 'integer', minimum: 1, maximum: MAX_RESPONSE_BYTES, expected: `a whole number of bytes from 1 to ${MAX_RESPONSE_BYTES}` },
  headers: {
    type: 'object',
    expected: 'a mapping from header name to value',
    additionalProperties: { type: 'string', expected: 'a string (quote numbers: "2")' },
  },
  operations: selectionSchema('operationIds or "METHOD /path" keys', 'an operationId or "METHOD /path"'),
  tags: selectionSchema('tag names', 'a tag name'),
  deprecated: { enum: ['include', 'exclude'], expected: 'one of include, exclude' },
  outputSchema: { enum: ['shallow', 'full', 'none'], expected: 'one of shallow, full, none' },
  tools: {
    type: 'object',
    expected: 'a mapping from operationId or "METHOD /path" to { name, title, description }',
    additionalProperties: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      expected: 'a mapping with name, title and/or description',
      properties: {
        name: { type: 'string', pattern: TOOL_NAME.source, expected: '1-64 characters of A-Z, a-z, 0-9, "_", "-" and "."' },
        title: nonEmptyString,
        description: nonEmptyString,
      },
    },
  },
};

const httpsUrl = { type: 'string', pattern: '^https?://', expected: 'an absolute http(s) URL' };
SECTIONS.auth = {
  type: 'object',
  additionalProperties: false,
  expected: 'a mapping: `scheme` (one of the spec\'s securitySchemes) and/or `type` with its settings',
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
    scopes: { type: 'array', items: { type: 'string', pattern: '^[\\x21\\x23-\\x5b\\x5d-\\x7e]+$', expected: 'a scope (no spaces or quotes)' }, expected: 'a list of scopes' },
  },
};

// Slower rates would need timers longer than Node's (2^31-1 ms, ~24.8 days), which then fire at once.
const rate = (min: number) => ({ type: 'number', minimum: min, maximum: 1_000_000, expected: `a number of requests from ${min} to 1000000` });
const whole = (what: string, min: number, max: number) => ({ type: 'integer', minimum: min, maximum: max, expected: `a whole number of ${what} from ${min} to ${max}` });
const rates = {
  type: 'object',
  additionalProperties: false,
  expected: 'a mapping with perSecond, perMinute, perHour and/or concurrency',
  properties: { perSecond: rate(0.001), perMinute: rate(0.001), perHour: rate(0.01), concurrency: whole('requests in flight', 1, 10_000) },
};
SECTIONS.rateLimit = {
  type: 'object',
  additionalProperties: false,
  expected: 'a mapping with perConnection, perConnector, perOperation, headers and/or maxWaitMs',
  properties: {
    perConnection: rates,
    perConnector: rates,
    perOperation: { type: 'object', expected: 'a mapping from operationId or "METHOD /path" to rates (perSecond, perMinute, perHour, concurrency)', additionalProperties: rates },
    headers: { enum: dialectNames(), expected: `one of ${dialectNames().join(', ')}` },
    maxWaitMs: whole('milliseconds', 0, MAX_TIMEOUT_MS),
  },
};
SECTIONS.retry = {
  type: 'object',
  additionalProperties: false,
  expected: 'a mapping with attempts, budgetMs, baseDelayMs, maxDelayMs and/or idempotencyHeader',
  properties: {
    attempts: whole('attempts', 1, 10),
    budgetMs: whole('milliseconds', 0, MAX_TIMEOUT_MS),
    baseDelayMs: whole('milliseconds', 1, 60_000),
    maxDelayMs: whole('milliseconds', 1, MAX_TIMEOUT_MS),
    idempotencyHeader: { type: 'string', pattern: HEADER_NAME.source, expected: 'a header name such as Idempotency-Key' },
  },
};
SECTIONS.cache = {
  type: 'object',
  additionalProperties: false,
  expected: 'a mapping with enabled, defaultTtlSeconds, maxTtlSeconds and/or maxEntryBytes',
  properties: {
    enabled: { type: 'boolean', expected: 'true or false' },
    defaultTtlSeconds: whole('seconds', 0, 31_536_000),
    maxTtlSeconds: whole('seconds', 0, 31_536_000),
    maxEntryBytes: whole('bytes', 1, MAX_RESPONSE_BYTES),
  },
};
SECTIONS.circuitBreaker = {
  type: 'object',
  additionalProperties: false,
  expected: 'a mapping with failures and/or coolDownMs',
  properties: { failures: whole('failures', 1, 1000), coolDownMs: whole('milliseconds', 1, MAX_TIMEOUT_MS) },
};

const CONNECTOR_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  expected: 'a mapping of connector settings',
  properties: { ...SECTIONS, ...Object.fromEntries(Object.keys(RESERVED_SECTIONS).map((k) => [k, false])) },
};

let compiled: ReturnType<Ajv2020['compile']> | undefined;

function validator(): ReturnType<Ajv2020['compile']> {
  if (!compiled) {
    // verbose: the failing node's schema (its `expected` text) and value come with each error.
    // Loaded on first use: a hub whose specs have no connector file never pays for ajv.
    const Ajv = (require('ajv/dist/2020') as { default: typeof Ajv2020 }).default;
    const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, logger: false });
    ajv.addKeyword({ keyword: 'expected', schemaType: 'string' });
    compiled = ajv.compile(CONNECTOR_SCHEMA);
  }
  return compiled;
}

/** Reads a connector file; undefined when there is none. */
export async function readConnectorConfig(file: string): Promise<ConnectorConfig | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw connectorError(file, [`cannot be read: ${(cause as Error).message}`], cause);
  }
  return parseConnectorConfig(file, text);
}

/** Parses and validates one connector file; throws one CONFIG_CONNECTOR listing every problem. */
/** yaml is loaded on first use, like ajv above (start-up time of hubs without connector files). */
function yaml(): typeof import('yaml') {
  return require('yaml') as typeof import('yaml');
}

export function parseConnectorConfig(file: string, text: string): ConnectorConfig {
  // Duplicate keys stay errors here (unlike specs): in a hand-written file they are mistakes.
  const { parseDocument } = yaml();
  const doc = parseDocument(text.replace(/^\uFEFF/, ''));
  if (doc.errors.length > 0) {
    throw connectorError(file, doc.errors.map((e) => `${e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}: ` : ''}${e.message.split('\n')[0]}`));
  }
  // An empty file (or only comments) means "all defaults".
  const raw: unknown = doc.toJS() ?? {};
  const reasons = new Reasons(raw);
  const validate = validator();
  if (!validate(raw)) describeSchemaErrors(validate.errors ?? [], reasons);
  checkValues(raw, reasons);
  if (reasons.size > 0) throw connectorError(file, reasons.inFileOrder(doc));
  return resolveConfig(raw as RawConfig);
}

type KeySegments = ReadonlyArray<string | number>;

/** Problems with the keys they are about, so they can be listed in the order of the file. */
class Reasons {
  private readonly items: Array<{ at: KeySegments; text: string }> = [];

  constructor(private readonly root: unknown) {}

  add(at: KeySegments, message: string): void {
    this.items.push({ at, text: `${keyPath(at, this.root)}: ${message}` });
  }

  get size(): number {
    return this.items.length;
  }

  inFileOrder(doc: Document): string[] {
    const offset = (at: KeySegments): number => {
      const node = at.length === 0 ? doc.contents : doc.getIn(at, true);
      return yaml().isNode(node) && node.range ? node.range[0] : Number.MAX_SAFE_INTEGER;
    };
    // Array.prototype.sort is stable: problems of one key keep the order they were found in.
    return this.items
      .map((item) => ({ ...item, offset: offset(item.at) }))
      .sort((a, b) => a.offset - b.offset)
      .map((item) => item.text);
  }
}

/** The one error for a bad connector file; `reasons` are `key.path: what was expected`. */
export function connectorError(file: string, reasons: string[], cause?: unknown): HubError {
  return errors.CONFIG_CONNECTOR([file, reasons.join('; ')], { cause, details: { file, problems: reasons } });
}

type RawConfig = Partial<Omit<ConnectorConfig, 'timeouts' | 'operations' | 'tags' | 'policy'>> & RawPolicy & {
  timeouts?: Partial<ConnectorTimeouts>;
  operations?: Partial<Selection>;
  tags?: Partial<Selection>;
};

function resolveConfig(raw: RawConfig): ConnectorConfig {
  const d = DEFAULT_CONNECTOR_CONFIG;
  const config: ConnectorConfig = {
    ...(raw.id !== undefined ? { id: raw.id } : {}),
    ...(raw.baseUrl !== undefined ? { baseUrl: normaliseBaseUrl(raw.baseUrl) } : {}),
    serverVariables: { ...(raw.serverVariables ?? d.serverVariables) },
    allowedHosts: [...new Set((raw.allowedHosts ?? d.allowedHosts).map((h) => h.toLowerCase()))],
    timeouts: { ...d.timeouts, ...raw.timeouts },
    maxResponseBytes: raw.maxResponseBytes ?? d.maxResponseBytes,
    headers: Object.fromEntries(Object.entries(raw.headers ?? d.headers).map(([k, v]) => [k.toLowerCase(), v])),
    operations: { ...raw.operations, exclude: raw.operations?.exclude ?? [] },
    tags: { ...raw.tags, exclude: raw.tags?.exclude ?? [] },
    deprecated: raw.deprecated ?? d.deprecated,
    outputSchema: raw.outputSchema ?? d.outputSchema,
    tools: { ...raw.tools },
    ...(raw.auth !== undefined ? { auth: { ...raw.auth } } : {}),
    policy: resolvePolicy(raw),
  };
  return deepFreeze(config);
}

type RawPolicy = { [K in keyof UpstreamPolicy]?: Partial<UpstreamPolicy[K]> };

function resolvePolicy(raw: RawPolicy): UpstreamPolicy {
  const d = DEFAULT_UPSTREAM_POLICY;
  const retry = { ...d.retry, ...raw.retry };
  if (retry.idempotencyHeader !== undefined) retry.idempotencyHeader = retry.idempotencyHeader.toLowerCase();
  return {
    rateLimit: {
      ...d.rateLimit,
      ...raw.rateLimit,
      perConnection: { ...raw.rateLimit?.perConnection },
      perConnector: { ...raw.rateLimit?.perConnector },
      // Keys as written (operationIds or `METHOD /path`): load-connector.ts resolves them against the spec.
      perOperation: Object.fromEntries(Object.entries(raw.rateLimit?.perOperation ?? {}).map(([entry, r]) => [entry, { ...r }])),
    },
    retry,
    cache: { ...d.cache, ...raw.cache },
    circuitBreaker: { ...d.circuitBreaker, ...raw.circuitBreaker },
  };
}

function normaliseBaseUrl(url: string): string {
  return new URL(url).href.replace(/\/+$/, '');
}

/**
 * Checks a schema cannot say well. They run on every document, also one with schema
 * errors (so one pass lists everything), and skip any value of the wrong shape.
 */
function checkValues(raw: unknown, reasons: Reasons): void {
  if (!isRecord(raw)) return;
  if (typeof raw.id === 'string' && !isValidConnectorId(raw.id)) {
    reasons.add(['id'], `must be 1-24 characters of a-z, 0-9 and "-", starting and ending with a letter or digit (got ${shown(raw.id)})`);
  }
  const variables = isRecord(raw.serverVariables) ? raw.serverVariables : {};
  if (typeof raw.baseUrl === 'string') {
    const problem = baseUrlProblem(raw.baseUrl);
    if (problem) reasons.add(['baseUrl'], problem);
    if (Object.keys(variables).length > 0) {
      reasons.add(['serverVariables'], "has no effect when baseUrl is set (baseUrl replaces the spec's servers); remove one of them");
    }
  }
  for (const [name, value] of Object.entries(variables)) {
    if (typeof value === 'string' && /[\s{}?#]/.test(value)) {
      reasons.add(['serverVariables', name], `must not contain whitespace, "{", "}", "?" or "#" (got ${shown(value)})`);
    }
  }
  if (Array.isArray(raw.allowedHosts)) {
    raw.allowedHosts.forEach((entry: unknown, i) => {
      const problem = typeof entry === 'string' ? hostEntryProblem(entry) : undefined;
      if (problem) reasons.add(['allowedHosts', i], `${problem} (got ${shown(entry)})`);
    });
  }
  if (isRecord(raw.headers)) checkHeaders(raw.headers, reasons);
  if (isRecord(raw.auth)) checkAuth(raw.auth, reasons);
  for (const section of ['operations', 'tags'] as const) {
    const selection = raw[section];
    if (!isRecord(selection) || !Array.isArray(selection.include) || !Array.isArray(selection.exclude)) continue;
    const include = new Set<unknown>(selection.include);
    selection.exclude.forEach((entry: unknown, i) => {
      if (typeof entry === 'string' && include.has(entry)) reasons.add([section, 'exclude', i], `${shown(entry)} is also in ${section}.include; keep it in one list`);
    });
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function baseUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `must be an absolute http(s) URL such as https://api.example.com (got ${shown(redactText(value))})`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `must use http or https (got ${shown(`${url.protocol}//${url.host}`)})`;
  if (url.username !== '' || url.password !== '') return 'must not carry a user name or password; the `auth` section says how the API authenticates, and connections hold the secrets';
  // A query is where keys hide: it is named, never shown (this message reaches logs and /healthz).
  if (url.search !== '' || url.hash !== '') return `must not have a query or fragment: operation paths are appended to it (got ${shown(`${url.origin}${url.pathname}`)} with a query or fragment)`;
  let path: string;
  try {
    path = decodeURI(url.pathname);
  } catch {
    return `has malformed percent-encoding in its path (got ${shown(`${url.origin}${url.pathname}`)})`;
  }
  if (/[{}]/.test(path)) return `is used as written: it has no server variables (got ${shown(value)})`;
  return undefined;
}

function hostEntryProblem(entry: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(entry)) return 'must be a host or host:port, not a URL';
  if (entry.includes('*')) return 'wildcards are not supported; list each host';
  const match = HOST_ENTRY.exec(entry.toLowerCase());
  if (!match) return 'must be a host name, IPv4 address or [IPv6] address, optionally with :port';
  if (match[1] !== undefined && (Number(match[1]) < 1 || Number(match[1]) > 65535)) return 'port must be from 1 to 65535';
  return undefined;
}

const AUTH_KEYS_OF: Record<string, readonly string[]> = {
  apiKey: ['in', 'name'],
  basic: [],
  bearer: ['prefix'],
  oauth2: ['prefix', 'authorizationUrl', 'tokenUrl', 'refreshUrl', 'deviceAuthorizationUrl', 'revocationUrl', 'issuer', 'scopes'],
  none: [],
};
AUTH_KEYS_OF.openIdConnect = AUTH_KEYS_OF.oauth2;

/** `type` defines a scheme, `scheme` picks the spec's; settings must fit the type they refine. */
function checkAuth(auth: Record<string, unknown>, reasons: Reasons): void {
  const type = typeof auth.type === 'string' ? auth.type : undefined;
  if (type !== undefined && auth.scheme !== undefined) reasons.add(['auth', 'scheme'], 'give either `scheme` (one of the spec\'s securitySchemes) or `type` (a scheme defined here), not both');
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

function checkHeaders(headers: Record<string, unknown>, reasons: Reasons): void {
  const seen = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    const at = ['headers', name];
    const lower = name.toLowerCase();
    if (!HEADER_NAME.test(name)) reasons.add(at, "is not a valid header name (letters, digits and !#$%&'*+.^_`|~-)");
    else if (CREDENTIAL_HEADERS.has(lower)) reasons.add(at, "credentials do not belong in static headers (they would reach every tenant); the connector file's `auth` section says how the API authenticates, and connections hold the secrets");
    else if (HUB_HEADERS.has(lower)) reasons.add(at, 'is set by the hub for each request and cannot be fixed here');
    if (typeof value === 'string' && /[\r\n\0]/.test(value)) reasons.add(at, 'must not contain line breaks (CR/LF) or NUL characters');
    // A header carries Latin-1 only; anything else would fail every call of the connector.
    else if (typeof value === 'string' && /[^\t\x20-\x7e\x80-\xff]/.test(value)) reasons.add(at, 'must be Latin-1 text (HTTP header values cannot carry other characters or controls)');
    const earlier = seen.get(lower);
    if (earlier !== undefined) reasons.add(at, `repeats ${keyPath(['headers', earlier])} (header names ignore case)`);
    seen.set(lower, name);
  }
}

function describeSchemaErrors(list: readonly ErrorObject[], reasons: Reasons): void {
  const described = new Set<string>();
  for (const error of list) {
    const segments = error.instancePath === '' ? [] : error.instancePath.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (error.keyword === 'additionalProperties') {
      const key = (error.params as { additionalProperty: string }).additionalProperty;
      const known = Object.keys((error.parentSchema as { properties?: Record<string, unknown> }).properties ?? {});
      const suggestion = didYouMean(key, known);
      reasons.add([...segments, key], `unknown key${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`);
      continue;
    }
    // One message per key: a wrong type also fails the keywords after it.
    if (described.has(error.instancePath)) continue;
    described.add(error.instancePath);
    if (error.keyword === 'false schema' && segments.length === 1 && segments[0] in RESERVED_SECTIONS) {
      reasons.add(segments, `not yet supported; a later version of the hub reads ${RESERVED_SECTIONS[segments[0]]} from this section`);
      continue;
    }
    const expected = (error.parentSchema as { expected?: string } | undefined)?.expected;
    // A header value may be a key left unquoted (YAML reads 0x1f2e as a number): never echo it.
    const got = segments[0] === 'headers' ? `a ${Array.isArray(error.data) ? 'list' : error.data === null ? 'null' : typeof error.data}` : shown(error.data);
    reasons.add(segments, expected ? `must be ${expected} (got ${got})` : error.message ?? 'is invalid');
  }
}

/** `timeouts.connectMs`, `operations.include[2]`, `tools["GET /pets"].name`. */
export function keyPath(segments: ReadonlyArray<string | number>, root?: unknown): string {
  if (segments.length === 0) return '(top level)';
  let out = '';
  let node = root;
  for (const segment of segments) {
    const index = typeof segment === 'number' ? segment : Array.isArray(node) && /^\d+$/.test(segment) ? Number(segment) : undefined;
    if (index !== undefined) out += `[${index}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(String(segment))) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
    node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[String(segment)] : undefined;
  }
  return out;
}

export function shown(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 56)}..."` : text;
}

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
