/**
 * The arguments that fetch the next page of a paged answer, in the connector's style:
 * the query of a `Link: <...>; rel="next"` URL mapped back to the tool's arguments, a
 * cursor or page token from the body, or the next offset, page or startAt worked out from
 * the items this page held (and the total, where the body gives one). Undefined when this
 * was the last page, or when the next one cannot be asked for with the tool's arguments.
 */
import type { HttpOperationTool, Pagination, UpstreamResponse } from '../../core';
import { header } from '../../upstream/rate-limit';

export type Arguments = Record<string, unknown>;

export function nextPageArguments(
  tool: HttpOperationTool,
  pagination: Pagination,
  response: UpstreamResponse,
  args: Arguments,
  body: unknown,
): Arguments | undefined {
  if (pagination.style === 'link') return fromLinkHeader(tool, response);
  const param = pagedProperty(tool, pagination.param);
  if (param === undefined) return undefined;
  switch (pagination.style) {
    case 'cursor':
    case 'pageToken': {
      const next = pagination.next === undefined ? undefined : at(body, pagination.next);
      return (typeof next === 'string' && next !== '') || typeof next === 'number' ? { [param]: next } : undefined;
    }
    case 'offset':
    case 'startAt':
    case 'page': {
      const items = itemsOf(body, pagination);
      if (!Array.isArray(items) || items.length === 0) return undefined;
      const sizeProperty = pagedProperty(tool, pagination.sizeParam);
      const size = sizeProperty !== undefined ? numberOr(args[sizeProperty], undefined) : undefined;
      const current = numberOr(args[param], pagination.style === 'page' ? 1 : 0)!;
      const total = pagination.total === undefined ? undefined : numberOr(at(body, pagination.total), undefined);
      if (pagination.style === 'page') {
        if (size !== undefined && items.length < size) return undefined;
        return { [param]: current + 1 };
      }
      const next = current + items.length;
      if (total !== undefined ? next >= total : size !== undefined && items.length < size) return undefined;
      return { [param]: next };
    }
  }
}

/** The list in a page: the field the connector names, the body, or an object body's one list field (GitHub's search `items`). */
export function itemsOf(body: unknown, pagination: Pagination): unknown {
  return at(body, itemsPath(body, pagination));
}

/** Where `itemsOf` found the list: a dotted path, or undefined for the body itself. */
export function itemsPath(body: unknown, pagination: Pagination): string | undefined {
  if (pagination.items !== undefined) return pagination.items;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const lists = Object.entries(body).filter(([, v]) => Array.isArray(v));
  return lists.length === 1 ? lists[0][0] : undefined;
}

function fromLinkHeader(tool: HttpOperationTool, response: UpstreamResponse): Arguments | undefined {
  const link = header(response.headers, 'link');
  const next = link === undefined ? undefined : /<([^>]+)>\s*;[^,]*\brel="?next"?/i.exec(link)?.[1];
  if (next === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(next);
  } catch {
    return undefined;
  }
  const args: Arguments = {};
  for (const [name, value] of url.searchParams) {
    const property = queryProperty(tool, name);
    // A parameter the tool cannot send (one the spec does not declare) would lose the page.
    if (property === undefined) return undefined;
    args[property] = typed(tool, property, value);
  }
  return Object.keys(args).length > 0 ? args : undefined;
}

/** The tool's argument bound to a query parameter of this name. */
function queryProperty(tool: HttpOperationTool, name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  return tool.binding.arguments.find((a) => a.in === 'query' && a.name === name)?.property;
}

/** The same, or a body property of that name: Notion's search and queries take their cursor in the body. */
function pagedProperty(tool: HttpOperationTool, name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  return queryProperty(tool, name) ?? tool.binding.arguments.find((a) => a.in === 'body' && a.name === name)?.property;
}

/** A query value as the argument's schema types it (GitHub's `page=2` is an integer). */
function typed(tool: HttpOperationTool, property: string, value: string): unknown {
  const schema = tool.tool.inputSchema.properties?.[property] as { type?: unknown } | undefined;
  const types = Array.isArray(schema?.type) ? schema.type : [schema?.type];
  if ((types.includes('integer') || types.includes('number')) && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  if (types.includes('boolean') && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

function at(body: unknown, path: string | undefined): unknown {
  if (path === undefined) return body;
  let value = body;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function numberOr(value: unknown, fallback: number | undefined): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return fallback;
}
