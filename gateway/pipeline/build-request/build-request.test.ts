/**
 * Pipeline stage 5, buildRequest: tool arguments -> one upstream HTTP request.
 * Inputs are real generator output (test/fixtures/specs/styles-3.1.yaml, one operation
 * per OAS 3.1 §4.8.12 style, and GitHub's spec); bodies are checked on the wire by sending
 * the built request with undici to a node:http server and parsing what arrives.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { request, Response, type Dispatcher } from 'undici';
import { createRequestBuilder, DEFAULT_ACCEPT } from '.';
import type { ConnectorRuntime, HttpOperationTool, UpstreamRequest } from '../../core';
// The module itself, not the face: jest.spyOn patches the module's exports, which the face reads at each call.
import * as serialise from '../../../generators/client/serialise';
import { decodeBytes, generateTools, hasDotSegment, readSpecFile, serialiseFormBody, serialiseQueryParam, type ToolSet } from '../../../generators';
import { REAL_SPECS } from '../../../test/helpers/real-specs';
import { fixture } from '../../../test/helpers/specs';
import { startUpstream, type SeenRequest, type Upstream } from '../../../test/helpers/upstream';

const BASE = 'https://api.example.com/v2';
const { build: buildRequest } = createRequestBuilder();

function connectorFor(baseUrl = BASE, allowedHosts: string[] = [new URL(baseUrl).host]): ConnectorRuntime {
  return Object.freeze({ id: 'styles', baseUrl, allowedHosts, timeouts: { connectMs: 1000, headersMs: 1000, bodyMs: 1000 }, maxResponseBytes: 1 << 20 });
}

function registeredFrom(set: ToolSet, find: (key: string, operationId?: string) => boolean): HttpOperationTool {
  const operation = set.operations.find((op) => find(op.key, op.operationId));
  if (!operation) throw new Error('no such operation in the fixture');
  const binding = set.bindings.find((b) => b.operation === operation.key)!;
  const tool = set.tools.find((t) => t.name === binding.tool)!;
  return Object.freeze({ kind: 'http' as const, connectorId: set.connectorId, tool, binding, operation });
}

let styles: ToolSet;
const byKey = new Map<string, HttpOperationTool>();

/** The registered tool of one fixture operation, by `METHOD /path` key. */
function tool(key: string): HttpOperationTool {
  let found = byKey.get(key);
  if (!found) {
    found = registeredFrom(styles, (k) => k === key);
    byKey.set(key, found);
  }
  return found;
}

function build(key: string, args: Record<string, unknown>, connector = connectorFor()): UpstreamRequest {
  return buildRequest(tool(key), args, connector);
}

/** The coded error a build throws (fails the test when it does not throw). */
function failure(run: () => unknown): { code: string; message: string; details: Record<string, unknown> } {
  try {
    run();
  } catch (error) {
    return error as { code: string; message: string; details: Record<string, unknown> };
  }
  throw new Error('expected the build to throw');
}

beforeAll(async () => {
  styles = generateTools(await readSpecFile(fixture('styles-3.1.yaml')), { connectorId: 'styles' });
  expect(styles.problems).toEqual([]);
});

// ---- OAS 3.1 §4.8.12.4 Style Examples ----

const COLOR = { string: 'blue', array: ['blue', 'black', 'brown'], object: { R: 100, G: 200, B: 150 } } as const;
type Kind = keyof typeof COLOR;

/** What the style decides: the URL after the base for path/query, the header or cookie value otherwise. */
function wire(key: string, req: UpstreamRequest): string | undefined {
  if (key.includes('/header/')) return req.headers.color;
  if (key.includes('/cookie/')) return req.headers.cookie;
  return req.url.slice(BASE.length);
}

