import { compose, type CallFn } from './compose';
import { send } from './send';
import { buildUpstreamRequest, resolveTool } from './stages';
import { validateArguments } from './validate-arguments';

/** The tool half of DESIGN.md's pipeline, composed once; see stages.ts for the order. */
export function createCallPipeline(): CallFn {
  return compose([resolveTool, validateArguments, buildUpstreamRequest], send);
}
