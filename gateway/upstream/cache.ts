/**
 * The cache stage (DESIGN.md stage 6, docs/caching.md): GET and HEAD answers kept by
 * HTTP's rules (http-cache-semantics as a *private* cache: the store is per tenant and
 * connection, so answers to requests with Authorization may be kept, as a browser
 * would), in keyv: in-process by default, Redis for several nodes.
 *
 *   fresh entry              -> the stored answer, nothing sent        cache: 'hit'
 *   stale entry + validator  -> If-None-Match / If-Modified-Since;
 *                               304: the stored body, entry refreshed   cache: 'revalidated'
 *   anything else            -> upstream, stored when HTTP allows it    cache: 'miss'
 *   not cacheable at all     -> upstream, untouched                     cache: 'bypass'
 *
 * A successful POST/PUT/PATCH/DELETE invalidates the caller's cached reads of the same
 * path and its parent collection (cache-key.ts explains the generations that do it).
 */
import { randomBytes } from 'node:crypto';
import CachePolicy from 'http-cache-semantics';
import { SECRET_HEADER_NAMES, errors } from '../../errors';
import type { Exchange, ExchangeRequest, ExchangeResponse, ExchangeStage } from './exchange';
import { DEFAULT_UPSTREAM_POLICY, type CachePolicy as CacheSettings } from '../core';
import {
  entryKey,
  generationKeysFor,
  hashedHeaderValue,
  invalidatedPathKeys,
  newGeneration,
  ownerOf,
  purgeGenerationKey,
  type CachePurgeScope,
} from './cache-key';
import { openCacheStore, type CacheStoreOptions } from './cache-store';

export type { CachePurgeScope } from './cache-key';

export interface CacheStageOptions {
  /** The hub's shared state: with Redis, entries are shared by every node through its one connection (borrowed, not closed). */
  shared?: CacheStoreOptions['shared'];
  /** Or a Redis connection of the stage's own, closed with it (stages used alone, tests); neither: in-process memory. */
  redisUrl?: string;
  /** Key prefix; `lunar-hub:cache` by default (tests use one of their own). */
  namespace?: string;
  /** Bounds of the in-process store. */
  memory?: CacheStoreOptions['memory'];
  /** How long the first calls wait for Redis to connect (2 s) before going on uncached. */
  redisConnectWaitMs?: number;
  /** How long an entry with a validator (ETag, Last-Modified) stays after it goes stale, for a cheap 304. */
  keepStaleSeconds?: number;
  /** The clock freshness is measured with (tests move it); the store's own TTLs use the real one. */
  now?: () => number;
  /** Store failures (Redis away): the call goes on uncached; this is told. */
  onError?: (error: unknown) => void;
  /**
   * Key of the HMACs that stand for Vary'd request headers and query strings in stored
   * entries (the hub derives it from the master key, so every node agrees); absent: a
   * random key of this process (entries with Vary then match on this node only).
   */
  hashKey?: Buffer;
}

export interface CacheStage {
  stage: ExchangeStage;
  /** Drops the entries of a tenant, a connection, a connector (or a tenant's for one connector); nothing given: all. */
  purge(scope?: CachePurgeScope): Promise<void>;
  close(): Promise<void>;
}

export const DEFAULT_KEEP_STALE_SECONDS = 86_400; // seconds: a day of cheap revalidations
/** Generations outlive the entries they cover by far; one that expires only turns its entries into misses. */
const GENERATION_TTL_MS = 30 * 86_400_000; // milliseconds (30 days)

const CACHEABLE = new Set(['GET', 'HEAD']);
const MUTATIONS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** A caller's own conditional or range request is passed through: its answer is for it alone. */
const PASS_THROUGH_HEADERS = ['range', 'if-range', 'if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since'];
/**
 * Never stored: connection-level fields (RFC 9111 3.1), and fields that carry credentials
 * or sessions (`Set-Cookie`...), which must not sit in a shared store in clear; a hit is
 * answered without them.
 */
