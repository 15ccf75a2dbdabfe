/**
 * The tool half of DESIGN.md's pipeline, composed once. Order (first sees the call first):
 *
 *   observe -> resolveTool -> authorise -> validateArguments -> project -> quota -> <the tool's kind>
 *
 * and for the HTTP kind: followPages -> buildRequest -> credentials -> send (the HTTP half:
 * dedupe -> cache -> retry -> breaker -> rate limit -> undici, gateway/upstream). The
 * generic stages apply to every kind; test/gateway/pipeline-order.test.ts pins the order.
 */
import type { CredentialService } from '../../auth';
import type { CallFn, StageTrace } from '../core';
import { composeExchange, type ExchangeStage } from '../upstream/exchange';
import { createUndiciExchange } from '../upstream/undici-exchange';
import { authorise } from './authorise';
import { createRequestBuilder } from './build-request';
import { compose, type NamedStage } from './compose';
import { createOutputConformer } from './conform-output';
import { projectResult } from './project';
import { observe } from './observe';
import { quotaStage, type QuotaCounter } from './quota';
import { resolveTool } from './resolve-tool';
import { dispatchToKind } from './tool-kinds';
import { createArgumentValidator } from './validate-arguments';

export interface PipelineServices {
  credentials?: CredentialService;
  /** Front-door quota counts; absent: no quotas checked. */
  quota?: QuotaCounter;
  /** The HTTP half's stages, first sees the request first (gateway/upstream/exchange.ts). */
  exchangeStages?: readonly ExchangeStage[];
  /** Sees each stage start and end. */
  trace?: StageTrace;
}

/**
 * One pipeline owns its argument validator, request builder, output conformer and undici
 * pools: two hubs in one process (or a plugin) never share them. `close()` closes the
 * pools (calls in flight finish first); the services passed in stay their owner's to close.
 */
export interface CallPipeline {
  call: CallFn;
  close(): Promise<void>;
}

export function createCallPipeline(services: PipelineServices = {}): CallPipeline {
  const validator = createArgumentValidator();
  const undici = createUndiciExchange();
  const generic: NamedStage[] = [
    { name: 'observe', stage: observe },
    { name: 'resolveTool', stage: resolveTool },
    { name: 'authorise', stage: authorise },
    { name: 'validateArguments', stage: validator.stage },
    { name: 'project', stage: projectResult },
    ...(services.quota ? [{ name: 'quota', stage: quotaStage(services.quota) }] : []),
  ];
  const kinds = dispatchToKind(
    {
      exchange: composeExchange(services.exchangeStages ?? [], undici.exchange),
      requests: createRequestBuilder(),
      output: createOutputConformer(),
      ...(services.credentials ? { credentials: services.credentials } : {}),
    },
    services.trace,
  );
  return { call: compose(generic, kinds, services.trace), close: () => undici.close() };
}
