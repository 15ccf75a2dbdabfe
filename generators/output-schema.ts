/**
 * outputSchema for a tool (MCP 2025-06-18+ `Tool.outputSchema`, which must be an
 * object schema). Three modes, chosen per connector:
 * - `shallow` (default): the first top-level properties with their types only. Agents
 *   learn the shape for a few bytes, and a looser schema is less often broken by
 *   upstreams that drift from their spec (clients reject structured results that
 *   do not validate).
 * - `full`: the whole converted schema with $defs.
 * - `none`: no outputSchema.
 */
import { appendPointer } from './json-pointer';
import { isPlainObject, type RefResolver } from './ref-resolver';
import { assembleSchema, JSON_SCHEMA_TYPES, type SchemaConverter } from './schema';

export type OutputSchemaMode = 'shallow' | 'full' | 'none';

/**
 * Shallow schemas list at most this many properties, in spec order (specs put the
 * identifying ones first). Listing a subset stays correct: other properties are allowed.
 */
export const SHALLOW_PROPERTY_LIMIT = 8;

export function buildOutputSchema(
  mode: OutputSchemaMode,
  schema: unknown,
  pointer: string,
  resolver: RefResolver,
  converter: SchemaConverter,
): Record<string, unknown> | undefined {
  if (mode === 'none' || schema === undefined) return undefined;
  const root = resolveObject(schema, pointer, resolver);
  if (root === undefined) return undefined;
  if (mode === 'full') {
    const refs = new Map<string, number>();
    const converted = converter.convert(schema, pointer, refs);
    if (typeof converted !== 'object') return undefined;
    const assembled = assembleSchema(converted, refs, converter);
    // The root may be a $ref that stayed in $defs (recursive); MCP wants type object at the top.
    return { type: 'object', ...assembled };
  }
  const properties: Record<string, unknown> = {};
  for (const [name, sub] of Object.entries(root.properties)) {
    if (Object.keys(properties).length >= SHALLOW_PROPERTY_LIMIT) break;
    const resolved = resolver.deref<unknown>(sub.schema, sub.pointer);
    if (isPlainObject(resolved.value) && resolved.value.writeOnly === true) continue;
    properties[name] = shallowType(resolved.value, resolved.pointer, resolver, 0);
  }
  return Object.keys(properties).length > 0 ? { type: 'object', properties } : { type: 'object' };
}

interface ObjectShape {
  /** Each property's schema with the pointer it was found at (problems name it). */
  properties: Record<string, { schema: unknown; pointer: string }>;
}

/** The object behind a response schema (through $refs and allOf), or undefined if not an object. */
function resolveObject(schema: unknown, pointer: string, resolver: RefResolver, depth = 0): ObjectShape | undefined {
  const resolved = resolver.deref<unknown>(schema, pointer);
  const node = resolved.value;
  if (!isPlainObject(node) || depth > 8) return undefined;
  const types = typeList(node);
  const objectish = types
    ? types.includes('object') && types.every((t) => t === 'object' || t === 'null')
    : isPlainObject(node.properties) || Array.isArray(node.allOf);
  if (!objectish) return undefined;
  const properties: ObjectShape['properties'] = {};
  if (isPlainObject(node.properties)) {
    for (const [name, sub] of Object.entries(node.properties)) properties[name] = { schema: sub, pointer: appendPointer(resolved.pointer, 'properties', name) };
  }
  if (Array.isArray(node.allOf)) {
    for (const [index, part] of node.allOf.entries()) {
      const shape = resolveObject(part, appendPointer(resolved.pointer, 'allOf', index), resolver, depth + 1);
      if (shape === undefined) return types ? { properties } : undefined;
      Object.assign(properties, shape.properties);
    }
  }
  return { properties };
}

function shallowType(node: unknown, pointer: string, resolver: RefResolver, depth: number): Record<string, unknown> {
  if (!isPlainObject(node) || depth > 4) return {};
  let types = typeList(node);
  if (types === undefined) {
    if (isPlainObject(node.properties)) types = ['object'];
    else if (node.items !== undefined) types = ['array'];
    else {
      const keyword = Array.isArray(node.oneOf) ? 'oneOf' : Array.isArray(node.anyOf) ? 'anyOf' : undefined;
      if (!keyword) return {};
      const union = new Set<string>();
      for (const [index, branch] of (node[keyword] as unknown[]).entries()) {
        const resolved = resolver.deref<unknown>(branch, appendPointer(pointer, keyword, index));
        const t = shallowType(resolved.value, resolved.pointer, resolver, depth + 1).type;
        if (t === undefined) return {};
        for (const one of Array.isArray(t) ? t : [t]) union.add(one as string);
      }
      types = [...union];
    }
  }
  if (node.nullable === true && !types.includes('null')) types = [...types, 'null'];
  return { type: types.length === 1 ? types[0] : types };
}

function typeList(node: Record<string, unknown>): string[] | undefined {
  const raw = Array.isArray(node.type) ? node.type : node.type === undefined ? [] : [node.type];
  const valid = raw.filter((t): t is string => typeof t === 'string' && JSON_SCHEMA_TYPES.has(t));
  return valid.length > 0 ? valid : undefined;
}