const NOT_STORED = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-authenticate',
  ...SECRET_HEADER_NAMES,
]);
/** Not taken from a 304 into the stored headers: they describe the 304, not the stored body. */
const NOT_FROM_304 = new Set(['content-length', 'content-encoding', 'transfer-encoding', 'content-range']);
/** Request headers given to http-cache-semantics as they are; Vary-named others are hashed. */
const PLAIN_REQUEST_HEADERS = new Set(['host', 'cache-control', 'pragma']);

type Headers = Record<string, string | string[]>;

interface StoredEntry {
  v: 1;
  policy: CachePolicy.CachePolicyObject;
  status: number;
  headers: Headers;
  /** base64 */
  body: string;
}

export function createCacheStage(options: CacheStageOptions = {}): CacheStage {
  const keepStaleSeconds = options.keepStaleSeconds ?? DEFAULT_KEEP_STALE_SECONDS;
  if (!Number.isFinite(keepStaleSeconds) || keepStaleSeconds < 0) {
    throw errors.CACHE_CONFIG([`keepStaleSeconds must be a number of seconds, 0 or more (got ${String(keepStaleSeconds)})`]);
  }
  const clock = options.now ?? Date.now;
  const hashKey = options.hashKey ?? randomBytes(32);
  if (hashKey.length < 32) throw errors.CACHE_CONFIG([`hashKey must be 32 bytes or more (got ${hashKey.length})`]);
  const onError = options.onError ?? (() => {});
  const store = openCacheStore({
    shared: options.shared,
    redisUrl: options.redisUrl,
    namespace: options.namespace,
    memory: options.memory,
    redisConnectWaitMs: options.redisConnectWaitMs,
    onError,
  });

  /** http-cache-semantics reads the time through `now()`, made for replacing. */
  class Policy extends CachePolicy {
    now(): number {
      return clock();
    }
  }
  const POLICY_OPTIONS: CachePolicy.Options = { shared: false, cacheHeuristic: 0 };

  async function generations(request: ExchangeRequest, url: URL): Promise<string[]> {
    const keys = generationKeysFor(ownerOf(request.scope), url);
    const values = await store.getMany(keys);
    const created: Array<{ key: string; value: string; ttlMs: number }> = [];
    const result = keys.map((key, i) => {
      const value = values[i];
      if (typeof value === 'string') return value;
      const fresh = newGeneration();
      created.push({ key, value: fresh, ttlMs: GENERATION_TTL_MS });
      return fresh;
    });
    if (created.length > 0) await store.setMany(created);
    return result;
  }

  function policyFor(request: ExchangeRequest, status: number, headers: Headers, settings: CacheSettings): CachePolicy | undefined {
    const given = freshnessHeaders(status, headers, settings);
    if (!given) return undefined;
    const req = policyRequest(request, varyNames(headers), hashKey);
    let policy: CachePolicy = new Policy(req, { status, headers: given }, POLICY_OPTIONS);
    if (settings.maxTtlSeconds !== undefined && policy.maxAge() > settings.maxTtlSeconds) {
      policy = new Policy(req, { status, headers: { ...given, 'cache-control': withMaxAge(given['cache-control'], settings.maxTtlSeconds) } }, POLICY_OPTIONS);
    }
    return policy;
  }

  /** Stores the answer when HTTP and the connector's settings allow it. */
  async function keep(
    key: string,
    request: ExchangeRequest,
    status: number,
    headers: Headers,
    body: Buffer,
    truncated: boolean,
    settings: CacheSettings,
  ): Promise<void> {
    if (truncated || body.length > settings.maxEntryBytes) return;
    if (varyNames(headers).includes('*')) return;
    let entry: StoredEntry;
    let ttlMs: number;
    try {
      const policy = policyFor(request, status, headers, settings);
      if (!policy || !policy.storable()) return;
      const hasValidator = headers.etag !== undefined || headers['last-modified'] !== undefined;
      // Freshness only (timeToLive() would add stale-if-error, which is not used), capped by the
      // generations' life: an entry outliving them could never be reached again.
      const freshMs = Math.max(0, policy.maxAge() - policy.age()) * 1000;
      ttlMs = Math.min(GENERATION_TTL_MS, freshMs + (hasValidator ? keepStaleSeconds * 1000 : 0));
      if (ttlMs <= 0) return;
      entry = { v: 1, policy: policy.toObject(), status, headers, body: body.toString('base64') };
    } catch (error) {
      // Headers http-cache-semantics cannot read: the answer is passed on, not kept.
      onError(error);
      return;
    }
    await store.set(key, entry, ttlMs);
  }

  /** The stored entry's policy and what it says about this request; undefined when it cannot be read. */
  function evaluate(entry: StoredEntry, request: ExchangeRequest) {
    try {
      const policy = Policy.fromObject(entry.policy);
      const req = policyRequest(request, varyNames(entry.headers), hashKey);
      return { policy, req, evaluation: policy.evaluateRequest(req) };
    } catch (error) {
      onError(error);
      return undefined;
    }
  }

  async function invalidate(request: ExchangeRequest, url: URL): Promise<void> {
    const keys = invalidatedPathKeys(ownerOf(request.scope), url);
    await store.setMany(keys.map((key) => ({ key, value: newGeneration(), ttlMs: GENERATION_TTL_MS })));
  }

  const stage: ExchangeStage =
    (next: Exchange): Exchange =>
    async (request) => {
      const settings = request.connector.policy?.cache ?? DEFAULT_UPSTREAM_POLICY.cache;
      const method = request.method.toUpperCase();
      if (!settings.enabled) return mark(await next(request), 'bypass');

      if (MUTATIONS.has(method)) {
        const response = await next(request);
        if (response.status >= 200 && response.status < 300) await invalidate(request, new URL(request.url));
        return mark(response, 'bypass');
      }
      if (!CACHEABLE.has(method) || request.body !== undefined || PASS_THROUGH_HEADERS.some((h) => request.headers[h] !== undefined)) {
        return mark(await next(request), 'bypass');
      }

      const url = new URL(request.url);
      const key = entryKey(ownerOf(request.scope), method, url.href, await generations(request, url), hashKey);
      const entry = asEntry(await store.get(key));

      const found = entry && evaluate(entry, request);
      if (entry && found) {
        const { policy, req, evaluation } = found;
        // stale-while-revalidate answers are revalidated before answering: no work is left behind a call.
        if (evaluation.response && !evaluation.revalidation) {
          return {
            status: entry.status,
            headers: { ...entry.headers, age: String(Math.floor(policy.age())) },
            body: Buffer.from(entry.body, 'base64'),
            truncated: false,
            attempts: 0,
            cache: 'hit',
          };
        }
        const conditional = pick(policy.revalidationHeaders(req), ['if-none-match', 'if-modified-since']);
        if (Object.keys(conditional).length > 0) {
          const response = await next({ ...request, headers: { ...request.headers, ...conditional } });
          if (response.status === 304 && !contradicts(entry.headers.etag, response.headers.etag)) {
            // 304: our one stored answer is current (we sent exactly its validators).
            const headers = merge304(entry.headers, response.headers);
            const body = Buffer.from(entry.body, 'base64');
            await keep(key, request, entry.status, headers, body, false, settings);
            return { status: entry.status, headers, body, truncated: false, attempts: response.attempts, cache: 'revalidated' };
          }
          if (response.status !== 304) {
            await keep(key, request, response.status, storedHeaders(response.headers), response.body, response.truncated, settings);
            return mark(response, 'miss');
          }
          // A 304 naming another ETag does not validate what we hold: ask plainly.
        }
      }

      const response = await next(request);
      await keep(key, request, response.status, storedHeaders(response.headers), response.body, response.truncated, settings);
      return mark(response, 'miss');
    };

  return {
    stage,
    purge: async (scope = {}) => {
      const key = purgeGenerationKey(scope);
      if (key === undefined) await store.clear();
      else await store.set(key, newGeneration(), GENERATION_TTL_MS);
    },
    close: () => store.close(),
  };
}

