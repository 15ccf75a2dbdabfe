/**
 * OpenAPI document -> operation model (OAS 3.1 §4.8.8 Path Item, §4.8.10 Operation,
 * §4.8.12 Parameter, §4.8.13 Request Body, §4.8.16 Responses, §4.8.5 Server).
 * Path-level parameters are merged into each operation (an operation's own
 * parameter with the same name + location wins), servers and security are made
 * effective. Unusable parts are reported as problems and left out; the walk never stops.
 *
 * Over 400 lines on purpose: one walk over the Operation Object and what it embeds, in
 * the order of the spec's sections; parameters and bodies share its problem reporting.
 */
import { appendPointer } from './json-pointer';
import type { ProblemList } from './problems';
import { isPlainObject, RefResolver } from './ref-resolver';

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];
export type ParameterLocation = 'path' | 'query' | 'header' | 'cookie';
const LOCATIONS: readonly string[] = ['path', 'query', 'header', 'cookie'];

export interface ServerVariableModel {
  default: string;
  enum?: string[];
  description?: string;
}

export interface ServerModel {
  url: string;
  description?: string;
  variables: Record<string, ServerVariableModel>;
}

export interface ParameterModel {
  name: string;
  in: ParameterLocation;
  required: boolean;
  deprecated: boolean;
  description?: string;
  style: string;
  explode: boolean;
  allowReserved: boolean;
  /** Query only: `name=` with no value is allowed (OAS `allowEmptyValue`, default false). */
  allowEmptyValue?: boolean;
  /** Raw OAS schema (possibly a $ref); undefined when the spec gives none. */
  schema: unknown;
  schemaPointer: string;
  /** Media type when the parameter uses `content` instead of `schema`. */
  contentType?: string;
  pointer: string;
}

export interface MediaTypeModel {
  mediaType: string;
  schema: unknown;
  schemaPointer: string;
  encoding?: Record<string, unknown>;
}

export interface RequestBodyModel {
  required: boolean;
  description?: string;
  contents: MediaTypeModel[];
  pointer: string;
}

export interface ResponseModel {
  status: string;
  description?: string;
  contents: MediaTypeModel[];
  pointer: string;
}

export type SecurityRequirement = Record<string, string[]>;

export interface OperationModel {
  /** `GET /pets/{petId}`: unique within a spec. */
  key: string;
  method: HttpMethod;
  /** Path template, always starting with "/". */
  path: string;
  /** The key under `paths` exactly as the spec writes it (typed clients index by it). */
  specPath: string;
  pointer: string;
  operationId?: string;
  summary?: string;
  description?: string;
  tags: string[];
  deprecated: boolean;
  parameters: ParameterModel[];
  requestBody?: RequestBodyModel;
  responses: ResponseModel[];
  /** Effective requirements; undefined when neither operation nor document declares any. */
  security?: SecurityRequirement[];
  servers: ServerModel[];
}

export interface ApiModel {
  title: string;
  version: string;
  description?: string;
  servers: ServerModel[];
  securitySchemes: Record<string, unknown>;
  operations: OperationModel[];
}

