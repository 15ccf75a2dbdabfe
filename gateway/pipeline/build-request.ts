/**
 * Pipeline stage 5 (DESIGN.md "The call pipeline"): schema-validated tool arguments ->
 * one HTTP request for the upstream. Parameters follow OAS 3.1 §4.8.12 style/explode
 * (generators/client/serialise.ts, shared with the typed clients); bodies follow the
 * tool binding's kind (JSON, form, multipart, text, bytes).
 *
 * This is also where an agent's arguments meet the URL and the headers, so it refuses
 * what could redirect a call: a value never changes the path (everything but unreserved
 * characters is percent-encoded, dot segments are refused, and the built URL's path is
 * checked against the base path + the template's literal prefix), never adds a header
 * (CR/LF/NUL refused), never sets a header the transport owns, and the request only goes
 * to the connector's allowed hosts.
 *
 * Everything that depends only on the tool (parameter styles, body plan, file fields) is
 * worked out once per RegisteredTool and kept in a WeakMap, so a call only serialises.
 */
import { FormData } from 'undici';
import { errors, isHubError, type HubError } from '../../errors';
import {
  compilePathTemplate,
  decodeBytes,
  hasDotSegment,
  isToken,
  serialiseCookieParam,
  serialiseFormBody,
  serialiseHeaderParam,
  serialisePathParam,
  serialiseQueryParam,
  valueText,
  type DecodedBytes,
  type PathTemplate,
  type StyleOptions,
} from '../../generators/client/serialise';
import type { ParameterLocation } from '../../generators/operation';
import type { BodyKind } from '../../generators/tool';
import type { ConnectorRuntime, RegisteredTool, UpstreamRequest } from '../core';

export const DEFAULT_ACCEPT = 'application/json, */*;q=0.8';

/**
 * Headers the HTTP layer owns. Sent from an argument they could smuggle a second request
 * (content-length, transfer-encoding), re-route it (host) or change the connection.
 */
export const REFUSED_HEADERS: ReadonlySet<string> = new Set([
  'host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer',
  'proxy-connection', 'proxy-authorization', 'proxy-authenticate', 'expect', 'http2-settings',
]);

interface ParamStep {
  property: string;
  name: string;
  options: StyleOptions;
  /** Query only: what an empty string becomes (see buildRequest). */
  emptyValue?: 'allowed' | 'omit' | 'refuse';
}

interface HeaderStep extends ParamStep {
  /** Lower-case header name. */
  wire: string;
  /** Why this header is never sent from an argument; undefined when it may be. */
  refusal?: string;
}

interface FileField {
  /** The part's media type when the spec's encoding names exactly one. */
  contentType?: string;
}

interface BodyPlan {
  kind: BodyKind;
  mediaType: string;
  required: boolean;
  /** Mode 'whole': the argument that is the body. */
  whole?: string;
  /** Mode 'properties': argument -> body property. */
  fields: Array<{ property: string; name: string }>;
  encoding?: Record<string, unknown>;
  /** Multipart fields that carry bytes (base64 or data: URL in, file part out), by body property. */
  files: Map<string, FileField>;
}

interface Plan {
  method: string;
  template: PathTemplate;
  /** One per template name, in order; undefined when no argument binds it. */
  pathSteps: Array<ParamStep | undefined>;
  query: ParamStep[];
  headers: HeaderStep[];
  cookies: ParamStep[];
  body?: BodyPlan;
}

interface BasePlan {
  /** scheme://host[:port]/base-path, without a trailing slash. */
  prefix: string;
  path: string;
  query: string;
}

const plans = new WeakMap<RegisteredTool, Plan>();
const bases = new Map<string, BasePlan>();