function mark(response: ExchangeResponse, cache: NonNullable<ExchangeResponse['cache']>): ExchangeResponse {
  return { ...response, cache };
}

function asEntry(value: unknown): StoredEntry | undefined {
  const entry = value as StoredEntry | undefined;
  return entry && entry.v === 1 && typeof entry.body === 'string' && typeof entry.policy === 'object' ? entry : undefined;
}

/**
 * What http-cache-semantics sees of the request: its URL, host and cache directives,
 * and the headers the answer's Vary names as HMACs (never a token in the store).
 */
function policyRequest(request: ExchangeRequest, vary: readonly string[], hashKey: Buffer): CachePolicy.Request {
  const url = new URL(request.url);
  const headers: CachePolicy.Headers = { host: url.host };
  for (const name of ['cache-control', 'pragma']) {
    if (request.headers[name] !== undefined) headers[name] = request.headers[name];
  }
  for (const name of vary) {
    if (PLAIN_REQUEST_HEADERS.has(name) || name === '*') continue;
    const hashed = hashedHeaderValue(request.headers[name], hashKey);
    if (hashed !== undefined) headers[name] = hashed;
  }
  // The policy is stored with its URL, which may hold a secret (an API key in the query, a
  // token in the path): the entry's key already tells URLs apart, so only the origin is kept.
  return { url: `${url.origin}/`, method: request.method.toUpperCase(), headers };
}

