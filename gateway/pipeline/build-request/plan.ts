/**
 * What a call of one tool needs that depends only on the tool, worked out once: each
 * parameter's OAS style/explode, the headers an argument may not set, the body's kind
 * and its file fields.
 */
import { errors } from '../../../errors';
import { compilePathTemplate, isToken, type PathTemplate, type StyleOptions, type ParameterLocation, type BodyKind } from '../../../generators';
import type { HttpOperationTool } from '../../core';

/**
 * Headers the HTTP layer owns. Sent from an argument they could smuggle a second request
 * (content-length, transfer-encoding), re-route it (host) or change the connection.
 */
export const REFUSED_HEADERS: ReadonlySet<string> = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'expect',
  'http2-settings',
]);

export interface ParamStep {
  property: string;
  name: string;
  options: StyleOptions;
  /** Query only: what an empty string becomes (see queryString in parameters.ts). */
  emptyValue?: 'allowed' | 'omit' | 'refuse';
}

export interface HeaderStep extends ParamStep {
  /** Lower-case header name. */
  wire: string;
  /** Why this header is never sent from an argument; undefined when it may be. */
  refusal?: string;
}

export interface FileField {
  /** The part's media type when the spec's encoding names exactly one. */
  contentType?: string;
}

export interface BodyPlan {
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

export interface Plan {
  method: string;
  template: PathTemplate;
  /** One per template name, in order; undefined when no argument binds it. */
  pathSteps: Array<ParamStep | undefined>;
  query: ParamStep[];
  headers: HeaderStep[];
  cookies: ParamStep[];
  body?: BodyPlan;
}

export function makePlan(registered: HttpOperationTool): Plan {
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

function emptyValueRule(registered: HttpOperationTool, name: string): ParamStep['emptyValue'] {
  const param = registered.operation.parameters.find((p) => p.in === 'query' && p.name === name);
  return param?.allowEmptyValue ? 'allowed' : param?.required ? 'refuse' : 'omit';
}

function styleFor(registered: HttpOperationTool, location: ParameterLocation, name: string): StyleOptions {
  const param = registered.operation.parameters.find((p) => p.in === location && p.name === name);
  const style = param?.style ?? (location === 'query' || location === 'cookie' ? 'form' : 'simple');
  const options: StyleOptions = { style, explode: param?.explode ?? style === 'form' };
  if (location === 'query' && param?.allowReserved) options.allowReserved = true;
  if (param?.contentType !== undefined) options.contentType = param.contentType;
  return options;
}

function bodyPlan(registered: HttpOperationTool): BodyPlan {
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

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
