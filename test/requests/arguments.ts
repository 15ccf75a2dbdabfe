/**
 * Valid tool arguments from a tool's inputSchema with json-schema-faker, seeded per tool
 * so every run sends the same requests. Each candidate is checked with ajv (2020-12, the
 * same dialect and formats the hub validates with) and regenerated with the next seed
 * when it does not validate: the faker does not honour every keyword (`oneOf` with
 * overlapping branches, `not`, some patterns), and a set the hub would refuse tells
 * nothing about the wire.
 */
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { JSONSchemaFaker } from 'json-schema-faker';
import { FOLLOW_PAGES_ARGUMENT, PROJECTION_ARGUMENT } from '../../generators';

type Schema = Record<string, unknown>;

export interface GeneratedArguments {
  args: Record<string, unknown>;
  /** Candidates generated until one validated (or the last one, when none did). */
  attempts: number;
  /** ajv's complaints about the last candidate when no candidate validated. */
  problems?: string;
}

const MAX_ATTEMPTS = 12;

const ajv = new Ajv2020({ allErrors: false, strict: false, logger: false, coerceTypes: false });
addFormats(ajv);
const validators = new WeakMap<object, ValidateFunction | null>();

/** FNV-1a: a stable 32-bit seed from a tool name. */
export function hashSeed(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** mulberry32: a small, good-enough, seedable PRNG. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Words that look like real identifiers: owners, repos, slugs, keys. */
const WORDS = ['octo', 'hello', 'widget', 'alpha', 'main', 'docs', 'team', 'proj', 'demo', 'lunar', 'snake', 'core'];

/**
 * Arguments for one tool. `parameterArguments` are the properties bound to parameters,
 * with their location. A real caller names things there, so a plain string (no enum,
 * pattern or format) gets an identifier-like value in a path (`octo-42`, never lorem
 * ipsum with spaces), and no parameter is the empty string (OAS: `allowEmptyValue`
 * defaults to false; see the HUB BUG probes in specs.ts for what the hub does with "").
 */
export function generateArguments(toolName: string, toolSchema: Schema, parameterArguments: ReadonlyMap<string, string>): GeneratedArguments {
  // The hub's own arguments (a projection, following pages) are no part of the API: the requests judged are the operation's.
  const inputSchema = withoutHubArguments(toolSchema);
  const validate = validatorFor(inputSchema);
  let args: Record<string, unknown> = {};
  let problems: string | undefined;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const random = seededRandom(hashSeed(`${toolName}#${attempt}`));
    args = fake(inputSchema, random, attempt);
    for (const [property, location] of parameterArguments) {
      if (!(property in args)) continue;
      const schema = deref(((inputSchema.properties ?? {}) as Schema)[property], inputSchema);
      if (isPlainString(schema) && (location === 'path' || args[property] === '')) args[property] = identifier(random, schema);
    }
    if (validate === null || validate(args)) return { args, attempts: attempt + 1 };
    problems = ajv.errorsText(validate.errors, { dataVar: 'args' });
  }
  return { args, attempts: MAX_ATTEMPTS, problems };
}

function fake(inputSchema: Schema, random: () => number, attempt: number): Record<string, unknown> {
  JSONSchemaFaker.option({
    random,
    alwaysFakeOptionals: false,
    // Later attempts send fewer optional arguments: the usual reason a candidate fails.
    optionalsProbability: attempt < 4 ? 1 : attempt < 8 ? 0.5 : 0,
    fixedProbabilities: attempt < 4,
    useDefaultValue: true,
    useExamplesValue: false,
    fillProperties: false,
    failOnInvalidTypes: false,
    failOnInvalidFormat: false,
    ignoreMissingRefs: true,
    refDepthMin: 0,
    refDepthMax: 2,
    maxItems: 3,
    defaultRandExpMax: 6,
    minDateTime: '2001-01-01T00:00:00Z',
    maxDateTime: '2030-01-01T00:00:00Z',
  });
  const value = JSONSchemaFaker.generate(prepare(inputSchema) as never);
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/**
 * A copy the faker can use: base64 strings (`contentEncoding: base64`, the hub's form of
 * `format: binary/byte`) get a pattern that yields real base64, since the hub decodes them.
 */
function prepare(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(prepare);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema as Schema)) out[key] = prepare(value);
  if (out.contentEncoding === 'base64' && out.pattern === undefined) {
    out.pattern = '^(?:[A-Za-z0-9+/]{4}){1,6}$';
    delete out.format;
  }
  return out;
}

function validatorFor(schema: Schema): ValidateFunction | null {
  let validate = validators.get(schema);
  if (validate === undefined) {
    try {
      validate = ajv.compile(schema);
    } catch {
      validate = null; // the hub falls back to a partial check for such a tool; so do we (none)
    }
    validators.set(schema, validate);
  }
  return validate;
}

function deref(schema: unknown, root: Schema): Schema | undefined {
  if (typeof schema !== 'object' || schema === null) return undefined;
  const ref = (schema as Schema).$ref;
  if (typeof ref === 'string' && ref.startsWith('#/$defs/')) {
    const target = ((root.$defs ?? {}) as Schema)[ref.slice('#/$defs/'.length).replace(/~1/g, '/').replace(/~0/g, '~')];
    return typeof target === 'object' && target !== null ? (target as Schema) : undefined;
  }
  return schema as Schema;
}

function isPlainString(schema: Schema | undefined): schema is Schema {
  if (schema === undefined) return false;
  const type = schema.type;
  const isString = type === 'string' || (Array.isArray(type) && type.includes('string') && !type.some((t) => t !== 'string' && t !== 'null'));
  return isString && schema.enum === undefined && schema.const === undefined && schema.pattern === undefined && schema.format === undefined;
}

function identifier(random: () => number, schema: Schema): string {
  let value = `${WORDS[Math.floor(random() * WORDS.length)]}-${1 + Math.floor(random() * 999)}`;
  const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const max = typeof schema.maxLength === 'number' ? schema.maxLength : Infinity;
  while (value.length < min) value += 'x';
  if (value.length > max) value = value.slice(0, Math.max(1, max));
  return value;
}

function withoutHubArguments(schema: Schema): Schema {
  const properties = schema.properties as Schema | undefined;
  if (!properties || !HUB_ARGUMENTS.some((name) => name in properties)) return schema;
  return { ...schema, properties: Object.fromEntries(Object.entries(properties).filter(([name]) => !HUB_ARGUMENTS.includes(name))) };
}

const HUB_ARGUMENTS: readonly string[] = [PROJECTION_ARGUMENT, FOLLOW_PAGES_ARGUMENT];
