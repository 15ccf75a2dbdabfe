import { ProblemList } from './problems';
import { requiredNames } from './required';

describe('requiredNames', () => {
  it.each<[string, Record<string, unknown>, Record<string, unknown> | undefined, string[], string[]]>([
    ['names, once each', { required: ['a', 'a', 3, 'b'], properties: { a: {}, b: {} } }, { a: {}, b: {} }, ['a', 'b'], []],
    [
      'without a property the direction dropped (readOnly in inputs)',
      { required: ['id', 'name'], properties: { id: {}, name: {} } },
      { name: {} },
      ['name'],
      [],
    ],
    ['an undeclared name in an open schema stays: another property may carry it', { required: ['x'], properties: { a: {} } }, { a: {} }, ['x'], []],
    [
      'an undeclared name in a closed schema goes: no object could hold it',
      { required: ['defaultScreen'], additionalProperties: false, properties: { default: {} } },
      { default: {} },
      [],
      ['schema-required-undeclared'],
    ],
    ['...unless patternProperties may carry it', { required: ['x-a'], additionalProperties: false, patternProperties: { '^x-': {} } }, {}, ['x-a'], []],
    ['not a list', { required: 'a' }, undefined, [], ['schema-invalid-keyword']],
    ['a Swagger-style boolean, silently', { required: true }, undefined, [], []],
  ])('%s', (_name, raw, converted, want, rules) => {
    const problems = new ProblemList('spec.yaml');
    expect(requiredNames(raw, converted, '/components/schemas/S/required', problems)).toEqual(want);
    expect(problems.items.map((p) => p.rule)).toEqual(rules);
  });
});
