/**
 * `_pages: N` on a paged tool: the hub fetches up to N pages itself, each through the rest
 * of the HTTP kind (credentials, cache, retries, limits), and returns their items merged
 * into one answer. It stops early at the last page, at a failed page (the pages before it
 * are kept, with the failure said), when the merged items pass the connector's
 * maxResponseBytes, or when the client cancels; the result then says how to go on.
 */
import type { CallToolResult } from '@modelcontextprotocol/server';
import { FOLLOW_PAGES_ARGUMENT } from '../../../generators';
import { httpToolOf, META_NEXT, type Stage } from '../../core';
import { itemsOf, itemsPath, type Arguments } from './next-page';
import { nextPageNote } from './next-note';
import { resultJson } from '../result-json';

export const followPages: Stage = (next) => async (ctx) => {
  const wanted = ctx.args[FOLLOW_PAGES_ARGUMENT];
  if (wanted === undefined) return next(ctx);
  const { [FOLLOW_PAGES_ARGUMENT]: _pages, ...args } = ctx.args;
  const first = await next({ ...ctx, args });
  const tool = httpToolOf(ctx);
  const runtime = ctx.snapshot.connectors.get(tool.connectorId)!.runtime;
  const pagination = runtime.pagination;
  const firstValue = resultJson(first);
  const firstItems = pagination ? itemsOf(firstValue, pagination) : undefined;
  if (typeof wanted !== 'number' || wanted <= 1 || !pagination || first.isError || !Array.isArray(firstItems)) return first;

  const items: unknown[] = [...firstItems];
  let bytes = Buffer.byteLength(JSON.stringify(firstItems));
  let last = first;
  let fetched = 1;
  let stopped: string | undefined;
  while (fetched < wanted) {
    const more = last._meta?.[META_NEXT] as Arguments | undefined;
    if (!more) break;
    if (ctx.signal.aborted) {
      stopped = 'the call was cancelled';
      break;
    }
    if (bytes > runtime.maxResponseBytes) {
      stopped = `the items passed the connector's maxResponseBytes (${runtime.maxResponseBytes} bytes)`;
      break;
    }
    const page = await next({ ...ctx, args: { ...args, ...more } });
    const pageItems = itemsOf(resultJson(page), pagination);
    if (page.isError || !Array.isArray(pageItems)) {
      stopped = `page ${fetched + 1} failed: ${page.content.map((c) => (c.type === 'text' ? c.text : '')).join(' ')}`;
      break;
    }
    items.push(...pageItems);
    bytes += Buffer.byteLength(JSON.stringify(pageItems));
    last = page;
    fetched++;
    ctx.progress(fetched, wanted, `page ${fetched} of up to ${wanted}`);
  }

  const lastValue = resultJson(last);
  const path = itemsPath(lastValue, pagination);
  const merged = path === undefined ? items : withItems(lastValue, path, items);
  const rest = last._meta?.[META_NEXT] as Arguments | undefined;
  const notes = [`Followed ${fetched} page${fetched === 1 ? '' : 's'}: ${items.length} items.${stopped ? ` Stopped because ${stopped}.` : ''}`];
  if (rest) notes.push(nextPageNote(tool.tool.name, rest));
  const result: CallToolResult = {
    content: [{ type: 'text', text: JSON.stringify(merged) }, ...notes.map((text) => ({ type: 'text' as const, text }))],
  };
  if (first.structuredContent !== undefined && merged !== null && typeof merged === 'object' && !Array.isArray(merged)) {
    result.structuredContent = merged as Record<string, unknown>;
  }
  const meta = { ...last._meta };
  if (!rest) delete meta[META_NEXT];
  if (Object.keys(meta).length > 0) result._meta = meta;
  return result;
};

/** The last page's body with the merged items where its own were (`data`, `meta.items`). */
function withItems(body: unknown, path: string, items: unknown[]): unknown {
  const keys = path.split('.');
  const copy = (node: unknown, depth: number): unknown => {
    const object = node !== null && typeof node === 'object' && !Array.isArray(node) ? (node as Record<string, unknown>) : {};
    return { ...object, [keys[depth]]: depth === keys.length - 1 ? items : copy(object[keys[depth]], depth + 1) };
  };
  return copy(body, 0);
}