export function buildApiModel(document: Record<string, unknown>, problems: ProblemList): ApiModel {
  const resolver = new RefResolver(document, problems);
  const info = isPlainObject(document.info) ? document.info : {};
  if (!isPlainObject(document.info)) problems.warn('spec-missing-info', '/info', 'the document has no info object');
  const rootServers = readServers(document.servers, '/servers', problems) ?? [{ url: '/', variables: {} }];
  const components = isPlainObject(document.components) ? document.components : {};
  const securitySchemes = isPlainObject(components.securitySchemes) ? components.securitySchemes : {};
  const rootSecurity = readSecurity(document.security, '/security', problems);

  const operations: OperationModel[] = [];
  const paths = document.paths;
  if (paths !== undefined && !isPlainObject(paths)) {
    problems.error('spec-invalid-paths', '/paths', 'paths must be an object');
  } else if (paths !== undefined) {
    for (const [rawPath, rawItem] of Object.entries(paths)) {
      if (rawPath.startsWith('x-')) continue;
      const itemPointer = appendPointer('/paths', rawPath);
      const item = resolver.deref<Record<string, unknown>>(rawItem, itemPointer);
      if (!isPlainObject(item.value)) {
        problems.warn('path-item-invalid', itemPointer, 'path item is not an object; its operations are skipped');
        continue;
      }
      let pathTemplate = rawPath;
      if (!pathTemplate.startsWith('/')) {
        problems.warn('path-no-leading-slash', itemPointer, `path "${rawPath}" does not start with "/"; read as "/${rawPath}"`);
        pathTemplate = '/' + pathTemplate;
      }
      const pathItem = item.value;
      const pathParams = readParameters(pathItem.parameters, appendPointer(item.pointer, 'parameters'), resolver, problems);
      const pathServers = readServers(pathItem.servers, appendPointer(item.pointer, 'servers'), problems);
      for (const method of HTTP_METHODS) {
        const rawOp = pathItem[method];
        if (rawOp === undefined) continue;
        const opPointer = appendPointer(item.pointer, method);
        if (!isPlainObject(rawOp)) {
          problems.warn('operation-invalid', opPointer, 'operation is not an object; skipped');
          continue;
        }
        operations.push(
          buildOperation({
            method,
            path: pathTemplate,
            specPath: rawPath,
            pointer: opPointer,
            op: rawOp,
            pathParams,
            pathServers,
            rootServers,
            rootSecurity,
            resolver,
            problems,
          }),
        );
      }
    }
  }
  if (operations.length === 0) problems.warn('spec-no-operations', '/paths', 'the spec declares no operations');

  return {
    title: typeof info.title === 'string' ? info.title : 'Untitled API',
    version: typeof info.version === 'string' ? info.version : String(info.version ?? ''),
    description: typeof info.description === 'string' ? info.description : undefined,
    servers: rootServers,
    securitySchemes,
    operations,
  };
}

interface OperationInput {
  method: HttpMethod;
  path: string;
  specPath: string;
  pointer: string;
  op: Record<string, unknown>;
  pathParams: ParameterModel[];
  pathServers: ServerModel[] | undefined;
  rootServers: ServerModel[];
  rootSecurity: SecurityRequirement[] | undefined;
  resolver: RefResolver;
  problems: ProblemList;
}

function buildOperation(input: OperationInput): OperationModel {
  const { method, path, pointer, op, resolver, problems } = input;
  const ownParams = readParameters(op.parameters, appendPointer(pointer, 'parameters'), resolver, problems);
  const parameters = mergeParameters(input.pathParams, ownParams);
  reconcilePathParameters(path, pointer, parameters, problems);

  const servers = readServers(op.servers, appendPointer(pointer, 'servers'), problems) ?? input.pathServers ?? input.rootServers;
  const ownSecurity = readSecurity(op.security, appendPointer(pointer, 'security'), problems);
  const operationId = typeof op.operationId === 'string' && op.operationId.trim() !== '' ? op.operationId.trim() : undefined;
  if (op.operationId !== undefined && operationId === undefined) {
    problems.warn(
      'operation-id-invalid',
      appendPointer(pointer, 'operationId'),
      'operationId is not a non-empty string; a name is derived from method and path',
    );
  }
  return {
    key: `${method.toUpperCase()} ${path}`,
    method,
    path,
    specPath: input.specPath,
    pointer,
    operationId,
    summary: typeof op.summary === 'string' ? op.summary : undefined,
    description: typeof op.description === 'string' ? op.description : undefined,
    tags: Array.isArray(op.tags) ? op.tags.filter((t): t is string => typeof t === 'string') : [],
    deprecated: op.deprecated === true,
    parameters,
    requestBody: readRequestBody(op.requestBody, appendPointer(pointer, 'requestBody'), resolver, problems),
    responses: readResponses(op.responses, appendPointer(pointer, 'responses'), resolver, problems),
    security: ownSecurity ?? input.rootSecurity,
    servers,
  };
}

