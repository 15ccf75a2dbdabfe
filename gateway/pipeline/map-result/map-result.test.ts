import net from 'node:net';
import { errors as undiciErrors, request } from 'undici';
import { type CallToolResult, isCallToolResult } from '@modelcontextprotocol/server';
import { errors, HubError, redact, redactText } from '../../../errors';
import type { OperationModel, McpTool } from '../../../generators';
import { errorResult, formatBytes, mapResponse, messageFromJson, minifyJson } from '.';
import type { ConnectorRuntime, HttpOperationTool, UpstreamResponse } from '../../core';
import { fixture, toolSetOf } from '../../../test/helpers/specs';

const CAP = 1000;

const connector: ConnectorRuntime = Object.freeze({
  id: 'demo',
  baseUrl: 'https://api.example.com/v1',
  allowedHosts: ['api.example.com'],
  timeouts: { connectMs: 1000, headersMs: 1000, bodyMs: 1000 },
  maxResponseBytes: CAP,
});

const OUTPUT_SCHEMA: McpTool['outputSchema'] = { type: 'object', properties: { id: { type: 'integer' } } };

function operation(method: OperationModel['method'] = 'get'): OperationModel {
  return {
    key: `${method.toUpperCase()} /things`,
    method,
    path: '/things',
    specPath: '/things',
    pointer: '/paths/~1things/get',
    tags: [],
    deprecated: false,
    parameters: [],
    responses: [],
    servers: [],
  };
}

/** A tool built by hand: the argument names it takes, whether it has an outputSchema, its method. */
function handTool(args: string[] = [], options: { outputSchema?: boolean; method?: OperationModel['method'] } = {}): HttpOperationTool {
  const properties = Object.fromEntries(args.map((name) => [name, { type: 'string' }]));
  const tool: McpTool = { name: 'demo_list_things', inputSchema: { type: 'object', properties } };
  if (options.outputSchema) tool.outputSchema = OUTPUT_SCHEMA;
  return {
    kind: 'http',
    connectorId: 'demo',
    tool,
    binding: { tool: tool.name, operation: 'GET /things', arguments: [] },
    operation: operation(options.method),
  };
}

function response(
  status: number,
  headers: Record<string, string | string[]>,
  body: string | Buffer = '',
  extra: Partial<UpstreamResponse> = {},
): UpstreamResponse {
  return { status, headers, body: typeof body === 'string' ? Buffer.from(body) : body, truncated: false, ...extra };
}

const json = { 'content-type': 'application/json; charset=utf-8' };
const plain = handTool();
const typed = handTool([], { outputSchema: true });

function texts(result: CallToolResult): string[] {
  return result.content.filter((c): c is Extract<typeof c, { type: 'text' }> => c.type === 'text').map((c) => c.text);
}

/** Every result must be a valid MCP CallToolResult, with something in it. */
function check(result: CallToolResult): CallToolResult {
  expect(isCallToolResult(result)).toBe(true);
  expect(result.content.length).toBeGreaterThan(0);
  return result;
}

/**
 * mapResponse, checked also against the rule SDK clients enforce (client/index.ts
 * `callTool`): a tool with an outputSchema returns structuredContent or isError.
 */
function map(tool: HttpOperationTool, given: UpstreamResponse, runtime: ConnectorRuntime = connector): CallToolResult {
  const result = check(mapResponse(tool, given, runtime));
  if (tool.tool.outputSchema !== undefined && !result.isError) expect(result.structuredContent).toBeDefined();
  return result;
}

const MISMATCH = /^Note: marked as an error only because the upstream did not answer with the JSON object this tool's output schema describes/;

