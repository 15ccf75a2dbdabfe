/** A failure before, around or instead of an upstream response, classified into one coded `isError` result. */
import { STATUS_CODES } from 'node:http';
import type { CallToolResult } from '@modelcontextprotocol/server';
import { ABORT_CODES, errors, findErrorCode, isHubError, isNetworkCode, redactText, TIMEOUT_PHASES, type FoundCode, type HubError } from '../../../errors';
import { META_CODE, META_RETRY_AFTER } from '../../core';
import { text } from './parts';

const RETRY_EXHAUSTED = 'UND_ERR_REQ_RETRY';

/**
 * A failure before, around or instead of an upstream response, as an `isError` result
 * carrying its `HUB_ERR_*` code in `_meta` (never a stack).
 */
export function errorResult(error: unknown, toolName: string): CallToolResult {
  const hubError = classifyFailure(error, toolName);
  const message = typeof hubError.message === 'string' ? hubError.message : String(hubError.message ?? '');
  // A coded error that knows when to try again (quotas, rate limits) says so to programs too.
  const retryAfter = (hubError as { details?: { retryAfterSeconds?: unknown } }).details?.retryAfterSeconds;
  return {
    isError: true,
    content: [text(redactText(`${hubError.code}: ${message}`))],
    _meta: { [META_CODE]: hubError.code, ...(typeof retryAfter === 'number' ? { [META_RETRY_AFTER]: retryAfter } : {}) },
  };
}

function classifyFailure(error: unknown, toolName: string): Pick<HubError, 'code' | 'message'> {
  if (isHubError(error)) return error;
  const coded = findCode(error);
  // AbortSignal.timeout() is a deadline, not the client giving up.
  if (nameOf(error) === 'TimeoutError') return errors.UPSTREAM_TIMEOUT([toolName, 'the call deadline passed'], { cause: error });
  if (nameOf(error) === 'AbortError' || (coded !== undefined && ABORT_CODES.has(coded.code))) {
    return errors.CALL_CANCELLED([toolName], { cause: error });
  }
  if (coded !== undefined) {
    const phase = Object.hasOwn(TIMEOUT_PHASES, coded.code) ? TIMEOUT_PHASES[coded.code] : undefined;
    if (phase !== undefined) return errors.UPSTREAM_TIMEOUT([toolName, phase], { cause: error });
    if (isNetworkCode(coded.code)) {
      const said = coded.message.includes(coded.code) ? coded.message : `${coded.message || 'connection failed'} (${coded.code})`;
      return errors.UPSTREAM_NETWORK([toolName, said], { cause: error });
    }
    // undici's retry interceptor gave up on a retryable status: still the upstream's answer.
    const status = (coded.node as { statusCode?: unknown }).statusCode;
    if (coded.code === RETRY_EXHAUSTED && typeof status === 'number') {
      return errors.UPSTREAM_STATUS([toolName, String(status), `${STATUS_CODES[status] ?? 'error'} (retries exhausted)`], { cause: error });
    }
  }
  const message = error instanceof Error ? error.message : typeof error === 'string' ? error : safeString(error);
  return errors.INTERNAL([message || 'unknown error'], { cause: error });
}

/** The first code on the error or its causes that this mapping knows, else the first code at all. */
function findCode(error: unknown): FoundCode | undefined {
  return findErrorCode(error, (code) => Object.hasOwn(TIMEOUT_PHASES, code) || isNetworkCode(code) || ABORT_CODES.has(code) || code === RETRY_EXHAUSTED);
}

function nameOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && typeof (error as { name?: unknown }).name === 'string' ? (error as { name: string }).name : undefined;
}

function safeString(value: unknown): string {
  try {
    return typeof value === 'object' ? (JSON.stringify(value) ?? String(value)) : String(value);
  } catch {
    return String(value);
  }
}