function varyNames(headers: Headers): string[] {
  const vary = headers.vary;
  if (vary === undefined) return [];
  return (Array.isArray(vary) ? vary.join(',') : vary)
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
}

/**
 * The response headers freshness is computed from, after the connector's settings:
 * an answer without max-age or Expires gets `defaultTtlSeconds` (2xx only), or is not
 * kept when that is 0 (unless it asks for revalidation with no-cache).
 * `undefined`: do not store.
 */
function freshnessHeaders(status: number, headers: Headers, settings: CacheSettings): Headers | undefined {
  const cacheControl = single(headers['cache-control']);
  const directives = directiveNames(cacheControl);
  if (directives.has('max-age') || headers.expires !== undefined) return headers;
  if (settings.defaultTtlSeconds > 0 && status >= 200 && status < 300) {
    return { ...headers, 'cache-control': withMaxAge(cacheControl, settings.defaultTtlSeconds) };
  }
  return directives.has('no-cache') ? headers : undefined;
}

function directiveNames(cacheControl: string | undefined): Set<string> {
  return new Set(
    (cacheControl ?? '')
      .split(',')
      .map((part) => part.split('=')[0].trim().toLowerCase())
      .filter((name) => name !== ''),
  );
}

/** Cache-Control with its max-age (and s-maxage, which a private cache ignores anyway) set to `seconds`. */
function withMaxAge(cacheControl: string | string[] | undefined, seconds: number): string {
  const kept = (single(cacheControl) ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '' && !/^(max-age|s-maxage)\s*(=|$)/i.test(part));
  return [...kept, `max-age=${Math.floor(seconds)}`].join(', ');
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * The headers kept with an entry: without NOT_STORED, and each field one string (a field
 * sent twice, `Vary: Accept` and `Vary: Authorization`, arrives from undici as an array,
 * which http-cache-semantics cannot read; RFC 9110 5.3 allows joining with ", ").
 */
function storedHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !NOT_STORED.has(name)) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** The stored headers updated by a 304's (RFC 9111 4.3.4), except those about the 304's own (empty) body. */
function merge304(stored: Headers, fresh: Record<string, string | string[] | undefined>): Headers {
  const out: Headers = { ...stored };
  for (const [name, value] of Object.entries(storedHeaders(fresh))) {
    if (!NOT_FROM_304.has(name)) out[name] = value;
  }
  delete out.age;
  return out;
}

/** A 304 carrying a strong ETag other than ours is about another representation. */
function contradicts(ours: string | string[] | undefined, theirs: string | string[] | undefined): boolean {
  const a = single(ours);
  const b = single(theirs);
  if (a === undefined || b === undefined || /^\s*W\//.test(b)) return false;
  return a.replace(/^\s*W\//, '').trim() !== b.trim();
}

function pick(headers: CachePolicy.Headers, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = headers[name];
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
