/**
 * Pipeline stage 10 (DESIGN.md "The call pipeline"): an upstream HTTP response, or a
 * failure around the call, becomes an MCP `CallToolResult` (protocol 2025-11-25).
 *
 * What an agent sees is paid for per token and read by a model, so: JSON is sent
 * compact, a cut body says how to get the rest with the tool's own arguments, and an
 * upstream error is one line with the upstream's own message (redacted, see redact.ts).
 */
import { STATUS_CODES } from 'node:http';
import { TextDecoder } from 'node:util';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { ABORT_CODES, errors, findErrorCode, isHubError, isNetworkCode, redact, redactText, redactValues, TIMEOUT_PHASES, tryAgainIn, type FoundCode, type HubError } from '../../errors';
import { DEFAULT_UPSTREAM_POLICY, type ConnectorRuntime, type RegisteredTool, type UpstreamResponse } from '../core';
import { header, readResponseLimits, readRetryAfter, waitFromLimits } from '../upstream/rate-limit';

type ContentBlock = CallToolResult['content'][number];

/** `_meta` keys a program can read instead of parsing the text. */
export const META_STATUS = 'lunar-hub/status';
export const META_CODE = 'lunar-hub/code';
export const META_RETRY_AFTER = 'lunar-hub/retry-after';
export const META_TRUNCATED = 'lunar-hub/truncated';

/** Upstream error messages are cut here: enough for any real message, not a whole HTML page. */
export const ERROR_MESSAGE_LIMIT = 500;

export function mapResponse(registered: RegisteredTool, response: UpstreamResponse, connector: ConnectorRuntime): CallToolResult {
  const { status } = response;
  if (status >= 300 && status < 400) return redirectResult(response, connector);
  if (status < 200 || status >= 400) return upstreamErrorResult(response, connector);
  return successResult(registered, response, connector);
}

// ---------------------------------------------------------------- success

type Family = 'json' | 'text' | 'image' | 'audio' | 'binary';

/**
 * MCP: a tool with an outputSchema MUST return structuredContent unless isError is set,
 * and the SDK clients (TypeScript and Python) refuse such a result outright. When the
 * answer cannot be that object (cut, an array, not JSON), the result keeps its content
 * and is flagged isError, saying why, so the agent still gets the data. An empty 2xx is
 * `{}`: flagging a done DELETE as failed would invite a retry.
 */
function successResult(registered: RegisteredTool, response: UpstreamResponse, connector: ConnectorRuntime): CallToolResult {
  const { result, explained } = successContent(registered, response, connector);
  if (registered.tool.outputSchema === undefined || result.structuredContent !== undefined) return result;
  if (isEmptyBody(response)) return { ...result, structuredContent: {} };
  const content = explained ? result.content : [...result.content, text(SCHEMA_MISMATCH_NOTE)];
  return { ...result, content, isError: true };
}

const SCHEMA_MISMATCH_NOTE =
  "Note: marked as an error only because the upstream did not answer with the JSON object this tool's output schema describes; the answer above is complete.";

function isEmptyBody(response: UpstreamResponse): boolean {
  return response.status === 204 || response.status === 205 || (response.body.length === 0 && !response.truncated);
}

