/**
 * `required` of a converted schema (JSON Schema 2020-12 §10.2.4 / OAS Schema Object):
 * property names only, each once, without properties the direction dropped (readOnly
 * from inputs, writeOnly from outputs). A name the schema does not declare while
 * `additionalProperties: false` forbids any other is dropped too: no object could hold
 * it, so the tool could never be called (Jira's ScreenTypes requires `defaultScreen` and
 * declares `default`); the upstream decides instead.
 */
import type { ProblemList } from './problems';
import { isPlainObject } from './ref-resolver';

export function requiredNames(
  raw: Record<string, unknown>,
  convertedProperties: Record<string, unknown> | undefined,
  pointer: string,
  problems: ProblemList,
): string[] {
  if (!Array.isArray(raw.required)) {
    if (typeof raw.required !== 'boolean') problems.warn('schema-invalid-keyword', pointer, 'required must be an array of property names; ignored');
    return [];
  }
  const declared = isPlainObject(raw.properties) ? raw.properties : {};
  const has = (name: string) => Object.prototype.hasOwnProperty.call(declared, name);
  const droppedByDirection = (name: string) => has(name) && !(convertedProperties && name in convertedProperties);
  const required = [...new Set(raw.required.filter((r): r is string => typeof r === 'string'))].filter((r) => !droppedByDirection(r));
  if (raw.additionalProperties !== false || raw.patternProperties !== undefined) return required;
  const forbidden = required.filter((r) => !has(r));
  if (forbidden.length === 0) return required;
  const names = forbidden.map((r) => `"${r}"`).join(', ');
  problems.warn(
    'schema-required-undeclared',
    pointer,
    `required names ${names}, which the schema does not declare and additionalProperties: false forbids; no object could be valid, so ${forbidden.length === 1 ? 'it is' : 'they are'} dropped from required`,
  );
  return required.filter((r) => !forbidden.includes(r));
}