export function buildRequest(registered: RegisteredTool, args: Record<string, unknown>, connector: ConnectorRuntime): UpstreamRequest {
  const tool = registered.tool.name;
  const plan = planFor(registered);
  const base = baseFor(connector.baseUrl, tool);
  const template = plan.template;

  let path = template.literals[0];
  for (let i = 0; i < template.names.length; i++) {
    const step = plan.pathSteps[i];
    if (step === undefined) throw buildError(tool, `no argument fills "{${template.names[i]}}" in ${registered.operation.path}`);
    const expanded = guarded(tool, step.property, () => serialisePathParam(step.name, args[step.property], step.options));
    if (expanded === '') throw buildError(tool, `argument "${step.property}" is empty, and an empty path segment would change the path`, step.property);
    path += expanded + template.literals[i + 1];
  }
  if (hasDotSegment(path)) throw dotSegmentError(tool, plan, args, registered.operation.path);

  let query = base.query;
  if (template.query !== '') query = query === '' ? template.query : `${query}&${template.query}`;
  for (const step of plan.query) {
    const value = args[step.property];
    if (value === undefined || value === null) continue;
    if (value === '' && step.emptyValue !== 'allowed') {
      // `name=` is not a value the spec allows (allowEmptyValue is false): an optional
      // parameter is left out, which is what an agent sending "" means; a required one cannot be.
      if (step.emptyValue === 'omit') continue;
      throw buildError(tool, `argument "${step.property}" is empty, and the spec does not allow an empty value for query parameter "${step.name}"`, step.property);
    }
    const part = guarded(tool, step.property, () => serialiseQueryParam(step.name, value, step.options));
    if (part !== '') query = query === '' ? part : `${query}&${part}`;
  }

  // The connector's static headers (validated when the connector loads) are defaults: an
  // operation's own header argument is more specific and wins.
  const headers: Record<string, string> = connector.headers === undefined ? {} : { ...connector.headers };
  for (const step of plan.headers) {
    const value = args[step.property];
    if (value === undefined || value === null) continue;
    if (step.refusal !== undefined) throw buildError(tool, `argument "${step.property}" would set the ${step.name} header, which ${step.refusal}`, step.property);
    headers[step.wire] = guarded(tool, step.property, () => serialiseHeaderParam(value, step.options));
  }
  let cookie = headers.cookie ?? '';
  for (const step of plan.cookies) {
    const value = args[step.property];
    if (value === undefined || value === null) continue;
    const pair = guarded(tool, step.property, () => serialiseCookieParam(step.name, value, step.options));
    if (pair !== '') cookie = cookie === '' ? pair : `${cookie}; ${pair}`;
  }
  if (cookie !== '') headers.cookie = cookie;
  if (headers.accept === undefined) headers.accept = DEFAULT_ACCEPT;

  let body: UpstreamRequest['body'];
  if (plan.body !== undefined) {
    const built = buildBody(tool, plan.body, args);
    if (built !== undefined) {
      body = built.payload;
      if (built.contentType !== undefined) headers['content-type'] = built.contentType;
    }
  }

  let url: URL;
  try {
    url = new URL(query === '' ? base.prefix + path : `${base.prefix}${path}?${query}`);
  } catch (cause) {
    throw errors.REQUEST_BUILD([tool, 'the arguments do not make a valid URL'], { cause });
  }
  // Belt and braces: whatever the encoding above let through, the request stays under
  // the connector's base path and the operation's own literal prefix.
  if (!url.pathname.startsWith(base.path + template.literals[0])) {
    throw buildError(tool, `the path arguments would move the request outside ${base.path}${template.literals[0]}`);
  }
  if (!hostAllowed(url, connector.allowedHosts)) throw errors.REQUEST_HOST([tool, url.host]);
  return body === undefined ? { method: plan.method, url: url.href, headers } : { method: plan.method, url: url.href, headers, body };
}

// ---- Per-tool plan ----

function planFor(registered: RegisteredTool): Plan {
  let plan = plans.get(registered);
  if (plan === undefined) {
    plan = makePlan(registered);
    plans.set(registered, plan);
  }
  return plan;
}

