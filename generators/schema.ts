/**
 * OpenAPI Schema Object -> JSON Schema 2020-12 (OAS 3.0 §4.7.24 Schema Object;
 * OAS 3.1 §4.8.24, which is 2020-12 plus vocabulary we drop).
 *
 * - OAS 3.0 `nullable` becomes a `null` type (or `anyOf [..., {type: null}]` where
 *   there is no type); boolean exclusiveMinimum/Maximum become numbers.
 * - Only JSON Schema keywords survive (no `example`, `discriminator`, `xml`, `x-*`):
 *   the result compiles under strict validators. Invalid keyword values (bad
 *   regex, empty enum, unknown type) are dropped with a warning naming the pointer.
 * - Direction: readOnly properties are dropped from inputs, writeOnly from outputs.
 * - `$ref`s to other schemas become `#/$defs/<key>`; each referenced schema is
 *   converted once per direction per spec (memoised) and assembled per tool by
 *   `assembleSchema`, which inlines single-use, non-recursive ones and keeps the
 *   rest in `$defs` (so circular schemas stay valid).
 *
 * Over 400 lines on purpose: one recursive conversion whose cases (3.0 and 3.1 keywords)
 * share one walk and one $defs table; `required` handling is already its own module.
 */
import { compactText } from './description';
import { escapeToken, localRefPointer } from './json-pointer';
import type { ProblemList } from './problems';
import { requiredNames } from './required';
import { isPlainObject, type RefResolver } from './ref-resolver';
import type { OpenApiVersion } from './spec-reader';

export type JsonSchema = boolean | { [keyword: string]: unknown };
export type Direction = 'input' | 'output';
export type RefCounts = Map<string, number>;

export const JSON_SCHEMA_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'array', 'object', 'null']);
/**
 * Formats kept: those JSON Schema 2020-12 defines *and* ajv-formats checks, because
 * clients validate with ajv and a strict ajv refuses a schema with a format it does
 * not know (iri, idn-email... broke 85 tools of the APIs.guru corpus). OAS-only
 * formats (int32, double...) add nothing an agent needs.
 */
const STANDARD_FORMATS = new Set([
  'date-time',
  'date',
  'time',
  'duration',
  'email',
  'hostname',
  'ipv4',
  'ipv6',
  'uri',
  'uri-reference',
  'uuid',
  'uri-template',
  'json-pointer',
  'relative-json-pointer',
  'regex',
]);
const NON_NEGATIVE_INT_KEYWORDS = ['minLength', 'maxLength', 'minItems', 'maxItems', 'minProperties', 'maxProperties', 'minContains', 'maxContains'];
const NUMBER_KEYWORDS = ['minimum', 'maximum'];
const SCHEMA_MAP_KEYWORDS = ['properties', 'patternProperties', 'dependentSchemas'];
const SCHEMA_KEYWORDS = ['additionalProperties', 'not', 'if', 'then', 'else', 'propertyNames', 'contains', 'unevaluatedProperties', 'unevaluatedItems'];
const SCHEMA_ARRAY_KEYWORDS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];

export interface ConverterOptions {
  version: OpenApiVersion;
  resolver: RefResolver;
  problems: ProblemList;
  direction: Direction;
  /** Max characters of a description inside a schema (0 drops them). */
  descriptionBudget: number;
}

interface ConvertedDef {
  key: string;
  schema: JsonSchema;
  refs: RefCounts;
}

export class SchemaConverter {
  private readonly defs = new Map<string, ConvertedDef>();
  private readonly keys = new Map<string, string>(); // key -> pointer
  private readonly recursive = new Map<string, boolean>();

  constructor(readonly options: ConverterOptions) {}

  /** Convert a schema found at `pointer`; refs it makes are counted into `refs`. */
  convert(schema: unknown, pointer: string, refs: RefCounts): JsonSchema {
    return this.node(schema, pointer, refs);
  }

  def(pointer: string): ConvertedDef | undefined {
    return this.defs.get(pointer);
  }

  pointerOfKey(key: string): string | undefined {
    return this.keys.get(key);
  }

  /** True when the def can reach itself through refs (it must stay in $defs). */
  isRecursive(pointer: string): boolean {
    const known = this.recursive.get(pointer);
    if (known !== undefined) return known;
    const seen = new Set<string>();
    const stack = [...(this.defs.get(pointer)?.refs.keys() ?? [])];
    let found = false;
    while (stack.length > 0 && !found) {
      const next = stack.pop() as string;
      if (next === pointer) found = true;
      else if (!seen.has(next)) {
        seen.add(next);
        stack.push(...(this.defs.get(next)?.refs.keys() ?? []));
      }
    }
    this.recursive.set(pointer, found);
    return found;
  }

