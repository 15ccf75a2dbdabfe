/**
 * The gateway refuses an argument that would leave a path segment empty or missing (an
 * empty string, list or object, or null), and an empty value for a required query
 * parameter (OAS `allowEmptyValue` defaults to false). An inputSchema must never admit
 * what the hub then refuses: a client that validates before calling would otherwise
 * learn of it only from a failed call. So such arguments say it in their schema, in the
 * keyword of their type.
 */
import type { JsonSchema } from './schema';

const FLOOR: ReadonlyArray<readonly [type: string, keyword: string]> = [
  ['string', 'minLength'],
  ['array', 'minItems'],
  ['object', 'minProperties'],
];

/** A path parameter: never null, never empty. */
export function pathSegmentSchema(schema: JsonSchema): JsonSchema {
  return requireNonEmpty(withoutNull(schema));
}

export function requireNonEmpty(schema: JsonSchema): JsonSchema {
  if (typeof schema === 'boolean') return schema;
  const types = Array.isArray(schema.type) ? (schema.type as unknown[]) : [schema.type];
  // An enum or const already says which values are allowed; only an empty one matters.
  const listed = Array.isArray(schema.enum) ? schema.enum : schema.const !== undefined ? [schema.const] : undefined;
  let out: Record<string, unknown> | undefined;
  for (const [type, keyword] of FLOOR) {
    if (!types.includes(type)) continue;
    if (typeof schema[keyword] === 'number' && (schema[keyword] as number) >= 1) continue;
    if (listed !== undefined && !listed.some((v) => isEmpty(v))) continue;
    out ??= { ...schema };
    out[keyword] = 1;
  }
  return out ?? schema;
}

function isEmpty(value: unknown): boolean {
  if (value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && value !== null && Object.keys(value).length === 0;
}

/** `type: [string, null]` -> `string`, and `anyOf: [X, {type: null}]` (OAS 3.0 `nullable` beside a $ref) -> X. */
function withoutNull(schema: JsonSchema): JsonSchema {
  if (typeof schema === 'boolean') return schema;
  let out = schema;
  if (Array.isArray(schema.type) && schema.type.includes('null')) {
    const types = (schema.type as unknown[]).filter((t) => t !== 'null');
    if (types.length > 0) out = { ...out, type: types.length === 1 ? types[0] : types };
  }
  if (Array.isArray(out.enum) && out.enum.includes(null) && out.enum.length > 1) out = { ...out, enum: out.enum.filter((v) => v !== null) };
  if (Array.isArray(out.anyOf) && out.anyOf.length === 2 && Object.keys(out).every((k) => k === 'anyOf' || k === 'description')) {
    const rest = (out.anyOf as JsonSchema[]).filter((s) => !(typeof s === 'object' && s.type === 'null' && Object.keys(s).length === 1));
    if (rest.length === 1 && typeof rest[0] === 'object') out = { ...rest[0], ...(out.description !== undefined ? { description: out.description } : {}) };
  }
  return out;
}
