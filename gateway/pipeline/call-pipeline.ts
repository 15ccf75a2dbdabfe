/**
 * The tool half of DESIGN.md's pipeline, composed once. Order (first sees the call first):
 *
 *   observe -> resolveTool -> authorise -> validateArguments -> quota -> <the tool's kind>
 *
 * and for the HTTP kind: buildRequest -> credentials -> send (the HTTP half:
 * dedupe -> cache -> retry -> breaker -> rate limit -> undici, gateway/upstream). The
 * generic stages apply to every kind; test/gateway/pipeline-order.test.ts pins the order.
 */
import type { CredentialService } from '../../auth/credentials/credential-service';
import type { CallFn, StageTrace } from '../core';
import { composeExchange, type Exchange, type ExchangeStage } from '../upstream/exchange';
import { undiciExchange } from '../upstream/undici-exchange';
import { authorise } from './authorise';
import { compose, type NamedStage } from './compose';
import { observe } from './observe';
import { quotaStage, type QuotaCounter } from './quota';
import { resolveTool } from './resolve-tool';
import { dispatchToKind } from './tool-kinds';
import { validateArguments } from './validate-arguments';

export interface PipelineServices {
  credentials?: CredentialService;
  /** Front-door quota counts; absent: no quotas checked. */
  quota?: QuotaCounter;
  /** The HTTP half's stages, first sees the request first (gateway/upstream/exchange.ts). */
  exchangeStages?: readonly ExchangeStage[];
  /** Sees each stage start and end. */
  trace?: StageTrace;
}

/** The HTTP half, composed once (connection tests use it too). */
export function createExchange(services: Pick<PipelineServices, 'exchangeStages'>): Exchange {
  return composeExchange(services.exchangeStages ?? [], undiciExchange);
}

export function createCallPipeline(services: PipelineServices = {}): CallFn {
  const generic: NamedStage[] = [
    { name: 'observe', stage: observe },
    { name: 'resolveTool', stage: resolveTool },
    { name: 'authorise', stage: authorise },
    { name: 'validateArguments', stage: validateArguments },
    ...(services.quota ? [{ name: 'quota', stage: quotaStage(services.quota) }] : []),
  ];
  const kinds = dispatchToKind({ exchange: createExchange(services), ...(services.credentials ? { credentials: services.credentials } : {}) }, services.trace);
  return compose(generic, kinds, services.trace);
}