function makePlan(registered: RegisteredTool): Plan {
  const { binding, operation } = registered;
  const tool = registered.tool.name;
  let template: PathTemplate;
  try {
    template = compilePathTemplate(operation.path);
  } catch (cause) {
    throw errors.REQUEST_BUILD([tool, `its path template ${operation.path} cannot be encoded`], { cause });
  }
  const pathByName = new Map<string, ParamStep>();
  const plan: Plan = { method: operation.method.toUpperCase(), template, pathSteps: [], query: [], headers: [], cookies: [] };
  for (const arg of binding.arguments) {
    if (arg.in === 'body') continue;
    const step: ParamStep = { property: arg.property, name: arg.name, options: styleFor(registered, arg.in, arg.name) };
    if (arg.in === 'path') pathByName.set(arg.name, step);
    else if (arg.in === 'query') plan.query.push({ ...step, emptyValue: emptyValueRule(registered, arg.name) });
    else if (arg.in === 'cookie') plan.cookies.push(step);
    else {
      const wire = arg.name.toLowerCase();
      const refusal = REFUSED_HEADERS.has(wire) ? 'the HTTP connection manages' : !isToken(arg.name) ? 'is not a valid header name' : undefined;
      plan.headers.push({ ...step, wire, ...(refusal !== undefined ? { refusal } : {}) });
    }
  }
  plan.pathSteps = template.names.map((name) => pathByName.get(name));
  if (binding.body !== undefined) plan.body = bodyPlan(registered);
  return plan;
}

function emptyValueRule(registered: RegisteredTool, name: string): ParamStep['emptyValue'] {
  const param = registered.operation.parameters.find((p) => p.in === 'query' && p.name === name);
  return param?.allowEmptyValue ? 'allowed' : param?.required ? 'refuse' : 'omit';
}

function styleFor(registered: RegisteredTool, location: ParameterLocation, name: string): StyleOptions {
  const param = registered.operation.parameters.find((p) => p.in === location && p.name === name);
  const style = param?.style ?? (location === 'query' || location === 'cookie' ? 'form' : 'simple');
  const options: StyleOptions = { style, explode: param?.explode ?? style === 'form' };
  if (location === 'query' && param?.allowReserved) options.allowReserved = true;
  if (param?.contentType !== undefined) options.contentType = param.contentType;
  return options;
}

function bodyPlan(registered: RegisteredTool): BodyPlan {
  const { binding, operation, tool } = registered;
  const { kind, mediaType, mode } = binding.body!;
  const media = operation.requestBody?.contents.find((c) => c.mediaType === mediaType);
  const plan: BodyPlan = { kind, mediaType, required: operation.requestBody?.required ?? false, fields: [], files: new Map() };
  if (media?.encoding !== undefined) plan.encoding = media.encoding;
  const root = tool.inputSchema as Record<string, unknown>;
  const properties = (root.properties ?? {}) as Record<string, unknown>;
  let bodyProperties: Record<string, unknown> = {};
  for (const arg of binding.arguments) {
    if (arg.in !== 'body') continue;
    if (mode === 'whole' && arg.name === '') {
      plan.whole = arg.property;
      const schema = deref(properties[arg.property], root);
      if (schema !== undefined && isObject(schema.properties)) bodyProperties = schema.properties;
    } else {
      plan.fields.push({ property: arg.property, name: arg.name });
      bodyProperties[arg.name] = properties[arg.property];
    }
  }
  if (kind === 'multipart') {
    for (const [name, schema] of Object.entries(bodyProperties)) {
      const declared = encodingContentType(plan.encoding?.[name]);
      if (carriesBytes(schema, root) || (declared !== undefined && !/^text\/|json/i.test(declared))) {
        plan.files.set(name, declared !== undefined && !declared.includes('*') && !declared.includes(',') ? { contentType: declared } : {});
      }
    }
  }
  return plan;
}

function encodingContentType(encoding: unknown): string | undefined {
  return isObject(encoding) && typeof encoding.contentType === 'string' ? encoding.contentType.trim() : undefined;
}

/** The generators mark bytes as base64 text (`format: binary`/`byte`, `contentEncoding`, Swagger's `file`). */
function carriesBytes(schema: unknown, root: Record<string, unknown>): boolean {
  const resolved = deref(schema, root);
  if (resolved === undefined) return false;
  if (resolved.contentEncoding === 'base64' || typeof resolved.contentMediaType === 'string') return true;
  return resolved.items !== undefined && carriesBytes(resolved.items, root);
}

