/**
 * The cache's key layout (docs/caching.md "Keys"). Nothing in it names a tenant, a
 * connection or a URL in clear: every key is a hash of the parts it stands for.
 *
 *   e:<hmac(connector, tenant, connection, method, url, generations...)>   one stored response
 *   g:c:<hash(connector)>                   generation of a connector's entries
 *   g:t:<hash(tenant)>                      of a tenant's
 *   g:tc:<hash(tenant, connector)>          of a tenant's entries for one connector
 *   g:n:<hash(connection)>                  of a connection's
 *   g:p:<hash(tenant, connection, origin, path)>  of one path's, within a tenant+connection
 *
 * An entry's key folds in the current value of every generation that covers it, so
 * bumping one (writing a new random value) makes all the entries it covers unreachable
 * at once, on every node, without listing them; they then leave the store by their TTL
 * or, in memory, by eviction. Generations are random, never counters: a generation that
 * expires or is evicted comes back as a new random value (a miss), never as an old one
 * (which could make stale entries reachable again).
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { ExchangeScope } from './exchange';

export type GenerationKind = 'connector' | 'tenant' | 'tenantConnector' | 'connection' | 'path';

const PREFIX: Readonly<Record<GenerationKind, string>> = Object.freeze({
  connector: 'g:c:',
  tenant: 'g:t:',
  tenantConnector: 'g:tc:',
  connection: 'g:n:',
  path: 'g:p:',
});

/** Whose entry this is. Absent tenant and connection are `null` ("anonymous"), never a string a real id could equal. */
export interface CacheOwner {
  connectorId: string;
  tenantId: string | null;
  connectionId: string | null;
}

export function ownerOf(scope: ExchangeScope): CacheOwner {
  return { connectorId: scope.connectorId, tenantId: scope.tenantId ?? null, connectionId: scope.connectionId ?? null };
}

/** 192 bits of SHA-256, base64url: short keys, collisions out of reach. */
export function digest(parts: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 32);
}

export function generationKey(kind: GenerationKind, parts: readonly unknown[]): string {
  return PREFIX[kind] + digest(parts);
}

export function newGeneration(): string {
  return randomBytes(12).toString('base64url');
}

/** `/a/b/` and `/a/b` are one resource here; the root stays `/`. */
export function normalisePath(pathname: string): string {
  const trimmed = pathname.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed;
}

/** The collection a path belongs to: `/repos/o/r/issues/5` -> `/repos/o/r/issues`; `/user` -> `/`. */
export function parentPath(path: string): string {
  const normal = normalisePath(path);
  const cut = normal.lastIndexOf('/');
  return cut <= 0 ? '/' : normal.slice(0, cut);
}

/** The generations an entry for this owner and URL depends on, in a fixed order. */
export function generationKeysFor(owner: CacheOwner, url: URL): string[] {
  const keys = [
    generationKey('connector', [owner.connectorId]),
    generationKey('tenant', [owner.tenantId]),
    generationKey('tenantConnector', [owner.tenantId, owner.connectorId]),
    pathGenerationKey(owner, url.origin, normalisePath(url.pathname)),
  ];
  if (owner.connectionId !== null) keys.push(generationKey('connection', [owner.connectionId]));
  return keys;
}

export function pathGenerationKey(owner: CacheOwner, origin: string, path: string): string {
  return generationKey('path', [owner.tenantId, owner.connectionId, origin, path]);
}

/** The path generations a successful mutation of `url` bumps: its own path and its parent collection. */
export function invalidatedPathKeys(owner: CacheOwner, url: URL): string[] {
  const path = normalisePath(url.pathname);
  const keys = [pathGenerationKey(owner, url.origin, path)];
  const parent = parentPath(path);
  if (parent !== path) keys.push(pathGenerationKey(owner, url.origin, parent));
  return keys;
}

/**
 * One stored response: everything that tells it apart, including the generations read
 * just before. An HMAC (`hashKey`, as for Vary'd headers): the URL may carry an API key
 * in its query, and one who reads the store must not be able to test guesses at it.
 */
export function entryKey(owner: CacheOwner, method: string, url: string, generations: readonly string[], hashKey: Buffer): string {
  return 'e:' + keyedDigest(hashKey, JSON.stringify([owner.connectorId, owner.tenantId, owner.connectionId, method, url, ...generations]));
}

/** What an admin purge names; a connection id is a UUID, unique across tenants and connectors. */
export interface CachePurgeScope {
  tenantId?: string;
  connectionId?: string;
  connectorId?: string;
}

/**
 * The one generation whose bump removes exactly the entries a purge names, or
 * undefined for "everything" (the whole store is cleared then).
 */
export function purgeGenerationKey(scope: CachePurgeScope): string | undefined {
  // A connection belongs to one tenant and one connector: naming it says all.
  if (scope.connectionId !== undefined) return generationKey('connection', [scope.connectionId]);
  if (scope.tenantId !== undefined && scope.connectorId !== undefined) return generationKey('tenantConnector', [scope.tenantId, scope.connectorId]);
  if (scope.tenantId !== undefined) return generationKey('tenant', [scope.tenantId]);
  if (scope.connectorId !== undefined) return generationKey('connector', [scope.connectorId]);
  return undefined;
}

/**
 * Vary matching without keeping secrets: the request headers a response's `Vary`
 * names are stored as HMACs under a key derived from the master key (GitHub varies on
 * Authorization), so the store never holds a token, and one who reads the store cannot
 * test guesses at a weak one (HTTP Basic) offline as a plain hash would let them; equal
 * values still give equal HMACs on every node sharing the master key.
 */
export function hashedHeaderValue(value: string | string[] | undefined, key: Buffer): string | undefined {
  if (value === undefined) return undefined;
  return keyedDigest(key, Array.isArray(value) ? value.join(', ') : value);
}

/** 192 bits of HMAC-SHA-256, base64url. */
export function keyedDigest(key: Buffer, value: string): string {
  return createHmac('sha256', key).update(value).digest('base64url').slice(0, 32);
}
