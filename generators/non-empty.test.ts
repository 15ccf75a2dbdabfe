import { pathSegmentSchema, requireNonEmpty } from './non-empty';

describe('requireNonEmpty', () => {
  it.each([
    ['a string', { type: 'string' }, { type: 'string', minLength: 1 }],
    ['a nullable string', { type: ['string', 'null'] }, { type: ['string', 'null'], minLength: 1 }],
    ['a string that is already at least 3 long', { type: 'string', minLength: 3 }, { type: 'string', minLength: 3 }],
    ['a string with minLength 0', { type: 'string', minLength: 0 }, { type: 'string', minLength: 1 }],
    ['an enum without ""', { type: 'string', enum: ['a', 'b'] }, { type: 'string', enum: ['a', 'b'] }],
    ['an enum with ""', { type: 'string', enum: ['', 'b'] }, { type: 'string', enum: ['', 'b'], minLength: 1 }],
    ['a list', { type: 'array', items: { type: 'string' } }, { type: 'array', items: { type: 'string' }, minItems: 1 }],
    ['an object', { type: 'object' }, { type: 'object', minProperties: 1 }],
    ['an integer', { type: 'integer' }, { type: 'integer' }],
    ['a schema without a type', {}, {}],
  ])('%s', (_name, given, want) => {
    expect(requireNonEmpty(given)).toEqual(want);
  });

  it('returns a copy, never the schema it was given', () => {
    const given = { type: 'string' };
    requireNonEmpty(given);
    expect(given).toEqual({ type: 'string' });
  });
});

describe('pathSegmentSchema: never null, never empty', () => {
  it.each([
    ['a 3.1 nullable string', { type: ['string', 'null'] }, { type: 'string', minLength: 1 }],
    ['a nullable enum', { type: ['string', 'null'], enum: ['a', null] }, { type: 'string', enum: ['a'] }],
    ['OAS 3.0 nullable beside a $ref', { description: 'd', anyOf: [{ $ref: '#/$defs/Id' }, { type: 'null' }] }, { $ref: '#/$defs/Id', description: 'd' }],
    ['a string or an integer', { type: ['string', 'integer'] }, { type: ['string', 'integer'], minLength: 1 }],
  ])('%s', (_name, given, want) => {
    expect(pathSegmentSchema(given)).toEqual(want);
  });
});
