/**
 * Tool and connector names. A tool name is `<connectorId>_<operation>`: at most 64
 * characters of [A-Za-z0-9_-] (the strictest common client limit). Connector ids
 * use [a-z0-9-] only, so the first `_` always ends the prefix and names from two
 * connectors can never collide.
 */
import { toAscii } from './ascii';
import { shortHash } from './schema';
import type { OperationModel } from './operation';

export const MAX_TOOL_NAME = 64;
export const MAX_CONNECTOR_ID = 24;
const CONNECTOR_ID = /^[a-z0-9](?:[a-z0-9-]{0,22}[a-z0-9])?$/;

export function isValidConnectorId(id: string): boolean {
  return CONNECTOR_ID.test(id);
}

/** `api.github.com.json` -> `api-github-com`; `My Spec (v2).yaml` -> `my-spec-v2`. */
export function connectorIdFromFile(file: string): string {
  const base = file.split(/[\\/]/).pop() ?? file;
  const stem = base.replace(/\.(json|ya?ml)$/i, '').replace(/\.(openapi|swagger|oas)$/i, '');
  const id = stem
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_CONNECTOR_ID)
    .replace(/-+$/, '');
  return id === '' ? 'api' : id;
}

/** `repos/list-for-org` -> `repos_list_for_org`; `getHTTPResponse` -> `get_http_response`; `ключ` -> `klyuch`. */
export function snakeCase(text: string): string {
  return toAscii(text)
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** What a tool's name is made from: the operationId, or else `GET /path` (said in descriptions when a name had to change). */
export function nameSource(op: Pick<OperationModel, 'operationId' | 'method' | 'path'>): string {
  if (op.operationId !== undefined && snakeCase(op.operationId) !== '') return op.operationId;
  return `${op.method.toUpperCase()} ${op.path}`;
}

/** The operation part of a name before collision handling. */
export function operationBaseName(op: Pick<OperationModel, 'operationId' | 'method' | 'path'>): string {
  if (op.operationId !== undefined) {
    const fromId = snakeCase(op.operationId);
    if (fromId !== '') return fromId;
  }
  const segments = op.path
    .split('/')
    .filter((s) => s !== '')
    .map((s) => {
      const param = /^\{(.+)\}$/.exec(s);
      return param ? `by_${param[1]}` : s;
    });
  return snakeCase([op.method, ...segments].join('_')) || op.method;
}

/** Fit `<prefix>_<base><suffix>` into 64 chars; a cut name gets a hash of the full one. */
export function fitName(connectorId: string, base: string, suffix = ''): string {
  const full = `${connectorId}_${base}${suffix}`;
  if (full.length <= MAX_TOOL_NAME) return full;
  const hash = `_${shortHash(full)}`;
  const room = MAX_TOOL_NAME - connectorId.length - 1 - suffix.length - hash.length;
  return `${connectorId}_${base.slice(0, room).replace(/_+$/, '')}${hash}${suffix}`;
}

/**
 * Names for all operations of one connector, deterministic for a given spec: the
 * operations are taken in (path, method) order and a clash gets the method, then a
 * counter, appended.
 */
export function assignToolNames(connectorId: string, operations: readonly OperationModel[]): Map<string, string> {
  const ordered = [...operations].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.method < b.method ? -1 : a.method > b.method ? 1 : 0));
  const used = new Set<string>();
  const names = new Map<string, string>();
  const redundant = `${snakeCase(connectorId)}_`;
  for (const op of ordered) {
    let base = operationBaseName(op);
    // `gmail.users.messages.send` in connector `gmail` is `gmail_users_messages_send`, not `gmail_gmail_...`.
    if (base.startsWith(redundant) && base.length > redundant.length) base = base.slice(redundant.length);
    let name = fitName(connectorId, base);
    if (used.has(name)) name = fitName(connectorId, base, `_${op.method}`);
    for (let n = 2; used.has(name); n++) name = fitName(connectorId, base, `_${n}`);
    used.add(name);
    names.set(op.key, name);
  }
  return names;
}
