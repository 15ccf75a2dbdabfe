/**
 * Every setting of the hub in one table: its dotted key (as written in a config file),
 * its environment variable, its flag, its default and its documentation line
 * (docs/configuration.md is checked against this table by a test).
 *
 * A typed table rather than a JSON Schema: each row also says where the value comes from
 * (variable, flag) and how a string from the environment becomes a value, which JSON
 * Schema has no words for; and the `Settings` type below is checked against the rows,
 * so a key cannot be added to one and forgotten in the other.
 */
import type { StoreSettings } from '../../store';
import type { MasterKeySettings } from '../../auth';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const PROGRESS_MODES = ['auto', 'on', 'off'] as const;

/** The settings as the code receives them: complete (defaults filled), validated, deep-frozen. */
export interface Settings {
  server: {
    port: number;
    host: string;
    publicUrl?: string;
    pageSize: number;
    stateless: boolean;
    /** 0: one per core. */
    workers: number;
    /** The admission gate (gateway/http/admission.ts): requests in flight per process, always and while its event loop is saturated. */
    maxInFlight: number;
    maxInFlightBusy: number;
    allowedHosts?: readonly string[];
  };
  specs: { dir: string; generated?: string };
  connectors: { dir?: string; enabled?: readonly string[] };
  data: { dir: string };
  store: StoreSettings;
  redis: { url?: string };
  secrets: MasterKeySettings;
  /** MCP protocol behaviour shared by every transport: the keys that sign 2026-07-28 requestState (`kid:base64key`, newest first), when a long call becomes a task. */
  mcp: { stateKeys?: readonly string[]; taskAfterMs: number; tools: 'all' | 'dynamic' };
  log: { level?: (typeof LOG_LEVELS)[number] };
  auth: {
    open: boolean;
    jwt: { issuer?: string; audience?: string; tenantClaim: string; toolsetsClaim: string; readOnlyScope: string; defaultTenant?: string };
  };
  stdio: { tenant: string };
  admin: { password?: string };
  cli: { progress: (typeof PROGRESS_MODES)[number]; ci: boolean; debug: boolean };
}

/** `server.port`, `auth.jwt.issuer`...: the dotted path of every leaf of Settings. */
type DottedKeys<T, P extends string = ''> = {
  [K in keyof T & string]-?: NonNullable<T[K]> extends readonly unknown[]
    ? `${P}${K}`
    : NonNullable<T[K]> extends object
      ? DottedKeys<NonNullable<T[K]>, `${P}${K}.`>
      : `${P}${K}`;
}[keyof T & string];

export type SettingKey = DottedKeys<Settings>;

export type SettingType =
  | { kind: 'string'; pattern?: RegExp; expected?: string }
  | { kind: 'path' }
  | { kind: 'integer'; min: number; max: number }
  | { kind: 'boolean' }
  | { kind: 'enum'; values: readonly string[]; aliases?: Record<string, string> }
  | { kind: 'url'; schemes: readonly string[]; example: string }
  | { kind: 'list' };

export interface SettingRow {
  type: SettingType;
  /** The environment variable; part of the contract (README and docs name them). */
  env: string;
  /** The long flag of the commands that take it (without `--`). */
  flag?: string;
  default?: string | number | boolean;
  /** Shown as `[redacted]` by `config show`; URLs keep all but their password. */
  secret?: boolean;
  doc: string;
}

const SECRET = true;

