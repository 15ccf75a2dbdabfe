/**
 * Stage 3: arguments are checked against the tool's inputSchema before anything is
 * sent, and a failure names every bad field. Validators are compiled lazily, once per
 * tool object (a reload brings new tool objects, so a WeakMap forgets the old ones), by
 * one validator per pipeline: two hubs in one process, or a plugin, never share an ajv
 * (its compiled schemas and added formats) or a cache.
 *
 * Some real schemas make ajv throw at compile time. Such a tool must still work: it
 * falls back to checking each top-level property that does compile, plus `required`
 * and unknown arguments, and the failure is logged once.
 */
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { Logger } from 'pino';
import { errors } from '../../errors';
import type { Stage, RegisteredTool } from '../core';

type Check = (args: Record<string, unknown>) => string[];

export interface ArgumentValidator {
  /** The pipeline stage: refuses the call with CALL_ARGUMENTS naming every bad field. */
  stage: Stage;
  /** The tool's check, compiled on first use and kept while the tool object lives. */
  checkFor(registered: RegisteredTool, log?: Logger): Check;
}

export function createArgumentValidator(): ArgumentValidator {
  const ajv = new Ajv2020({ allErrors: true, strict: false, logger: false, coerceTypes: false });
  addFormats(ajv);
  const checks = new WeakMap<RegisteredTool, Check>();
  const checkFor = (registered: RegisteredTool, log?: Logger): Check => {
    let check = checks.get(registered);
    if (check === undefined) {
      check = compileCheck(ajv, registered, log);
      checks.set(registered, check);
    }
    return check;
  };
  const stage: Stage = (next) => async (ctx) => {
    const registered = ctx.registered!;
    const problems = checkFor(registered, ctx.log)(ctx.args);
    if (problems.length > 0) throw errors.CALL_ARGUMENTS([registered.tool.name, problems.join('; ')], { details: { problems } });
    return next(ctx);
  };
  return { stage, checkFor };
}

function compileCheck(ajv: Ajv2020, registered: RegisteredTool, log?: Logger): Check {
  const schema = registered.tool.inputSchema;
  try {
    const validate = ajv.compile(schema);
    return (args) => (validate(args) ? [] : describe(validate.errors ?? []));
  } catch (cause) {
    log?.warn({ tool: registered.tool.name, err: (cause as Error).message }, 'inputSchema does not compile; validating what can be validated');
    return partialCheck(ajv, schema as Record<string, unknown>);
  }
}

function partialCheck(ajv: Ajv2020, schema: Record<string, unknown>): Check {
  const properties = (schema.properties ?? {}) as Record<string, unknown>;
  const defs = schema.$defs;
  const perProperty = new Map<string, ValidateFunction | undefined>();
  for (const [name, sub] of Object.entries(properties)) {
    try {
      perProperty.set(name, ajv.compile(typeof sub === 'object' && sub !== null && defs ? { ...sub, $defs: defs } : (sub as object)));
    } catch {
      perProperty.set(name, undefined); // this one stays unchecked
    }
  }
  const required = Array.isArray(schema.required) ? (schema.required as string[]) : [];
  return (args) => {
    const problems: string[] = [];
    for (const name of required) if (args[name] === undefined) problems.push(`${name}: is required`);
    for (const [name, value] of Object.entries(args)) {
      if (!perProperty.has(name)) {
        if (schema.additionalProperties === false) problems.push(`${name}: is not an argument of this tool`);
        continue;
      }
      const validate = perProperty.get(name);
      if (validate && !validate(value)) problems.push(...describe(validate.errors ?? [], name));
    }
    return problems;
  };
}

/** `owner: must be string`, `labels/0: must be string`, `title: is required`. */
function describe(errorList: ErrorObject[], prefix = ''): string[] {
  const out: string[] = [];
  for (const error of errorList) {
    let path = error.instancePath.replace(/^\//, '').replace(/~1/g, '/').replace(/~0/g, '~');
    if (prefix) path = path === '' ? prefix : `${prefix}/${path}`;
    if (error.keyword === 'required') {
      const missing = (error.params as { missingProperty: string }).missingProperty;
      out.push(`${path === '' ? missing : `${path}/${missing}`}: is required`);
    } else if (error.keyword === 'additionalProperties') {
      const extra = (error.params as { additionalProperty: string }).additionalProperty;
      out.push(`${path === '' ? extra : `${path}/${extra}`}: is not ${path === '' ? 'an argument of this tool' : 'allowed here'}`);
    } else if (error.keyword === 'enum') {
      out.push(`${path || '(arguments)'}: must be one of ${JSON.stringify((error.params as { allowedValues: unknown[] }).allowedValues)}`);
    } else if (error.keyword === 'if' || error.keyword === 'anyOf' || error.keyword === 'oneOf') {
      if (!out.some((o) => o.startsWith(`${path || '(arguments)'}:`))) out.push(`${path || '(arguments)'}: ${error.message}`);
    } else {
      out.push(`${path || '(arguments)'}: ${error.message}`);
    }
  }
  return [...new Set(out)];
}