describe('mapResponse: JSON', () => {
  it.each<[string, HttpOperationTool, Record<string, string>, string, string, unknown]>([
    ['object + outputSchema -> structuredContent', typed, json, '{ "id": 7,\n  "name": "a b" }', '{"id":7,"name":"a b"}', { id: 7, name: 'a b' }],
    ['object without outputSchema -> text only', plain, json, '{"id": 7}', '{"id":7}', undefined],
    ['array without outputSchema -> text only', plain, json, '[ {"id": 1}, {"id": 2} ]', '[{"id":1},{"id":2}]', undefined],
    ['+json type', typed, { 'content-type': 'application/problem+json' }, '{"id": 1}', '{"id":1}', { id: 1 }],
    ['vendor +json type', typed, { 'content-type': 'application/vnd.api+json' }, '{"id": 1}', '{"id":1}', { id: 1 }],
    ['no type, looks like JSON', typed, {}, '\n{"id": 3}', '{"id":3}', { id: 3 }],
    ['text/plain that is JSON', typed, { 'content-type': 'text/plain' }, '{"id": 4}', '{"id":4}', { id: 4 }],
    ['text/plain JSON array', plain, { 'content-type': 'text/plain' }, '[1, 2]', '[1,2]', undefined],
    ['whitespace inside strings kept', plain, json, '{"a": "x  y\\n z", "b" : [ ]}', '{"a":"x  y\\n z","b":[]}', undefined],
    // eslint-disable-next-line no-loss-of-precision -- the point: JSON.parse loses these digits, the text keeps them
    ['64-bit ids keep every digit', typed, json, '{"id": 12345678901234567890}', '{"id":12345678901234567890}', { id: 12345678901234567890 }],
  ])('%s', (_name, tool, headers, body, text, structured) => {
    const result = map(tool, response(200, headers, body));
    expect(texts(result)).toEqual([text]);
    expect(result.structuredContent).toEqual(structured);
    expect(result.isError).toBeUndefined();
  });

  it.each<[string, Record<string, string>, string, string]>([
    ['an array', json, '[ {"id": 1} ]', '[{"id":1}]'],
    ['a number', json, ' 42 ', '42'],
    ['a string', json, '"done"', '"done"'],
    ['null', json, 'null', 'null'],
    ['text', { 'content-type': 'text/csv' }, 'id\n1\n', 'id\n1\n'],
    ['text that itself starts with "Note: "', { 'content-type': 'text/plain' }, 'Note: hi', 'Note: hi'],
  ])(
    'outputSchema but the upstream answered %s: no structuredContent, isError with a note (MCP clients demand one or the other)',
    (_name, headers, body, text) => {
      const result = map(typed, response(200, headers, body));
      expect(result.structuredContent).toBeUndefined();
      expect(result.isError).toBe(true);
      expect(texts(result)[0]).toBe(text);
      expect(texts(result)[1]).toMatch(MISMATCH);
    },
  );

  it('flags a binary answer to a tool with an outputSchema the same way', () => {
    const result = map(typed, response(200, { 'content-type': 'image/png' }, Buffer.from([1, 2, 3])));
    expect(result.isError).toBe(true);
    expect(result.content.map((c) => c.type)).toEqual(['image', 'text']);
  });

  it.each<[string, HttpOperationTool, boolean | undefined]>([
    ['without outputSchema', plain, undefined],
    ['with outputSchema (one note, not two)', typed, true],
  ])('says so, and shows the body as received, when a JSON type carries no JSON (%s)', (_name, tool, isError) => {
    const result = map(tool, response(200, json, '{"id": 1,'));
    expect(texts(result)).toHaveLength(2);
    expect(texts(result)[0]).toBe('{"id": 1,');
    expect(texts(result)[1]).toMatch(/^Note: the upstream declared application\/json but the body is not valid JSON/);
    expect(result.structuredContent).toBeUndefined();
    expect(result.isError).toBe(isError);
  });

  it('takes text/plain that only starts like JSON as text, without a note', () => {
    const result = map(plain, response(200, { 'content-type': 'text/plain' }, '{not json'));
    expect(texts(result)).toEqual(['{not json']);
  });

  it('gives structuredContent for a tool generated from a spec (locations-3.0 get_member)', async () => {
    const set = await toolSetOf(fixture('locations-3.0.yaml'));
    const index = set.tools.findIndex((t) => t.name.endsWith('_get_member'));
    const registered: HttpOperationTool = {
      kind: 'http',
      connectorId: set.connectorId,
      tool: set.tools[index],
      binding: set.bindings[index],
      operation: set.operations[index],
    };
    const result = map(registered, response(200, json, '{"id": 1, "login": "octo"}'));
    expect(result.structuredContent).toEqual({ id: 1, login: 'octo' });
  });
});

describe('mapResponse: text, images, audio, other bytes', () => {
  it.each<[string, string, string]>([
    ['text/plain', 'hello', 'hello'],
    ['text/html; charset=utf-8', '<p>hi</p>', '<p>hi</p>'],
    ['text/csv', 'a,b\n1,2\n', 'a,b\n1,2\n'],
    ['application/xml', '<a><b/></a>', '<a><b/></a>'],
    ['application/atom+xml', '<feed/>', '<feed/>'],
    ['application/yaml', 'a: 1\n', 'a: 1\n'],
    ['application/x-yaml', 'a: 1\n', 'a: 1\n'],
    ['application/javascript', 'let a = 1;', 'let a = 1;'],
    ['application/x-www-form-urlencoded', 'a=1&b=2', 'a=1&b=2'],
    ['image/svg+xml', '<svg/>', '<svg/>'],
  ])('%s is one text block', (type, body, text) => {
    const result = map(plain, response(200, { 'content-type': type }, body));
    expect(result.content).toEqual([{ type: 'text', text }]);
  });

  it.each<[string, string, Buffer, string]>([
    ['latin-1', 'text/plain; charset=ISO-8859-1', Buffer.from([0x63, 0x61, 0x66, 0xe9]), 'café'],
    ['quoted charset', 'text/plain; charset="windows-1252"', Buffer.from([0x80]), '€'],
    ['iso-8859-1 as windows-1252 (WHATWG)', 'text/plain; charset=iso-8859-1', Buffer.from([0x93, 0x68, 0x94, 0xe9]), '“h”é'],
    ['utf-16le', 'text/plain; charset=utf-16le', Buffer.from('hé', 'utf16le'), 'hé'],
    ['unknown charset falls back to utf-8', 'text/plain; charset=x-made-up', Buffer.from('hé'), 'hé'],
    ['utf-8 BOM dropped', 'text/plain', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('hi')]), 'hi'],
  ])('decodes %s', (_name, type, body, text) => {
    expect(texts(map(plain, response(200, { 'content-type': type }, body)))).toEqual([text]);
  });

  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 1, 2]);
  it.each<[string, string, string]>([
    ['image/png', 'image', 'image/png'],
    ['image/jpeg; foo=bar', 'image', 'image/jpeg'],
    ['audio/mpeg', 'audio', 'audio/mpeg'],
    ['audio/wav', 'audio', 'audio/wav'],
  ])('%s becomes %s content', (type, kind, mimeType) => {
    const result = map(plain, response(200, { 'content-type': type }, png));
    expect(result.content).toEqual([{ type: kind, data: png.toString('base64'), mimeType }]);
  });

  it.each<[string, Record<string, string>, string]>([
    ['application/pdf', { 'content-type': 'application/pdf', 'content-disposition': 'attachment; filename="report.pdf"' }, 'application/pdf'],
    ['application/octet-stream', { 'content-type': 'application/octet-stream' }, 'application/octet-stream'],
    ['application/zip', { 'content-type': 'application/zip', 'content-disposition': "attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.zip" }, 'application/zip'],
    ['video/mp4', { 'content-type': 'video/mp4' }, 'video/mp4'],
    ['no type, binary bytes', {}, 'application/octet-stream'],
  ])('%s becomes an embedded resource with a one-line description', (_name, headers, mimeType) => {
    const result = map(plain, response(200, headers, png));
    expect(result.content).toHaveLength(2);
    const [line, resource] = result.content;
    expect(resource).toEqual({ type: 'resource', resource: { uri: 'lunar-hub://demo/demo_list_things/response', mimeType, blob: png.toString('base64') } });
    expect(line.type).toBe('text');
    const text = (line as { text: string }).text;
    expect(text).toContain(mimeType);
    expect(text).toContain('11 bytes');
    expect(text).not.toContain('\n');
    if (headers['content-disposition']) expect(text).toMatch(/"(report\.pdf|résumé\.zip)"/);
  });

  it('takes a body with no type that decodes as UTF-8 as text', () => {
    expect(texts(map(plain, response(200, {}, 'plain words')))).toEqual(['plain words']);
  });
});

