/** The next page's arguments in every pagination style. */
import { PAGINATION_DEFAULTS, type HttpOperationTool, type Pagination, type UpstreamResponse } from '../../core';
import { itemsOf, nextPageArguments } from './next-page';

function tool(query: Array<[property: string, name: string, type?: string]>): HttpOperationTool {
  return {
    kind: 'http',
    connectorId: 'api',
    tool: {
      name: 'api_list',
      inputSchema: { type: 'object', properties: Object.fromEntries(query.map(([property, , type]) => [property, { type: type ?? 'string' }])) },
    },
    binding: { tool: 'api_list', operation: 'GET /things', arguments: query.map(([property, name]) => ({ property, in: 'query' as const, name })) },
    operation: { method: 'get' },
  } as unknown as HttpOperationTool;
}

function response(headers: Record<string, string> = {}): UpstreamResponse {
  return { status: 200, headers, body: Buffer.alloc(0), truncated: false };
}

const style = (s: Pagination['style'], more: Partial<Pagination> = {}): Pagination => ({ style: s, ...PAGINATION_DEFAULTS[s], ...more });

it('link: the next URL query as the tool arguments, typed as the schema says; none when a parameter cannot be sent', () => {
  const t = tool([
    ['per_page', 'per_page', 'integer'],
    ['page', 'page', 'integer'],
    ['state', 'state'],
  ]);
  const next = response({
    link: '<https://api.example.com/things?per_page=2&page=3&state=open>; rel="next", <https://api.example.com/things?page=9>; rel="last"',
  });
  expect(nextPageArguments(t, style('link'), next, {}, undefined)).toEqual({ per_page: 2, page: 3, state: 'open' });
  expect(nextPageArguments(t, style('link'), response({ link: '<https://x.test/t?page=1>; rel="prev"' }), {}, undefined)).toBeUndefined();
  expect(nextPageArguments(t, style('link'), response({ link: '<https://x.test/t?after=Y3Vyc29y>; rel="next"' }), {}, undefined)).toBeUndefined();
});

it('cursor and pageToken: the value in the body, under the argument that sends it', () => {
  const slack = tool([['cursor', 'cursor']]);
  expect(
    nextPageArguments(
      slack,
      style('cursor', { next: 'response_metadata.next_cursor', items: 'channels' }),
      response(),
      {},
      { channels: [1], response_metadata: { next_cursor: 'dXNlcjpVMDYxTkZUVDI=' } },
    ),
  ).toEqual({ cursor: 'dXNlcjpVMDYxTkZUVDI=' });
  expect(
    nextPageArguments(slack, style('cursor', { next: 'response_metadata.next_cursor' }), response(), {}, { response_metadata: { next_cursor: '' } }),
  ).toBeUndefined();
  const gmail = tool([['pageToken', 'pageToken']]);
  expect(nextPageArguments(gmail, style('pageToken'), response(), {}, { messages: [], nextPageToken: '0923' })).toEqual({ pageToken: '0923' });
  expect(nextPageArguments(gmail, style('pageToken'), response(), {}, { messages: [] })).toBeUndefined();
});

it('offset and startAt: the next offset from the items seen, until the total or a short page', () => {
  const jira = tool([
    ['startAt', 'startAt', 'integer'],
    ['maxResults', 'maxResults', 'integer'],
  ]);
  const page = (startAt: number, n: number) => ({ startAt, maxResults: 2, total: 5, issues: Array.from({ length: n }, (_, i) => startAt + i) });
  const jiraStyle = style('startAt', { items: 'issues' });
  expect(nextPageArguments(jira, jiraStyle, response(), { maxResults: 2 }, page(0, 2))).toEqual({ startAt: 2 });
  expect(nextPageArguments(jira, jiraStyle, response(), { startAt: 2, maxResults: 2 }, page(2, 2))).toEqual({ startAt: 4 });
  expect(nextPageArguments(jira, jiraStyle, response(), { startAt: 4, maxResults: 2 }, page(4, 1))).toBeUndefined();
  const api = tool([
    ['offset', 'offset', 'integer'],
    ['limit', 'limit', 'integer'],
  ]);
  expect(nextPageArguments(api, style('offset'), response(), { limit: 3 }, [1, 2, 3])).toEqual({ offset: 3 });
  expect(nextPageArguments(api, style('offset'), response(), { offset: 3, limit: 3 }, [4])).toBeUndefined();
});

it('page: the next page number while pages are full', () => {
  const t = tool([
    ['page', 'page', 'integer'],
    ['per_page', 'per_page', 'integer'],
  ]);
  expect(nextPageArguments(t, style('page'), response(), { per_page: 2 }, [1, 2])).toEqual({ page: 2 });
  expect(nextPageArguments(t, style('page'), response(), { page: 2, per_page: 2 }, [3])).toBeUndefined();
  expect(nextPageArguments(t, style('page'), response(), { page: 2 }, [])).toBeUndefined();
});

it('finds the items: the field named, the body, or an object body with one list', () => {
  expect(itemsOf([1], style('link'))).toEqual([1]);
  expect(itemsOf({ total_count: 1, items: [1] }, style('link'))).toEqual([1]);
  expect(itemsOf({ a: [1], b: [2] }, style('link'))).toEqual({ a: [1], b: [2] });
  expect(itemsOf({ data: { rows: [1] } }, style('offset', { items: 'data.rows' }))).toEqual([1]);
});
