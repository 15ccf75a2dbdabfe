/**
 * Stage 7: the connection's credentials on the request (auth/credentials). Runs after
 * the request is built and wraps send, because a 401 from an OAuth upstream earns
 * exactly one refresh (shared by every call waiting on that connection) and one more
 * attempt; any other status, and a second 401, goes back to the agent as it is.
 * Operations whose `security` is an empty list go out without credentials, and so do
 * operations with no requirement in a spec that states requirements elsewhere, and every
 * call of a connector that declares no authentication (auth/upstream/schemes.ts).
 */
import type { CallCredential, CredentialService } from '../../auth/credentials/credential-service';
import { applyCredential } from '../../auth/upstream/apply';
import { operationAllowsAnonymous, operationNeedsCredentials } from '../../auth/upstream/schemes';
import { errors, isHubError } from '../../errors';
import type { CallContext, Stage } from './compose';

/** What the stage needs of the credential service (a connection test passes one fixed connection). */
export type CredentialSource = Pick<CredentialService, 'forCall' | 'refresh'>;

export function credentialsStage(service: CredentialSource | undefined): Stage {
  return (next) => async (ctx) => {
    const auth = ctx.connector!.auth;
    if (!auth || !operationNeedsCredentials(auth, ctx.registered!.operation.security)) return next(ctx);
    if (!service || !ctx.principal) {
      throw errors.CRED_MISSING([`${ctx.connector!.id} needs credentials, and this hub runs without a store of connections`]);
    }
    let credential: CallCredential;
    try {
      credential = await service.forCall(ctx.principal, ctx.connector!.id, auth.scheme);
    } catch (error) {
      // An operation with an anonymous alternative still works without a connection.
      if (isHubError(error) && error.code === 'HUB_ERR_CRED_MISSING' && operationAllowsAnonymous(ctx.registered!.operation.security)) return next(ctx);
      throw error;
    }
    const unsigned = ctx.request!;
    const first = await next(withCredential(ctx, credential));
    if (ctx.upstreamStatus !== 401 || auth.scheme.type !== 'oauth2' || credential.payload.kind !== 'oauth2') return first;
    const renewed = await service.refresh(credential, auth.scheme);
    // A new context: the one-next() guard is per context, and this second attempt is the one the design allows.
    const retry: CallContext = { ...ctx, request: unsigned, upstreamStatus: undefined };
    const second = await next(withCredential(retry, renewed));
    ctx.upstreamStatus = retry.upstreamStatus;
    ctx.credential = retry.credential;
    return second;
  };
}

function withCredential(ctx: CallContext, credential: CallCredential): CallContext {
  const auth = ctx.connector!.auth!;
  const { url, headers } = applyCredential(ctx.connector!.id, auth.scheme, credential.payload, ctx.request!);
  ctx.credential = credential;
  ctx.request = { ...ctx.request!, url, headers };
  return ctx;
}