export const SETTINGS: Record<SettingKey, SettingRow> = {
  'server.port': { type: { kind: 'integer', min: 0, max: 65535 }, env: 'PORT', flag: 'port', default: 8787, doc: 'TCP port of `serve` (0: any free port).' },
  'server.host': {
    type: { kind: 'string' },
    env: 'LUNAR_HOST',
    flag: 'host',
    default: '127.0.0.1',
    doc: 'Address `serve` listens on; `0.0.0.0` for every interface (then set `server.allowedHosts`).',
  },
  'server.publicUrl': {
    type: { kind: 'url', schemes: ['http:', 'https:'], example: 'https://hub.example.com' },
    env: 'LUNAR_PUBLIC_URL',
    flag: 'public-url',
    doc: 'The URL clients use to reach the hub (OAuth metadata, redirects); default: the address listened on.',
  },
  'server.pageSize': {
    type: { kind: 'integer', min: 1, max: 100_000 },
    env: 'LUNAR_PAGE_SIZE',
    flag: 'page-size',
    default: 500,
    doc: 'Tools per `tools/list` page (also for `stdio`).',
  },
  'server.stateless': {
    type: { kind: 'boolean' },
    env: 'LUNAR_STATELESS',
    flag: 'stateless',
    default: false,
    doc: 'Streamable HTTP without sessions: every POST stands alone (for several nodes behind a load balancer).',
  },
  'server.workers': {
    type: { kind: 'integer', min: 0, max: 256 },
    env: 'LUNAR_WORKERS',
    flag: 'workers',
    default: 0,
    doc: 'Processes `serve` runs behind its one port; 0: one per core (`os.availableParallelism()`). They share the store, quotas, limits and sessions.',
  },
  'server.maxInFlight': {
    type: { kind: 'integer', min: 1, max: 1_000_000 },
    env: 'LUNAR_MAX_IN_FLIGHT',
    default: 512,
    doc: 'Requests to `/mcp` one hub process serves at once; more are refused at once with HTTP 503, `Retry-After` and `HUB_ERR_OVERLOADED` (subscription streams do not count). Per worker.',
  },
  'server.maxInFlightBusy': {
    type: { kind: 'integer', min: 1, max: 1_000_000 },
    env: 'LUNAR_MAX_IN_FLIGHT_BUSY',
    default: 16,
    doc: "The same limit while a process's event loop is saturated (busy 90% of the last 50 ms): CPU-bound calls queue for the CPU, so taking more only makes every call slower.",
  },
  'server.allowedHosts': {
    type: { kind: 'list' },
    env: 'LUNAR_ALLOWED_HOSTS',
    flag: 'allowed-hosts',
    doc: '`Host` header values `/mcp` accepts besides the listening address (DNS-rebinding protection); comma-separated in the variable and flag.',
  },
  'specs.dir': {
    type: { kind: 'path' },
    env: 'LUNAR_SPECS_DIR',
    flag: 'specs',
    default: 'specs',
    doc: 'Folder of OpenAPI specs (and `<name>.connector.yaml` files), watched while serving.',
  },
  'specs.generated': {
    type: { kind: 'path' },
    env: 'LUNAR_GENERATED_DIR',
    flag: 'generated',
    doc: 'Folder written by `lunar-hub generate --out`: start from its artefacts where they are fresh.',
  },
  'connectors.dir': {
    type: { kind: 'path' },
    env: 'LUNAR_CONNECTORS_DIR',
    doc: 'Folder of built-in connectors, one `<id>/connector.yaml` each (default: the `connectors/` folder the hub ships).',
  },
  'connectors.enabled': {
    type: { kind: 'list' },
    env: 'LUNAR_CONNECTORS',
    flag: 'connectors',
    doc: 'Built-in connectors to serve, by id (comma-separated in the variable and flag); none by default.',
  },
  'data.dir': {
    type: { kind: 'path' },
    env: 'LUNAR_DATA_DIR',
    flag: 'data',
    default: 'data',
    doc: 'Data folder: the SQLite store (`hub.sqlite`) and the master key file (`master.key`), created 0700.',
  },
  'store.url': {
    type: { kind: 'url', schemes: ['postgres:', 'postgresql:'], example: 'postgres://hub@127.0.0.1:5432/hub' },
    env: 'LUNAR_DATABASE_URL',
    secret: SECRET,
    doc: 'PostgreSQL for the durable state (several nodes); unset: SQLite under `data.dir`.',
  },
  'store.schema': {
    type: { kind: 'string', pattern: /^[a-z_][a-z0-9_]{0,62}$/, expected: 'a schema name (lower-case letters, digits and _, at most 63)' },
    env: 'LUNAR_DATABASE_SCHEMA',
    doc: "PostgreSQL schema for the hub's tables (created if missing); only with `store.url`.",
  },
  'redis.url': {
    type: { kind: 'url', schemes: ['redis:', 'rediss:'], example: 'redis://127.0.0.1:6379' },
    env: 'LUNAR_REDIS_URL',
    secret: SECRET,
    doc: 'Redis shared by gateway nodes for the upstream cache, rate limits and quotas; unset: in process.',
  },
  'secrets.masterKey': {
    type: { kind: 'string' },
    env: 'LUNAR_MASTER_KEY',
    secret: SECRET,
    doc: 'Master key sealing stored secrets: 32 bytes as base64 or 64 hex digits (`openssl rand -base64 32`); unset: `<data.dir>/master.key`, generated on first use.',
  },
  'secrets.newMasterKey': {
    type: { kind: 'string' },
    env: 'LUNAR_NEW_MASTER_KEY',
    secret: SECRET,
    doc: 'The key `lunar-hub rotate-key` re-seals to when `secrets.masterKey` is set; also opens values while a rotation is under way.',
  },
  'mcp.stateKeys': {
    type: { kind: 'list' },
    env: 'LUNAR_STATE_KEYS',
    secret: SECRET,
    doc: 'Keys signing 2026-07-28 `requestState` and connect links: `kid:base64key` entries (each key at least 32 bytes), newest first; the first signs, all verify (rotation: add the new key first, drop the old one after 10 minutes). Unset: one key derived from the master key, so nodes sharing it agree.',
  },
  'mcp.tools': {
    type: { kind: 'enum', values: ['all', 'dynamic'] },
    env: 'LUNAR_TOOLS',
    flag: 'tools',
    default: 'all',
    doc: 'What `tools/list` holds when a session does not say (`?tools=all` or `?tools=dynamic`): `all`, the tools of its view (each connector\'s default set unless toolsets are asked for); `dynamic`, three meta-tools (search_tools, describe_tool, call_tool) that reach every tool the caller may use (docs/gateway.md "Dynamic discovery").',
  },
  'mcp.taskAfterMs': {
    type: { kind: 'integer', min: 0, max: 3_600_000 },
    env: 'LUNAR_TASK_AFTER_MS',
    default: 2000,
    doc: 'Milliseconds a `tools/call` may run before the hub answers a client that declared the tasks extension with a task to poll (`tasks/get`) instead; the call goes on (docs/protocol.md).',
  },
  'log.level': {
    type: { kind: 'enum', values: LOG_LEVELS },
    env: 'LOG_LEVEL',
    flag: 'log-level',
    doc: 'Level of the JSON logs on stderr; default `info` (`warn` for `stdio`).',
  },
  'auth.open': {
    type: { kind: 'boolean' },
    env: 'LUNAR_NO_AUTH',
    flag: 'no-auth',
    default: false,
    doc: '`serve` accepts every `/mcp` request as the default tenant, without keys: only for a hub on a machine only you use.',
  },
  'auth.jwt.issuer': {
    type: { kind: 'url', schemes: ['http:', 'https:'], example: 'https://login.example.com' },
    env: 'LUNAR_JWT_ISSUER',
    flag: 'jwt-issuer',
    doc: 'Authorisation server whose JWT access tokens `/mcp` accepts (OpenID Connect / RFC 8414 discovery); unset: hub API keys only.',
  },
  'auth.jwt.audience': {
    type: { kind: 'string' },
    env: 'LUNAR_JWT_AUDIENCE',
    flag: 'jwt-audience',
    doc: "The `aud` tokens must carry; default: the hub's `/mcp` URL.",
  },
  'auth.jwt.tenantClaim': { type: { kind: 'string' }, env: 'LUNAR_JWT_TENANT_CLAIM', default: 'tenant', doc: "Claim naming the token's tenant." },
  'auth.jwt.toolsetsClaim': {
    type: { kind: 'string' },
    env: 'LUNAR_JWT_TOOLSETS_CLAIM',
    default: 'toolsets',
    doc: 'Claim listing the toolsets the token may use (array or space-separated).',
  },
  'auth.jwt.readOnlyScope': {
    type: { kind: 'string' },
    env: 'LUNAR_JWT_READONLY_SCOPE',
    default: 'hub:read-only',
    doc: 'A token whose `scope` has this sees read-only tools only.',
  },
  'auth.jwt.defaultTenant': {
    type: { kind: 'string' },
    env: 'LUNAR_JWT_DEFAULT_TENANT',
    doc: 'Tenant for tokens without the tenant claim (a hub with one tenant); unset: such tokens are refused.',
  },
  'stdio.tenant': {
    type: { kind: 'string' },
    env: 'LUNAR_TENANT',
    flag: 'tenant',
    default: 'default',
    doc: 'Tenant `stdio` acts as (the `default` tenant is created on first use).',
  },
  'admin.password': {
    type: { kind: 'string' },
    env: 'LUNAR_ADMIN_PASSWORD',
    secret: SECRET,
    doc: 'Password for `lunar-hub admins add` (or `--password-stdin`); better in the environment than in a file.',
  },
  'cli.progress': {
    type: { kind: 'enum', values: PROGRESS_MODES, aliases: { '1': 'on', '0': 'off', true: 'on', false: 'off' } },
    env: 'LUNAR_PROGRESS',
    default: 'auto',
    doc: 'Progress bars of long commands on stderr: `auto` (on a terminal, not in CI), `on` (`1`: plain lines) or `off` (`0`).',
  },
  'cli.ci': { type: { kind: 'boolean' }, env: 'CI', default: false, doc: 'Set by CI systems: no progress bars.' },
  'cli.debug': { type: { kind: 'boolean' }, env: 'LUNAR_DEBUG', default: false, doc: 'Print the stack of an internal error (`HUB_ERR_INTERNAL`).' },
};

export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];

/** The variable naming the config file (the `--config` flag wins over it). */
export const CONFIG_FILE_ENV = 'LUNAR_CONFIG';
