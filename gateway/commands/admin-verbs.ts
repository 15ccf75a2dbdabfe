/**
 * The admin verbs of `lunar-hub` (tenants, keys, connections, oauth-apps, admins,
 * audit, rotate-key): the same AdminOperations as the REST API, acting as the local
 * CLI (hub-wide; whoever can read the data dir owns the hub anyway). Secrets never go
 * on the command line, where `ps` and shell history would keep them: they come from
 * an environment variable named by a flag, or from standard input.
 *
 * Over 400 lines on purpose: one usage table and one small parser per verb group, each a
 * thin call into AdminOperations; split per group when a group grows logic of its own.
 */
import { readFileSync } from 'node:fs';
import { oauthEndpoints } from '../../auth';
import type { Registry } from '../registry/registry';
import { loadAllConnectors } from './all-connectors';
import { parseArgs } from 'node:util';
import { AdminOperations, CLI_ACTOR } from '../../admin';
import type { ConnectionKind } from '../../store';
import { errors } from '../../errors';
import type { HubServices } from '../services';
import { CONFIG_FLAG, settingsOf } from './settings';
import type { Settings } from '../config';
import { writeLine, type CommandIO } from './io';
import { adminUsage } from './usage';

const COMMON = { ...CONFIG_FLAG, data: { type: 'string' }, json: { type: 'boolean', default: false }, tenant: { type: 'string' } } as const;

/** Only `--data` and `--config` of the admin verbs are settings: `--tenant` names the tenant acted on, not stdio's. */
function adminSettings(io: CommandIO, values: { data?: string; config?: string; specs?: string }): Settings {
  return settingsOf(io, { data: values.data, config: values.config, specs: values.specs });
}

async function withOperations<T>(
  values: { data?: string; config?: string; specs?: string },
  io: CommandIO,
  work: (ops: AdminOperations, services: HubServices, registry: Registry | undefined, settings: Settings) => Promise<T>,
  options: { registry?: boolean } = {},
): Promise<T> {
  const settings = adminSettings(io, values);
  // OAuth verbs need the connectors' endpoints: the specs folder is read only for those.
  const registry = values.specs !== undefined || options.registry ? (await loadAllConnectors(settings)).registry : undefined;
  const endpointsOf = (id: string) => oauthEndpoints(registry?.current.connectors.get(id)?.runtime.auth?.scheme);
  // Loaded here: every `lunar-hub` command imports this file, and the store and OAuth modules are heavy.
  const { openServices } = require('../services') as typeof import('../services');
  const services = await openServices({ dataDir: settings.data.dir, settings, endpointsOf });
  try {
    return await work(new AdminOperations(services.store, services.box, services.oauth, registry), services, registry, settings);
  } finally {
    await services.close();
  }
}

function print(io: CommandIO, json: boolean | undefined, value: unknown, text: () => string): void {
  writeLine(io.stdout, json ? JSON.stringify(value, null, 2) : text());
}

function readSecret(io: CommandIO, values: { 'secret-env'?: string; 'secret-stdin'?: boolean }, what: string): string {
  if (values['secret-env']) {
    const value = io.env[values['secret-env']];
    if (!value) throw errors.CONFIG_USAGE([`--secret-env ${values['secret-env']}: that environment variable is empty or unset`]);
    return value;
  }
  if (values['secret-stdin']) return readFileSync(0, 'utf8').replace(/\r?\n$/, '');
  throw errors.CONFIG_USAGE([`${what}: give the secret with --secret-env VAR or --secret-stdin (never on the command line)`]);
}

function usage(verb: string): never {
  throw errors.CONFIG_USAGE([
    `usage:\n  ${adminUsage
      .split('\n  ')
      .filter((l) => l.startsWith(`lunar-hub ${verb}`))
      .join('\n  ')}`,
  ]);
}