/** The result, and whether its content already says why it is not the expected object. */
function successContent(registered: RegisteredTool, response: UpstreamResponse, connector: ConnectorRuntime): { result: CallToolResult; explained: boolean } {
  const { truncated } = response;
  const done = (result: CallToolResult, explained = truncated) => ({ result, explained });
  // The reader may hand over one byte past the cap (it read it to detect the cut).
  const body = truncated ? response.body.subarray(0, Math.max(0, connector.maxResponseBytes)) : response.body;
  // HTTP forbids a body on 204/205 whatever an upstream sends.
  if (isEmptyBody(response)) {
    return done({ content: [text(emptyBodyText(registered, response))] });
  }

  const type = contentType(response.headers);
  let family = classify(type.mime);
  let mime = type.mime;
  let sniffed: { value: unknown; text: string } | undefined;
  if (!truncated && (mime === undefined || mime === 'text/plain')) {
    sniffed = sniffJson(body, type.charset);
    if (sniffed) family = 'json';
  }
  if (mime === undefined && !sniffed) {
    const looksLikeText = isUtf8Text(body, truncated);
    family = looksLikeText ? 'text' : 'binary';
    mime = looksLikeText ? 'text/plain' : 'application/octet-stream';
  }

  const notice = truncated ? truncationNotice(registered, response, connector, body.length) : undefined;
  const withNotice = (blocks: ContentBlock[]): CallToolResult =>
    notice === undefined ? { content: blocks } : { content: [...blocks, text(notice)], _meta: { [META_TRUNCATED]: true } };

  switch (family) {
    case 'json': {
      if (sniffed) return done(jsonResult(registered, sniffed.value, sniffed.text));
      const decoded = decodeText(body, type.charset, truncated);
      // A cut body cannot be parsed, so there is no value (and no structuredContent) to give.
      if (truncated) return done(withNotice([text(minifyJson(decoded))]));
      let value: unknown;
      try {
        value = JSON.parse(decoded);
      } catch {
        return done({ content: [text(decoded), text(`Note: the upstream declared ${mime} but the body is not valid JSON; shown as received.`)] }, true);
      }
      return done(jsonResult(registered, value, decoded));
    }
    case 'text':
      return done(withNotice([text(decodeText(body, type.charset, truncated))]));
    case 'image':
    case 'audio':
      // A cut image or clip would not decode, and a client (or the model API behind it)
      // may reject the whole turn over a broken image: the bytes go as a plain resource.
      if (!truncated) return done({ content: [{ type: family, data: body.toString('base64'), mimeType: mime! }] });
      return done(withNotice(binaryBlocks(registered, response, body, mime!, true)));
    case 'binary':
      return done(withNotice(binaryBlocks(registered, response, body, mime ?? 'application/octet-stream', truncated)));
  }
}

function jsonResult(registered: RegisteredTool, value: unknown, source: string): CallToolResult {
  const result: CallToolResult = { content: [text(minifyJson(source))] };
  // Clients validate structuredContent against outputSchema, which is always an object
  // schema: an array or a primitive would be rejected, so it goes as text only.
  if (registered.tool.outputSchema !== undefined && isPlainObject(value)) result.structuredContent = value;
  return result;
}

function emptyBodyText(registered: RegisteredTool, response: UpstreamResponse): string {
  const line = statusLine(response.status);
  const parts = [response.status === 204 || response.status === 205 ? line : `${line} (empty body)`];
  // A 201 often says only where the new thing is; a HEAD answers in headers alone.
  const shown = registered.operation.method === 'head' ? ['location', 'content-type', 'content-length', 'etag', 'last-modified'] : ['location'];
  for (const name of shown) {
    const value = header(response.headers, name);
    if (value !== undefined) parts.push(`${canonicalHeader(name)}: ${redactText(value)}`);
  }
  return parts.join('\n');
}

/**
 * Bytes that are neither text nor a whole image/clip go as an embedded resource.
 *
 * The URI is `lunar-hub://<connector>/<tool>/response`, the same for every call of a
 * tool: the hub serves no `resources/read` for it (the bytes are all inline), so the
 * URI only has to say where the bytes came from, and a stable one lets clients that
 * key attachments by URI replace the previous download rather than pile them up.
 */
export function responseUri(registered: RegisteredTool): string {
  return `lunar-hub://${encodeURIComponent(registered.connectorId)}/${encodeURIComponent(registered.tool.name)}/response`;
}

function binaryBlocks(registered: RegisteredTool, response: UpstreamResponse, body: Buffer, mime: string, truncated: boolean): ContentBlock[] {
  const uri = responseUri(registered);
  const name = fileName(header(response.headers, 'content-disposition'));
  const size = truncated ? `the first ${formatBytes(body.length)}` : formatBytes(body.length);
  const what = `${mime} response${name ? ` "${name}"` : ''}, ${size}, embedded as resource ${uri}`;
  return [text(what), { type: 'resource', resource: { uri, mimeType: mime, blob: body.toString('base64') } }];
}

// ---------------------------------------------------------------- truncation

/** Argument names (lower snake case, no `$`) that shrink a page or move to the next one. */
const PAGE_SIZE_ARGS = new Set(['per_page', 'perpage', 'page_size', 'pagesize', 'limit', 'max_results', 'maxresults', 'max_items', 'top']);
const PAGE_POSITION_ARGS = new Set([
  'page',
  'page_number',
  'cursor',
  'offset',
  'start_cursor',
  'starting_after',
  'page_token',
  'next_page_token',
  'next_token',
  'continuation_token',
  'start_at',
  'skip',
  'marker',
]);
/** Arguments that ask for fewer fields, and ones that ask for more (to be left out). */
const FIELD_SELECT_ARGS = new Set(['fields', 'select', 'opt_fields', 'filter_path']);
const FIELD_EXPAND_ARGS = new Set(['expand']);

