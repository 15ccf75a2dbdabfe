/**
 * What Node, undici and TLS say when an upstream exchange fails, in one place: the codes
 * that mean the network failed, undici's timeouts with their phase, the abort codes, and
 * one walker over an error's `cause` chain and an AggregateError's `errors` (fetch wraps
 * undici's error in a TypeError; happy eyeballs aggregates one error per address).
 * The retry decision and the mapping of failures into results both read these.
 */

/** Codes that mean the upstream could not be reached, dropped the connection or spoke broken HTTP (`HPE_*`). */
export const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EPIPE',
  'EPROTO',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_HEADERS_OVERFLOW',
  'UND_ERR_PRX_TLS',
  'UND_ERR_SOCKS5',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

/** undici's timeout codes, with the phase each one means. */
export const TIMEOUT_PHASES: Readonly<Record<string, string>> = Object.freeze({
  UND_ERR_CONNECT_TIMEOUT: 'connecting',
  UND_ERR_HEADERS_TIMEOUT: 'waiting for the response headers',
  UND_ERR_BODY_TIMEOUT: 'reading the response body',
  ETIMEDOUT: 'connecting (ETIMEDOUT)',
});

export const ABORT_CODES: ReadonlySet<string> = new Set(['ABORT_ERR', 'UND_ERR_ABORT', 'UND_ERR_ABORTED']);

export function isNetworkCode(code: string): boolean {
  return NETWORK_ERROR_CODES.has(code) || code.startsWith('HPE_');
}

export interface FoundCode {
  code: string;
  message: string;
  /** The error object that carries the code. */
  node: object;
}

/**
 * The first code on the error or its causes that `wanted` accepts, else the first code
 * found at all. A hub error has already decided what happened (HUB_ERR_RATE_STORE caused
 * by a refused Redis connection is not a refused upstream): with `stopAtHubErrors` its
 * cause is not looked into, and a hub error met first is the answer.
 */
export function findErrorCode(error: unknown, wanted: (code: string) => boolean, options: { stopAtHubErrors?: boolean } = {}): FoundCode | undefined {
  const queue: unknown[] = [error];
  let first: FoundCode | undefined;
  for (let seen = 0; queue.length > 0 && seen < 16; seen++) {
    const node = queue.shift();
    if (node === null || typeof node !== 'object') continue;
    const { code, message, cause } = node as { code?: unknown; message?: unknown; cause?: unknown };
    if (options.stopAtHubErrors && typeof code === 'string' && code.startsWith('HUB_ERR_')) {
      if (first === undefined) return { code, message: typeof message === 'string' ? message : '', node };
      continue;
    }
    if (typeof code === 'string') {
      const found = { code, message: typeof message === 'string' ? message : '', node };
      if (wanted(code)) return found;
      first ??= found;
    }
    if (cause !== undefined) queue.push(cause);
    const inner = (node as { errors?: unknown }).errors;
    if (Array.isArray(inner)) queue.push(...inner);
  }
  return first;
}
