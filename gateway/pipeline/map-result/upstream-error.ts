/** A 3xx, 4xx or 5xx answer as an `isError` result: the status, the upstream's own message, and when to try again. */
import type { CallToolResult } from '@modelcontextprotocol/server';
import { errors, redact, redactText, redactValues, tryAgainIn } from '../../../errors';
import { DEFAULT_UPSTREAM_POLICY, type ConnectorRuntime, type UpstreamResponse, META_CODE, META_RETRY_AFTER, META_STATUS } from '../../core';
import { header, readResponseLimits, readRetryAfter, waitFromLimits } from '../../upstream/rate-limit';
import { classify, contentType, decodeText, isUtf8Text } from './content-type';
import { clip, collapse, messageFromHtml, messageFromJson, messageFromXml } from './error-message';
import { formatBytes, statusLine, text } from './parts';

/** Upstream error messages are cut here: enough for any real message, not a whole HTML page. */
export const ERROR_MESSAGE_LIMIT = 500;

function statusMeta(status: number): Record<string, unknown> {
  return { [META_STATUS]: status, [META_CODE]: errors.UPSTREAM_STATUS.code };
}

export function redirectResult(response: UpstreamResponse, connector: ConnectorRuntime): CallToolResult {
  const location = header(response.headers, 'location');
  const line = statusLine(response.status);
  const shownLocation = location === undefined ? undefined : redactValues(redactText(location), Object.values(connector.headers ?? {}));
  const message = shownLocation === undefined ? line : `${line}: redirected to ${shownLocation} (the hub does not follow redirects)`;
  return { isError: true, content: [text(message)], _meta: statusMeta(response.status) };
}

export function upstreamErrorResult(response: UpstreamResponse, connector: ConnectorRuntime): CallToolResult {
  const line = statusLine(response.status);
  const message = upstreamMessage(response, connector);
  let output = message === undefined ? line : `${line}: ${message}`;
  const meta = statusMeta(response.status);
  const retryAfter = header(response.headers, 'retry-after');
  // Always a number of seconds for programs, whether the upstream sent seconds or a date.
  const waitMs = retryAfter === undefined ? undefined : readRetryAfter(response.headers, Date.now());
  if ((response.status === 429 || response.status === 503) && retryAfter !== undefined && waitMs !== undefined) {
    output += `\nRetry-After: ${retryAfter}${/^\d+$/.test(retryAfter) ? ' seconds' : ''}`;
    meta[META_RETRY_AFTER] = Math.ceil(waitMs / 1000);
  } else {
    // A Retry-After that cannot be read says nothing: the rate-limit headers may (a reset time).
    if ((response.status === 429 || response.status === 503) && retryAfter !== undefined) output += `\nRetry-After: ${retryAfter}`;
    const notice = rateLimitNotice(response, connector);
    if (notice !== undefined) {
      output += `\n${notice.text}`;
      if (notice.seconds !== undefined) meta[META_RETRY_AFTER] = notice.seconds;
    }
  }
  return { isError: true, content: [text(output)], _meta: meta };
}

/**
 * A rate limit the Retry-After line above does not cover, read by the connector's
 * convention (gateway/upstream/rate-limit-headers.ts): GitHub's 403 for its primary
 * limit (`x-ratelimit-remaining: 0` until `x-ratelimit-reset`) or a secondary one, or a
 * 429 that says only when its window resets. The agent is told when to try again.
 */
function rateLimitNotice(response: UpstreamResponse, connector: ConnectorRuntime): { text: string; seconds?: number } | undefined {
  const now = Date.now();
  const limits = readResponseLimits(response, (connector.policy ?? DEFAULT_UPSTREAM_POLICY).rateLimit.headers, now);
  if (!limits.limited) return undefined;
  const waitMs = waitFromLimits(limits, now);
  if (waitMs === undefined) return { text: 'Rate limited by the upstream, which did not say for how long: wait before calling again.' };
  const { seconds, words } = tryAgainIn(waitMs, now);
  return { text: `Rate limited by the upstream: ${words}.`, seconds };
}

/** The upstream's own words about what went wrong, redacted and at most ERROR_MESSAGE_LIMIT chars. */
function upstreamMessage(response: UpstreamResponse, connector: ConnectorRuntime): string | undefined {
  const body = response.truncated ? response.body.subarray(0, Math.max(0, connector.maxResponseBytes)) : response.body;
  if (body.length === 0) return undefined;
  const type = contentType(response.headers);
  const family = type.mime === undefined ? undefined : classify(type.mime);
  if (family === 'image' || family === 'audio' || (family === 'binary' && !isUtf8Text(body, response.truncated))) {
    return `(${type.mime} body, ${formatBytes(body.length)})`;
  }
  const decoded = decodeText(body, type.charset, response.truncated).trim();
  if (decoded === '') return undefined;

  let message: string | undefined;
  if (family === 'json' || /^[{["]/.test(decoded)) {
    try {
      const value = redact(JSON.parse(decoded) as unknown);
      message = messageFromJson(value) ?? JSON.stringify(value);
    } catch {
      // Not JSON after all (or cut): the text below.
    }
  }
  if (message === undefined && (type.mime === 'text/html' || /^<(!doctype html|html)/i.test(decoded))) message = messageFromHtml(decoded);
  if (message === undefined && /^<\?xml|^<[\w:-]+[\s>]/.test(decoded)) message = messageFromXml(decoded);
  // Redact before clipping, so a clip can never leave half a secret showing.
  return clip(
    redactValues(redactText(collapse(message ?? decoded.slice(0, 8 * ERROR_MESSAGE_LIMIT))), Object.values(connector.headers ?? {})),
    ERROR_MESSAGE_LIMIT,
  );
}