describe('mapResponse: empty bodies', () => {
  it.each<[string, number, Record<string, string>, string, HttpOperationTool]>([
    ['204', 204, {}, 'HTTP 204 No Content', plain],
    ['204 from a tool with an outputSchema', 204, {}, 'HTTP 204 No Content', typed],
    ['205', 205, {}, 'HTTP 205 Reset Content', plain],
    ['204 with a stray body', 204, { 'content-type': 'text/plain' }, 'HTTP 204 No Content', plain],
    ['200 empty', 200, json, 'HTTP 200 OK (empty body)', typed],
    [
      '201 with Location',
      201,
      { location: 'https://api.example.com/v1/things/9' },
      'HTTP 201 Created (empty body)\nLocation: https://api.example.com/v1/things/9',
      plain,
    ],
    ['202 empty', 202, {}, 'HTTP 202 Accepted (empty body)', plain],
    [
      'HEAD shows its headers',
      200,
      { 'content-type': 'image/png', 'content-length': '1234', etag: '"abc"', 'x-other': 'no' },
      'HTTP 200 OK (empty body)\nContent-Type: image/png\nContent-Length: 1234\nETag: "abc"',
      handTool([], { method: 'head' }),
    ],
  ])('%s', (_name, status, headers, text, tool) => {
    const body = status === 204 && headers['content-type'] ? 'oops' : '';
    const result = map(tool, response(status, headers, body));
    expect(result.content).toEqual([{ type: 'text', text }]);
    expect(result.isError).toBeUndefined();
    // `{}` keeps a finished call a success for clients that demand structuredContent.
    expect(result.structuredContent).toEqual(tool.tool.outputSchema ? {} : undefined);
  });
});