export async function runTenants(argv: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { ...COMMON, 'calls-per-minute': { type: 'string' } }, allowPositionals: true });
  const [action, name] = positionals;
  return withOperations(values, io, async (ops) => {
    if (action === 'add' && name) {
      const tenant = await ops.createTenant(CLI_ACTOR, name);
      print(io, values.json, tenant, () => `tenant ${tenant.name} created (${tenant.id})`);
    } else if (action === 'quota' && name && values['calls-per-minute'] !== undefined) {
      const tenant = await ops.setTenantQuota(CLI_ACTOR, name, quotaOf(values['calls-per-minute']));
      print(
        io,
        values.json,
        tenant,
        () => `tenant ${tenant.name}: ${tenant.callsPerMinute === null ? 'no quota' : `${tenant.callsPerMinute} calls per minute`}`,
      );
    } else if (action === 'list') {
      const tenants = await ops.listTenants(CLI_ACTOR);
      print(io, values.json, tenants, () => tenants.map((t) => `${t.name}\t${t.id}\t${t.createdAt}`).join('\n') || '(no tenants)');
    } else usage('tenants');
    return 0;
  });
}

export async function runAdmins(argv: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { ...COMMON, 'password-stdin': { type: 'boolean', default: false } },
    allowPositionals: true,
  });
  const [action, username] = positionals;
  if (action !== 'add' || !username) usage('admins');
  const password = values['password-stdin'] ? readFileSync(0, 'utf8').replace(/\r?\n$/, '') : adminSettings(io, values).admin.password;
  if (!password) throw errors.CONFIG_USAGE(['admins add: give the password in LUNAR_ADMIN_PASSWORD or on standard input with --password-stdin']);
  return withOperations(values, io, async (ops) => {
    const admin = await ops.createAdmin(CLI_ACTOR, { username, password, ...(values.tenant ? { tenant: values.tenant } : {}) });
    print(io, values.json, admin, () => `admin ${admin.username} created (${admin.tenantId === null ? 'hub-wide' : `tenant ${values.tenant}`})`);
    return 0;
  });
}

export async function runKeys(argv: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      ...COMMON,
      name: { type: 'string' },
      user: { type: 'string' },
      toolsets: { type: 'string' },
      'read-only': { type: 'boolean', default: false },
      expires: { type: 'string' },
      'calls-per-minute': { type: 'string' },
    },
    allowPositionals: true,
  });
  const [action, id] = positionals;
  return withOperations(values, io, async (ops) => {
    if (action === 'create') {
      const { key, record } = await ops.issueKey(CLI_ACTOR, {
        tenant: values.tenant,
        name: values.name ?? '',
        user: values.user ?? null,
        toolsets: values.toolsets
          ?.split(',')
          .map((t) => t.trim())
          .filter(Boolean),
        readOnly: values['read-only'],
        expiresAt: values.expires ?? null,
        callsPerMinute: values['calls-per-minute'] !== undefined ? quotaOf(values['calls-per-minute']) : null,
      });
      print(
        io,
        values.json,
        { key, id: record.id, prefix: record.prefix },
        () => `${key}\n(key ${record.id} for tenant ${values.tenant}; shown once, store it now)`,
      );
    } else if (action === 'list') {
      const keys = await ops.listKeys(CLI_ACTOR, values.tenant);
      print(
        io,
        values.json,
        keys,
        () =>
          keys
            .map(
              (k) =>
                `${k.id}\t${k.prefix}…\t${k.name}\t${k.revokedAt ? 'revoked' : k.expiresAt && Date.parse(k.expiresAt) < Date.now() ? 'expired' : 'active'}${k.readOnly ? '\tread-only' : ''}${k.toolsets.length ? `\t${k.toolsets.join(',')}` : ''}`,
            )
            .join('\n') || '(no keys)',
      );
    } else if (action === 'revoke' && id) {
      const key = await ops.revokeKey(CLI_ACTOR, id, values.tenant);
      print(io, values.json, key, () => `key ${key.id} (${key.prefix}…) revoked`);
    } else usage('keys');
    return 0;
  });
}