/** `pageSize`, `$top`, `max-results` all compare as `page_size`, `top`, `max_results`. */
function argumentKind(property: string): string {
  return property
    .replace(/^\$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[-.]/g, '_')
    .toLowerCase();
}

export function truncationNotice(registered: RegisteredTool, response: UpstreamResponse, connector: ConnectorRuntime, keptBytes: number): string {
  const total = response.declaredBytes !== undefined ? `of ${formatBytes(response.declaredBytes)}` : 'of a larger body (the upstream did not say its size)';
  const head = `Response truncated: kept the first ${formatBytes(keptBytes)} ${total}; this connector's cap is ${formatBytes(connector.maxResponseBytes)}.`;

  const properties = Object.keys(registered.tool.inputSchema.properties ?? {});
  const pick = (set: Set<string>) => properties.filter((p) => set.has(argumentKind(p))).map((p) => `\`${p}\``);
  const sizes = pick(PAGE_SIZE_ARGS);
  const positions = pick(PAGE_POSITION_ARGS);
  if (sizes.length > 0 || positions.length > 0) {
    const ways: string[] = [];
    if (sizes.length > 0) ways.push(`a smaller ${sizes.join(' or ')}`);
    if (positions.length > 0) ways.push(`the next ${positions.join(' or ')}`);
    return `${head} To get the rest, call again with ${ways.join(' or ')}.`;
  }
  const selects = pick(FIELD_SELECT_ARGS);
  const expands = pick(FIELD_EXPAND_ARGS);
  if (selects.length > 0 || expands.length > 0) {
    const ways: string[] = [];
    if (selects.length > 0) ways.push(`with ${selects.join(' or ')} naming only the fields you need`);
    if (expands.length > 0) ways.push(`without ${expands.join(' or ')}`);
    return `${head} To get a smaller answer, call again ${ways.join(' or ')}.`;
  }
  return `${head} This tool has no arguments to page or select fields; \`maxResponseBytes\` in the connector file raises the cap.`;
}

// ---------------------------------------------------------------- errors from the upstream

function statusLine(status: number): string {
  const reason = STATUS_CODES[status];
  return reason ? `HTTP ${status} ${reason}` : `HTTP ${status}`;
}

function statusMeta(status: number): Record<string, unknown> {
  return { [META_STATUS]: status, [META_CODE]: errors.UPSTREAM_STATUS.code };
}

function redirectResult(response: UpstreamResponse, connector: ConnectorRuntime): CallToolResult {
  const location = header(response.headers, 'location');
  const line = statusLine(response.status);
  const shownLocation = location === undefined ? undefined : redactValues(redactText(location), Object.values(connector.headers ?? {}));
  const message = shownLocation === undefined ? line : `${line}: redirected to ${shownLocation} (the hub does not follow redirects)`;
  return { isError: true, content: [text(message)], _meta: statusMeta(response.status) };
}

function upstreamErrorResult(response: UpstreamResponse, connector: ConnectorRuntime): CallToolResult {
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
  return clip(redactValues(redactText(collapse(message ?? decoded.slice(0, 8 * ERROR_MESSAGE_LIMIT))), Object.values(connector.headers ?? {})), ERROR_MESSAGE_LIMIT);
}

/**
 * The conventions upstreams use for an error message, most specific first:
 * OAuth (`error` + `error_description`), `message` (GitHub, Stripe inside `error`,
 * AWS `Message`), Google/Azure `error.message`, RFC 9457 `detail`/`title`, FastAPI
 * `detail: [{loc, msg}]`, Jira `errorMessages` + `errors: {field: msg}`, JSON:API and
 * GraphQL `errors: [{message|detail|title}]`, Apigee `fault.faultstring`. A list of
 * details (GitHub's 422 `errors`) is appended to the headline.
 */