describe('OAS 3.1 §4.8.12.4 style examples (color = "blue" / ["blue","black","brown"] / {R:100,G:200,B:150})', () => {
  const rows: Array<[string, Kind, string]> = [
    // path: matrix, label, simple
    ['GET /path/matrix/{color}', 'string', '/path/matrix/;color=blue'],
    ['GET /path/matrix/{color}', 'array', '/path/matrix/;color=blue,black,brown'],
    ['GET /path/matrix/{color}', 'object', '/path/matrix/;color=R,100,G,200,B,150'],
    ['GET /path/matrix-explode/{color}', 'string', '/path/matrix-explode/;color=blue'],
    ['GET /path/matrix-explode/{color}', 'array', '/path/matrix-explode/;color=blue;color=black;color=brown'],
    ['GET /path/matrix-explode/{color}', 'object', '/path/matrix-explode/;R=100;G=200;B=150'],
    ['GET /path/label/{color}', 'string', '/path/label/.blue'],
    ['GET /path/label/{color}', 'array', '/path/label/.blue,black,brown'],
    ['GET /path/label/{color}', 'object', '/path/label/.R,100,G,200,B,150'],
    ['GET /path/label-explode/{color}', 'string', '/path/label-explode/.blue'],
    ['GET /path/label-explode/{color}', 'array', '/path/label-explode/.blue.black.brown'],
    ['GET /path/label-explode/{color}', 'object', '/path/label-explode/.R=100.G=200.B=150'],
    ['GET /path/simple/{color}', 'string', '/path/simple/blue'],
    ['GET /path/simple/{color}', 'array', '/path/simple/blue,black,brown'],
    ['GET /path/simple/{color}', 'object', '/path/simple/R,100,G,200,B,150'],
    ['GET /path/simple-explode/{color}', 'string', '/path/simple-explode/blue'],
    ['GET /path/simple-explode/{color}', 'array', '/path/simple-explode/blue,black,brown'],
    ['GET /path/simple-explode/{color}', 'object', '/path/simple-explode/R=100,G=200,B=150'],
    // query: form, spaceDelimited, pipeDelimited, deepObject
    ['GET /query/form', 'string', '/query/form?color=blue'],
    ['GET /query/form', 'array', '/query/form?color=blue,black,brown'],
    ['GET /query/form', 'object', '/query/form?color=R,100,G,200,B,150'],
    ['GET /query/form-explode', 'string', '/query/form-explode?color=blue'],
    ['GET /query/form-explode', 'array', '/query/form-explode?color=blue&color=black&color=brown'],
    ['GET /query/form-explode', 'object', '/query/form-explode?R=100&G=200&B=150'],
    ['GET /query/space', 'array', '/query/space?color=blue%20black%20brown'],
    ['GET /query/space', 'object', '/query/space?color=R%20100%20G%20200%20B%20150'],
    ['GET /query/pipe', 'array', '/query/pipe?color=blue%7Cblack%7Cbrown'],
    ['GET /query/pipe', 'object', '/query/pipe?color=R%7C100%7CG%7C200%7CB%7C150'],
    ['GET /query/deep', 'object', '/query/deep?color%5BR%5D=100&color%5BG%5D=200&color%5BB%5D=150'],
    // header: simple
    ['GET /header/simple', 'string', 'blue'],
    ['GET /header/simple', 'array', 'blue,black,brown'],
    ['GET /header/simple', 'object', 'R,100,G,200,B,150'],
    ['GET /header/simple-explode', 'string', 'blue'],
    ['GET /header/simple-explode', 'array', 'blue,black,brown'],
    ['GET /header/simple-explode', 'object', 'R=100,G=200,B=150'],
    // cookie: form; exploded pairs are separate cookies ("; "), since "&" means nothing in a Cookie header
    ['GET /cookie/form', 'string', 'color=blue'],
    ['GET /cookie/form', 'array', 'color=blue,black,brown'],
    ['GET /cookie/form', 'object', 'color=R,100,G,200,B,150'],
    ['GET /cookie/form-explode', 'string', 'color=blue'],
    ['GET /cookie/form-explode', 'array', 'color=blue; color=black; color=brown'],
    ['GET /cookie/form-explode', 'object', 'R=100; G=200; B=150'],
  ];

  it.each(rows)('%s with the %s value -> %s', (key, kind, expected) => {
    expect(wire(key, build(key, { color: COLOR[kind] }))).toBe(expected);
  });

  // Combinations OAS marks n/a: written as exploded form, what other implementations do.
  it.each([
    ['GET /query/space', 'string', '/query/space?color=blue'],
    ['GET /query/pipe', 'string', '/query/pipe?color=blue'],
    ['GET /query/deep', 'string', '/query/deep?color=blue'],
    ['GET /query/deep', 'array', '/query/deep?color=blue&color=black&color=brown'],
  ] as Array<[string, Kind, string]>)('%s with the %s value (n/a in OAS) -> %s', (key, kind, expected) => {
    expect(wire(key, build(key, { color: COLOR[kind] }))).toBe(expected);
  });

  it.each([
    ['GET /path/matrix/{color}', '/path/matrix/;color'],
    ['GET /path/matrix-explode/{color}', '/path/matrix-explode/;color'],
    ['GET /query/form', '/query/form?color='],
    ['GET /query/form-explode', '/query/form-explode?color='],
    ['GET /header/simple', ''],
    ['GET /cookie/form', 'color='],
  ])('%s with the empty string -> %s', (key, expected) => {
    expect(wire(key, build(key, { color: '' }))).toBe(expected);
  });

  it.each(['GET /path/label/{color}', 'GET /path/label-explode/{color}'])(
    '%s refuses the empty string: "." as a whole segment is dropped by URL parsers',
    (key) => {
      const error = failure(() => build(key, { color: '' }));
      expect(error.code).toBe('HUB_ERR_REQUEST_BUILD');
      expect(error.message).toMatch(/"\." or "\.\." segment/);
    },
  );

  it.each([
    ['GET /query/form', '/query/form'],
    ['GET /query/form-explode', '/query/form-explode'],
    ['GET /query/deep', '/query/deep'],
    ['GET /header/simple', undefined],
    ['GET /cookie/form', undefined],
  ])('%s omits an absent or null argument', (key, expected) => {
    expect(wire(key, build(key, {}))).toBe(expected);
    expect(wire(key, build(key, { color: null }))).toBe(expected);
    expect(wire(key, build(key, { color: undefined }))).toBe(expected);
  });

  it('leaves empty lists and maps out of the query (RFC 6570: undefined)', () => {
    expect(build('GET /query/form-explode', { color: [] }).url).toBe(`${BASE}/query/form-explode`);
    expect(build('GET /query/form', { color: {} }).url).toBe(`${BASE}/query/form`);
  });

  it.each([
    ['GET /path/simple/{color}', { color: ['a,b', 'c d'] }, '/path/simple/a%2Cb,c%20d'],
    ['GET /path/matrix-explode/{color}', { color: { 'k;x': 'v=1' } }, '/path/matrix-explode/;k%3Bx=v%3D1'],
    ['GET /query/form', { color: ['a,b', 'c&d'] }, '/query/form?color=a%2Cb,c%26d'],
    ['GET /query/form-explode', { color: { 'a=b': 'c&d=e' } }, '/query/form-explode?a%3Db=c%26d%3De'],
    ['GET /query/pipe', { color: ['a|b', "c'd"] }, '/query/pipe?color=a%7Cb%7Cc%27d'],
    [
      'GET /query/deep',
      { color: { 'a]b': 'x#y', nested: { deep: [1, { z: true }] } } },
      '/query/deep?color%5Ba%5Db%5D=x%23y&color%5Bnested%5D%5Bdeep%5D%5B0%5D=1&color%5Bnested%5D%5Bdeep%5D%5B1%5D%5Bz%5D=true',
    ],
    ['GET /cookie/form', { color: 'a; b=c, d' }, 'color=a%3B%20b%3Dc%2C%20d'],
  ])('%s percent-encodes delimiters inside values: %j', (key, args, expected) => {
    expect(wire(key, build(key, args))).toBe(expected);
  });

  it('keeps reserved characters with allowReserved, except those that would split the query or start a fragment', () => {
    const req = build('GET /reserved', { target: "/a/b:c?d@e,f;g!$'()*=h&i+j#k[l]%41%zz", plain: '/a/b:c?d' });
    expect(req.url).toBe(`${BASE}/reserved?target=/a/b:c?d@e,f;g!$%27()*%3Dh%26i%2Bj%23k%5Bl%5D%41%25zz&plain=%2Fa%2Fb%3Ac%3Fd`);
    expect(new URL(req.url).searchParams.get('target')).toBe("/a/b:c?d@e,f;g!$'()*=h&i+j#k[l]A%zz");
  });

  it('writes content-typed parameters whole: JSON, then percent-encoded (or as-is in a header)', () => {
    const req = build('GET /content/{where}', {
      where: { id: 'a/b' },
      filter: { lat: 1.5, long: -2 },
      note: 'a b&c',
      'X-Filter': { q: 'café' },
      prefs: { theme: 'dark' },
    });
    expect(req.url).toBe(`${BASE}/content/%7B%22id%22%3A%22a%2Fb%22%7D?filter=%7B%22lat%22%3A1.5%2C%22long%22%3A-2%7D&note=a%20b%26c`);
    expect(JSON.parse(new URL(req.url).searchParams.get('filter')!)).toEqual({ lat: 1.5, long: -2 });
    expect(req.headers['x-filter']).toBe('{"q":"caf\\u00e9"}');
    expect(JSON.parse(req.headers['x-filter'])).toEqual({ q: 'café' });
    expect(req.headers.cookie).toBe('prefs=%7B%22theme%22%3A%22dark%22%7D');
  });
});

