/**
 * The connector file's one JSON Schema (ajv, Draft 2020-12), each node with an
 * `expected` text that problem messages quote. Unknown keys are errors so a typo never
 * silently does nothing; reserved sections are refused with what will read them.
 */
import type Ajv2020 from 'ajv/dist/2020';
import { AUTH_SECTION_SCHEMA } from './auth-section';
import { MAX_RESPONSE_BYTES, TOOL_NAME } from './limits';
import { POLICY_SECTIONS } from './policy-sections';
import { nonEmptyString, timeout } from './schema-parts';
import { PAGINATION_STYLES } from '../../core';

/** Sections a later version reads; accepting them now would silently do nothing. None at the moment. */
export const RESERVED_SECTIONS: Readonly<Record<string, string>> = Object.freeze({});

const dottedPath = (what: string) => ({ type: 'string', pattern: '^[^.]+(\\.[^.]+)*$', expected: `a dotted path to ${what}, such as meta.next_cursor` });

/** A toolset's name: what follows `<connector>:` in a toolsets list. */
export const TOOLSET_NAME = /^[a-z][a-z0-9_-]{0,39}$/;
const toolsetName = {
  type: 'string',
  pattern: TOOLSET_NAME.source,
  expected: 'a toolset name: 1-40 characters of a-z, 0-9, "_" and "-", starting with a letter',
};

function selectionSchema(many: string, one: string): Record<string, unknown> {
  const item = { type: 'string', minLength: 1, expected: one };
  return {
    type: 'object',
    additionalProperties: false,
    expected: 'a mapping with `include` and/or `exclude` lists',
    properties: {
      include: { type: 'array', minItems: 1, items: item, expected: `a non-empty list of ${many} (leave \`include\` out to keep every one)` },
      exclude: { type: 'array', items: item, expected: `a list of ${many}` },
    },
  };
}

/** One schema per top-level key; a new section is one more entry. */
const SECTIONS: Record<string, unknown> = {
  id: { type: 'string', expected: 'a connector id: 1-24 characters of a-z, 0-9 and "-"' },
  baseUrl: { type: 'string', expected: 'an absolute http(s) URL' },
  serverVariables: {
    type: 'object',
    expected: 'a mapping from server variable name to value',
    additionalProperties: { type: 'string', expected: 'a string (quote numbers: "2")' },
  },
  allowedHosts: { type: 'array', items: { type: 'string', expected: 'a host or host:port' }, expected: 'a list of host or host:port entries' },
  timeouts: {
    type: 'object',
    additionalProperties: false,
    expected: 'a mapping with connectMs, headersMs and/or bodyMs',
    properties: { connectMs: timeout, headersMs: timeout, bodyMs: timeout },
  },
  maxResponseBytes: { type: 'integer', minimum: 1, maximum: MAX_RESPONSE_BYTES, expected: `a whole number of bytes from 1 to ${MAX_RESPONSE_BYTES}` },
  headers: {
    type: 'object',
    expected: 'a mapping from header name to value',
    additionalProperties: { type: 'string', expected: 'a string (quote numbers: "2")' },
  },
  operations: selectionSchema('operationIds or "METHOD /path" keys', 'an operationId or "METHOD /path"'),
  tags: selectionSchema('tag names', 'a tag name'),
  deprecated: { enum: ['include', 'exclude'], expected: 'one of include, exclude' },
  outputSchema: { enum: ['shallow', 'full', 'none'], expected: 'one of shallow, full, none' },
  tools: {
    type: 'object',
    expected: 'a mapping from operationId or "METHOD /path" to { name, title, description, hideArguments }',
    additionalProperties: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      expected: 'a mapping with name, title, description and/or hideArguments',
      properties: {
        name: { type: 'string', pattern: TOOL_NAME.source, expected: '1-64 characters of A-Z, a-z, 0-9, "_", "-" and "."' },
        title: nonEmptyString,
        description: nonEmptyString,
        hideArguments: {
          type: 'array',
          items: { type: 'string', minLength: 1, expected: "an argument name, as in the tool's inputSchema" },
          expected: 'a list of argument names',
        },
      },
    },
  },
  auth: AUTH_SECTION_SCHEMA,
  ...POLICY_SECTIONS,
  // Last: a new key must not change the did-you-mean of a typo that had an answer before.
  spec: { type: 'string', minLength: 1, expected: 'a spec file name, relative to the connector folder' },
  toolsets: {
    type: 'object',
    expected: 'a mapping from toolset name to { description, tags, operations, scopes }',
    propertyNames: toolsetName,
    additionalProperties: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      expected: 'a mapping with tags and/or operations, a description and scopes',
      properties: {
        description: nonEmptyString,
        tags: { type: 'array', items: { type: 'string', minLength: 1, expected: 'a tag name' }, expected: 'a list of tag names' },
        operations: {
          type: 'array',
          items: { type: 'string', minLength: 1, expected: 'an operationId or "METHOD /path"' },
          expected: 'a list of operationIds or "METHOD /path" keys',
        },
        scopes: { type: 'array', items: { type: 'string', minLength: 1, expected: 'an OAuth scope' }, expected: 'a list of OAuth scopes' },
      },
    },
  },
  use: { type: 'string', expected: 'a built-in connector id: the name of a folder of connectors/' },
  pagination: {
    type: 'object',
    additionalProperties: false,
    required: ['style'],
    expected: 'a mapping with style and, as the style needs, items, next, param, sizeParam and total',
    properties: {
      style: { enum: [...PAGINATION_STYLES], expected: `one of ${PAGINATION_STYLES.join(', ')}` },
      items: dottedPath('the items in the body'),
      next: dottedPath('the next cursor or token in the body'),
      param: { type: 'string', minLength: 1, expected: 'a query parameter name' },
      sizeParam: { type: 'string', minLength: 1, expected: 'a query parameter name' },
      total: dottedPath('the total count in the body'),
    },
  },
  defaultToolsets: { type: 'array', items: toolsetName, expected: 'a list of toolset names declared under `toolsets`' },
};

const CONNECTOR_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  expected: 'a mapping of connector settings',
  properties: { ...SECTIONS, ...Object.fromEntries(Object.keys(RESERVED_SECTIONS).map((k) => [k, false])) },
};

let compiled: ReturnType<Ajv2020['compile']> | undefined;

export function validator(): ReturnType<Ajv2020['compile']> {
  if (!compiled) {
    // verbose: the failing node's schema (its `expected` text) and value come with each error.
    // Loaded on first use: a hub whose specs have no connector file never pays for ajv.
    const Ajv = (require('ajv/dist/2020') as { default: typeof Ajv2020 }).default;
    const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, logger: false });
    ajv.addKeyword({ keyword: 'expected', schemaType: 'string' });
    compiled = ajv.compile(CONNECTOR_SCHEMA);
  }
  return compiled;
}