function deref(schema: unknown, root: Record<string, unknown>): Record<string, unknown> | undefined {
  if (!isObject(schema)) return undefined;
  const ref = schema.$ref;
  if (typeof ref === 'string' && ref.startsWith('#/$defs/') && isObject(root.$defs)) {
    const key = ref.slice('#/$defs/'.length).replace(/~1/g, '/').replace(/~0/g, '~');
    const target = root.$defs[key];
    return isObject(target) ? target : undefined;
  }
  return schema;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---- Base URL ----

function baseFor(baseUrl: string, tool: string): BasePlan {
  const known = bases.get(baseUrl);
  if (known !== undefined) return known;
  let parsed: URL;
  try {
    parsed = new URL(baseUrl);
  } catch (cause) {
    throw errors.REQUEST_BUILD([tool, `the connector's base URL ${JSON.stringify(baseUrl)} is not an absolute URL`], { cause });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw errors.REQUEST_BUILD([tool, `the connector's base URL uses ${parsed.protocol}; only http and https are called`]);
  }
  // Credentials belong to the credentials stage; in a URL they end up in logs.
  if (parsed.username !== '' || parsed.password !== '') throw errors.REQUEST_BUILD([tool, "the connector's base URL carries credentials"]);
  const path = parsed.pathname.replace(/\/+$/, '');
  const base: BasePlan = { prefix: `${parsed.protocol}//${parsed.host}${path}`, path, query: parsed.search.slice(1) };
  bases.set(baseUrl, base);
  return base;
}

function hostAllowed(url: URL, allowed: readonly string[]): boolean {
  if (allowed.includes(url.host)) return true;
  // The URL parser drops a default port; a list may still spell it out.
  return url.port === '' && allowed.includes(`${url.hostname}:${url.protocol === 'https:' ? 443 : 80}`);
}

// ---- Bodies ----

interface BuiltBody {
  payload: string | Buffer | FormData;
  contentType?: string;
}

function buildBody(tool: string, plan: BodyPlan, args: Record<string, unknown>): BuiltBody | undefined {
  let value: unknown;
  if (plan.whole !== undefined) {
    value = args[plan.whole];
    if (value === undefined) return undefined;
  } else {
    const assembled: Record<string, unknown> = {};
    let given = false;
    for (const field of plan.fields) {
      const fieldValue = args[field.property];
      if (fieldValue === undefined) continue;
      assembled[field.name] = fieldValue;
      given = true;
    }
    if (!given && !plan.required) return undefined;
    value = assembled;
  }
  const label = plan.whole ?? 'body';
  switch (plan.kind) {
    case 'json':
      return { payload: JSON.stringify(value), contentType: plan.mediaType.includes('*') ? 'application/json' : plan.mediaType };
    case 'form': {
      if (typeof value === 'string') return { payload: value, contentType: plan.mediaType };
      if (!isObject(value)) throw buildError(tool, `argument "${label}" must be an object of form fields`, label);
      const form = value;
      return { payload: guarded(tool, label, () => serialiseFormBody(form, plan.encoding)), contentType: plan.mediaType };
    }
    case 'multipart':
      // A multipart body whose schema is one binary string (Jira's attachments) is one
      // file; `file` is the part name such APIs expect.
      if (typeof value === 'string') return { payload: multipartBody(tool, { ...plan, files: new Map([['file', {}]]) }, { file: value }) };
      if (!isObject(value)) throw buildError(tool, `argument "${label}" must be an object of form fields, or one file as base64 text or a data: URL`, label);
      return { payload: multipartBody(tool, plan, value) };
    case 'text':
      if (typeof value === 'object' && value !== null) throw buildError(tool, `argument "${label}" must be text for ${plan.mediaType}`, label);
      return { payload: valueText(value), contentType: plan.mediaType.includes('*') ? 'text/plain' : plan.mediaType };
    case 'binary': {
      if (typeof value !== 'string') throw buildError(tool, `argument "${label}" must be base64 text or a data: URL`, label);
      const decoded = guarded(tool, label, () => decodeBytes(value));
      const type = plan.mediaType.includes('*') ? decoded.mediaType ?? sniffMediaType(decoded.bytes, plan.mediaType) : plan.mediaType;
      return { payload: decoded.bytes, contentType: type };
    }
  }
}

function multipartBody(tool: string, plan: BodyPlan, body: Record<string, unknown>): FormData {
  const form = new FormData();
  // Arguments are named by the tool's property in errors, the body field otherwise.
  const argumentOf = new Map(plan.fields.map((f) => [f.name, f.property]));
  for (const name of Object.keys(body)) {
    const value = body[name];
    if (value === undefined || value === null) continue;
    const label = argumentOf.get(name) ?? `${plan.whole ?? 'body'}.${name}`;
    const file = plan.files.get(name);
    // OAS §4.8.15.3: a list is one part per item under the same name.
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item === undefined || item === null) continue;
      if (file === undefined) {
        form.append(name, valueText(item));
        continue;
      }
      if (typeof item !== 'string') throw buildError(tool, `argument "${label}" must be a file as base64 text or a data: URL`, label);
      const decoded = guarded(tool, label, () => decodeBytes(item));
      const type = decoded.mediaType ?? file.contentType ?? 'application/octet-stream';
      form.append(name, new Blob([decoded.bytes], { type }), filenameFor(name, decoded, type));
    }
  }
  return form;
}

