/**
 * Stage 7: the connection's credentials on the request (auth/credentials). Runs after
 * the request is built and wraps send, because a 401 from an OAuth upstream earns
 * exactly one refresh (shared by every call waiting on that connection) and one more
 * attempt; any other status, and a second 401, goes back to the agent as it is.
 * Operations whose `security` is an empty list go out without credentials, and so do
 * operations with no requirement in a spec that states requirements elsewhere, and every
 * call of a connector that declares no authentication (auth/upstream/schemes.ts).
 */
import { type CallCredential, type CredentialService, applyCredential, operationAllowsAnonymous, operationNeedsCredentials } from '../../auth';
import { errors, isHubError } from '../../errors';
import { httpToolOf, type CallContext, type Stage } from '../core';

/** What the stage needs of the credential service (a connection test passes one fixed connection). */
export type CredentialSource = Pick<CredentialService, 'forCall' | 'refresh'>;

export function credentialsStage(service: CredentialSource | undefined): Stage {
  return (next) => async (ctx) => {
    const http = ctx.http!;
    const auth = http.connector.auth;
    if (!auth || !operationNeedsCredentials(auth, operationOf(ctx).security)) return next(ctx);
    if (!service || !ctx.principal) {
      throw errors.CRED_MISSING([`${http.connector.id} needs credentials, and this hub runs without a store of connections`]);
    }
    let credential: CallCredential;
    try {
      credential = await service.forCall(ctx.principal, http.connector.id, auth.scheme);
    } catch (error) {
      // An operation with an anonymous alternative still works without a connection.
      if (isHubError(error) && error.code === 'HUB_ERR_CRED_MISSING' && operationAllowsAnonymous(operationOf(ctx).security)) return next(ctx);
      throw error;
    }
    const unsigned = http.request!;
    const first = await next(withCredential(ctx, credential));
    if (ctx.facts.upstreamStatus !== 401 || auth.scheme.type !== 'oauth2' || credential.payload.kind !== 'oauth2') return first;
    const renewed = await service.refresh(credential, auth.scheme);
    // A new context: the one-next() guard is per context, and this second attempt is the one the design allows.
    const retry: CallContext = { ...ctx, http: { ...http, request: unsigned }, facts: { ...ctx.facts, upstreamStatus: undefined } };
    const second = await next(withCredential(retry, renewed));
    ctx.facts = retry.facts;
    ctx.http = retry.http;
    return second;
  };
}

function withCredential(ctx: CallContext, credential: CallCredential): CallContext {
  const http = ctx.http!;
  const auth = http.connector.auth!;
  const { url, headers } = applyCredential(http.connector.id, auth.scheme, credential.payload, http.request!);
  ctx.http = { ...http, credential, request: { ...http.request!, url, headers } };
  ctx.facts.connectionId = credential.connection.id;
  ctx.facts.credentialOwner = credential.owner;
  return ctx;
}

function operationOf(ctx: CallContext) {
  return httpToolOf(ctx).operation;
}
