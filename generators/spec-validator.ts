/**
 * Full validation of a spec against the OpenAPI / Swagger JSON Schemas with
 * @readme/openapi-parser. It reports code frames over `JSON.stringify(doc, null, 2)`
 * of the dereferenced document rather than pointers, so the frame's line is mapped
 * back to a JSON pointer (see prettyJsonLinePointers). This is the slow, thorough
 * check (about 3 s on GitHub's spec) behind `lunar-hub validate`; tool generation
 * does not wait for it.
 */
import { appendPointer, prettyJsonLinePointers } from './json-pointer';
import type { Problem } from './problems';
import type { LoadedSpec } from './spec-reader';

export async function validateSpecDocument(spec: LoadedSpec): Promise<Problem[]> {
  // Loaded on demand (require, not import(): jest runs CommonJS without VM modules).
  const parser = require('@readme/openapi-parser') as typeof import('@readme/openapi-parser');
  const options = { validate: { errors: { colorize: false } }, resolve: { external: false, http: false } } as never;
  const problems: Problem[] = [];
  let result: Awaited<ReturnType<typeof parser.validate>>;
  try {
    result = await parser.validate(structuredClone(spec.original) as never, options);
  } catch (cause) {
    return [{ severity: 'error', rule: 'openapi-schema', file: spec.file, pointer: '', message: firstLine((cause as Error).message) }];
  }
  for (const warning of result.warnings) {
    problems.push({
      severity: 'warning',
      rule: 'openapi-schema',
      file: spec.file,
      pointer: pointerInMessage(warning.message) ?? '',
      message: firstLine(warning.message),
    });
  }
  if (result.valid) return problems;

  let lines: string[] | undefined;
  const lineMap = async (): Promise<string[]> => {
    if (lines) return lines;
    // The validator dereferenced the document (circular refs left in place); do the same.
    const deref = await parser.dereference(structuredClone(spec.original) as never, { ...(options as object), dereference: { circular: 'ignore' } } as never);
    lines = prettyJsonLinePointers(deref);
    return lines;
  };
  for (const error of result.errors) {
    const frameLine = /^>\s*(\d+)\s*\|/m.exec(error.message);
    let pointer = pointerInMessage(error.message) ?? duplicateOperationIdPointer(spec.original, error.message);
    if (pointer === undefined && frameLine) pointer = (await lineMap())[Number(frameLine[1])];
    problems.push({ severity: 'error', rule: 'openapi-schema', file: spec.file, pointer: pointer ?? '', message: firstLine(error.message) });
  }
  if (result.additionalErrors > 0) {
    problems.push({
      severity: 'error',
      rule: 'openapi-schema',
      file: spec.file,
      pointer: '',
      message: `${result.additionalErrors} more schema errors not listed`,
    });
  }
  return problems;
}

/** Messages about refs and operations sometimes carry the location themselves. */
function pointerInMessage(message: string): string | undefined {
  const ref = /\$ref pointer "#(\/[^"]*)"/.exec(message);
  if (ref) return ref[1];
  const op = /(?:^|\s)(\/[^\s"]*) (get|put|post|delete|options|head|patch|trace)\b/i.exec(message);
  if (op) return appendPointer('/paths', op[1], op[2].toLowerCase());
  return undefined;
}

/** The validator names a duplicated operationId but not where; point at its second use. */
function duplicateOperationIdPointer(document: Record<string, unknown>, message: string): string | undefined {
  const id = /operationId `([^`]+)` is duplicated/.exec(message)?.[1];
  if (id === undefined || typeof document.paths !== 'object' || document.paths === null) return undefined;
  const uses: string[] = [];
  for (const [path, item] of Object.entries(document.paths as Record<string, Record<string, unknown>>)) {
    for (const [method, op] of Object.entries(item ?? {})) {
      if ((op as { operationId?: unknown } | null)?.operationId === id) uses.push(appendPointer('/paths', path, method, 'operationId'));
    }
  }
  return uses[1] ?? uses[0];
}

function firstLine(message: string): string {
  return message.split('\n')[0].trim();
}
