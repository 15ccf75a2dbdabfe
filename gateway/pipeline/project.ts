/**
 * Projection: a tool with a JSON result takes `_jmespath` (generators' PROJECTION_ARGUMENT),
 * a JMESPath expression applied to the result before it is returned, so an agent can ask
 * for the three fields it needs of a list of a hundred issues instead of carrying them all.
 *
 * The expression is compiled before anything is sent: a bad one is a tool error naming
 * the problem, and the upstream is never called. It applies to a successful JSON answer;
 * an error result, or an answer that is not JSON (text, a file, a cut body), comes back as
 * it is with a note saying it was not applied. The projected value is the result's first
 * text (notes after it, such as the next page's arguments, stay);
 * where the tool has an outputSchema, its structuredContent is the value under
 * `lunar-hub/projection`, which a schema with no required properties admits; under a
 * schema that requires properties (outputSchema: full) the structuredContent stays the
 * whole answer, which is what such a schema promises, and the text is the projection.
 *
 * @jmespath-community/jmespath: the maintained implementation of the JMESPath
 * specification (the original jmespath.js has had no release since 2022).
 */
import type { CallToolResult } from '@modelcontextprotocol/server';
import type { JSONValue } from '@jmespath-community/jmespath' with { 'resolution-mode': 'import' };
import { errors } from '../../errors';
import { PROJECTION_ARGUMENT } from '../../generators';
import type { Stage } from '../core';
import { resultJson } from './result-json';

// Its package declares its types for `import` only; at run time require() gets its CommonJS build.
const { compile, TreeInterpreter } = require('@jmespath-community/jmespath') as typeof import('@jmespath-community/jmespath', {
  with: { 'resolution-mode': 'import' },
});

/** Where a projected value sits in structuredContent. */
export const PROJECTION_KEY = 'lunar-hub/projection';

/** Expressions seen lately, compiled: agents repeat theirs call after call. */
const compiled = new Map<string, ReturnType<typeof compile>>();
const MAX_COMPILED = 500;

export const projectResult: Stage = (next) => async (ctx) => {
  const expression = ctx.args[PROJECTION_ARGUMENT];
  if (expression === undefined) return next(ctx);
  const ast = compileExpression(ctx.toolName, expression);
  const { [PROJECTION_ARGUMENT]: _expression, ...args } = ctx.args;
  const result = await next({ ...ctx, args });
  return applyProjection(ctx.toolName, ast, String(expression), result, ctx.registered?.tool.outputSchema);
};

function compileExpression(tool: string, expression: unknown): ReturnType<typeof compile> {
  if (typeof expression !== 'string' || expression.trim() === '') {
    throw errors.CALL_PROJECTION([tool, `${PROJECTION_ARGUMENT} must be a JMESPath expression such as "items[].{id: id, name: name}"`]);
  }
  const known = compiled.get(expression);
  if (known) return known;
  try {
    const ast = compile(expression);
    if (compiled.size >= MAX_COMPILED) compiled.clear();
    compiled.set(expression, ast);
    return ast;
  } catch (cause) {
    throw errors.CALL_PROJECTION([tool, `${PROJECTION_ARGUMENT} ${JSON.stringify(expression)} is not a JMESPath expression: ${(cause as Error).message}`], {
      cause,
    });
  }
}

function applyProjection(
  tool: string,
  ast: ReturnType<typeof compile>,
  expression: string,
  result: CallToolResult,
  outputSchema: Record<string, unknown> | undefined,
): CallToolResult {
  if (result.isError) return result;
  const value = resultJson(result);
  if (value === undefined) {
    return {
      ...result,
      content: [...result.content, { type: 'text', text: `Note: ${PROJECTION_ARGUMENT} was not applied: the answer is not a whole JSON document.` }],
    };
  }
  let projected: JSONValue;
  try {
    projected = TreeInterpreter.search(ast, value as JSONValue);
  } catch (cause) {
    throw errors.CALL_PROJECTION([tool, `${PROJECTION_ARGUMENT} ${JSON.stringify(expression)} failed on this answer: ${(cause as Error).message}`], { cause });
  }
  const text = JSON.stringify(projected ?? null);
  // The notes after the JSON (the next page's arguments) still hold for the projection.
  const out: CallToolResult = { ...result, content: [{ type: 'text', text }, ...result.content.slice(1)] };
  if (outputSchema !== undefined) out.structuredContent = admitsProjection(outputSchema) ? { [PROJECTION_KEY]: projected ?? null } : result.structuredContent;
  return out;
}

function admitsProjection(schema: Record<string, unknown>): boolean {
  const required = Array.isArray(schema.required) ? schema.required : [];
  const properties = (schema.properties ?? {}) as Record<string, unknown>;
  return (
    required.length === 0 &&
    schema.additionalProperties !== false &&
    !(PROJECTION_KEY in properties) &&
    schema.anyOf === undefined &&
    schema.oneOf === undefined &&
    schema.allOf === undefined &&
    schema.$ref === undefined
  );
}
