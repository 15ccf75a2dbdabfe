/** The coded errors of a call the limiter does not send: when to try again, and why. */
import { errors, isHubError, tryAgainIn, type HubError } from '../../../errors';
import type { LimiterEnv } from './environment';

/** HUB_ERR_RATE_LIMITED: `tool` was not sent for `reason`; it may go in `waitMs`. */
export function rateLimited(tool: string, connectorId: string, waitMs: number, reason: string): HubError {
  const { seconds, at } = tryAgainIn(waitMs);
  return errors.RATE_LIMITED([tool, reason, String(seconds), at], { details: { retryAfterSeconds: seconds, connector: connectorId } });
}

export function storeFailed(tool: string, error: unknown): HubError {
  return errors.RATE_STORE([tool, `failed: ${error instanceof Error ? error.message : String(error)}`], { cause: error });
}

export function limiterClosed(cause?: unknown): HubError {
  return errors.INTERNAL(['the rate limiter is closed (the hub is shutting down)'], cause === undefined ? undefined : { cause });
}

/** A limiter itself failed (Redis, or the hub closing) before the call went out. */
export function limiterFailure(env: LimiterEnv, tool: string, error: unknown): HubError {
  if (isHubError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (env.closed) return limiterClosed(error);
  if (env.clustered) return storeFailed(tool, error);
  return errors.INTERNAL([`rate limiter: ${message}`], { cause: error });
}