export async function runConnections(argv: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      ...COMMON,
      connector: { type: 'string' },
      kind: { type: 'string' },
      user: { type: 'string' },
      username: { type: 'string' },
      shared: { type: 'boolean', default: false },
      off: { type: 'boolean', default: false },
      label: { type: 'string' },
      'secret-env': { type: 'string' },
      'secret-stdin': { type: 'boolean', default: false },
      specs: { type: 'string' },
      device: { type: 'boolean', default: false },
      'client-credentials': { type: 'boolean', default: false },
    },
    allowPositionals: true,
  });
  const [action, id] = positionals;
  // `add` too: a connection is checked against the connector it is for (its secret must be one the connector sends).
  const needsRegistry = action === 'add' || action === 'connect' || action === 'reconnect' || action === 'test';
  return withOperations(
    values,
    io,
    async (ops, services, registry) => {
      if (action === 'add') {
        const kind = values.kind as ConnectionKind;
        const secret = readSecret(io, values, 'connections add');
        const credential =
          kind === 'api_key'
            ? { apiKey: secret }
            : kind === 'basic'
              ? { username: values.username, password: secret }
              : kind === 'bearer'
                ? { token: secret }
                : { accessToken: secret };
        const connection = await ops.addConnection(CLI_ACTOR, {
          tenant: values.tenant,
          connector: values.connector ?? '',
          user: values.user ?? null,
          kind,
          credential,
          shared: values.shared,
          ...(values.label ? { label: values.label } : {}),
        });
        print(
          io,
          values.json,
          connection,
          () =>
            `connection ${connection.id} (${connection.kind}) to ${connection.connectorId} created${connection.shared ? ", shared with the tenant's users" : ''}`,
        );
      } else if (action === 'list') {
        const list = await ops.listConnections(CLI_ACTOR, values.tenant, values.connector);
        print(
          io,
          values.json,
          list,
          () =>
            list
              .map((c) => `${c.id}\t${c.connectorId}\t${c.kind}\t${c.status}\t${c.userId ? `user:${c.userId}` : c.shared ? 'tenant (shared)' : 'tenant'}`)
              .join('\n') || '(no connections)',
        );
      } else if (action === 'revoke' && id) {
        const connection = await ops.revokeConnection(CLI_ACTOR, id, values.tenant);
        print(io, values.json, connection, () => `connection ${connection.id} revoked`);
      } else if (action === 'connect') {
        const tenant = await ops.tenant(CLI_ACTOR, values.tenant);
        const who = { tenantId: tenant.id, connectorId: values.connector ?? '', userId: values.user ?? null };
        if (values.device) {
          const device = await services.oauth.startDevice(who);
          writeLine(
            io.stderr,
            `Open ${device.verificationUriComplete ?? device.verificationUri} and enter the code ${device.userCode} (valid until ${device.expiresAt}); waiting...`,
          );
          const connection = await services.oauth.finishDevice(who, device, (ms) => new Promise((r) => setTimeout(r, ms)));
          await ops.audit(CLI_ACTOR, tenant.id, 'connection.create', {
            connectorId: connection.connectorId,
            connectionId: connection.id,
            detail: 'oauth2 device authorization',
          });
          print(io, values.json, { id: connection.id, status: connection.status }, () => `connection ${connection.id} to ${connection.connectorId} is ready`);
        } else {
          const made = await ops.connectOAuth(CLI_ACTOR, {
            tenant: tenant.name,
            connector: who.connectorId,
            user: who.userId,
            flow: values['client-credentials'] ? 'client_credentials' : 'authorization_code',
          });
          print(io, values.json, made, () =>
            'authorizationUrl' in made
              ? `Open this URL to authorise (it works once, until ${made.expiresAt}); the hub serving the OAuth app's redirect URI finishes the connection:\n${made.authorizationUrl}`
              : `connection ${made.id} to ${made.connectorId} is ready`,
          );
        }
      } else if (action === 'reconnect' && id) {
        const started = await ops.reconnect(CLI_ACTOR, id, values.tenant);
        print(io, values.json, started, () => `Open this URL to reconnect ${id} (it works once, until ${started.expiresAt}):\n${started.authorizationUrl}`);
      } else if (action === 'test' && id) {
        const { testConnection } = require('../connection-test') as typeof import('../connection-test');
        const { createLogger } = require('../logger') as typeof import('../logger');
        const connection = await ops.connection(CLI_ACTOR, id, values.tenant);
        const report = await testConnection(services, registry!, createLogger('error'), connection);
        await ops.audit(CLI_ACTOR, connection.tenantId, 'connection.test', {
          connectorId: connection.connectorId,
          connectionId: id,
          outcome: report.ok ? 'ok' : 'error',
          detail: report.status !== undefined ? `upstream ${report.status}` : undefined,
        });
        print(io, values.json, report, () => `${report.ok ? 'ok' : 'FAILED'}: ${report.detail}`);
        return report.ok ? 0 : 1;
      } else if (action === 'share' && id) {
        const connection = await ops.shareConnection(CLI_ACTOR, id, !values.off, values.tenant);
        print(
          io,
          values.json,
          connection,
          () => `connection ${connection.id} ${connection.shared ? 'shared with' : 'no longer shared with'} the tenant's users`,
        );
      } else usage('connections');
      return 0;
    },
    { registry: needsRegistry },
  );
}

