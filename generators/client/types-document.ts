/**
 * The document openapi-typescript is given: the spec as the tools read it, repaired where
 * openapi-typescript (through redocly's bundler) would give up on the whole spec while the
 * tools degrade one part.
 *
 * - A `$ref` that points at nothing (a file that is not there, a pointer to a missing
 *   node) or loops back on itself is what the tools treat as "any value"
 *   (ref-unresolved, ref-loop). Here a schema behind such a ref becomes `{}` (`unknown`
 *   in types.ts); a parameter, request body or path item behind one is left out, as the
 *   tools leave it out. A discriminator `mapping` entry naming a missing target is
 *   dropped (the `oneOf` still lists the branches).
 * - Two operations with one operationId: the tools are named apart; openapi-typescript
 *   refuses the spec. The later ones lose the operationId in this copy (types.ts indexes
 *   them by path and method, which is all the typed client uses).
 * - A schema that is not an object, `properties` that is not an object, `required` that
 *   is not a list: "any value" or dropped, as the schema converter does.
 * - Operations, parameters and bodies that are not objects (or have no name, or an
 *   unknown location) are left out, as the operation model leaves them out; it has
 *   reported each already.
 *
 * Each repair is reported once, with the pointer of the node that was changed; where the
 * tools report the same thing, with the same rule and words, so it is listed once.
 */
import { appendPointer, localRefPointer, resolvePointer } from '../json-pointer';
import { HTTP_METHODS } from '../operation';
import type { ProblemList } from '../problems';
import { isPlainObject } from '../ref-resolver';

/** What replaces a Reference Object that points at nothing, by the kind of object it stood for. */
type Replacement = 'drop' | 'any' | 'response';

export function documentForTypes(document: Record<string, unknown>, problems: ProblemList): Record<string, unknown> {
  const copy = structuredClone(document);
  dropWhatToolsIgnore(copy);
  repairNode(copy, '', copy, problems, 'any', false);
  dropDuplicateOperationIds(copy, problems);
  return copy;
}

/** `names`: the node maps names to schemas (`properties`, `components/schemas`...), so its keys are not keywords. */
function repairNode(node: unknown, pointer: string, root: Record<string, unknown>, problems: ProblemList, kind: Replacement, names: boolean): unknown {
  if (Array.isArray(node)) {
    const out: unknown[] = [];
    const schemas = /\/(allOf|anyOf|oneOf|prefixItems)$/.test(pointer);
    node.forEach((item, index) => {
      if (schemas && !isPlainObject(item) && typeof item !== 'boolean') {
        problems.warn('schema-invalid', appendPointer(pointer, index), 'schema is not an object; any value is accepted');
        out.push({});
        return;
      }
      const repaired = repairNode(item, appendPointer(pointer, index), root, problems, childKind(pointer, String(index), true), false);
      if (repaired !== DROP) out.push(repaired);
    });
    return out;
  }
  if (!isPlainObject(node)) return node;
  const target = typeof node.$ref === 'string' ? refTarget(node.$ref, root) : 'found';
  if (target !== 'found') {
    const what = target === 'loop' ? 'loops back on itself' : 'points at nothing';
    problems.warn(
      'ref-dangling',
      pointer,
      `$ref "${String(node.$ref)}" ${what}; ${kind === 'any' ? 'types.ts says "unknown" there' : 'types.ts leaves it out, as the tools do'}`,
    );
    if (kind === 'drop') return DROP;
    if (kind === 'response') return { description: `unknown: $ref "${String(node.$ref)}" ${what}` };
    const { $ref: _dangling, ...siblings } = node;
    return siblings;
  }
  if (!names) dropMistypedKeywords(node, pointer, problems);
  for (const [key, child] of Object.entries(node)) {
    // Extensions are the vendor's, read by neither the tools nor openapi-typescript.
    if (!names && (key.startsWith('x-') || isLiteral(pointer, key, child))) continue;
    const childPointer = appendPointer(pointer, key);
    if (!names && key === 'mapping' && isPlainObject(child) && isDiscriminator(pointer)) {
      for (const [value, target] of Object.entries(child)) {
        if (typeof target !== 'string' || mappingResolves(target, root)) continue;
        problems.warn(
          'ref-dangling',
          appendPointer(childPointer, value),
          `discriminator mapping "${value}" names "${target}", which is not there; types.ts leaves the entry out`,
        );
        delete child[value];
      }
      continue;
    }
    if ((names || SCHEMA_SLOTS.has(key)) && !isPlainObject(child) && !Array.isArray(child) && typeof child !== 'boolean') {
      // Same rule and words as the schema converter's, so a schema both reach is reported once.
      problems.warn('schema-invalid', childPointer, 'schema is not an object; any value is accepted');
      node[key] = {};
      continue;
    }
    if (typeof child !== 'object' || child === null) continue;
    const childNames = !names && (NAME_MAPS.has(key) || (pointer === '/components' && key === 'schemas'));
    const repaired = repairNode(child, childPointer, root, problems, names ? 'any' : childKind(pointer, key, false), childNames);
    if (repaired === DROP) delete node[key];
    else node[key] = repaired;
  }
  return node;
}