const SIGNATURES: Array<[string, number[]]> = [
  ['image/png', [0x89, 0x50, 0x4e, 0x47]],
  ['image/jpeg', [0xff, 0xd8, 0xff]],
  ['image/gif', [0x47, 0x49, 0x46, 0x38]],
  ['application/pdf', [0x25, 0x50, 0x44, 0x46]],
  ['application/zip', [0x50, 0x4b, 0x03, 0x04]],
];

/**
 * A wildcard body type (`image/*`) needs a real content-type on the wire: plain base64
 * carries none, so read the common file signatures; else fall back to octet-stream.
 */
function sniffMediaType(bytes: Uint8Array, wildcard: string): string {
  const riff = bytes.length >= 12 && String.fromCharCode(...bytes.subarray(8, 12)) === 'WEBP' ? 'image/webp' : undefined;
  const found = riff ?? SIGNATURES.find(([, magic]) => magic.every((b, i) => bytes[i] === b))?.[0];
  const family = wildcard.split('/')[0].toLowerCase();
  if (found !== undefined && (family === '*' || found.startsWith(`${family}/`))) return found;
  return 'application/octet-stream';
}

const EXTENSIONS: Record<string, string> = {
  'image/png': '.png', 'image/jpeg': '.jpg', 'image/gif': '.gif', 'image/webp': '.webp', 'image/svg+xml': '.svg',
  'application/pdf': '.pdf', 'application/json': '.json', 'application/zip': '.zip', 'text/plain': '.txt', 'text/csv': '.csv',
};

// Many upstreams reject a file part without a filename; a data: URL may name one.
function filenameFor(field: string, decoded: DecodedBytes, type: string): string {
  if (decoded.filename !== undefined && decoded.filename !== '') return decoded.filename;
  return field + (EXTENSIONS[type.toLowerCase()] ?? '');
}

// ---- Errors ----

// URL parsers resolve "." and ".." segments even when percent-encoded, so no encoding
// can carry them; name the arguments that brought dots into the path.
function dotSegmentError(tool: string, plan: Plan, args: Record<string, unknown>, template: string): HubError {
  const suspects = plan.pathSteps.filter((step): step is ParamStep => step !== undefined && /\.|%2e/i.test(valueText(args[step.property])));
  const names = suspects.map((step) => `"${step.property}"`).join(', ');
  const subject = suspects.length === 1 ? `argument ${names}` : suspects.length > 1 ? `arguments ${names}` : 'the path arguments';
  return buildError(tool, `${subject} would make a "." or ".." segment in ${template}, which would change the path`, suspects[0]?.property);
}

function buildError(tool: string, reason: string, argument?: string): HubError {
  return errors.REQUEST_BUILD([tool, reason], argument === undefined ? undefined : { details: { argument } });
}

/** Runs one argument's serialisation; a failure becomes REQUEST_BUILD naming the argument. */
function guarded<T>(tool: string, argument: string, serialise: () => T): T {
  try {
    return serialise();
  } catch (cause) {
    if (isHubError(cause)) throw cause;
    throw errors.REQUEST_BUILD([tool, `argument "${argument}" ${(cause as Error).message}`], { cause, details: { argument } });
  }
}