// ---- Safety ----

const CONTENT = 'GET /repos/{owner}/{repo}/contents/{path}';

describe('a path argument never changes the path', () => {
  it.each([
    ['../x', '..%2Fx'],
    ['../../admin', '..%2F..%2Fadmin'],
    ['..%2F', '..%252F'],
    ['a/b', 'a%2Fb'],
    ['%2F', '%252F'],
    ['%2e%2e', '%252e%252e'],
    ['?admin=1', '%3Fadmin%3D1'],
    ['#top', '%23top'],
    [';jsessionid=1', '%3Bjsessionid%3D1'],
    ['a\\..\\b', 'a%5C..%5Cb'],
    ['x y', 'x%20y'],
    ['ünï/cödé', '%C3%BCn%C3%AF%2Fc%C3%B6d%C3%A9'],
    ["!'()*", '%21%27%28%29%2A'],
    ['...', '...'],
  ])('%j is percent-encoded as %s', (value, encoded) => {
    const req = build(CONTENT, { owner: 'octo', repo: 'hello', path: value });
    expect(req.url).toBe(`${BASE}/repos/octo/hello/contents/${encoded}`);
    const url = new URL(req.url);
    expect(url.pathname.startsWith('/v2/repos/octo/hello/contents/')).toBe(true);
    expect(url.pathname.split('/')).toHaveLength(7);
    expect(url.search).toBe('');
    expect(url.hash).toBe('');
    expect(decodeURIComponent(url.pathname.split('/')[6])).toBe(value);
  });

  it.each([
    ['a whole "." segment', { owner: 'octo', repo: '.', path: 'x' }, 'repo'],
    ['a whole ".." segment', { owner: '..', repo: 'hello', path: 'x' }, 'owner'],
    ['a label-style "." that makes ".."', { color: '.' }, 'color'],
  ])('refuses %s (URL parsers resolve dot segments even when encoded)', (_name, args, argument) => {
    const key = 'color' in args ? 'GET /path/label/{color}' : CONTENT;
    const error = failure(() => build(key, args));
    expect(error.code).toBe('HUB_ERR_REQUEST_BUILD');
    expect(error.message).toContain(`"${argument}"`);
    expect(error.details.argument).toBe(argument);
  });

  it.each([
    ['missing', { owner: 'octo', path: 'x' }, 'repo', /required in the path/],
    ['null', { owner: 'octo', repo: null, path: 'x' }, 'repo', /required in the path/],
    ['empty', { owner: 'octo', repo: '', path: 'x' }, 'repo', /empty/],
    ['not well-formed Unicode', { owner: 'octo', repo: 'a\uD800', path: 'x' }, 'repo', /unpaired surrogate/],
  ])('refuses a %s path value, naming the argument', (_name, args, argument, reason) => {
    const error = failure(() => build(CONTENT, args));
    expect(error.code).toBe('HUB_ERR_REQUEST_BUILD');
    expect(error.message).toMatch(/^Cannot build the request for styles_get_content: /);
    expect(error.message).toMatch(reason);
    expect(error.details.argument).toBe(argument);
  });

  it('asserts the built path stays under the base path and the template prefix, even if encoding failed', () => {
    // Fault injection: with both the encoder and the dot-segment check defeated, the last
    // check (the parsed URL's pathname against base path + literal prefix) still refuses.
    const encode = jest.spyOn(serialise, 'serialisePathParam').mockReturnValue('../../admin');
    const dots = jest.spyOn(serialise, 'hasDotSegment').mockReturnValue(false);
    try {
      const error = failure(() => build('GET /path/simple/{color}', { color: 'x' }));
      expect(error.code).toBe('HUB_ERR_REQUEST_BUILD');
      expect(error.message).toMatch(/outside \/v2\/path\/simple\//);
    } finally {
      encode.mockRestore();
      dots.mockRestore();
    }
    expect(build('GET /path/simple/{color}', { color: '../../admin' }).url).toBe(`${BASE}/path/simple/..%2F..%2Fadmin`);
  });
});

describe('no argument can add or replace a header', () => {
  it.each([
    ['CR LF in a header', { 'X-Request-Id': 'a\r\nX-Evil: 1' }, 'X-Request-Id'],
    ['LF in a header', { 'X-Request-Id': 'a\nb' }, 'X-Request-Id'],
    ['CR in a header', { 'X-Request-Id': 'a\rb' }, 'X-Request-Id'],
    ['NUL in a header', { 'X-Request-Id': 'a\0b' }, 'X-Request-Id'],
    ['CR LF in a header list item', { 'X-Request-Id': ['a', 'b\r\nHost: evil'] }, 'X-Request-Id'],
    ['CR LF in a cookie', { session: 's\r\nX-Evil: 1' }, 'session'],
    ['NUL in a cookie', { session: 's\0' }, 'session'],
  ])('refuses %s, naming the argument', (_name, extra, argument) => {
    const error = failure(() => build(CONTENT, { owner: 'o', repo: 'r', path: 'p', ...extra }));
    expect(error.code).toBe('HUB_ERR_REQUEST_BUILD');
    expect(error.message).toMatch(/CR, LF or NUL/);
    expect(error.details.argument).toBe(argument);
  });

  it('refuses header text a header cannot carry (controls, non-Latin-1) instead of mangling it', () => {
    expect(failure(() => build(CONTENT, { owner: 'o', repo: 'r', path: 'p', 'X-Request-Id': 'snow ☃' })).message).toMatch(/non-Latin-1/);
    expect(failure(() => build(CONTENT, { owner: 'o', repo: 'r', path: 'p', 'X-Request-Id': 'bell \u0007' })).code).toBe('HUB_ERR_REQUEST_BUILD');
  });

  it('sends ordinary header and cookie values, the cookie percent-encoded', () => {
    const req = build(CONTENT, { owner: 'o', repo: 'r', path: 'p', 'X-Request-Id': 'id\t42 (retry)', session: 'a=b; c' });
    expect(req.headers['x-request-id']).toBe('id\t42 (retry)');
    expect(req.headers.cookie).toBe('session=a%3Db%3B%20c');
  });

  it.each(['Host', 'Content-Length', 'Transfer-Encoding', 'Connection'])('refuses the %s header parameter rather than sending it', (name) => {
    const error = failure(() => build('GET /hostile/headers', { [name]: 'evil.example.com', 'X-Note': 'n' }));
    expect(error.code).toBe('HUB_ERR_REQUEST_BUILD');
    expect(error.message).toContain(`would set the ${name} header`);
    expect(error.details.argument).toBe(name);
  });

  it('builds the same operation when those headers are not given', () => {
    expect(build('GET /hostile/headers', { 'X-Note': 'n' }).headers).toEqual({ 'x-note': 'n', accept: DEFAULT_ACCEPT });
  });
});

describe('hosts and base URLs', () => {
  it('sends only to an allowed host', () => {
    const error = failure(() => build('GET /query/form', {}, connectorFor(BASE, ['other.example.com'])));
    expect(error.code).toBe('HUB_ERR_REQUEST_HOST');
    expect(error.message).toBe("Request for styles_query_form would go to api.example.com, which is not one of the connector's hosts");
  });

  it.each([
    ['https://api.example.com/v2', ['api.example.com'], true],
    ['https://api.example.com/v2', ['api.example.com:443'], true],
    ['https://API.Example.com:443/v2', ['api.example.com'], true],
    ['http://127.0.0.1:8080/v2', ['127.0.0.1:8080'], true],
    ['http://127.0.0.1:8080/v2', ['127.0.0.1'], false],
    ['https://api.example.com:8443/v2', ['api.example.com'], false],
    ['https://api.example.com.evil.test/v2', ['api.example.com'], false],
  ])('%s with allowed hosts %j: allowed = %s', (baseUrl, hosts, allowed) => {
    const run = () => build('GET /query/form', {}, connectorFor(baseUrl, hosts));
    if (allowed) expect(run().url).toBe(`${new URL(baseUrl).origin}/v2/query/form`);
    else expect(failure(run).code).toBe('HUB_ERR_REQUEST_HOST');
  });

  it.each([
    ['a path prefix', 'https://api.example.com/v2', `https://api.example.com/v2/path/simple/x`],
    ['a trailing slash', 'https://api.example.com/v2/', `https://api.example.com/v2/path/simple/x`],
    ['a deeper prefix', 'https://api.example.com/api/v2/', `https://api.example.com/api/v2/path/simple/x`],
    ['no path', 'https://api.example.com', `https://api.example.com/path/simple/x`],
  ])('joins a base URL with %s and the operation path', (_name, baseUrl, expected) => {
    expect(build('GET /path/simple/{color}', { color: 'x' }, connectorFor(baseUrl)).url).toBe(expected);
  });

  it("keeps the base URL's own query before the parameters", () => {
    expect(build('GET /query/form', { color: 'x' }, connectorFor('https://api.example.com/v2?api-version=7')).url).toBe(
      `${BASE}/query/form?api-version=7&color=x`,
    );
  });

  it.each([
    ['not absolute', '/v2'],
    ['not http', 'ftp://api.example.com/v2'],
    ['carrying credentials', 'https://user:secret@api.example.com/v2'],
  ])('refuses a base URL %s', (_name, baseUrl) => {
    expect(failure(() => build('GET /query/form', {}, connectorFor(baseUrl, ['api.example.com']))).code).toBe('HUB_ERR_REQUEST_BUILD');
  });
});

describe('empty query values (allowEmptyValue defaults to false)', () => {
  it('leaves an optional parameter given "" out of the request', () => {
    expect(build('GET /search', { q: 'x', since: '' }).url).toBe('https://api.example.com/v2/search?q=x');
  });

  it('sends "" where the spec allows an empty value', () => {
    expect(build('GET /search', { q: 'x', flag: '' }).url).toBe('https://api.example.com/v2/search?q=x&flag=');
  });

  it('refuses "" for a required parameter, naming it, instead of sending `q=`', () => {
    const error = failure(() => build('GET /search', { q: '' }));
    expect(error.code).toBe('HUB_ERR_REQUEST_BUILD');
    expect(error.message).toMatch(/argument "q" is empty, and the spec does not allow an empty value/);
    expect(error.details).toEqual({ argument: 'q' });
  });
});

describe('headers the builder sets', () => {
  it('asks for JSON by default, names headers in lower case and never sets content-length', () => {
    const req = build(CONTENT, { owner: 'o', repo: 'r', path: 'p', 'X-Request-Id': '1' });
    expect(req).toEqual({ method: 'GET', url: `${BASE}/repos/o/r/contents/p`, headers: { 'x-request-id': '1', accept: DEFAULT_ACCEPT } });
    expect(DEFAULT_ACCEPT).toBe('application/json, */*;q=0.8');
    const post = build('POST /bodies/json', { title: 't' });
    expect(Object.keys(post.headers).sort()).toEqual(['accept', 'content-type']);
  });

  it("sends the connector's static headers, which an operation's header argument overrides", () => {
    const connector = { ...connectorFor(), headers: { 'x-api-version': '2022-11-28', 'user-agent': 'lunar-hub', 'x-request-id': 'static' } };
    expect(build(CONTENT, { owner: 'o', repo: 'r', path: 'p' }, connector).headers).toEqual({
      'x-api-version': '2022-11-28',
      'user-agent': 'lunar-hub',
      'x-request-id': 'static',
      accept: DEFAULT_ACCEPT,
    });
    expect(build(CONTENT, { owner: 'o', repo: 'r', path: 'p', 'X-Request-Id': 'mine' }, connector).headers['x-request-id']).toBe('mine');
    const githubAccept = { ...connectorFor(), headers: { accept: 'application/vnd.github+json' } };
    expect(build(CONTENT, { owner: 'o', repo: 'r', path: 'p' }, githubAccept).headers).toEqual({ accept: 'application/vnd.github+json' });
    expect(connector.headers).toEqual({ 'x-api-version': '2022-11-28', 'user-agent': 'lunar-hub', 'x-request-id': 'static' }); // not mutated
  });

  it('is deterministic: same arguments in any key order, same request', () => {
    const a = build(CONTENT, { owner: 'o', repo: 'r', path: 'p/q', ref: 'main', session: 's', 'X-Request-Id': '1' });
    const b = build(CONTENT, { 'X-Request-Id': '1', session: 's', ref: 'main', path: 'p/q', repo: 'r', owner: 'o' });
    expect(b).toEqual(a);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    const json1 = build('POST /bodies/json', { title: 't', labels: ['x'], meta: { priority: 1 } });
    const json2 = build('POST /bodies/json', { meta: { priority: 1 }, labels: ['x'], title: 't' });
    expect(json2.body).toBe(json1.body);
    // A fresh registry object (a reload) builds the same request as the cached plan.
    const fresh = registeredFrom(styles, (k) => k === CONTENT);
    expect(buildRequest(fresh, { owner: 'o', repo: 'r', path: 'p/q', ref: 'main', session: 's', 'X-Request-Id': '1' }, connectorFor())).toEqual(a);
  });
});

// ---- Bodies, checked on the wire ----

describe('bodies, as a real HTTP server receives them', () => {
  let upstream: Upstream;
  let seen: SeenRequest[];
  let connector: ConnectorRuntime;

  beforeAll(async () => {
    upstream = await startUpstream({}, (_req, res) => void res.writeHead(204).end());
    seen = upstream.seen;
    connector = connectorFor(`${upstream.url}/v2`, [`127.0.0.1:${upstream.port}`]);
  });
  afterAll(() => upstream.close());

  async function send(key: string, args: Record<string, unknown>): Promise<SeenRequest> {
    const built = build(key, args, connector);
    const response = await request(built.url, { method: built.method as Dispatcher.HttpMethod, headers: built.headers, body: built.body });
    await response.body.dump();
    expect(response.statusCode).toBe(204);
    return seen.at(-1)!;
  }

  async function partsOf(arrived: SeenRequest): Promise<Array<{ name: string; text?: string; filename?: string; type?: string; bytes?: Buffer }>> {
    const form = await new Response(new Uint8Array(arrived.body), { headers: { 'content-type': String(arrived.headers['content-type']) } }).formData();
    const parts: Array<{ name: string; text?: string; filename?: string; type?: string; bytes?: Buffer }> = [];
    for (const [name, value] of form) {
      if (typeof value === 'string') parts.push({ name, text: value });
      else parts.push({ name, filename: value.name, type: value.type, bytes: Buffer.from(await value.arrayBuffer()) });
    }
    return parts;
  }

  const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff]);

  it.each([
    [
      'JSON from body properties, in binding order, null kept',
      'POST /bodies/json',
      { title: 'Found a bug', meta: { priority: 2 }, labels: ['bug', 'ui'], milestone: null },
      'application/json',
      '{"title":"Found a bug","labels":["bug","ui"],"meta":{"priority":2},"milestone":null}',
    ],
    [
      'a +json media type, whole body',
      'PATCH /bodies/vnd',
      { body: { data: { type: 'articles', id: '1' } } },
      'application/vnd.api+json',
      '{"data":{"type":"articles","id":"1"}}',
    ],
    ['an optional JSON body when given', 'POST /bodies/optional', { note: 'n' }, 'application/json', '{"note":"n"}'],
    [
      'a form: lists repeat, objects are JSON, encoding styles honoured',
      'POST /bodies/form',
      { name: 'Ann Lee', tags: ['a', 'b&c'], address: { city: 'Paris', zip: '75001' }, filter: { state: 'open', labels: ['x', 'y'] }, ids: [1, 2, 3] },
      'application/x-www-form-urlencoded',
      'name=Ann%20Lee&tags=a&tags=b%26c&address=%7B%22city%22%3A%22Paris%22%2C%22zip%22%3A%2275001%22%7D&filter%5Bstate%5D=open&filter%5Blabels%5D%5B0%5D=x&filter%5Blabels%5D%5B1%5D=y&ids=1,2,3',
    ],
    ['text as it is', 'POST /bodies/text', { body: 'line 1\nline 2 é' }, 'text/plain', 'line 1\nline 2 é'],
  ])('%s', async (_name, key, args, contentType, body) => {
    const arrived = await send(key, args);
    expect(arrived.headers['content-type']).toBe(contentType);
    expect(arrived.body.toString('utf8')).toBe(body);
    expect(arrived.headers['content-length']).toBe(String(Buffer.byteLength(body)));
  });

  it('a form arrives as the fields a form parser reads', async () => {
    const arrived = await send('POST /bodies/form', { name: 'Ann Lee', tags: ['a', 'b&c'], address: { city: 'Paris' } });
    const fields = new URLSearchParams(arrived.body.toString('utf8'));
    expect(fields.get('name')).toBe('Ann Lee');
    expect(fields.getAll('tags')).toEqual(['a', 'b&c']);
    expect(JSON.parse(fields.get('address')!)).toEqual({ city: 'Paris' });
  });

  it('sends no body (and no content-type) for an optional body left out', async () => {
    const arrived = await send('POST /bodies/optional', {});
    expect(arrived.headers['content-type']).toBeUndefined();
    expect(arrived.body).toHaveLength(0);
  });

  it.each([
    ['base64', PNG.toString('base64'), 'application/octet-stream'],
    ['base64 with line breaks', PNG.toString('base64').replace(/(.{4})/g, '$1\n'), 'application/octet-stream'],
    ['URL-safe base64 without padding', PNG.toString('base64url'), 'application/octet-stream'],
    ['a data: URL', `data:image/png;base64,${PNG.toString('base64')}`, 'application/octet-stream'],
  ])('binary from %s, the spec media type as content-type', async (_name, body, contentType) => {
    const arrived = await send('PUT /bodies/binary', { body });
    expect(arrived.headers['content-type']).toBe(contentType);
    expect(arrived.body.equals(PNG)).toBe(true);
  });

  it('binary to a wildcard media type takes the data: URL type, else the file signature, else application/octet-stream', async () => {
    expect((await send('PUT /bodies/image', { body: `data:image/gif;base64,${PNG.toString('base64')}` })).headers['content-type']).toBe('image/gif');
    const plain = await send('PUT /bodies/image', { body: PNG.toString('base64') });
    expect(plain.headers['content-type']).toBe('image/png');
    expect(plain.body.equals(PNG)).toBe(true);
    const pdf = Buffer.from('%PDF-1.7 not an image');
    expect((await send('PUT /bodies/image', { body: pdf.toString('base64') })).headers['content-type']).toBe('application/octet-stream');
  });

  it('refuses a data: URL whose media type would smuggle a header', () => {
    const error = failure(() => build('PUT /bodies/image', { body: 'data:image/png\r\nX-Evil: 1;base64,AAAA' }, connector));
    expect(error.code).toBe('HUB_ERR_REQUEST_BUILD');
    expect(error.message).toMatch(/argument "body" is a data: URL with an invalid media type/);
  });

  it('multipart whose schema is one binary string: one file part named `file`', async () => {
    const arrived = await send('POST /bodies/multipart-file', { body: PNG.toString('base64') });
    const parts = await partsOf(arrived);
    expect(parts).toEqual([{ name: 'file', filename: 'file', type: 'application/octet-stream', bytes: PNG }]);
  });

  it('multipart: files from base64 and data: URLs, text, JSON and repeated parts', async () => {
    const arrived = await send('POST /bodies/multipart', {
      file: Buffer.from('hello file').toString('base64'),
      avatar: `data:image/png;name=me.png;base64,${PNG.toString('base64')}`,
      attachments: [`data:text/csv;base64,${Buffer.from('a,b\n1,2').toString('base64')}`, PNG.toString('base64')],
      caption: 'a "cat"\r\nphoto',
      meta: { album: 'summer' },
      tags: ['x', 'y'],
    });
    expect(arrived.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    const parts = await partsOf(arrived);
    expect(parts.map((p) => p.name)).toEqual(['file', 'avatar', 'attachments', 'attachments', 'caption', 'meta', 'tags', 'tags']);
    const [file, avatar, csv, bytes, caption, meta, tag1, tag2] = parts;
    expect(file).toMatchObject({ filename: 'file', type: 'application/octet-stream' });
    expect(file.bytes!.toString('utf8')).toBe('hello file');
    expect(avatar).toMatchObject({ filename: 'me.png', type: 'image/png' });
    expect(avatar.bytes!.equals(PNG)).toBe(true);
    expect(csv).toMatchObject({ filename: 'attachments.csv', type: 'text/csv' });
    expect(csv.bytes!.toString('utf8')).toBe('a,b\n1,2');
    expect(bytes.bytes!.equals(PNG)).toBe(true);
    expect(caption.text).toBe('a "cat"\r\nphoto');
    expect(JSON.parse(meta.text!)).toEqual({ album: 'summer' });
    expect([tag1.text, tag2.text]).toEqual(['x', 'y']);
  });

  it('multipart: a file field whose encoding names the type uses it when the value does not', async () => {
    const parts = await partsOf(await send('POST /bodies/multipart', { file: 'aGk=', avatar: PNG.toString('base64') }));
    expect(parts[1]).toMatchObject({ name: 'avatar', filename: 'avatar.png', type: 'image/png' });
  });

  it('multipart with a whole body: file fields found through the body schema', async () => {
    const parts = await partsOf(
      await send('POST /bodies/multipart-whole', { body: { document: `data:application/pdf;base64,${Buffer.from('%PDF').toString('base64')}`, note: 'n' } }),
    );
    expect(parts).toEqual([
      { name: 'document', filename: 'document.pdf', type: 'application/pdf', bytes: Buffer.from('%PDF') },
      { name: 'note', text: 'n' },
    ]);
  });

  it.each([
    ['a multipart file that is not base64', 'POST /bodies/multipart', { file: 'not base64!' }, 'file', /not valid base64/],
    ['a multipart file with a broken data: URL', 'POST /bodies/multipart', { file: 'data:image/png;base64' }, 'file', /data: URL/],
    [
      'a multipart file in a list that is not base64',
      'POST /bodies/multipart',
      { file: 'aGk=', attachments: ['aGk=', '***'] },
      'attachments',
      /not valid base64/,
    ],
    ['a whole-body multipart file that is not base64', 'POST /bodies/multipart-whole', { body: { document: '%%%' } }, 'body.document', /not valid base64/],
    ['a binary body that is not base64', 'PUT /bodies/binary', { body: 'abc$' }, 'body', /not valid base64/],
    ['a binary body with impossible length', 'PUT /bodies/binary', { body: 'abcde' }, 'body', /not valid base64/],
    ['a binary body with bad percent-encoding', 'PUT /bodies/binary', { body: 'data:,%E0%A4%A' }, 'body', /percent-encoding/],
    ['a binary body that is not text', 'PUT /bodies/binary', { body: 42 }, 'body', /base64 text or a data: URL/],
    ['a text body that is an object', 'POST /bodies/text', { body: { a: 1 } }, 'body', /must be text/],
  ])('refuses %s, naming the argument', (_name, key, args, argument, reason) => {
    const error = failure(() => build(key, args));
    expect(error.code).toBe('HUB_ERR_REQUEST_BUILD');
    expect(error.message).toMatch(reason);
    expect(error.message).toContain(`"${argument}"`);
    expect(error.details.argument).toBe(argument);
  });

  it('path, query, header and cookie arrive as built', async () => {
    const arrived = await send(CONTENT, { owner: 'octo', repo: 'hello', path: 'src/a b.ts', ref: 'feature/x', 'X-Request-Id': 'r-1', session: 's=1' });
    expect(arrived.method).toBe('GET');
    expect(arrived.url).toBe('/v2/repos/octo/hello/contents/src%2Fa%20b.ts?ref=feature%2Fx');
    expect(arrived.headers['x-request-id']).toBe('r-1');
    expect(arrived.headers.cookie).toBe('session=s%3D1');
    expect(arrived.headers.accept).toBe(DEFAULT_ACCEPT);
  });
});

