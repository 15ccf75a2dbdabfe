import type { CredentialService } from '../../auth/credentials/credential-service';
import { authorise } from './authorise';
import { compose, type CallFn } from './compose';
import { credentialsStage } from './credentials';
import { createSend } from './send';
import { composeExchange, type Exchange, type ExchangeStage } from '../upstream/exchange';
import { undiciExchange } from '../upstream/undici-exchange';
import { buildUpstreamRequest, resolveTool } from './stages';
import { validateArguments } from './validate-arguments';
import { quotaStage, type QuotaCounter } from '../quota';

export interface PipelineServices {
  credentials?: CredentialService;
  /** Front-door quota counts; absent: no quotas checked. */
  quota?: QuotaCounter;
  /** The HTTP half's stages, first sees the request first (gateway/upstream/exchange.ts). */
  exchangeStages?: readonly ExchangeStage[];
}

/** The HTTP half, composed once (connection tests use it too). */
export function createExchange(services: PipelineServices): Exchange {
  return composeExchange(services.exchangeStages ?? [], undiciExchange);
}

/** The tool half of DESIGN.md's pipeline, composed once; see stages.ts for the order. */
export function createCallPipeline(services: PipelineServices = {}): CallFn {
  const send = createSend(createExchange(services));
  const quota = services.quota ? [quotaStage(services.quota)] : [];
  return compose([resolveTool, authorise, validateArguments, ...quota, buildUpstreamRequest, credentialsStage(services.credentials)], send);
}
