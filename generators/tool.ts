/**
 * One operation -> one MCP Tool (MCP 2025-11-25 `Tool`: name, title, description,
 * inputSchema, outputSchema, annotations) plus the binding the gateway needs to
 * turn the tool's arguments back into an HTTP request.
 *
 * inputSchema layout: parameters and (when the body is a plain object) the body's
 * properties side by side at the top level; any other body is one `body` property.
 * Property names are made safe for strict clients ([A-Za-z0-9_.-], 64 chars); a
 * clash is resolved by prefixing the later one with its location, so nothing is lost.
 */
import { hasNonAscii, toAscii } from './ascii';
import { compactText } from './description';
import { nameSource } from './names';
import { pathSegmentSchema, requireNonEmpty } from './non-empty';
import type { MediaTypeModel, OperationModel, ParameterLocation } from './operation';
import { buildOutputSchema, type OutputSchemaMode } from './output-schema';
import { isPlainObject, type RefResolver } from './ref-resolver';
import { assembleSchema, type JsonSchema, type RefCounts, type SchemaConverter } from './schema';

export interface McpToolAnnotations {
  title?: string;
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

/** MCP demands `type: "object"` at the top of both tool schemas. */
export interface ObjectSchema {
  type: 'object';
  properties?: Record<string, JsonSchema>;
  required?: string[];
  $defs?: Record<string, JsonSchema>;
  [keyword: string]: unknown;
}

export interface McpTool {
  name: string;
  title?: string;
  description?: string;
  inputSchema: ObjectSchema;
  outputSchema?: ObjectSchema;
  annotations?: McpToolAnnotations;
}

export type BodyKind = 'json' | 'form' | 'multipart' | 'text' | 'binary';

export interface ArgumentBinding {
  /** Property name in the tool's inputSchema. */
  property: string;
  in: ParameterLocation | 'body';
  /** Parameter or body property name in the spec; '' for a whole body. */
  name: string;
}

export interface ToolBinding {
  tool: string;
  /** OperationModel.key */
  operation: string;
  arguments: ArgumentBinding[];
  body?: { mediaType: string; kind: BodyKind; mode: 'whole' | 'properties' };
}

export interface ToolContext {
  connectorId: string;
  resolver: RefResolver;
  input: SchemaConverter;
  output: SchemaConverter;
  outputSchema: OutputSchemaMode;
  descriptionBudget: number;
  parameterDescriptionBudget: number;
}

const SAFE_PROPERTY = /^[A-Za-z0-9_.-]{1,64}$/;
const LOCATION_ORDER: ParameterLocation[] = ['path', 'query', 'header', 'cookie'];

/**
 * The argument every tool with a JSON result takes besides the operation's own: a JMESPath
 * expression the hub applies to the result (gateway/pipeline/project.ts). An operation's
 * parameter of the same name is renamed like any clash, so the two never meet.
 */
export const PROJECTION_ARGUMENT = '_jmespath';
const PROJECTION_SCHEMA = Object.freeze({ type: 'string', description: 'JMESPath expression applied to the result' });
/** The argument a paged tool takes to follow pages itself (added where the connector file says how its API pages). */
export const FOLLOW_PAGES_ARGUMENT = '_pages';
const HUB_ARGUMENTS: ReadonlySet<string> = new Set([PROJECTION_ARGUMENT, FOLLOW_PAGES_ARGUMENT]);

export function buildTool(op: OperationModel, name: string, ctx: ToolContext): { tool: McpTool; binding: ToolBinding } {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  const bindings: ArgumentBinding[] = [];
  const refs: RefCounts = new Map();
  const taken = (candidate: string) => candidate in properties || HUB_ARGUMENTS.has(candidate);
  const claim = (wanted: string, prefix: string): string => {
    let candidate = safePropertyName(wanted);
    if (taken(candidate)) candidate = safePropertyName(`${prefix}_${wanted}`);
    for (let n = 2; taken(candidate); n++) candidate = safePropertyName(`${prefix}_${wanted}_${n}`);
    return candidate;
  };

  const params = [...op.parameters].sort((a, b) => LOCATION_ORDER.indexOf(a.in) - LOCATION_ORDER.indexOf(b.in));
  for (const param of params) {
    const property = claim(param.name, param.in);
    let converted = ctx.input.convert(param.schema, param.schemaPointer, refs);
    if (param.in === 'path') converted = pathSegmentSchema(converted);
    else if (param.in === 'query' && param.required && !param.allowEmptyValue) converted = requireNonEmpty(converted);
    const description = withOriginalName(compactText(param.description, ctx.parameterDescriptionBudget), param.name, `${param.in} parameter`);
    properties[property] = withDescription(converted, description, param.deprecated);
    if (param.required) required.push(property);
    bindings.push({ property, in: param.in, name: param.name });
  }

  let body: ToolBinding['body'];
  const media = pickBodyMediaType(op.requestBody?.contents ?? []);
  if (op.requestBody && media) {
    const kind = bodyKind(media.mediaType);
    const bodyRequired = op.requestBody.required;
    const flat = kind === 'json' || kind === 'form' || kind === 'multipart' ? flattenableObject(media, ctx.resolver, bodyRequired) : undefined;
    if (flat) {
      body = { mediaType: media.mediaType, kind, mode: 'properties' };
      const bodyRequiredProps = new Set(Array.isArray(flat.schema.required) ? flat.schema.required : []);
      const converted = ctx.input.convert(flat.schema, flat.pointer, refs) as Record<string, unknown>;
      const rawProps = flat.schema.properties as Record<string, unknown>;
      for (const [propName, propSchema] of Object.entries((converted.properties ?? {}) as Record<string, JsonSchema>)) {
        const property = claim(propName, 'body');
        // Top-level body properties are arguments like parameters: same description budget.
        const rawProp = rawProps[propName];
        const rawDescription = isPlainObject(rawProp) && typeof rawProp.description === 'string' ? rawProp.description : undefined;
        const description = withOriginalName(compactText(rawDescription, ctx.parameterDescriptionBudget), propName, 'body property');
        properties[property] = description === '' ? propSchema : withDescription(propSchema, description, false);
        if (bodyRequired && bodyRequiredProps.has(propName)) required.push(property);
        bindings.push({ property, in: 'body', name: propName });
      }
    } else {
      body = { mediaType: media.mediaType, kind, mode: 'whole' };
      const property = claim('body', 'request');
      properties[property] = wholeBodySchema(media, kind, op.requestBody.description, ctx, refs);
      if (bodyRequired) required.push(property);
      bindings.push({ property, in: 'body', name: '' });
    }
  }

  const success = successResponseSchema(op);
  if (success) properties[PROJECTION_ARGUMENT] = { ...PROJECTION_SCHEMA };
  const inputRoot: Record<string, unknown> = { type: 'object', properties };
  if (required.length > 0) inputRoot.required = required;
  // Unknown arguments are refused with a clear error instead of being silently dropped.
  inputRoot.additionalProperties = false;
  const inputSchema = assembleSchema(inputRoot, refs, ctx.input) as McpTool['inputSchema'];

  const description = toolDescription(op, bindings, ctx.descriptionBudget);
  // Key order is the order clients print: name, title, description, schemas, annotations.
  const tool: McpTool = { name, title: toolTitle(op), description, inputSchema };
  if (success) {
    const outputSchema = buildOutputSchema(ctx.outputSchema, success.schema, success.schemaPointer, ctx.resolver, ctx.output);
    if (outputSchema) tool.outputSchema = outputSchema as McpTool['outputSchema'];
  }
  // No hint says the same as `{}` (MCP's defaults); 16 bytes saved on each of GitHub's ~480 write tools.
  const annotations = annotationsFor(op);
  if (Object.keys(annotations).length > 0) tool.annotations = annotations;
  return { tool, binding: { tool: name, operation: op.key, arguments: bindings, ...(body ? { body } : {}) } };
}

/** `filter[state]` -> `filter_state`, `ключ` -> `klyuch`: what every client accepts, still readable. */
export function safePropertyName(name: string): string {
  if (SAFE_PROPERTY.test(name)) return name;
  const cleaned = toAscii(name)
    .replace(/[^A-Za-z0-9_.-]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return (cleaned === '' ? 'arg' : cleaned).slice(0, 64);
}

/** A property whose name had to be made safe says what it stands for: the agent reads only the property name. */
function withOriginalName(description: string, name: string, what: string): string {
  if (safePropertyName(name) === name) return description;
  const note = `(${what} "${name}")`;
  return description === '' ? note : `${description} ${note}`;
}

function withDescription(schema: JsonSchema, description: string, deprecated: boolean): JsonSchema {
  if (typeof schema === 'boolean') return description === '' ? schema : { description };
  const out: Record<string, unknown> = { ...schema };
  if (description !== '') out.description = description;
  if (deprecated) out.deprecated = true;
  return out;
}

function bodyKind(mediaType: string): BodyKind {
  const mt = mediaType.toLowerCase().split(';')[0].trim();
  if (mt === 'application/json' || mt.endsWith('+json') || /^application\/[\w.-]*json/.test(mt) || mt === '*/*') return 'json';
  if (mt === 'application/x-www-form-urlencoded') return 'form';
  if (mt.startsWith('multipart/')) return 'multipart';
  if (mt.startsWith('text/') || mt.endsWith('+xml') || mt === 'application/xml') return 'text';
  return 'binary';
}

const BODY_PREFERENCE: BodyKind[] = ['json', 'form', 'multipart', 'text', 'binary'];

/** The request media type a tool speaks: JSON first, then form, multipart, text, bytes. */
export function pickBodyMediaType(contents: MediaTypeModel[]): MediaTypeModel | undefined {
  let best: MediaTypeModel | undefined;
  let bestRank = Infinity;
  for (const media of contents) {
    const rank = BODY_PREFERENCE.indexOf(bodyKind(media.mediaType)) * 2 + (media.mediaType === '*/*' ? 1 : 0);
    if (rank < bestRank) {
      best = media;
      bestRank = rank;
    }
  }
  return best;
}

/** A body whose properties can sit beside the parameters without changing meaning. */
function flattenableObject(
  media: MediaTypeModel,
  resolver: RefResolver,
  bodyRequired: boolean,
): { schema: Record<string, unknown>; pointer: string } | undefined {
  const resolved = resolver.deref<unknown>(media.schema, media.schemaPointer);
  const schema = resolved.value;
  if (!isPlainObject(schema) || !isPlainObject(schema.properties)) return undefined;
  if (schema.type !== undefined && schema.type !== 'object') return undefined;
  if (schema.nullable === true || schema.allOf || schema.anyOf || schema.oneOf || schema.not || schema.if) return undefined;
  if (schema.additionalProperties !== undefined && schema.additionalProperties !== false) return undefined;
  if (schema.patternProperties !== undefined) return undefined;
  // An optional body with required properties cannot be said with top-level `required`.
  if (!bodyRequired && Array.isArray(schema.required) && schema.required.length > 0) return undefined;
  return { schema, pointer: resolved.pointer };
}

function wholeBodySchema(media: MediaTypeModel, kind: BodyKind, description: string | undefined, ctx: ToolContext, refs: RefCounts): JsonSchema {
  const text = compactText(description, ctx.parameterDescriptionBudget);
  if (kind === 'binary') {
    return {
      type: 'string',
      contentEncoding: 'base64',
      contentMediaType: media.mediaType,
      description: text || `Request body (${media.mediaType}) as base64 or a data: URL`,
    };
  }
  if (kind === 'text' && !isPlainObject(media.schema)) return { type: 'string', description: text || `Request body (${media.mediaType})` };
  const converted = media.schema === undefined ? {} : ctx.input.convert(media.schema, media.schemaPointer, refs);
  return withDescription(converted, text, false);
}

function toolTitle(op: OperationModel): string {
  const summary = compactText(op.summary, 100);
  if (summary !== '') return summary.split('\n')[0];
  if (op.operationId) return op.operationId;
  return `${op.method.toUpperCase()} ${op.path}`;
}

/**
 * Never empty: clients and the MCP conformance suite expect every tool to say what it
 * does. A spec with neither summary nor description still says the method, the path
 * and the arguments; a name that had to be transliterated names its original.
 */
function toolDescription(op: OperationModel, args: readonly ArgumentBinding[], budget: number): string {
  const summary = op.summary?.trim() ?? '';
  const description = op.description?.trim() ?? '';
  // The title already carries the summary; the description adds what it does not say.
  let text = description === '' ? summary : description;
  if (compactText(text, budget) === '') text = describeCall(op, args);
  if (op.deprecated) text = `Deprecated. ${text}`;
  text = compactText(text, budget);
  const source = nameSource(op);
  if (hasNonAscii(source) && !text.includes(source)) text = `${text} (named after "${source}")`;
  return text;
}

/** `GET /users/{id} with id (path) and fields (query).` */
function describeCall(op: OperationModel, args: readonly ArgumentBinding[]): string {
  const call = `${op.method.toUpperCase()} ${op.path}`;
  const named = args.map((a) => (a.in === 'body' ? (a.name === '' ? a.property : `${a.property} (body)`) : `${a.property} (${a.in})`));
  if (named.length === 0) return `${call}.`;
  const list = named.length === 1 ? named[0] : `${named.slice(0, -1).join(', ')} and ${named[named.length - 1]}`;
  return `${call} with ${list}.`;
}

function successResponseSchema(op: OperationModel): MediaTypeModel | undefined {
  const ranked = op.responses.filter((r) => /^2(\d\d|XX)$/i.test(r.status)).sort((a, b) => a.status.localeCompare(b.status));
  for (const response of ranked) {
    const json = response.contents.find((c) => bodyKind(c.mediaType) === 'json' && c.schema !== undefined);
    if (json) return json;
    if (response.contents.length > 0) return undefined; // a non-JSON success (file, text) has no structured output
  }
  return undefined;
}

function annotationsFor(op: OperationModel): McpToolAnnotations {
  const method = op.method;
  const readOnly = method === 'get' || method === 'head' || method === 'options';
  const annotations: McpToolAnnotations = {};
  if (readOnly) annotations.readOnlyHint = true;
  if (method === 'delete') annotations.destructiveHint = true;
  // Repeating a GET/HEAD/PUT/DELETE has no further effect; a client that retries on
  // its own reads this, so read-only tools say it too.
  if (readOnly || method === 'put' || method === 'delete') annotations.idempotentHint = true;
  // openWorldHint is left out: its default (true) is right for every generated tool.
  return annotations;
}