const DROP = Symbol('drop');

/**
 * What a dangling ref at `<parent>/<key>` stood for. Left out where the tools leave it out
 * (readParameters, readRequestBody, the path walk of operation.ts) or where redocly would
 * refuse an empty object; a response keeps a description, which OAS 3.0 requires.
 */
function childKind(parent: string, key: string, inArray: boolean): Replacement {
  const tokens = parent.split('/');
  const last = tokens[tokens.length - 1];
  const owner = tokens[tokens.length - 2];
  if ((inArray && last === 'parameters') || key === 'requestBody' || (tokens.length === 2 && last === 'paths')) return 'drop';
  if (tokens.length === 3 && owner === 'components' && ['parameters', 'requestBodies', 'securitySchemes', 'pathItems'].includes(last)) return 'drop';
  if (last === 'responses' && ((tokens.length === 3 && owner === 'components') || (HTTP_METHODS as readonly string[]).includes(owner))) return 'response';
  return 'any';
}

/** Keywords whose value is one schema. */
const SCHEMA_SLOTS = new Set(['schema', 'not', 'items', 'additionalProperties']);
/** Keywords whose value maps names to schemas. */
const NAME_MAPS = new Set(['properties', 'patternProperties', 'dependentSchemas', '$defs', 'definitions']);

function isDiscriminator(pointer: string): boolean {
  return pointer.endsWith('/discriminator');
}

/** redocly resolves a mapping value as a ref when it looks like one (`#/...`, a path or a URL); a bare name names a component schema. */
function mappingResolves(value: string, root: Record<string, unknown>): boolean {
  if (value.startsWith('#') || value.includes('/')) return resolves(value, root);
  return resolvePointer(root, appendPointer('/components/schemas', value)) !== undefined;
}

/**
 * Example payloads, defaults and enums are data: a `$ref` key inside one is text, which
 * neither redocly nor the tools resolve (GitHub's own examples hold some).
 */
function isLiteral(pointer: string, key: string, child: unknown): boolean {
  if (key === 'example' || key === 'default' || key === 'enum' || key === 'const') return true;
  if (key === 'examples' && Array.isArray(child)) return true;
  return key === 'value' && /\/examples\/[^/]+$/.test(pointer);
}

function resolves(ref: string, root: Record<string, unknown>): boolean {
  return refTarget(ref, root) === 'found';
}