function readParameters(raw: unknown, pointer: string, resolver: RefResolver, problems: ProblemList): ParameterModel[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    problems.warn('parameters-invalid', pointer, 'parameters must be an array; ignored');
    return [];
  }
  const out: ParameterModel[] = [];
  raw.forEach((entry, index) => {
    const resolved = resolver.deref<Record<string, unknown>>(entry, appendPointer(pointer, index));
    const param = readParameter(resolved.value, resolved.pointer, problems);
    if (param === undefined) return;
    const clash = out.findIndex((p) => p.name === param.name && p.in === param.in);
    if (clash >= 0) {
      problems.warn('parameter-duplicate', resolved.pointer, `parameter "${param.name}" in ${param.in} is declared twice; the last one is used`);
      out.splice(clash, 1);
    }
    out.push(param);
  });
  return out;
}

function readParameter(raw: unknown, pointer: string, problems: ProblemList): ParameterModel | undefined {
  if (!isPlainObject(raw)) {
    problems.warn('parameter-invalid', pointer, 'parameter is not an object; ignored');
    return undefined;
  }
  if (typeof raw.name !== 'string' || raw.name === '') {
    problems.warn('parameter-invalid', pointer, 'parameter has no name; ignored');
    return undefined;
  }
  if (typeof raw.in !== 'string' || !LOCATIONS.includes(raw.in)) {
    problems.warn(
      'parameter-invalid',
      appendPointer(pointer, 'in'),
      `parameter "${raw.name}" has location ${JSON.stringify(raw.in)}; expected path, query, header or cookie; ignored`,
    );
    return undefined;
  }
  const location = raw.in as ParameterLocation;
  // OAS §4.8.12.1: these header parameters SHALL be ignored (the hub sets them itself).
  if (location === 'header' && /^(accept|content-type|authorization)$/i.test(raw.name)) return undefined;

  let schema: unknown = raw.schema;
  let schemaPointer = appendPointer(pointer, 'schema');
  let contentType: string | undefined;
  if (schema === undefined && isPlainObject(raw.content)) {
    const [first] = Object.entries(raw.content);
    if (first) {
      contentType = first[0];
      schema = isPlainObject(first[1]) ? first[1].schema : undefined;
      schemaPointer = appendPointer(pointer, 'content', first[0], 'schema');
    }
  }
  const defaultStyle = location === 'query' || location === 'cookie' ? 'form' : 'simple';
  const style = typeof raw.style === 'string' ? raw.style : defaultStyle;
  return {
    name: raw.name,
    in: location,
    required: raw.required === true || location === 'path',
    deprecated: raw.deprecated === true,
    description: typeof raw.description === 'string' ? raw.description : undefined,
    style,
    explode: typeof raw.explode === 'boolean' ? raw.explode : style === 'form',
    allowReserved: raw.allowReserved === true,
    ...(raw.allowEmptyValue === true ? { allowEmptyValue: true } : {}),
    schema,
    schemaPointer,
    contentType,
    pointer,
  };
}

function mergeParameters(pathLevel: ParameterModel[], operationLevel: ParameterModel[]): ParameterModel[] {
  const merged = pathLevel.filter((p) => !operationLevel.some((o) => o.name === p.name && o.in === p.in));
  return [...merged, ...operationLevel];
}

/** Every `{name}` in the template gets exactly one required path parameter. */
function reconcilePathParameters(path: string, pointer: string, parameters: ParameterModel[], problems: ProblemList): void {
  const templateNames = [...path.matchAll(/\{([^{}]+)\}/g)].map((m) => m[1]);
  for (let i = parameters.length - 1; i >= 0; i--) {
    const param = parameters[i];
    if (param.in !== 'path') continue;
    if (!templateNames.includes(param.name)) {
      problems.warn('path-parameter-unused', param.pointer, `path parameter "${param.name}" does not appear in "${path}"; ignored`);
      parameters.splice(i, 1);
    }
  }
  for (const name of templateNames) {
    if (parameters.some((p) => p.in === 'path' && p.name === name)) continue;
    problems.warn('path-parameter-undeclared', pointer, `"{${name}}" in "${path}" has no parameter; it is taken as a required string`);
    parameters.push({
      name,
      in: 'path',
      required: true,
      deprecated: false,
      style: 'simple',
      explode: false,
      allowReserved: false,
      schema: { type: 'string' },
      schemaPointer: pointer,
      pointer,
    });
  }
}

