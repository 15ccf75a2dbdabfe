/**
 * MCP clients hold a tool with an outputSchema to it: a success result's
 * structuredContent must validate, or the official SDK client throws the whole result
 * away. Upstreams drift from their specs (a documented string comes back null, a field
 * changes type). Such a result is returned as `isError` with every byte of the
 * upstream's answer still in the text, plus a note saying why: the agent keeps the
 * data, the client keeps working. (A success with no object at all is flagged by
 * mapResponse already.) One conformer per pipeline, like the argument validator.
 */
import type { CallToolResult } from '@modelcontextprotocol/server';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { Logger } from 'pino';
import { errors } from '../../errors';
import { META_CODE } from './map-result';
import type { HttpOperationTool } from '../core';

export interface OutputConformer {
  /** The result as it is when its structuredContent fits the tool's outputSchema, else flagged isError with a note. */
  conform(registered: HttpOperationTool, result: CallToolResult, log: Logger): CallToolResult;
}

export function createOutputConformer(): OutputConformer {
  const ajv = new Ajv2020({ allErrors: false, strict: false, logger: false });
  addFormats(ajv);
  const validators = new WeakMap<HttpOperationTool, ValidateFunction | null>();

  const validatorFor = (registered: HttpOperationTool, log: Logger): ValidateFunction | null => {
    let validate = validators.get(registered);
    if (validate === undefined) {
      try {
        validate = ajv.compile(registered.tool.outputSchema!);
      } catch (cause) {
        log.warn({ tool: registered.tool.name, err: (cause as Error).message }, 'outputSchema does not compile; results are not checked');
        validate = null;
      }
      validators.set(registered, validate);
    }
    return validate;
  };

  return {
    conform(registered, result, log) {
      const schema = registered.tool.outputSchema;
      if (!schema || result.isError || result.structuredContent === undefined) return result;
      const validate = validatorFor(registered, log);
      if (!validate || validate(result.structuredContent)) return result;
      const first = validate.errors?.[0];
      const reason = `the response does not match the tool's outputSchema (${first ? `${first.instancePath || '(root)'} ${first.message}` : 'invalid'})`;
      const error = errors.UPSTREAM_SHAPE([registered.tool.name, reason]);
      log.debug({ tool: registered.tool.name, reason }, 'result does not fit the outputSchema');
      const { structuredContent: _dropped, ...rest } = result;
      return {
        ...rest,
        isError: true,
        content: [...result.content, { type: 'text', text: `${error.code}: ${error.message}` }],
        _meta: { ...result._meta, [META_CODE]: error.code },
      };
    },
  };
}