  private node(raw: unknown, pointer: string, refs: RefCounts): JsonSchema {
    if (typeof raw === 'boolean') return raw;
    if (!isPlainObject(raw)) {
      if (raw !== undefined && raw !== null) this.options.problems.warn('schema-invalid', pointer, 'schema is not an object; any value is accepted');
      return {};
    }
    if (typeof raw.$ref === 'string') return this.ref(raw, pointer, refs);
    return this.object(raw, pointer, refs);
  }

  private ref(raw: Record<string, unknown>, pointer: string, refs: RefCounts): JsonSchema {
    const target = localRefPointer(raw.$ref as string);
    const { problems, resolver } = this.options;
    const resolved = target === undefined ? undefined : resolver.deref<unknown>(raw, pointer);
    if (target === undefined || resolved === undefined || resolved.value === undefined) {
      if (target === undefined) problems.warn('ref-unresolved', pointer, `$ref "${String(raw.$ref)}" points outside this document; any value is accepted`);
      return {};
    }
    // Chains of refs collapse onto the schema finally reached.
    const finalPointer = resolved.pointer;
    this.ensureDef(finalPointer, resolved.value);
    refs.set(finalPointer, (refs.get(finalPointer) ?? 0) + 1);
    const out: Record<string, unknown> = { $ref: '#/$defs/' + escapeToken(this.defs.get(finalPointer)!.key) };
    // OAS 3.0 ignores siblings of $ref; 3.1 (2020-12) applies them.
    if (this.options.version === '3.1') {
      const siblings = this.object(withoutKey(raw, '$ref'), pointer, refs) as Record<string, unknown>;
      Object.assign(out, siblings);
    }
    // Real 3.0 specs put `nullable: true` beside $ref and mean it; honour it.
    if (raw.nullable === true && !acceptsNull(out)) return { anyOf: [out, { type: 'null' }] };
    return out;
  }

  private ensureDef(pointer: string, value: unknown): void {
    if (this.defs.has(pointer)) return;
    const key = this.keyFor(pointer);
    // Registered before converting, so a schema that refers to itself terminates.
    const def: ConvertedDef = { key, schema: {}, refs: new Map() };
    this.defs.set(pointer, def);
    def.schema = this.node(value, pointer, def.refs);
  }

