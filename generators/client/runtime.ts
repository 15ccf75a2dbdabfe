/**
 * Runtime of the typed clients that `lunar-hub generate` writes. This file is copied
 * next to the generated clients (as client-runtime.ts, with serialise.ts beside it as
 * client-serialise.ts), so it imports nothing of the hub: only undici and ./serialise.
 * It sends directly for now; the hub's pipeline (credentials, limits, cache) takes over
 * in a later version.
 */
// undici's own FormData: the global one (Node's bundled undici) is not accepted by this undici's request().
import { FormData, request, type Dispatcher } from 'undici';
import {
  compilePathTemplate,
  hasDotSegment,
  isJsonMediaType,
  joinQuery,
  serialiseCookieParam,
  serialiseFormBody,
  serialiseHeaderParam,
  serialisePathParam,
  serialiseQueryParam,
  valueText,
  type StyleOptions,
} from './serialise';

export type ParamLocation = 'path' | 'query' | 'header' | 'cookie';

export interface ParamSpec {
  in: ParamLocation;
  style?: string;
  explode?: boolean;
  allowReserved?: boolean;
  /** Media type of a parameter declared with `content` (its value is written whole, e.g. as JSON). */
  contentType?: string;
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

// `{}` below is deliberate: the identity of an intersection, and "every member optional" in `{} extends X`.
/* eslint-disable @typescript-eslint/no-empty-object-type */
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

// ---- Serialisation (OpenAPI 3.1 §4.8.12.4 style values): the rules live in serialise.ts ----

function styleOf(spec: ParamSpec | undefined, location: ParamLocation): StyleOptions {
  const style = spec?.style ?? (location === 'query' || location === 'cookie' ? 'form' : 'simple');
  return { style, explode: spec?.explode ?? style === 'form', allowReserved: spec?.allowReserved, contentType: spec?.contentType };
}

function named(location: ParamLocation, name: string, serialise: () => string): string {
  try {
    return serialise();
  } catch (error) {
    throw new TypeError(`${location} parameter "${name}" ${(error as Error).message}`);
  }
}

export function serialisePath(template: string, values: Record<string, unknown>, specs: Record<string, ParamSpec>): string {
  const compiled = compilePathTemplate(template);
  let path = compiled.literals[0];
  compiled.names.forEach((name, i) => {
    const expanded = named('path', name, () => serialisePathParam(name, values[name], styleOf(specs[name], 'path')));
    if (expanded === '') throw new TypeError(`path parameter "${name}" is empty, which would change the path`);
    path += expanded + compiled.literals[i + 1];
  });
  if (hasDotSegment(path)) throw new TypeError(`path parameters of ${template} would make a "." or ".." segment`);
  return compiled.query === '' ? path : `${path}?${compiled.query}`;
}

export function serialiseQuery(values: Record<string, unknown>, specs: Record<string, ParamSpec>): string {
  return joinQuery(Object.keys(values).map((name) => named('query', name, () => serialiseQueryParam(name, values[name], styleOf(specs[name], 'query')))));
}

function encodeBody(mediaType: string, body: unknown): { payload: string | Buffer | FormData; contentType?: string } {
  const mt = mediaType.toLowerCase();
  if (isJsonMediaType(mt)) return { payload: JSON.stringify(body), contentType: mediaType.includes('*') ? 'application/json' : mediaType };
  if (mt === 'application/x-www-form-urlencoded') {
    return { payload: typeof body === 'string' ? body : serialiseFormBody((body ?? {}) as Record<string, unknown>), contentType: mediaType };
  }
  if (mt.startsWith('multipart/')) {
    const form = new FormData();
    for (const [k, v] of Object.entries((body ?? {}) as Record<string, unknown>)) {
      if (v === undefined || v === null) continue;
      // OAS: a list is sent as one part per item under the same name.
      for (const item of Array.isArray(v) ? v : [v]) {
        if (item instanceof Blob) form.append(k, item);
        else if (item instanceof Uint8Array)
          form.append(k, new Blob([new Uint8Array(item)])); // a copy: DOM typings take only ArrayBuffer-backed views
        else form.append(k, valueText(item));
      }
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
  if (query !== '') url += `${url.includes('?') ? '&' : '?'}${query}`;
  const headers: Record<string, string> = { accept: 'application/json, */*;q=0.8', ...options.headers, ...call.headers };
  for (const [name, value] of Object.entries(args.header ?? {})) {
    if (value !== undefined && value !== null)
      headers[name.toLowerCase()] = named('header', name, () => serialiseHeaderParam(value, styleOf(specs[name], 'header')));
  }
  const cookies = Object.keys(args.cookie ?? {})
    .map((name) => named('cookie', name, () => serialiseCookieParam(name, args.cookie![name], styleOf(specs[name], 'cookie'))))
    .filter((pair) => pair !== '');
  if (cookies.length > 0) headers.cookie = cookies.join('; ');
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
/* eslint-enable @typescript-eslint/no-empty-object-type */
