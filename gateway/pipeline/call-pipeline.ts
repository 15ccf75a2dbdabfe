import type { CredentialService } from '../../auth/credentials/credential-service';
import { authorise } from './authorise';
import { compose, type CallFn } from './compose';
import { credentialsStage } from './credentials';
import { send } from './send';
import { buildUpstreamRequest, resolveTool } from './stages';
import { validateArguments } from './validate-arguments';

export interface PipelineServices {
  credentials?: CredentialService;
}

/** The tool half of DESIGN.md's pipeline, composed once; see stages.ts for the order. */
export function createCallPipeline(services: PipelineServices = {}): CallFn {
  return compose([resolveTool, authorise, validateArguments, buildUpstreamRequest, credentialsStage(services.credentials)], send);
}
