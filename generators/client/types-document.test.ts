/* eslint-disable @typescript-eslint/no-explicit-any -- each case walks the repaired document by its own path */
import { ProblemList } from '../problems';
import { documentForTypes } from './types-document';

type Doc = Record<string, unknown>;

function spec(extra: Doc): Doc {
  return { openapi: '3.0.3', info: { title: 't', version: '1' }, ...extra };
}

function repaired(document: Doc): { doc: Doc; problems: Array<[string, string]> } {
  const problems = new ProblemList('spec.yaml');
  const doc = documentForTypes(document, problems);
  return { doc, problems: problems.items.map((p) => [p.rule, p.pointer]) };
}

const json = (schema: unknown) => ({ description: 'ok', content: { 'application/json': { schema } } });

describe('documentForTypes', () => {
  it.each<[string, { given: Doc; want: unknown; at: (doc: Doc) => unknown; problems: Array<[string, string]> }]>([
    [
      'a schema behind a missing file becomes "any value", siblings kept',
      {
        given: spec({ paths: { '/a': { get: { responses: { '200': json({ $ref: './nope.yaml', description: 'd' }) } } } } }),
        at: (d: any) => d.paths['/a'].get.responses['200'].content['application/json'].schema,
        want: { description: 'd' },
        problems: [['ref-dangling', '/paths/~1a/get/responses/200/content/application~1json/schema']],
      },
    ],
    [
      'a pointer to a missing component',
      {
        given: spec({ paths: {}, components: { schemas: { A: { type: 'object', properties: { b: { $ref: '#/components/schemas/B' } } } } } }),
        at: (d: any) => d.components.schemas.A.properties.b,
        want: {},
        problems: [['ref-dangling', '/components/schemas/A/properties/b']],
      },
    ],
    [
      'a chain of refs that loops is cut once (the rest of the chain then reaches it)',
      {
        given: spec({ paths: {}, components: { schemas: { A: { $ref: '#/components/schemas/B' }, B: { $ref: '#/components/schemas/A' } } } }),
        at: (d: any) => d.components.schemas,
        want: { A: {}, B: { $ref: '#/components/schemas/A' } },
        problems: [['ref-dangling', '/components/schemas/A']],
      },
    ],
    [
      'a discriminator mapping naming missing files, and a missing bare name',
      {
        given: spec({
          paths: {},
          components: {
            schemas: {
              Cat: { type: 'object' },
              Pet: {
                oneOf: [{ $ref: '#/components/schemas/Cat' }],
                discriminator: { propertyName: 'type', mapping: { cat: '#/components/schemas/Cat', dog: './dog.yaml', fish: 'Fish', kitty: 'Cat' } },
              },
            },
          },
        }),
        at: (d: any) => d.components.schemas.Pet.discriminator.mapping,
        want: { cat: '#/components/schemas/Cat', kitty: 'Cat' },
        problems: [
          ['ref-dangling', '/components/schemas/Pet/discriminator/mapping/dog'],
          ['ref-dangling', '/components/schemas/Pet/discriminator/mapping/fish'],
        ],
      },
    ],
    [
      'a parameter behind a missing ref is left out, as the tools leave it out',
      {
        given: spec({
          paths: {
            '/a': { get: { parameters: [{ $ref: '#/components/parameters/Gone' }, { name: 'q', in: 'query' }], responses: { '204': { description: 'ok' } } } },
          },
        }),
        at: (d: any) => d.paths['/a'].get.parameters,
        want: [{ name: 'q', in: 'query' }],
        problems: [['ref-dangling', '/paths/~1a/get/parameters/0']],
      },
    ],
    [
      'a response behind a missing ref keeps a description',
      {
        given: spec({ paths: { '/a': { get: { responses: { '200': { $ref: '#/components/responses/Gone' } } } } } }),
        at: (d: any) => d.paths['/a'].get.responses['200'],
        want: { description: 'unknown: $ref "#/components/responses/Gone" points at nothing' },
        problems: [['ref-dangling', '/paths/~1a/get/responses/200']],
      },
    ],
    [
      'a property named like a keyword is a schema, not a keyword',
      {
        given: spec({
          paths: {},
          components: {
            schemas: { A: { properties: { properties: { type: 'object' }, default: { $ref: './x.yaml' }, parameters: { items: { $ref: './y.yaml' } } } } },
          },
        }),
        at: (d: any) => d.components.schemas.A.properties,
        want: { properties: { type: 'object' }, default: {}, parameters: { items: {} } },
        problems: [
          ['ref-dangling', '/components/schemas/A/properties/default'],
          ['ref-dangling', '/components/schemas/A/properties/parameters/items'],
        ],
      },
    ],
    [
      'schemas and keywords of the wrong kind',
      {
        given: spec({ paths: { '/a': { get: { responses: { '200': json({ allOf: [3, { type: 'object', properties: 'x', required: true }] }) } } } } }),
        at: (d: any) => d.paths['/a'].get.responses['200'].content['application/json'].schema,
        want: { allOf: [{}, { type: 'object' }] },
        problems: [
          ['schema-invalid', '/paths/~1a/get/responses/200/content/application~1json/schema/allOf/0'],
          ['schema-invalid-keyword', '/paths/~1a/get/responses/200/content/application~1json/schema/allOf/1/properties'],
        ],
      },
    ],
    [
      'operations the operation model skips',
      {
        given: spec({
          paths: {
            '/a': { get: 'not an operation', post: { parameters: [{ in: 'query' }, { name: 'b', in: 'body' }], responses: { '201': { description: 'ok' } } } },
            '/b': 'nope',
          },
        }),
        at: (d: any) => d.paths,
        want: { '/a': { post: { parameters: [], responses: { '201': { description: 'ok' } } } } },
        problems: [],
      },
    ],
  ])('%s', (_name, { given, want, at, problems }) => {
    const result = repaired(given);
    expect(at(result.doc)).toEqual(want);
    expect(result.problems).toEqual(problems);
  });

  it('leaves example payloads, defaults, enums and extensions alone, $ref keys and all', () => {
    const example = { value: { stats: { $ref: 'server-statistics.yaml' } } };
    const given = spec({
      paths: {
        '/a': {
          get: {
            'x-vendor': { $ref: './vendor.yaml' },
            responses: { '200': json({ type: 'object', example: { $ref: 'x' }, default: { $ref: 'y' }, enum: [{ $ref: 'z' }] }) },
          },
        },
      },
      components: { examples: { stats: example } },
    });
    const result = repaired(given);
    expect(result.doc).toEqual(given);
    expect(result.problems).toEqual([]);
  });

  it('takes the operationId from the later of two operations that share it, and leaves the spec untouched', () => {
    const given = spec({
      paths: {
        '/u/{id}': {
          get: { operationId: 'getUser', responses: { '200': { description: 'ok' } } },
          delete: { operationId: 'getUser', responses: { '204': { description: 'ok' } } },
        },
      },
    });
    const before = structuredClone(given);
    const result = repaired(given);
    expect(result.doc.paths).toMatchObject({ '/u/{id}': { get: { operationId: 'getUser' }, delete: { responses: { '204': { description: 'ok' } } } } });
    expect((result.doc.paths as any)['/u/{id}'].delete.operationId).toBeUndefined();
    expect(result.problems).toEqual([['operation-id-duplicate', '/paths/~1u~1{id}/delete/operationId']]);
    expect(given).toEqual(before); // a copy: the tools read the original
  });
});