export async function runOAuthApps(argv: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      ...COMMON,
      connector: { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret-env': { type: 'string' },
      'redirect-uri': { type: 'string' },
      scopes: { type: 'string' },
    },
    allowPositionals: true,
  });
  if (positionals[0] !== 'add') usage('oauth-apps');
  const secretVar = values['client-secret-env'];
  if (secretVar && !io.env[secretVar]) throw errors.CONFIG_USAGE([`--client-secret-env ${secretVar}: that environment variable is empty or unset`]);
  return withOperations(values, io, async (ops) => {
    const app = await ops.registerOAuthApp(CLI_ACTOR, {
      tenant: values.tenant,
      connector: values.connector ?? '',
      clientId: values['client-id'] ?? '',
      ...(secretVar ? { clientSecret: io.env[secretVar] } : {}),
      scopes: values.scopes
        ?.split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      redirectUri: values['redirect-uri'] ?? '',
    });
    print(io, values.json, app, () => `OAuth app ${app.clientId} registered for ${app.connectorId}`);
    return 0;
  });
}

export async function runAudit(argv: string[], io: CommandIO): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...COMMON,
      agent: { type: 'string' },
      tool: { type: 'string' },
      action: { type: 'string' },
      since: { type: 'string' },
      limit: { type: 'string' },
    },
  });
  return withOperations(values, io, async (ops) => {
    const entries = await ops.queryAudit(CLI_ACTOR, {
      ...(values.tenant ? { tenant: values.tenant } : {}),
      ...(values.agent ? { actorId: values.agent } : {}),
      ...(values.tool ? { tool: values.tool } : {}),
      ...(values.action ? { action: values.action } : {}),
      ...(values.since ? { since: isoTime(values.since) } : {}),
      ...(values.limit ? { limit: Number(values.limit) } : {}),
    });
    print(
      io,
      values.json,
      entries,
      () =>
        entries
          .map((e) =>
            [
              e.at,
              e.action,
              e.actorKind + ':' + (e.actorId ?? '-'),
              e.tool ?? '',
              e.connectionId ? `${e.connectionId} (${e.credentialOwner ?? '-'})` : '',
              e.upstreamStatus ?? '',
              e.outcome,
              e.detail ?? '',
            ].join('\t'),
          )
          .join('\n') || '(no entries)',
    );
    return 0;
  });
}

/** `--calls-per-minute 600` or `none`; anything else is named (the operations check the range). */
function quotaOf(value: string): number | null {
  if (value === 'none') return null;
  if (!/^\d+$/.test(value)) throw errors.CONFIG_USAGE([`--calls-per-minute must be a whole number or "none" (got "${value}")`]);
  return Number(value);
}

function isoTime(value: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw errors.CONFIG_USAGE([`--since must be a date-time such as 2026-11-26T10:00:00Z (got "${value}")`]);
  return new Date(ms).toISOString();
}

export async function runRotateKey(argv: string[], io: CommandIO): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { ...CONFIG_FLAG, data: { type: 'string' } } });
  const { rotateMasterKey } = require('../../auth') as typeof import('../../auth');
  return withOperations(values, io, async (ops, services, _registry, settings) => {
    const report = await rotateMasterKey(services.store, services.dataDir, settings.secrets, (done, total) => {
      if (done % 500 === 0 || done === total) io.stderr.write(`re-sealed ${done} of ${total} secrets\n`);
    });
    await ops.audit(CLI_ACTOR, null, 'master_key.rotate', { detail: `${report.from} -> ${report.to}, ${report.resealed} secrets` });
    writeLine(io.stdout, `master key rotated from ${report.from} to ${report.to}: ${report.resealed} secrets re-sealed`);
    return 0;
  });
}
