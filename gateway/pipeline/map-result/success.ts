/** A 2xx answer as an MCP result: JSON with structuredContent, text, images and audio, other bytes as a resource, empty bodies. */
import type { CallToolResult } from '@modelcontextprotocol/server';
import { type ConnectorRuntime, type HttpOperationTool, type UpstreamResponse, META_TRUNCATED } from '../../core';
import { redactText } from '../../../errors';
import { header } from '../../upstream/rate-limit';
import { classify, contentType, decodeText, isUtf8Text, sniffJson } from './content-type';
import { canonicalHeader, formatBytes, isPlainObject, minifyJson, statusLine, text, type ContentBlock } from './parts';
import { truncationNotice } from './truncation';

/**
 * MCP: a tool with an outputSchema MUST return structuredContent unless isError is set,
 * and the SDK clients (TypeScript and Python) refuse such a result outright. When the
 * answer cannot be that object (cut, an array, not JSON), the result keeps its content
 * and is flagged isError, saying why, so the agent still gets the data. An empty 2xx is
 * `{}`: flagging a done DELETE as failed would invite a retry.
 */
export function successResult(registered: HttpOperationTool, response: UpstreamResponse, connector: ConnectorRuntime): CallToolResult {
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
function successContent(
  registered: HttpOperationTool,
  response: UpstreamResponse,
  connector: ConnectorRuntime,
): { result: CallToolResult; explained: boolean } {
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

function jsonResult(registered: HttpOperationTool, value: unknown, source: string): CallToolResult {
  const result: CallToolResult = { content: [text(minifyJson(source))] };
  // Clients validate structuredContent against outputSchema, which is always an object
  // schema: an array or a primitive would be rejected, so it goes as text only.
  if (registered.tool.outputSchema !== undefined && isPlainObject(value)) result.structuredContent = value;
  return result;
}

function emptyBodyText(registered: HttpOperationTool, response: UpstreamResponse): string {
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
export function responseUri(registered: HttpOperationTool): string {
  return `lunar-hub://${encodeURIComponent(registered.connectorId)}/${encodeURIComponent(registered.tool.name)}/response`;
}

function binaryBlocks(registered: HttpOperationTool, response: UpstreamResponse, body: Buffer, mime: string, truncated: boolean): ContentBlock[] {
  const uri = responseUri(registered);
  const name = fileName(header(response.headers, 'content-disposition'));
  const size = truncated ? `the first ${formatBytes(body.length)}` : formatBytes(body.length);
  const what = `${mime} response${name ? ` "${name}"` : ''}, ${size}, embedded as resource ${uri}`;
  return [text(what), { type: 'resource', resource: { uri, mimeType: mime, blob: body.toString('base64') } }];
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