  private keyFor(pointer: string): string {
    const match = /^\/components\/schemas\/([^/]+)$/.exec(pointer) ?? /^\/definitions\/([^/]+)$/.exec(pointer);
    const name = match ? match[1].replace(/~1/g, '/').replace(/~0/g, '~') : pointer.split('/').slice(-3).join('_');
    let key = name.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 80);
    // Only names that had to change can collide; a pointer hash keeps them apart deterministically.
    if (!match || key !== name) key = `${key}_${shortHash(pointer)}`;
    this.keys.set(key, pointer);
    return key;
  }

  private object(raw: Record<string, unknown>, pointer: string, refs: RefCounts): JsonSchema {
    const { problems, direction, version } = this.options;
    const out: Record<string, unknown> = {};
    const at = (keyword: string) => `${pointer}/${escapeToken(keyword)}`;

    const nullable = raw.nullable === true;
    const types = this.types(raw, pointer, out);
    if (types !== undefined) {
      if (nullable && !types.includes('null')) types.push('null');
      out.type = types.length === 1 ? types[0] : types;
    }

    if (raw.enum !== undefined) {
      if (Array.isArray(raw.enum) && raw.enum.length > 0) {
        const values = [...new Map(raw.enum.map((v) => [JSON.stringify(v), v])).values()]; // unique, as 2020-12 wants
        if (nullable && !values.includes(null)) values.push(null);
        out.enum = values;
      } else problems.warn('schema-invalid-enum', at('enum'), 'enum must be a non-empty array; ignored');
    }
    if (raw.const !== undefined) out.const = raw.const;

    if (typeof raw.description === 'string' && this.options.descriptionBudget > 0) {
      const text = compactText(raw.description, this.options.descriptionBudget);
      if (text !== '') out.description = text;
    }
    if (raw.default !== undefined && direction === 'input') out.default = raw.default;
    if (raw.deprecated === true) out.deprecated = true;

    this.format(raw, out, at);
    for (const keyword of NON_NEGATIVE_INT_KEYWORDS) {
      const value = raw[keyword];
      if (value === undefined) continue;
      if (Number.isInteger(value) && (value as number) >= 0) out[keyword] = value;
      else problems.warn('schema-invalid-keyword', at(keyword), `${keyword} must be a non-negative integer; ignored`);
    }
    for (const keyword of NUMBER_KEYWORDS) {
      if (raw[keyword] === undefined) continue;
      if (typeof raw[keyword] === 'number') out[keyword] = raw[keyword];
      else problems.warn('schema-invalid-keyword', at(keyword), `${keyword} must be a number; ignored`);
    }
    this.exclusiveBounds(raw, out, at);
    if (raw.multipleOf !== undefined) {
      if (typeof raw.multipleOf === 'number' && raw.multipleOf > 0) out.multipleOf = raw.multipleOf;
      else problems.warn('schema-invalid-keyword', at('multipleOf'), 'multipleOf must be a number above 0; ignored');
    }
    if (raw.uniqueItems !== undefined && typeof raw.uniqueItems === 'boolean') out.uniqueItems = raw.uniqueItems;
    if (raw.pattern !== undefined) {
      if (isValidPattern(raw.pattern)) out.pattern = raw.pattern;
      else problems.warn('schema-invalid-pattern', at('pattern'), `pattern ${JSON.stringify(raw.pattern)} is not a valid ECMA-262 regular expression; ignored`);
    }
    if (typeof raw.contentMediaType === 'string') out.contentMediaType = raw.contentMediaType;
    if (typeof raw.contentEncoding === 'string') out.contentEncoding = raw.contentEncoding;

    // Subschemas.
    if (raw.items !== undefined) {
      if (Array.isArray(raw.items)) {
        out.prefixItems = raw.items.map((item, i) => this.node(item, `${at('items')}/${i}`, refs));
      } else out.items = this.node(raw.items, at('items'), refs);
    }
    for (const keyword of SCHEMA_ARRAY_KEYWORDS) {
      const value = raw[keyword];
      if (value === undefined) continue;
      if (Array.isArray(value) && value.length > 0) out[keyword] = value.map((s, i) => this.node(s, `${at(keyword)}/${i}`, refs));
      else problems.warn('schema-invalid-keyword', at(keyword), `${keyword} must be a non-empty array of schemas; ignored`);
    }
    for (const keyword of SCHEMA_KEYWORDS) {
      if (raw[keyword] !== undefined) out[keyword] = this.node(raw[keyword], at(keyword), refs);
    }
    for (const keyword of SCHEMA_MAP_KEYWORDS) {
      const value = raw[keyword];
      if (value === undefined) continue;
      if (!isPlainObject(value)) {
        problems.warn('schema-invalid-keyword', at(keyword), `${keyword} must be an object; ignored`);
        continue;
      }
      const map: Record<string, JsonSchema> = {};
      for (const [name, sub] of Object.entries(value)) {
        if (keyword === 'properties' && this.dropProperty(sub, `${at(keyword)}/${escapeToken(name)}`)) continue;
        if (keyword === 'patternProperties' && !isValidPattern(name)) {
          problems.warn(
            'schema-invalid-pattern',
            `${at(keyword)}/${escapeToken(name)}`,
            `pattern property ${JSON.stringify(name)} is not a valid regular expression; ignored`,
          );
          continue;
        }
        map[name] = this.node(sub, `${at(keyword)}/${escapeToken(name)}`, refs);
      }
      out[keyword] = map;
    }
    if (raw.required !== undefined) {
      const required = requiredNames(raw, out.properties as Record<string, unknown> | undefined, at('required'), problems);
      if (required.length > 0) out.required = required;
    }
    if (isPlainObject(raw.dependentRequired)) out.dependentRequired = raw.dependentRequired;

    if (nullable && types === undefined && version === '3.0' && Object.keys(out).some((k) => k !== 'description')) {
      // `nullable` without `type` (beside oneOf/allOf/$ref): say it the 2020-12 way.
      const { description, ...rest } = out;
      return description === undefined ? { anyOf: [rest, { type: 'null' }] } : { description, anyOf: [rest, { type: 'null' }] };
    }
    return out;
  }

  private types(raw: Record<string, unknown>, pointer: string, out: Record<string, unknown>): string[] | undefined {
    if (raw.type === undefined) return undefined;
    const list = Array.isArray(raw.type) ? raw.type : [raw.type];
    const valid: string[] = [];
    for (const t of list) {
      if (typeof t === 'string' && JSON_SCHEMA_TYPES.has(t)) {
        if (!valid.includes(t)) valid.push(t);
      } else if (t === 'file') {
        // Swagger 2.0 leftovers: a file travels as base64 text through MCP.
        valid.push('string');
        out.contentEncoding = 'base64';
      } else {
        this.options.problems.warn('schema-invalid-type', `${pointer}/type`, `type ${JSON.stringify(t)} is not a JSON Schema type; ignored`);
      }
    }
    return valid.length > 0 ? valid : undefined;
  }

  private format(raw: Record<string, unknown>, out: Record<string, unknown>, at: (k: string) => string): void {
    if (raw.format === undefined) return;
    if (typeof raw.format !== 'string') {
      this.options.problems.warn('schema-invalid-keyword', at('format'), 'format must be a string; ignored');
      return;
    }
    if (STANDARD_FORMATS.has(raw.format)) out.format = raw.format;
    else if ((raw.format === 'binary' || raw.format === 'byte') && this.options.direction === 'input') {
      // Bytes cross MCP as base64 text (the gateway also accepts data: URLs).
      out.contentEncoding = 'base64';
    }
  }

  private exclusiveBounds(raw: Record<string, unknown>, out: Record<string, unknown>, at: (k: string) => string): void {
    for (const [exclusive, bound] of [
      ['exclusiveMinimum', 'minimum'],
      ['exclusiveMaximum', 'maximum'],
    ] as const) {
      const value = raw[exclusive];
      if (value === undefined) continue;
      if (typeof value === 'number') out[exclusive] = value;
      else if (value === true && typeof out[bound] === 'number') {
        out[exclusive] = out[bound];
        delete out[bound];
      } else if (value !== false)
        this.options.problems.warn('schema-invalid-keyword', at(exclusive), `${exclusive} must be a number (or a boolean in OAS 3.0); ignored`);
    }
  }

  private dropProperty(sub: unknown, pointer: string): boolean {
    if (!isPlainObject(sub)) return false;
    const flag = this.options.direction === 'input' ? 'readOnly' : 'writeOnly';
    if (sub[flag] === true) return true;
    if (typeof sub.$ref === 'string') {
      const target = this.options.resolver.deref<Record<string, unknown>>(sub, pointer).value;
      return isPlainObject(target) && target[flag] === true;
    }
    return false;
  }
}