describe('mapResponse: truncated bodies', () => {
  /** A body of CAP + 1 bytes, as the reader hands it over when it saw more. */
  const bigJson = Buffer.from(JSON.stringify({ items: Array.from({ length: 200 }, (_, i) => ({ id: i, name: `thing ${i}` })) }, null, 2)).subarray(0, CAP + 1);
  const truncated = (body: Buffer, headers: Record<string, string>, declaredBytes?: number) =>
    response(200, headers, body, { truncated: true, ...(declaredBytes === undefined ? {} : { declaredBytes }) });

  it.each<[string, HttpOperationTool, RegExp]>([
    ['per_page + page', handTool(['q', 'per_page', 'page']), /call again with a smaller `per_page` or the next `page`\./],
    ['camelCase pageSize + pageToken', handTool(['pageSize', 'pageToken']), /a smaller `pageSize` or the next `pageToken`/],
    ['OData $top + $skip', handTool(['$top', '$skip', '$select']), /a smaller `\$top` or the next `\$skip`\./],
    ['limit + cursor', handTool(['limit', 'cursor']), /a smaller `limit` or the next `cursor`/],
    ['Notion start_cursor + page_size', handTool(['start_cursor', 'page_size']), /a smaller `page_size` or the next `start_cursor`/],
    ['Jira startAt + maxResults', handTool(['jql', 'startAt', 'maxResults', 'fields']), /a smaller `maxResults` or the next `startAt`\./],
    ['offset only', handTool(['offset']), /call again with the next `offset`\./],
    ['max_results only', handTool(['max_results']), /call again with a smaller `max_results`\./],
    ['fields only', handTool(['id', 'fields']), /call again with `fields` naming only the fields you need\./],
    ['$select + $expand', handTool(['$select', '$expand']), /call again with `\$select` naming only the fields you need or without `\$expand`\./],
    ['expand only', handTool(['expand']), /call again without `expand`\./],
    ['no such arguments', handTool(['id', 'q']), /cap is 1000 bytes.*`maxResponseBytes` in the connector file raises the cap/],
  ])('%s', (_name, tool, notice) => {
    const result = map(tool, truncated(bigJson, json, 5000));
    expect(result.content).toHaveLength(2);
    expect(result.isError).toBeUndefined();
    expect(texts(result)[1]).toMatch(/^Response truncated: kept the first 1000 bytes of 5000 bytes;/);
    expect(texts(result)[1]).toMatch(notice);
  });

  it('names the pagination arguments of a generated tool (get_member has `page` and `fields`)', async () => {
    const set = await toolSetOf(fixture('locations-3.0.yaml'));
    const index = set.tools.findIndex((t) => t.name.endsWith('_get_member'));
    const registered: HttpOperationTool = {
      kind: 'http',
      connectorId: set.connectorId,
      tool: set.tools[index],
      binding: set.bindings[index],
      operation: set.operations[index],
    };
    const result = map(registered, truncated(bigJson, json));
    expect(texts(result)[1]).toMatch(/the upstream did not say its size.*call again with the next `page`\./);
    // The cut text is kept (compacted); there is no value to validate, so a tool with an
    // outputSchema flags the result (its notice is the explanation: no second note).
    expect(result.structuredContent).toBeUndefined();
    expect(result.isError).toBe(true);
    expect(result.content).toHaveLength(2);
    expect(texts(result)[0]).toBe(minifyJson(bigJson.subarray(0, CAP).toString('utf8')));
    expect(result._meta).toEqual({ 'lunar-hub/truncated': true });
  });

  it('says the sizes in readable units when they are large', () => {
    const big: ConnectorRuntime = { ...connector, maxResponseBytes: 1024 * 1024 };
    const body = Buffer.alloc(1024 * 1024 + 1, 0x61);
    const result = map(plain, truncated(body, { 'content-type': 'text/plain' }, 50 * 1024 * 1024), big);
    expect(texts(result)[0]).toHaveLength(1024 * 1024);
    expect(texts(result)[1]).toMatch(/kept the first 1 MiB \(1048576 bytes\) of 50 MiB \(52428800 bytes\); this connector's cap is 1 MiB/);
  });

  it('drops a character split by the cut instead of showing U+FFFD', () => {
    const body = Buffer.concat([Buffer.alloc(CAP - 1, 0x61), Buffer.from('é')]); // é is 2 bytes: the cut splits it
    const result = map(plain, truncated(body, { 'content-type': 'text/plain; charset=utf-8' }));
    expect(texts(result)[0]).toBe('a'.repeat(CAP - 1));
  });

  it('keeps the cut bytes of a binary body as a resource', () => {
    const body = Buffer.alloc(CAP + 1, 7);
    const result = map(plain, truncated(body, { 'content-type': 'application/pdf' }, 9000));
    const resource = result.content.find((c) => c.type === 'resource') as { resource: { blob: string; mimeType: string } };
    expect(Buffer.from(resource.resource.blob, 'base64')).toHaveLength(CAP);
    expect(texts(result)[0]).toMatch(/application\/pdf response, the first 1000 bytes/);
    expect(texts(result)[1]).toMatch(/kept the first 1000 bytes of 9000 bytes/);
  });

  it('sends a cut image as a resource, not as an image a client would fail to decode', () => {
    const result = map(plain, truncated(Buffer.alloc(CAP + 1, 1), { 'content-type': 'image/png' }));
    expect(result.content.map((c) => c.type)).toEqual(['text', 'resource', 'text']);
  });
});

describe("mapResponse: the connector's own header values echoed back", () => {
  const keyed: ConnectorRuntime = {
    ...connector,
    headers: { 'x-goog-api-key': 'AIzaSECRETGOOGLEKEY123456', 'private-token': 'glpat-SECRETGITLAB', 'x-api-version': '2' },
  };

  it.each([
    ['JSON', json, '{"error":{"message":"Invalid key AIzaSECRETGOOGLEKEY123456","headers":{"private-token":"glpat-SECRETGITLAB"}}}'],
    ['HTML', { 'content-type': 'text/html' }, '<html><body><pre>private-token: glpat-SECRETGITLAB</pre></body></html>'],
    ['plain text', { 'content-type': 'text/plain' }, 'Invalid key supplied: AIzaSECRETGOOGLEKEY123456'],
  ])('in a %s error body never reach the result', (_name, headers, body) => {
    const shown = texts(map(plain, response(400, headers, body), keyed)).join('\n');
    expect(shown).not.toContain('AIzaSECRETGOOGLEKEY123456');
    expect(shown).not.toContain('glpat-SECRETGITLAB');
    expect(shown).toContain('[REDACTED]');
  });

  it('in a redirect Location never reach the result', () => {
    const shown = texts(map(plain, response(302, { location: 'https://login.example.com/?next=glpat-SECRETGITLAB' }), keyed)).join('\n');
    expect(shown).not.toContain('glpat-SECRETGITLAB');
    expect(shown).toContain('redirected to https://login.example.com/?next=[REDACTED]');
  });
});

describe('mapResponse: upstream errors', () => {
  it.each<[string, number, Record<string, string>, string, string]>([
    ['GitHub message', 404, json, '{"message":"Not Found","documentation_url":"https://docs.github.com"}', 'HTTP 404 Not Found: Not Found'],
    [
      'GitHub 422 with errors',
      422,
      json,
      '{"message":"Validation Failed","errors":[{"resource":"Issue","field":"title","code":"missing_field"}]}',
      'HTTP 422 Unprocessable Entity: Validation Failed (title: missing_field)',
    ],
    ['Slack error string', 400, json, '{"ok":false,"error":"channel_not_found"}', 'HTTP 400 Bad Request: channel_not_found'],
    [
      'Google/Stripe error.message',
      400,
      json,
      '{"error":{"code":400,"message":"Invalid value at \'q\'","status":"INVALID_ARGUMENT"}}',
      "HTTP 400 Bad Request: Invalid value at 'q'",
    ],
    [
      'OAuth error + error_description',
      401,
      json,
      '{"error":"invalid_grant","error_description":"The code has expired"}',
      'HTTP 401 Unauthorized: invalid_grant: The code has expired',
    ],
    ['error_description alone', 401, json, '{"error_description":"Bad client"}', 'HTTP 401 Unauthorized: Bad client'],
    ['GraphQL errors[0].message', 400, json, '{"errors":[{"message":"Field \'x\' not found"}]}', "HTTP 400 Bad Request: Field 'x' not found"],
    [
      'JSON:API errors[0] title + detail',
      422,
      { 'content-type': 'application/vnd.api+json' },
      '{"errors":[{"status":"422","title":"Invalid Attribute","detail":"Name is too short"}]}',
      'HTTP 422 Unprocessable Entity: Invalid Attribute: Name is too short',
    ],
    ['errors[0].detail', 400, json, '{"errors":[{"detail":"Bad date"}]}', 'HTTP 400 Bad Request: Bad date'],
    ['errors as strings', 400, json, '{"errors":["name is required","age must be a number"]}', 'HTTP 400 Bad Request: name is required; age must be a number'],
    [
      'RFC 9457 detail',
      404,
      { 'content-type': 'application/problem+json' },
      '{"type":"about:blank","title":"Not Found","detail":"Pet 5 does not exist"}',
      'HTTP 404 Not Found: Pet 5 does not exist',
    ],
    ['RFC 9457 title alone', 403, { 'content-type': 'application/problem+json' }, '{"title":"Plan limit reached"}', 'HTTP 403 Forbidden: Plan limit reached'],
    [
      'FastAPI detail list',
      422,
      json,
      '{"detail":[{"loc":["body","name"],"msg":"field required","type":"missing"}]}',
      'HTTP 422 Unprocessable Entity: body.name: field required',
    ],
    [
      'Jira errorMessages',
      404,
      json,
      '{"errorMessages":["Issue does not exist or you do not have permission to see it."],"errors":{}}',
      'HTTP 404 Not Found: Issue does not exist or you do not have permission to see it.',
    ],
    [
      'Jira field errors',
      400,
      json,
      '{"errorMessages":[],"errors":{"summary":"You must specify a summary of the issue."}}',
      'HTTP 400 Bad Request: summary: You must specify a summary of the issue.',
    ],
    [
      'Apigee fault.faultstring',
      401,
      json,
      '{"fault":{"faultstring":"Invalid ApiKey","detail":{"errorcode":"oauth.v2.InvalidApiKey"}}}',
      'HTTP 401 Unauthorized: Invalid ApiKey',
    ],
    [
      'AWS Message',
      403,
      json,
      '{"Message":"User is not authorized to access this resource"}',
      'HTTP 403 Forbidden: User is not authorized to access this resource',
    ],
    [
      'AWS XML',
      404,
      { 'content-type': 'application/xml' },
      '<?xml version="1.0"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>',
      'HTTP 404 Not Found: NoSuchKey: The specified key does not exist.',
    ],
    ['JSON without a known field', 500, json, '{"status": "broken", "id": 3}', 'HTTP 500 Internal Server Error: {"status":"broken","id":3}'],
    ['JSON error with no type', 400, {}, '{"message":"no type said"}', 'HTTP 400 Bad Request: no type said'],
    [
      'nginx HTML page',
      502,
      { 'content-type': 'text/html' },
      '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>',
      'HTTP 502 Bad Gateway: 502 Bad Gateway',
    ],
    ['plain text, trimmed', 500, { 'content-type': 'text/plain' }, '\n  Database is down  \n\n', 'HTTP 500 Internal Server Error: Database is down'],
    ['empty body', 404, {}, '', 'HTTP 404 Not Found'],
    [
      'binary body',
      500,
      { 'content-type': 'application/octet-stream' },
      Buffer.from([0, 1, 2]).toString('latin1'),
      'HTTP 500 Internal Server Error: (application/octet-stream body, 3 bytes)',
    ],
    ['unknown status', 599, {}, 'odd', 'HTTP 599: odd'],
  ])('%s', (_name, status, headers, body, text) => {
    const result = map(typed, response(status, headers, Buffer.from(body, 'latin1')));
    expect(result.isError).toBe(true);
    expect(result.content).toEqual([{ type: 'text', text }]);
    expect(result.structuredContent).toBeUndefined();
    expect(result._meta).toEqual({ 'lunar-hub/status': status, 'lunar-hub/code': 'HUB_ERR_UPSTREAM_STATUS' });
  });

  it('cuts a long text body to about 500 characters', () => {
    const result = map(plain, response(500, { 'content-type': 'text/plain' }, 'x'.repeat(5000)));
    const text = texts(result)[0];
    expect(text.length).toBeLessThanOrEqual('HTTP 500 Internal Server Error: '.length + 500);
    expect(text.endsWith('…')).toBe(true);
  });

  // Dates are made when the row runs (a slow run must not age them): IN_90_S stands for one 90 s ahead.
  const IN_90_S = 'IN_90_S';
  it.each<[string, number, Record<string, string>, string | undefined, number | undefined]>([
    ['429 with seconds', 429, { 'retry-after': '30' }, 'Retry-After: 30 seconds', 30],
    ['503 with a date', 503, { 'retry-after': IN_90_S }, `Retry-After: ${IN_90_S}`, 90],
    ['429 with a malformed value: the text only', 429, { 'retry-after': 'soon' }, 'Retry-After: soon', undefined],
    ['429 with a malformed value and a reset time: the reset tells', 429, { 'retry-after': 'soon', 'x-ratelimit-reset': '30' }, 'Retry-After: soon', 30],
    ['429 without the header', 429, {}, undefined, undefined],
    ['500 ignores it', 500, { 'retry-after': '30' }, undefined, undefined],
  ])('Retry-After: %s', (_name, status, given, givenLine, seconds) => {
    const date = new Date(Math.ceil(Date.now() / 1000) * 1000 + 90_000).toUTCString();
    const headers = Object.fromEntries(Object.entries(given).map(([k, v]) => [k, v === IN_90_S ? date : v]));
    const line = givenLine?.replace(IN_90_S, date);
    const result = map(plain, response(status, { ...json, ...headers }, '{"message":"slow down"}'));
    const [text] = texts(result);
    expect(text.startsWith(`HTTP ${status} `)).toBe(true);
    if (line === undefined) {
      expect(text).not.toMatch(/Retry-After/);
      expect(result._meta).not.toHaveProperty(['lunar-hub/retry-after']);
    } else {
      expect(text.split('\n')[1]).toBe(line);
      // A number of seconds for programs, from seconds or a date (a second either way for the clock moving on).
      if (seconds === undefined) expect(result._meta).not.toHaveProperty(['lunar-hub/retry-after']);
      else expect(Math.abs((result._meta!['lunar-hub/retry-after'] as number) - seconds)).toBeLessThanOrEqual(1);
    }
  });

  it.each<[string, number, Record<string, string>, string]>([
    [
      '302 with Location',
      302,
      { location: 'https://other.example.com/x' },
      'HTTP 302 Found: redirected to https://other.example.com/x (the hub does not follow redirects)',
    ],
    ['301 relative Location', 301, { location: '/v2/things' }, 'HTTP 301 Moved Permanently: redirected to /v2/things (the hub does not follow redirects)'],
    [
      '307 Location with a token',
      307,
      { location: 'https://cdn.example.com/f?token=abc123&x=1' },
      'HTTP 307 Temporary Redirect: redirected to https://cdn.example.com/f?token=[REDACTED]&x=1 (the hub does not follow redirects)',
    ],
    ['304 without Location', 304, {}, 'HTTP 304 Not Modified'],
  ])('3xx: %s', (_name, status, headers, text) => {
    const result = map(plain, response(status, headers, '<html>moved</html>'));
    expect(result).toEqual({
      isError: true,
      content: [{ type: 'text', text }],
      _meta: { 'lunar-hub/status': status, 'lunar-hub/code': 'HUB_ERR_UPSTREAM_STATUS' },
    });
  });

  it.each<[string, Record<string, string>, string, string[]]>([
    [
      'JSON echo of the request headers',
      json,
      '{"request":{"headers":{"Authorization":"Bearer ghp_secret123","Cookie":"sid=s3ss10n","X-Api-Key":"k-9"}}}',
      ['ghp_secret123', 's3ss10n', 'k-9'],
    ],
    ['JSON fields', json, '{"access_token":"at-1","client_secret":"cs-1","api_key":"ak-1","token":"t-1","note":"x"}', ['at-1', 'cs-1', 'ak-1', 't-1']],
    ['query string in a message', json, '{"message":"bad url https://api.example.com/v1?api_key=SECRET1&page=2"}', ['SECRET1']],
    [
      'echoed header lines',
      { 'content-type': 'text/plain' },
      'Request was:\nAuthorization: Bearer abc.def.ghi\nCookie: a=1; b=2\nset-cookie: c=3',
      ['abc.def.ghi', 'a=1', 'c=3'],
    ],
    ['cut JSON that cannot parse', json, '{"error":"denied","echo":{"client_secret": "cs-2", "x', ['cs-2']],
  ])('redacts secrets an upstream echoes: %s', (_name, headers, body, secrets) => {
    const [text] = texts(map(plain, response(400, headers, body)));
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).toContain('[REDACTED]');
  });

  it('keeps what is not a secret while redacting', () => {
    const [text] = texts(map(plain, response(400, json, '{"message":"bad url https://api.example.com/v1?api_key=SECRET1&page=2"}')));
    expect(text).toBe('HTTP 400 Bad Request: bad url https://api.example.com/v1?api_key=[REDACTED]&page=2');
  });
});

