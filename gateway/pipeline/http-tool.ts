/**
 * The HTTP operation kind: build the request from the operation (stage 5), put the
 * connection's credentials on it (7), and send it through the HTTP half (gateway/upstream:
 * shared reads -> cache -> retry -> breaker -> rate limit -> undici), mapping the answer
 * into an MCP result (9, 10). The cache keys on the connection the credentials stage
 * chose, so it sits after that stage and before the socket.
 */
import { httpToolOf, type Stage, type ToolKind } from '../core';
import type { Exchange } from '../upstream/exchange';
import type { RequestBuilder } from './build-request';
import { compose, tracedTerminal } from './compose';
import type { OutputConformer } from './conform-output';
import { credentialsStage, type CredentialSource } from './credentials';
import { createSend } from './send';
import { followPages } from './pagination';

/** What the HTTP kind runs on; the pipeline (or a connection test) owns each and closes what needs closing. */
export interface HttpToolServices {
  credentials?: CredentialSource;
  exchange: Exchange;
  /** Keeps each tool's request plan (build-request/). */
  requests: RequestBuilder;
  /** Checks results against the tool's outputSchema (conform-output.ts). */
  output: OutputConformer;
}

export function buildUpstreamRequest(requests: RequestBuilder): Stage {
  return (next) => async (ctx) => {
    const tool = httpToolOf(ctx);
    const connector = ctx.snapshot.connectors.get(tool.connectorId)!.runtime;
    ctx.http = { connector, request: requests.build(tool, ctx.args, connector) };
    return next(ctx);
  };
}

export const httpToolKind: ToolKind<HttpToolServices> = {
  kind: 'http',
  createInvoker(services, trace) {
    return compose(
      [
        { name: 'followPages', stage: followPages },
        { name: 'buildRequest', stage: buildUpstreamRequest(services.requests) },
        { name: 'credentials', stage: credentialsStage(services.credentials) },
      ],
      tracedTerminal('send', createSend(services.exchange, services.output), trace),
      trace,
    );
  },
};
