/** ajv's errors as `key.path: must be <expected> (got <value>)`, one per key. */
import type { ErrorObject } from 'ajv/dist/2020';
import { didYouMean } from '../../../errors';
import { shown } from './messages';
import type { Reasons } from './problems';
import { RESERVED_SECTIONS } from './schema';

export function describeSchemaErrors(list: readonly ErrorObject[], reasons: Reasons): void {
  const described = new Set<string>();
  for (const error of list) {
    const segments =
      error.instancePath === ''
        ? []
        : error.instancePath
            .slice(1)
            .split('/')
            .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (error.keyword === 'additionalProperties') {
      const key = (error.params as { additionalProperty: string }).additionalProperty;
      const known = Object.keys((error.parentSchema as { properties?: Record<string, unknown> }).properties ?? {});
      const suggestion = didYouMean(key, known);
      reasons.add([...segments, key], `unknown key${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`);
      continue;
    }
    // One message per key: a wrong type also fails the keywords after it.
    if (described.has(error.instancePath)) continue;
    described.add(error.instancePath);
    if (error.keyword === 'false schema' && segments.length === 1 && segments[0] in RESERVED_SECTIONS) {
      reasons.add(segments, `not yet supported; a later version of the hub reads ${RESERVED_SECTIONS[segments[0]]} from this section`);
      continue;
    }
    const expected = (error.parentSchema as { expected?: string } | undefined)?.expected;
    // A header value may be a key left unquoted (YAML reads 0x1f2e as a number): never echo it.
    const got = segments[0] === 'headers' ? `a ${Array.isArray(error.data) ? 'list' : error.data === null ? 'null' : typeof error.data}` : shown(error.data);
    reasons.add(segments, expected ? `must be ${expected} (got ${got})` : (error.message ?? 'is invalid'));
  }
}
