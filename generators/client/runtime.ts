/**
 * Runtime of the typed clients that `lunar-hub generate` writes. This file is copied
 * verbatim next to the generated clients (as client-runtime.ts), so it imports
 * nothing of the hub: only undici. It sends directly for now; the hub's pipeline
 * (credentials, limits, cache) takes over in a later version.
 */
// undici's own FormData: the global one (Node's bundled undici) is not accepted by this undici's request().
import { FormData, request, type Dispatcher } from 'undici';

export type ParamLocation = 'path' | 'query' | 'header' | 'cookie';

export interface ParamSpec {
  in: ParamLocation;
  style?: string;
  explode?: boolean;
}

export interface OperationSpec {
  method: string;
  path: string;
  params?: Record<string, ParamSpec>;
  /** Request media type the client sends, when the operation takes a body. */
  body?: string;
}

export interface ClientOptions {
  baseUrl: string;
  headers?: Record<string, string>;
  dispatcher?: Dispatcher;
  /** Milliseconds; default 30 s. */
  timeout?: number;
}

export interface CallArgs {
  path?: Record<string, unknown>;
  query?: Record<string, unknown>;
  header?: Record<string, unknown>;
  cookie?: Record<string, unknown>;
  body?: unknown;
}

export interface CallOptions {
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

export class ClientHttpError extends Error {
  readonly code = 'HUB_ERR_CLIENT_HTTP';
  constructor(
    readonly status: number,
    readonly body: unknown,
    method: string,
    path: string,
  ) {
    super(`${method} ${path} answered HTTP ${status}`);
    this.name = 'ClientHttpError';
  }
}

// ---- Types that read openapi-typescript's `operations` ----

type Defined<T> = Exclude<T, undefined>;
type NonNever<T> = { [K in keyof T as [Defined<T[K]>] extends [never] ? never : K]: T[K] };
type ParamsOf<O> = O extends { parameters: infer P } ? NonNever<P> : {};
type BodyOf<O> = O extends { requestBody: { content: infer C } }
  ? { body: C[keyof C] }
  : O extends { requestBody?: { content: infer C } }
    ? { body?: C[keyof C] }
    : {};
type SuccessCode = 200 | 201 | 202 | 203 | 204 | 205 | 206 | 207 | 208 | 226 | '2XX';
type ContentOf<R> = R extends { content: infer C } ? C[keyof C] : undefined;

/** Arguments of an operation: `{ path, query, header, cookie, body }` as the spec types them. */
export type ArgsOf<O> = ParamsOf<O> & BodyOf<O>;
/** The success body of an operation (JSON parsed; text or bytes otherwise). */
export type ResultOf<O> = O extends { responses: infer R } ? ContentOf<R[Extract<keyof R, SuccessCode>]> : unknown;

// ---- Serialisation (OpenAPI 3.1 §4.8.12.4 style values) ----

function encodeValue(value: unknown, reserved = false): string {
  const text = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return reserved ? encodeURI(text) : encodeURIComponent(text);
}

export function serialisePath(template: string, values: Record<string, unknown>, specs: Record<string, ParamSpec>): string {
  return template.replace(/\{([^{}]+)\}/g, (_m, name: string) => {
    const value = values[name];
    if (value === undefined || value === null) throw new TypeError(`missing path parameter "${name}"`);
    const style = specs[name]?.style ?? 'simple';
    const explode = specs[name]?.explode ?? false;
    const prefix = style === 'label' ? '.' : style === 'matrix' ? `;${name}=` : '';
    if (Array.isArray(value)) {
      const sep = style === 'label' && explode ? '.' : style === 'matrix' && explode ? `;${name}=` : ',';
      return prefix + value.map((v) => encodeValue(v)).join(sep);
    }
    if (typeof value === 'object') {
      const entries = Object.entries(value as Record<string, unknown>);
      const pairs = explode ? entries.map(([k, v]) => `${encodeValue(k)}=${encodeValue(v)}`) : entries.flatMap(([k, v]) => [encodeValue(k), encodeValue(v)]);
      return prefix + pairs.join(',');
    }
    // encodeURIComponent encodes "/", "?", "#" and "..": a value can never change the path.
    return prefix + encodeValue(value);
  });
}

export function serialiseQuery(values: Record<string, unknown>, specs: Record<string, ParamSpec>): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) continue;
    const style = specs[name]?.style ?? 'form';
    const explode = specs[name]?.explode ?? style === 'form';
    const key = encodeValue(name);
    if (Array.isArray(value)) {
      if (explode && (style === 'form' || style === 'spaceDelimited' || style === 'pipeDelimited')) {
        for (const v of value) parts.push(`${key}=${encodeValue(v)}`);
      } else {
        const sep = style === 'spaceDelimited' ? '%20' : style === 'pipeDelimited' ? '|' : ',';
        parts.push(`${key}=${value.map((v) => encodeValue(v)).join(sep)}`);
      }
    } else if (value !== null && typeof value === 'object') {
      const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
      if (style === 'deepObject') for (const [k, v] of entries) parts.push(`${key}%5B${encodeValue(k)}%5D=${encodeValue(v)}`);
      else if (explode) for (const [k, v] of entries) parts.push(`${encodeValue(k)}=${encodeValue(v)}`);
      else parts.push(`${key}=${entries.map(([k, v]) => `${encodeValue(k)},${encodeValue(v)}`).join(',')}`);
    } else parts.push(`${key}=${encodeValue(value)}`);
  }
  return parts.join('&');
}