function readMediaTypes(raw: unknown, pointer: string, problems: ProblemList): MediaTypeModel[] {
  if (raw === undefined) return [];
  if (!isPlainObject(raw)) {
    problems.warn('content-invalid', pointer, 'content must be an object of media types; ignored');
    return [];
  }
  return Object.entries(raw).map(([mediaType, media]) => ({
    mediaType,
    schema: isPlainObject(media) ? media.schema : undefined,
    schemaPointer: appendPointer(pointer, mediaType, 'schema'),
    encoding: isPlainObject(media) && isPlainObject(media.encoding) ? media.encoding : undefined,
  }));
}

function readRequestBody(raw: unknown, pointer: string, resolver: RefResolver, problems: ProblemList): RequestBodyModel | undefined {
  if (raw === undefined) return undefined;
  const resolved = resolver.deref<Record<string, unknown>>(raw, pointer);
  if (!isPlainObject(resolved.value)) {
    if (resolved.value !== undefined) problems.warn('request-body-invalid', pointer, 'requestBody is not an object; ignored');
    return undefined;
  }
  const body = resolved.value;
  const contents = readMediaTypes(body.content, appendPointer(resolved.pointer, 'content'), problems);
  if (contents.length === 0) return undefined;
  return {
    required: body.required === true,
    description: typeof body.description === 'string' ? body.description : undefined,
    contents,
    pointer: resolved.pointer,
  };
}

function readResponses(raw: unknown, pointer: string, resolver: RefResolver, problems: ProblemList): ResponseModel[] {
  if (raw === undefined) return [];
  if (!isPlainObject(raw)) {
    problems.warn('responses-invalid', pointer, 'responses must be an object; ignored');
    return [];
  }
  const out: ResponseModel[] = [];
  for (const [status, entry] of Object.entries(raw)) {
    if (status.startsWith('x-')) continue;
    const resolved = resolver.deref<Record<string, unknown>>(entry, appendPointer(pointer, status));
    if (!isPlainObject(resolved.value)) continue;
    out.push({
      status,
      description: typeof resolved.value.description === 'string' ? resolved.value.description : undefined,
      contents: readMediaTypes(resolved.value.content, appendPointer(resolved.pointer, 'content'), problems),
      pointer: resolved.pointer,
    });
  }
  return out;
}

function readServers(raw: unknown, pointer: string, problems: ProblemList): ServerModel[] | undefined {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw)) {
    problems.warn('servers-invalid', pointer, 'servers must be an array; ignored');
    return undefined;
  }
  const out: ServerModel[] = [];
  raw.forEach((server, index) => {
    if (!isPlainObject(server) || typeof server.url !== 'string') {
      problems.warn('server-invalid', appendPointer(pointer, index), 'server has no url; ignored');
      return;
    }
    const variables: Record<string, ServerVariableModel> = {};
    if (isPlainObject(server.variables)) {
      for (const [name, variable] of Object.entries(server.variables)) {
        if (!isPlainObject(variable) || variable.default === undefined) {
          problems.warn('server-variable-invalid', appendPointer(pointer, index, 'variables', name), 'server variable has no default; ignored');
          continue;
        }
        variables[name] = {
          default: String(variable.default),
          enum: Array.isArray(variable.enum) ? variable.enum.map(String) : undefined,
          description: typeof variable.description === 'string' ? variable.description : undefined,
        };
      }
    }
    out.push({ url: server.url, description: typeof server.description === 'string' ? server.description : undefined, variables });
  });
  return out.length > 0 ? out : undefined;
}

function readSecurity(raw: unknown, pointer: string, problems: ProblemList): SecurityRequirement[] | undefined {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw)) {
    problems.warn('security-invalid', pointer, 'security must be an array of requirement objects; ignored');
    return undefined;
  }
  return raw.filter(isPlainObject).map((req) => {
    const out: SecurityRequirement = {};
    for (const [name, scopes] of Object.entries(req)) out[name] = Array.isArray(scopes) ? scopes.map(String) : [];
    return out;
  });
}