describe('redact', () => {
  it.each<[string, string]>([
    ['Authorization: Bearer abc.def', 'Authorization: [REDACTED]'],
    ['proxy-authorization: Basic dXNlcjpwYXNz', 'proxy-authorization: [REDACTED]'],
    ['x-api-key: k123', 'x-api-key: [REDACTED]'],
    ['Set-Cookie: a=b; Path=/; HttpOnly', 'Set-Cookie: [REDACTED]'],
    ['GET /x?access_token=abc&page=2', 'GET /x?access_token=[REDACTED]&page=2'],
    ['client_secret=s3cr3t&grant_type=client_credentials', 'client_secret=[REDACTED]&grant_type=client_credentials'],
    ['?token=abc&page_token=next1', '?token=[REDACTED]&page_token=next1'],
    ['?key=AIzaSy123&q=x', '?key=[REDACTED]&q=x'],
    ['{"api_key": "abc", "id": 1}', '{"api_key": "[REDACTED]", "id": 1}'],
    ['{"Authorization":"Bearer x"}', '{"Authorization":"[REDACTED]"}'],
    ['see https://user:pw@host.example.com/x', 'see https://[REDACTED]@host.example.com/x'],
    ['sent Bearer eyJhbGciOi.abc.def', 'sent Bearer [REDACTED]'],
    ['sent Basic dXNlcjpwYXNz', 'sent Basic [REDACTED]'],
    ['Bearer authentication required', 'Bearer authentication required'],
    ['Basic authentication failed', 'Basic authentication failed'],
    ['next_token=abc and monkey=banana', 'next_token=abc and monkey=banana'],
  ])('redactText(%j)', (given, want) => {
    expect(redactText(given)).toBe(want);
  });

  it('redacts secret-named fields at any depth and strings everywhere, without touching the input', () => {
    const given = {
      a: { Authorization: 'Bearer x', nested: [{ client_secret: 'y', keep: 1 }] },
      token: 't',
      page_token: 'p',
      'x-api-key': 'k',
      url: 'https://h/?api_key=z',
      empty: null,
    };
    const copy = JSON.parse(JSON.stringify(given));
    expect(redact(given)).toEqual({
      a: { Authorization: '[REDACTED]', nested: [{ client_secret: '[REDACTED]', keep: 1 }] },
      token: '[REDACTED]',
      page_token: 'p',
      'x-api-key': '[REDACTED]',
      url: 'https://h/?api_key=[REDACTED]',
      empty: null,
    });
    expect(given).toEqual(copy);
  });
});

