/**
 * Paged answers (the connector file's `pagination`, core/pagination.ts): each page says how
 * to get the next one, and `_pages` follows them.
 *
 *   next-page.ts     the next page's arguments, in each style
 *   follow-pages.ts  the HTTP kind's first stage: `_pages: N` fetched and merged
 *   next-note.ts     the sentence a paged result ends with
 */
import type { CallToolResult } from '@modelcontextprotocol/server';
import { META_NEXT, type ConnectorRuntime, type HttpOperationTool, type UpstreamResponse } from '../../core';
import { nextPageArguments, type Arguments } from './next-page';
import { nextPageNote } from './next-note';

export { followPages } from './follow-pages';

/** A successful answer of a paged connector, with the next page's arguments in `_meta` and in its text. */
export function withNextPage(
  tool: HttpOperationTool,
  connector: ConnectorRuntime,
  response: UpstreamResponse,
  args: Arguments,
  result: CallToolResult,
): CallToolResult {
  const pagination = connector.pagination;
  if (!pagination || result.isError || response.status < 200 || response.status >= 300) return result;
  const next = nextPageArguments(tool, pagination, response, args, pagination.style === 'link' ? undefined : bodyOf(result, response));
  if (!next) return result;
  return { ...result, content: [...result.content, { type: 'text', text: nextPageNote(tool.tool.name, next) }], _meta: { ...result._meta, [META_NEXT]: next } };
}

function bodyOf(result: CallToolResult, response: UpstreamResponse): unknown {
  if (result.structuredContent !== undefined) return result.structuredContent;
  if (response.truncated) return undefined;
  try {
    return JSON.parse(response.body.toString('utf8'));
  } catch {
    return undefined;
  }
}