/**
 * Build one self-contained schema from a converted root: the $defs it reaches,
 * with single-use non-recursive ones inlined (fewer bytes, same meaning).
 */
export function assembleSchema(root: Record<string, unknown>, rootRefs: RefCounts, converter: SchemaConverter): Record<string, unknown> {
  const counts = new Map<string, number>();
  const reached: string[] = [];
  const visit = (refs: RefCounts) => {
    for (const [pointer, n] of refs) {
      const first = !counts.has(pointer);
      counts.set(pointer, (counts.get(pointer) ?? 0) + n);
      if (first) {
        reached.push(pointer);
        visit(converter.def(pointer)!.refs);
      }
    }
  };
  visit(rootRefs);
  const keep = new Set(reached.filter((p) => counts.get(p)! > 1 || converter.isRecursive(p)));
  const keyPrefix = '#/$defs/';

  const materialise = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(materialise);
    if (!isPlainObject(node)) return node;
    if (typeof node.$ref === 'string' && node.$ref.startsWith(keyPrefix)) {
      const pointer = converter.pointerOfKey(node.$ref.slice(keyPrefix.length).replace(/~1/g, '/').replace(/~0/g, '~'));
      if (pointer !== undefined && !keep.has(pointer)) {
        const inlined = materialise(converter.def(pointer)!.schema);
        const siblings = withoutKey(node, '$ref');
        if (Object.keys(siblings).length === 0) return inlined;
        if (typeof inlined === 'boolean') return { ...mapValues(siblings, materialise), allOf: [inlined] };
        return { ...(inlined as object), ...mapValues(siblings, materialise) };
      }
    }
    return mapValues(node, materialise);
  };

  const out = materialise(root) as Record<string, unknown>;
  if (keep.size > 0) {
    const defs: Record<string, unknown> = {};
    for (const pointer of reached) {
      if (keep.has(pointer)) {
        const def = converter.def(pointer)!;
        defs[def.key] = materialise(def.schema);
      }
    }
    out.$defs = defs;
  }
  return out;
}

function acceptsNull(out: Record<string, unknown>): boolean {
  return out.type === 'null' || (Array.isArray(out.type) && out.type.includes('null'));
}

function mapValues(node: Record<string, unknown>, fn: (v: unknown) => unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = typeof v === 'object' && v !== null ? fn(v) : v;
  return out;
}

function withoutKey(node: Record<string, unknown>, key: string): Record<string, unknown> {
  const { [key]: _omit, ...rest } = node;
  return rest;
}

const patternCache = new Map<string, boolean>();
export function isValidPattern(pattern: unknown): boolean {
  if (typeof pattern !== 'string') return false;
  let ok = patternCache.get(pattern);
  if (ok === undefined) {
    try {
      new RegExp(pattern, 'u'); // ajv and most validators compile with the unicode flag
      ok = true;
    } catch {
      ok = false;
    }
    patternCache.set(pattern, ok);
  }
  return ok;
}

export function shortHash(text: string): string {
  // FNV-1a, 32 bit: stable across runs and platforms, enough to separate names.
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(36).padStart(7, '0').slice(0, 6);
}