export function messageFromJson(value: unknown): string | undefined {
  if (typeof value === 'string') return nonEmpty(value);
  if (Array.isArray(value)) return joinDetails(detailList(value));
  if (!isPlainObject(value)) return undefined;

  const error = value.error;
  const oauth = typeof error === 'string' && nonEmpty(value.error_description) ? `${error}: ${(value.error_description as string).trim()}` : undefined;
  const headline =
    oauth ??
    firstString(value.message, value.Message, value.error_message, value.errorMessage, value.msg) ??
    (typeof error === 'string' ? nonEmpty(error) : isPlainObject(error) ? messageFromJson(error) : undefined) ??
    nonEmpty(value.error_description) ??
    (Array.isArray(value.detail) ? joinDetails(detailList(value.detail)) : firstString(value.detail)) ??
    firstString(value.title) ??
    (isPlainObject(value.fault) ? firstString(value.fault.faultstring, value.fault.message) : undefined);

  const details = [...detailList(value.errorMessages), ...detailList(value.errors)];
  if (headline === undefined) return joinDetails(details);
  const extra = details.filter((d) => d !== headline);
  return extra.length === 0 ? headline : `${headline} (${joinDetails(extra)})`;
}

/** Messages out of an `errors`-style value: strings, objects with a message, or `{field: message}`. */
function detailList(value: unknown): string[] {
  if (typeof value === 'string') return nonEmpty(value) ? [value.trim()] : [];
  if (Array.isArray(value)) {
    return value.slice(0, 5).flatMap((item): string[] => {
      if (typeof item === 'string') return nonEmpty(item) ? [item.trim()] : [];
      if (!isPlainObject(item)) return [];
      const title = firstString(item.title);
      const detail = firstString(item.detail);
      const said = firstString(item.message, item.msg) ?? (title && detail ? `${title}: ${detail}` : detail ?? title);
      const where = Array.isArray(item.loc) ? item.loc.join('.') : firstString(item.field, item.param);
      if (said !== undefined) return [where !== undefined && !said.includes(where) ? `${where}: ${said}` : said];
      // GitHub's 422 items: {resource, field, code}.
      const code = firstString(item.code);
      return code !== undefined ? [where !== undefined ? `${where}: ${code}` : code] : [];
    });
  }
  if (isPlainObject(value)) {
    return Object.entries(value)
      .slice(0, 5)
      .flatMap(([field, said]) => detailList(said).map((s) => `${field}: ${s}`));
  }
  return [];
}

function joinDetails(details: string[]): string | undefined {
  return details.length === 0 ? undefined : details.join('; ');
}

function messageFromHtml(html: string): string | undefined {
  const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html)?.[1];
  const h1 = /<h1[^>]*>([\s\S]*?)<\/h1>/i.exec(html)?.[1];
  const pick = nonEmpty(stripTags(h1 ?? '')) ?? nonEmpty(stripTags(title ?? ''));
  if (pick !== undefined) return pick;
  return nonEmpty(stripTags(html.replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, ' ')));
}

/** AWS (`<Error><Code/><Message/>`) and SOAP (`<faultstring/>`) errors. */
function messageFromXml(xml: string): string | undefined {
  const said = /<(?:[\w-]+:)?(?:Message|message|faultstring)>([^<]+)</.exec(xml)?.[1]?.trim();
  if (!said) return undefined;
  const code = /<(?:[\w-]+:)?Code>([^<]+)</.exec(xml)?.[1]?.trim();
  return code ? `${code}: ${said}` : said;
}

function stripTags(html: string): string {
  return collapse(
    html
      .replace(/<[^>]*>/g, ' ')
      .replace(/&nbsp;/g, ' ')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, '&'),
  );
}

// ---------------------------------------------------------------- failures around the call

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
    return typeof value === 'object' ? JSON.stringify(value) ?? String(value) : String(value);
  } catch {
    return String(value);
  }
}

// ---------------------------------------------------------------- bodies and headers

function canonicalHeader(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase()).replace(/^Etag$/, 'ETag');
}

function contentType(headers: UpstreamResponse['headers']): { mime?: string; charset?: string } {
  const raw = header(headers, 'content-type');
  if (raw === undefined) return {};
  const [mime, ...params] = raw.split(';');
  const charset = params
    .map((p) => /^\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(p)?.[1])
    .find((c): c is string => c !== undefined);
  const clean = mime.trim().toLowerCase();
  return { mime: clean === '' ? undefined : clean, charset };
}

const TEXT_APPLICATION_TYPES = new Set([
  'application/xml',
  'application/yaml',
  'application/x-yaml',
  'application/javascript',
  'application/ecmascript',
  'application/x-javascript',
  'application/x-www-form-urlencoded',
  'application/graphql',
  'application/sql',
  'application/x-ndjson',
  'application/jsonl',
  'application/x-sh',
  'application/toml',
]);