// ---- The shared serialiser ----

describe('generators/client/serialise.ts', () => {
  it('imports nothing, so it can be copied beside generated clients', () => {
    const source = readFileSync(path.join(__dirname, '..', '..', '..', 'generators', 'client', 'serialise.ts'), 'utf8');
    expect(source).not.toMatch(/^\s*import\s/m);
    expect(source).not.toMatch(/\brequire\(/);
  });

  it.each([
    ['/a/./b', true],
    ['/a/../b', true],
    ['/a/%2E%2e/b', true],
    ['/a/.%2e', true],
    ['/a/...', false],
    ['/a/..b', false],
    ['/a/%252e', false],
  ])('finds dot segments: %s -> %s', (p, expected) => {
    expect(hasDotSegment(p)).toBe(expected);
  });

  it('decodes data: URLs with and without base64', () => {
    expect(decodeBytes('data:,a%20b')).toEqual({ bytes: Buffer.from('a b') });
    expect(decodeBytes('data:text/plain;charset=utf-8;filename=n.txt;base64,aGk=')).toEqual({
      bytes: Buffer.from('hi'),
      mediaType: 'text/plain',
      filename: 'n.txt',
    });
    expect(decodeBytes('')).toEqual({ bytes: Buffer.alloc(0) });
  });

  it('writes form bodies and query parameters the same way', () => {
    expect(serialiseFormBody({ color: { R: 100 } }, { color: { style: 'form', explode: true } })).toBe(
      serialiseQueryParam('color', { R: 100 }, { style: 'form', explode: true }),
    );
    expect(serialiseFormBody({ color: ['a', 'b'] }, { color: { contentType: 'application/json' } })).toBe('color=%5B%22a%22%2C%22b%22%5D');
  });
});

// ---- GitHub ----

describe("GitHub's spec", () => {
  let github: ToolSet;
  const connector = connectorFor('https://api.github.com', ['api.github.com']);

  beforeAll(async () => {
    github = generateTools(await readSpecFile(REAL_SPECS.github), { connectorId: 'github' });
  }, 60_000);

  const byOperationId = (id: string) => registeredFrom(github, (_key, operationId) => operationId === id);

  it('builds repos/get', () => {
    expect(buildRequest(byOperationId('repos/get'), { owner: 'octocat', repo: 'Hello-World' }, connector)).toEqual({
      method: 'GET',
      url: 'https://api.github.com/repos/octocat/Hello-World',
      headers: { accept: DEFAULT_ACCEPT },
    });
  });

  it('builds issues/create, working its plan out once per tool', () => {
    const registered = byOperationId('issues/create');
    const args = {
      owner: 'octocat',
      repo: 'Hello-World',
      title: 'Found a bug',
      body: "I'm having a problem with this.",
      labels: ['bug'],
      assignees: ['octocat'],
      milestone: 1,
    };
    expect(buildRequest(registered, args, connector)).toEqual({
      method: 'POST',
      url: 'https://api.github.com/repos/octocat/Hello-World/issues',
      headers: { accept: DEFAULT_ACCEPT, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Found a bug', body: "I'm having a problem with this.", milestone: 1, labels: ['bug'], assignees: ['octocat'] }),
    });
    // Speed lives in bench/ (bench:gateway); here: no per-call template compilation.
    const compile = jest.spyOn(serialise, 'compilePathTemplate');
    for (let i = 0; i < 100; i++) buildRequest(registered, args, connector);
    expect(compile).not.toHaveBeenCalled();
    compile.mockRestore();
  });

  it('builds repos/get-content with a slash-bearing path encoded', () => {
    const req = buildRequest(byOperationId('repos/get-content'), { owner: 'octocat', repo: 'Hello-World', path: 'docs/README.md', ref: 'main' }, connector);
    expect(req.url).toBe('https://api.github.com/repos/octocat/Hello-World/contents/docs%2FREADME.md?ref=main');
  });
});