describe('messageFromJson and helpers', () => {
  it.each<[unknown, string | undefined]>([
    ['plain string', 'plain string'],
    [[{ message: 'a' }, { message: 'b' }], 'a; b'],
    [{ error: { errors: [{ message: 'deep' }] } }, 'deep'],
    [{ nothing: true }, undefined],
    [42, undefined],
  ])('messageFromJson(%j)', (value, want) => {
    expect(messageFromJson(value)).toBe(want);
  });

  it.each<[number, string]>([
    [1, '1 byte'],
    [10239, '10239 bytes'],
    [10240, '10 KiB (10240 bytes)'],
    [1536 * 1024, '1.5 MiB (1572864 bytes)'],
  ])('formatBytes(%d)', (bytes, want) => {
    expect(formatBytes(bytes)).toBe(want);
  });
});

describe('errorResult', () => {
  const coded = (message: string, code: string) => Object.assign(new Error(message), { code });

  it.each<[string, unknown, string, string]>([
    [
      'HubError',
      errors.CALL_ARGUMENTS(['demo_x', '`id` must be integer']),
      'HUB_ERR_CALL_ARGUMENTS',
      'HUB_ERR_CALL_ARGUMENTS: Invalid arguments for demo_x: `id` must be integer',
    ],
    [
      'HubError-like object (matched by code)',
      { code: 'HUB_ERR_REQUEST_HOST', message: 'not allowed' },
      'HUB_ERR_REQUEST_HOST',
      'HUB_ERR_REQUEST_HOST: not allowed',
    ],
    ['HubError subclass copy', new HubError('HUB_ERR_RATE_LIMITED', 'slow down', 429), 'HUB_ERR_RATE_LIMITED', 'HUB_ERR_RATE_LIMITED: slow down'],
    [
      'connect timeout',
      new undiciErrors.ConnectTimeoutError(),
      'HUB_ERR_UPSTREAM_TIMEOUT',
      'HUB_ERR_UPSTREAM_TIMEOUT: demo_x: the upstream did not answer in time (connecting)',
    ],
    [
      'headers timeout',
      new undiciErrors.HeadersTimeoutError(),
      'HUB_ERR_UPSTREAM_TIMEOUT',
      'HUB_ERR_UPSTREAM_TIMEOUT: demo_x: the upstream did not answer in time (waiting for the response headers)',
    ],
    [
      'body timeout',
      new undiciErrors.BodyTimeoutError(),
      'HUB_ERR_UPSTREAM_TIMEOUT',
      'HUB_ERR_UPSTREAM_TIMEOUT: demo_x: the upstream did not answer in time (reading the response body)',
    ],
    [
      'ETIMEDOUT',
      coded('connect ETIMEDOUT 10.0.0.1:443', 'ETIMEDOUT'),
      'HUB_ERR_UPSTREAM_TIMEOUT',
      'HUB_ERR_UPSTREAM_TIMEOUT: demo_x: the upstream did not answer in time (connecting (ETIMEDOUT))',
    ],
    [
      'ECONNREFUSED',
      coded('connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED'),
      'HUB_ERR_UPSTREAM_NETWORK',
      'HUB_ERR_UPSTREAM_NETWORK: demo_x: cannot reach the upstream: connect ECONNREFUSED 127.0.0.1:1',
    ],
    [
      'ENOTFOUND',
      coded('getaddrinfo ENOTFOUND api.nowhere.test', 'ENOTFOUND'),
      'HUB_ERR_UPSTREAM_NETWORK',
      'HUB_ERR_UPSTREAM_NETWORK: demo_x: cannot reach the upstream: getaddrinfo ENOTFOUND api.nowhere.test',
    ],
    [
      'ECONNRESET',
      coded('read ECONNRESET', 'ECONNRESET'),
      'HUB_ERR_UPSTREAM_NETWORK',
      'HUB_ERR_UPSTREAM_NETWORK: demo_x: cannot reach the upstream: read ECONNRESET',
    ],
    [
      'EAI_AGAIN',
      coded('getaddrinfo EAI_AGAIN api.example.com', 'EAI_AGAIN'),
      'HUB_ERR_UPSTREAM_NETWORK',
      'HUB_ERR_UPSTREAM_NETWORK: demo_x: cannot reach the upstream: getaddrinfo EAI_AGAIN api.example.com',
    ],
    [
      'UND_ERR_SOCKET',
      new undiciErrors.SocketError('other side closed'),
      'HUB_ERR_UPSTREAM_NETWORK',
      'HUB_ERR_UPSTREAM_NETWORK: demo_x: cannot reach the upstream: other side closed (UND_ERR_SOCKET)',
    ],
    [
      'UND_ERR_CLOSED',
      new undiciErrors.ClientClosedError(),
      'HUB_ERR_UPSTREAM_NETWORK',
      'HUB_ERR_UPSTREAM_NETWORK: demo_x: cannot reach the upstream: The client is closed (UND_ERR_CLOSED)',
    ],
    [
      'content-length mismatch',
      new undiciErrors.ResponseContentLengthMismatchError(),
      'HUB_ERR_UPSTREAM_NETWORK',
      'HUB_ERR_UPSTREAM_NETWORK: demo_x: cannot reach the upstream: Response body length does not match content-length header (UND_ERR_RES_CONTENT_LENGTH_MISMATCH)',
    ],
    [
      'fetch failed wrapping ECONNREFUSED',
      new TypeError('fetch failed', { cause: coded('connect ECONNREFUSED 127.0.0.1:9', 'ECONNREFUSED') }),
      'HUB_ERR_UPSTREAM_NETWORK',
      'HUB_ERR_UPSTREAM_NETWORK: demo_x: cannot reach the upstream: connect ECONNREFUSED 127.0.0.1:9',
    ],
    [
      'AggregateError of addresses',
      new AggregateError([coded('connect ECONNREFUSED ::1:9', 'ECONNREFUSED'), coded('connect ECONNREFUSED 127.0.0.1:9', 'ECONNREFUSED')], ''),
      'HUB_ERR_UPSTREAM_NETWORK',
      'HUB_ERR_UPSTREAM_NETWORK: demo_x: cannot reach the upstream: connect ECONNREFUSED ::1:9',
    ],
    [
      'TLS certificate',
      coded('certificate has expired', 'CERT_HAS_EXPIRED'),
      'HUB_ERR_UPSTREAM_NETWORK',
      'HUB_ERR_UPSTREAM_NETWORK: demo_x: cannot reach the upstream: certificate has expired (CERT_HAS_EXPIRED)',
    ],
    [
      'DOMException AbortError',
      new DOMException('This operation was aborted', 'AbortError'),
      'HUB_ERR_CALL_CANCELLED',
      'HUB_ERR_CALL_CANCELLED: demo_x was cancelled by the client',
    ],
    ['AbortSignal.abort() reason', AbortSignal.abort().reason, 'HUB_ERR_CALL_CANCELLED', 'HUB_ERR_CALL_CANCELLED: demo_x was cancelled by the client'],
    [
      'undici RequestAbortedError',
      new undiciErrors.RequestAbortedError(),
      'HUB_ERR_CALL_CANCELLED',
      'HUB_ERR_CALL_CANCELLED: demo_x was cancelled by the client',
    ],
    ['ABORT_ERR', coded('The operation was aborted', 'ABORT_ERR'), 'HUB_ERR_CALL_CANCELLED', 'HUB_ERR_CALL_CANCELLED: demo_x was cancelled by the client'],
    [
      'AbortSignal.timeout() deadline',
      new DOMException('The operation timed out.', 'TimeoutError'),
      'HUB_ERR_UPSTREAM_TIMEOUT',
      'HUB_ERR_UPSTREAM_TIMEOUT: demo_x: the upstream did not answer in time (the call deadline passed)',
    ],
    ['anything else', new RangeError('boom'), 'HUB_ERR_INTERNAL', 'HUB_ERR_INTERNAL: Internal error: boom'],
    ['an unknown code', coded('weird', 'ERR_SOMETHING'), 'HUB_ERR_INTERNAL', 'HUB_ERR_INTERNAL: Internal error: weird'],
    ['a thrown string', 'just a string', 'HUB_ERR_INTERNAL', 'HUB_ERR_INTERNAL: Internal error: just a string'],
    [
      'a secret in the message',
      new Error('failed GET https://x.test/?access_token=abc'),
      'HUB_ERR_INTERNAL',
      'HUB_ERR_INTERNAL: Internal error: failed GET https://x.test/?access_token=[REDACTED]',
    ],
  ])('%s', (_name, error, code, text) => {
    const result = check(errorResult(error, 'demo_x'));
    expect(result).toEqual({ isError: true, content: [{ type: 'text', text }], _meta: { 'lunar-hub/code': code } });
    expect((result.content[0] as { text: string }).text).not.toMatch(/\n\s+at /);
  });

  it('maps a real refused connection from undici', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = server.address() as net.AddressInfo;
        server.close(() => resolve(free));
      });
    });
    const error = await request(`http://127.0.0.1:${port}/`).then(
      () => undefined,
      (e: unknown) => e,
    );
    const result = errorResult(error, 'demo_x');
    expect(result._meta).toEqual({ 'lunar-hub/code': 'HUB_ERR_UPSTREAM_NETWORK' });
    expect(texts(result)[0]).toMatch(/ECONNREFUSED/);
  });
});