/** Where a chain of refs ends. openapi-typescript gives up on a chain that loops without reaching a node ("circular pointer"). */
function refTarget(ref: string, root: Record<string, unknown>): 'found' | 'missing' | 'loop' {
  const seen = new Set<string>();
  let current = ref;
  for (;;) {
    const pointer = localRefPointer(current);
    // Anything outside the document is not there: the reader bundled every file it could.
    if (pointer === undefined) return 'missing';
    if (seen.has(pointer)) return 'loop';
    seen.add(pointer);
    const node = resolvePointer(root, pointer);
    if (node === undefined) return 'missing';
    if (!isPlainObject(node) || typeof node.$ref !== 'string') return 'found';
    current = node.$ref;
  }
}

/**
 * Schema keywords of the wrong kind, which openapi-typescript trips over and the schema
 * converter drops (schema-invalid-keyword, same words). `required: true` is a schema's
 * only when the object is not a parameter, header or body, whose `required` is a boolean.
 */
function dropMistypedKeywords(node: Record<string, unknown>, pointer: string, problems: ProblemList): void {
  if (node.properties !== undefined && !isPlainObject(node.properties)) {
    problems.warn('schema-invalid-keyword', appendPointer(pointer, 'properties'), 'properties must be an object; ignored');
    delete node.properties;
  }
  const schemaLike = node.in === undefined && node.schema === undefined && node.content === undefined;
  if (node.required !== undefined && !Array.isArray(node.required) && schemaLike) {
    if (typeof node.required !== 'boolean')
      problems.warn('schema-invalid-keyword', appendPointer(pointer, 'required'), 'required must be an array of property names; ignored');
    delete node.required;
  }
}

function dropDuplicateOperationIds(document: Record<string, unknown>, problems: ProblemList): void {
  if (!isPlainObject(document.paths)) return;
  const seen = new Map<string, string>();
  for (const [path, item] of Object.entries(document.paths)) {
    if (!isPlainObject(item)) continue;
    for (const method of HTTP_METHODS) {
      const op = item[method];
      if (!isPlainObject(op) || typeof op.operationId !== 'string') continue;
      const pointer = appendPointer('/paths', path, method, 'operationId');
      const first = seen.get(op.operationId);
      if (first === undefined) {
        seen.set(op.operationId, pointer);
        continue;
      }
      problems.warn(
        'operation-id-duplicate',
        pointer,
        `operationId "${op.operationId}" is already used at ${first}; types.ts indexes this operation by path and method only`,
      );
      delete op.operationId;
    }
  }
}

/** The shapes operation.ts skips (with a problem of its own), taken out so openapi-typescript never meets them. */
function dropWhatToolsIgnore(document: Record<string, unknown>): void {
  if (!isPlainObject(document.paths)) {
    delete document.paths;
    return;
  }
  const paths = document.paths;
  for (const [path, item] of Object.entries(paths)) {
    if (path.startsWith('x-')) continue;
    if (!isPlainObject(item)) {
      delete paths[path];
      continue;
    }
    keepValidParameters(item);
    for (const method of HTTP_METHODS) {
      const op = item[method];
      if (op === undefined) continue;
      if (!isPlainObject(op)) {
        delete item[method];
        continue;
      }
      keepValidParameters(op);
      if (op.requestBody !== undefined && (!isPlainObject(op.requestBody) || (op.requestBody.$ref === undefined && !isPlainObject(op.requestBody.content))))
        delete op.requestBody;
      if (op.responses !== undefined && !isPlainObject(op.responses)) delete op.responses;
    }
  }
}

const LOCATIONS = new Set(['path', 'query', 'header', 'cookie']);

function keepValidParameters(holder: Record<string, unknown>): void {
  if (holder.parameters === undefined) return;
  if (!Array.isArray(holder.parameters)) {
    delete holder.parameters;
    return;
  }
  holder.parameters = holder.parameters.filter(
    (p) => isPlainObject(p) && (typeof p.$ref === 'string' || (typeof p.name === 'string' && p.name !== '' && typeof p.in === 'string' && LOCATIONS.has(p.in))),
  );
}