function headerValue(value: unknown): string {
  const text = Array.isArray(value) ? value.map(String).join(',') : typeof value === 'object' && value !== null ? Object.entries(value).map(([k, v]) => `${k},${String(v)}`).join(',') : String(value);
  if (/[\r\n]/.test(text)) throw new TypeError('header values must not contain CR or LF');
  return text;
}

function encodeBody(mediaType: string, body: unknown): { payload: string | Buffer | FormData; contentType?: string } {
  const mt = mediaType.toLowerCase();
  if (mt.includes('json') || mt === '*/*') return { payload: JSON.stringify(body), contentType: mediaType === '*/*' ? 'application/json' : mediaType };
  if (mt === 'application/x-www-form-urlencoded') {
    const form = new URLSearchParams();
    for (const [k, v] of Object.entries((body ?? {}) as Record<string, unknown>)) if (v !== undefined) form.append(k, typeof v === 'object' ? JSON.stringify(v) : String(v));
    return { payload: form.toString(), contentType: mediaType };
  }
  if (mt.startsWith('multipart/')) {
    const form = new FormData();
    for (const [k, v] of Object.entries((body ?? {}) as Record<string, unknown>)) {
      if (v === undefined) continue;
      if (v instanceof Blob) form.append(k, v);
      else form.append(k, typeof v === 'object' ? JSON.stringify(v) : String(v));
    }
    return { payload: form }; // undici sets the boundary
  }
  if (typeof body === 'string') return { payload: body, contentType: mediaType };
  if (body instanceof Uint8Array) return { payload: Buffer.from(body), contentType: mediaType };
  return { payload: JSON.stringify(body), contentType: mediaType };
}

export async function callOperation(options: ClientOptions, spec: OperationSpec, args: CallArgs = {}, call: CallOptions = {}): Promise<unknown> {
  const specs = spec.params ?? {};
  let url = options.baseUrl.replace(/\/+$/, '') + serialisePath(spec.path, args.path ?? {}, specs);
  const query = serialiseQuery(args.query ?? {}, specs);
  if (query !== '') url += `?${query}`;
  const headers: Record<string, string> = { accept: 'application/json, */*;q=0.8', ...options.headers, ...call.headers };
  for (const [name, value] of Object.entries(args.header ?? {})) if (value !== undefined) headers[name.toLowerCase()] = headerValue(value);
  const cookies = Object.entries(args.cookie ?? {}).filter(([, v]) => v !== undefined);
  if (cookies.length > 0) headers.cookie = cookies.map(([k, v]) => `${k}=${encodeURIComponent(headerValue(v))}`).join('; ');
  let payload: string | Buffer | FormData | undefined;
  if (spec.body !== undefined && args.body !== undefined) {
    const encoded = encodeBody(spec.body, args.body);
    payload = encoded.payload;
    if (encoded.contentType) headers['content-type'] = encoded.contentType;
  }
  const response = await request(url, {
    method: spec.method as Dispatcher.HttpMethod,
    headers,
    body: payload as never,
    signal: call.signal,
    dispatcher: options.dispatcher,
    headersTimeout: options.timeout ?? 30_000,
    bodyTimeout: options.timeout ?? 30_000,
  });
  const type = String(response.headers['content-type'] ?? '');
  const raw = Buffer.from(await response.body.arrayBuffer());
  const data = raw.length === 0 ? undefined : /json/i.test(type) ? JSON.parse(raw.toString('utf8')) : /^text\/|xml/i.test(type) ? raw.toString('utf8') : raw;
  if (response.statusCode >= 400) throw new ClientHttpError(response.statusCode, data, spec.method, spec.path);
  return data;
}

/** Build a client object whose methods are the operations' names. */
export function createClient<T>(operations: Record<string, OperationSpec>, options: ClientOptions): T {
  const client: Record<string, (args?: CallArgs, call?: CallOptions) => Promise<unknown>> = {};
  for (const [name, spec] of Object.entries(operations)) client[name] = (args, call) => callOperation(options, spec, args, call);
  return client as T;
}

/** One typed client method: arguments are optional when the operation requires none. */
export type Method<O> = (
  ...args: {} extends ArgsOf<O> ? [args?: ArgsOf<O>, options?: CallOptions] : [args: ArgsOf<O>, options?: CallOptions]
) => Promise<ResultOf<O>>;