function classify(mime: string | undefined): Family {
  if (mime === undefined) return 'text';
  if (mime === 'application/json' || mime === 'text/json' || mime.endsWith('+json')) return 'json';
  // SVG is XML an agent can read; as an image most model APIs would refuse it.
  if (mime === 'image/svg+xml') return 'text';
  if (mime.startsWith('image/')) return 'image';
  if (mime.startsWith('audio/')) return 'audio';
  if (mime.startsWith('text/') || TEXT_APPLICATION_TYPES.has(mime) || mime.endsWith('+xml') || mime.endsWith('+yaml')) return 'text';
  return 'binary';
}

/** A body with no (or a text/plain) type that is JSON all the same, parsed once. */
function sniffJson(body: Buffer, charset: string | undefined): { value: unknown; text: string } | undefined {
  // Look at the start first: a large text body is decoded once, as text, not twice.
  const start = decodeText(body.subarray(0, 256), charset, true).trimStart()[0];
  if (start !== '{' && start !== '[') return undefined;
  const decoded = decodeText(body, charset, false);
  try {
    return { value: JSON.parse(decoded), text: decoded };
  } catch {
    return undefined;
  }
}

/** UTF-8 without NUL bytes: what "text" means for a body that does not say its type. */
function isUtf8Text(body: Buffer, partial: boolean): boolean {
  const sample = body.subarray(0, 64 * 1024);
  if (sample.includes(0)) return false;
  try {
    // A sample (or a cut body) may end inside a character: stream mode keeps it pending.
    new TextDecoder('utf-8', { fatal: true }).decode(sample, { stream: partial || sample.length < body.length });
    return true;
  } catch {
    return false;
  }
}

/**
 * Decode by the declared charset (utf-8 when none or unknown). For a cut body, a
 * character split by the cut is dropped rather than shown as U+FFFD.
 */
function decodeText(bytes: Buffer, charset: string | undefined, partial: boolean): string {
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(charset ?? 'utf-8');
  } catch {
    decoder = new TextDecoder('utf-8');
  }
  const decoded = decoder.decode(bytes, { stream: partial });
  return decoder.encoding === 'windows-1252' ? decoded.replace(/[\u0080-\u009f]/g, (c) => CP1252_C1[c.charCodeAt(0) - 0x80]) : decoded;
}

/**
 * windows-1252 at 0x80-0x9F (WHATWG: also what `iso-8859-1`, `latin1` and `us-ascii`
 * mean). Node 20's TextDecoder gives the C1 controls there instead (0x80 as U+0080, not €).
 */
const CP1252_C1 =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

/**
 * JSON without insignificant whitespace, working on the text so numbers keep every
 * digit (a re-serialised 64-bit id would lose precision). Also safe on a cut body:
 * a string left open by the cut is kept as is.
 */
export function minifyJson(json: string): string {
  return json.replace(/("(?:[^"\\]|\\[\s\S])*(?:"|\\?$))|[ \t\n\r]+/g, (match, quoted: string | undefined) => quoted ?? '');
}

function fileName(disposition: string | undefined): string | undefined {
  if (disposition === undefined) return undefined;
  const star = /filename\*\s*=\s*[^']*'[^']*'([^;]+)/i.exec(disposition)?.[1];
  if (star !== undefined) {
    try {
      return decodeURIComponent(star.trim());
    } catch {
      // Badly encoded: fall back to the plain filename.
    }
  }
  return /filename\s*=\s*"?([^";]+)"?/i.exec(disposition)?.[1]?.trim();
}

/** `12345 bytes` below 10 KiB, else `1.5 MiB (1572864 bytes)`: readable and exact. */
export function formatBytes(bytes: number): string {
  const exact = `${bytes} byte${bytes === 1 ? '' : 's'}`;
  if (bytes < 10 * 1024) return exact;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const shown = Number.isInteger(value) ? String(value) : value.toFixed(1);
  return `${shown} ${units[unit]} (${exact})`;
}

function text(value: string): ContentBlock {
  return { type: 'text', text: value };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function firstString(...values: unknown[]): string | undefined {
  for (const value of values) {
    const found = nonEmpty(value);
    if (found !== undefined) return found;
  }
  return undefined;
}

function collapse(value: string): string {
  return value.replace(/\s+/g, ' ').trim();
}

function clip(value: string, limit: number): string {
  return value.length <= limit ? value : `${value.slice(0, limit - 1)}…`;
}
