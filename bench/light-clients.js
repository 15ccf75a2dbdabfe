/**
 * Light MCP clients for `bench/mcp.js`: hand-built JSON-RPC bodies over undici (HTTP) or
 * newline-delimited JSON (stdio), so that the bench process spends little per call and
 * the figures show the servers, not an SDK client. Each speaks exactly what the SDK's
 * clients send (captured from `@modelcontextprotocol/client` 2.4.0):
 *
 * - `modern` (2026-07-28, stateless): every POST carries the `_meta` envelope
 *   (protocolVersion, clientInfo, clientCapabilities) and the `MCP-Protocol-Version`,
 *   `Mcp-Method` and (for tools/call) `Mcp-Name` headers; no initialize, no session.
 * - `session` (2025-11-25): initialize, notifications/initialized, then each POST with
 *   `Mcp-Session-Id` and `MCP-Protocol-Version`; answers come as JSON or one SSE event.
 * - `peer` (2025-11-25 as @ivotoby/openapi-mcp-server 1.16.1 serves it): the same
 *   handshake, but a tools/call POST is answered `202` and its result arrives on the
 *   session's GET event stream, so the client keeps one open and matches answers by id
 *   (that server maps ids to sessions globally: ids here are unique per client).
 */
'use strict';
const { spawn } = require('node:child_process');
const { Client } = require('undici');

const MODERN = '2026-07-28';
const LEGACY = '2025-11-25';
const CLIENT_INFO = { name: 'bench', version: '1.0.0' };
const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': MODERN,
  'io.modelcontextprotocol/clientInfo': CLIENT_INFO,
  'io.modelcontextprotocol/clientCapabilities': {},
};
const ACCEPT = 'application/json, text/event-stream';

let clients = 0;

/** The JSON-RPC messages in a response body: one JSON document or SSE `data:` lines. */
function messagesIn(text, contentType) {
  if (!String(contentType).startsWith('text/event-stream')) return text.length > 0 ? [JSON.parse(text)] : [];
  const out = [];
  for (const line of text.split('\n')) if (line.startsWith('data:')) out.push(JSON.parse(line.slice(5)));
  return out;
}

/**
 * What became of one call: `ok` (a result, not isError, holding the marker the call
 * asked for), `shed` (HTTP 503 with Retry-After, or a JSON-RPC error whose data says
 * HUB_ERR_OVERLOADED), or `failed` with what was seen.
 */
function outcomeOf(status, headers, message, marker) {
  if (status === 503 && headers['retry-after'] !== undefined) return { kind: 'shed', how: '503' };
  // The hub names a failure's code in a JSON-RPC error's data, or in an isError result's `_meta`.
  const code = message?.error?.data?.code ?? message?.result?._meta?.['lunar-hub/code'];
  if (code === 'HUB_ERR_OVERLOADED') return { kind: 'shed', how: message.error ? 'json-rpc error' : 'isError result' };
  if (status !== 200 && status !== 202) return { kind: 'failed', why: `HTTP ${status}` };
  if (!message) return { kind: 'failed', why: 'no answer' };
  if (message.error) return { kind: 'failed', why: `JSON-RPC ${message.error.code} ${message.error.message}` };
  const result = message.result;
  if (result?.isError) return { kind: 'failed', why: `isError: ${JSON.stringify(result.content).slice(0, 200)}` };
  const text = (result?.content ?? []).map((c) => c.text ?? '').join('');
  if (!text.includes(JSON.stringify(marker))) return { kind: 'failed', why: `answer without ${marker}: ${text.slice(0, 200)}` };
  return { kind: 'ok' };
}

/**
 * One light client on one keep-alive connection (or on a shared `dispatcher`, an undici
 * Pool, for open-loop load). `call(i)` calls `tool` with `args(marker)`, `marker`
 * unique to this client and i, and resolves with the outcome; it never throws for an
 * answer, only for a broken connection.
 */
async function openHttpClient(kind, url, { tool, args, dispatcher }) {
  const target = new URL(url);
  const own = dispatcher ? undefined : new Client(target.origin, { keepAliveTimeout: 120_000, pipelining: 1 });
  const via = dispatcher ?? own;
  const tag = `c${++clients}`;
  let nextId = 0;
  let session;
  let stream;

  const post = async (message, extraHeaders = {}) => {
    const headers = { 'content-type': 'application/json', accept: ACCEPT, ...extraHeaders };
    if (session) Object.assign(headers, { 'mcp-session-id': session, 'mcp-protocol-version': LEGACY });
    const response = await via.request({ origin: target.origin, path: target.pathname, method: 'POST', headers, body: JSON.stringify(message) });
    const text = await response.body.text();
    return { status: response.statusCode, headers: response.headers, text };
  };

  if (kind !== 'modern') {
    const id = `${tag}-init`;
    const init = await post({ jsonrpc: '2.0', id, method: 'initialize', params: { protocolVersion: LEGACY, capabilities: {}, clientInfo: CLIENT_INFO } });
    session = init.headers['mcp-session-id'];
    const answer = messagesIn(init.text, init.headers['content-type']).find((m) => m.id === id);
    if (init.status !== 200 || !session || !answer?.result) throw new Error(`initialize at ${url}: HTTP ${init.status} ${init.text.slice(0, 300)}`);
    const initialized = await post({ jsonrpc: '2.0', method: 'notifications/initialized' });
    if (initialized.status !== 202) throw new Error(`notifications/initialized at ${url}: HTTP ${initialized.status}`);
  }
  if (kind === 'peer') stream = await openEventStream(target, session, post);

  const call = async (i) => {
    const id = `${tag}-${nextId++}`;
    const marker = `${tag}-${i}`;
    const params = { name: tool, arguments: args(marker) };
    if (kind === 'modern') {
      const message = { jsonrpc: '2.0', id, method: 'tools/call', params: { ...params, _meta: ENVELOPE } };
      const r = await post(message, { 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': tool });
      return outcomeOf(
        r.status,
        r.headers,
        messagesIn(r.text, r.headers['content-type']).find((m) => m.id === id),
        marker,
      );
    }
    const answered = stream?.expect(id);
    const r = await post({ jsonrpc: '2.0', id, method: 'tools/call', params });
    if (kind === 'peer' && r.status === 202) return outcomeOf(200, r.headers, await answered, marker);
    stream?.forget(id);
    return outcomeOf(
      r.status,
      r.headers,
      messagesIn(r.text, r.headers['content-type']).find((m) => m.id === id),
      marker,
    );
  };

  const close = async () => {
    stream?.close();
    if (session) {
      // End the session as the SDK client does (DELETE), so idle sessions do not pile up between slices.
      await via
        .request({ origin: target.origin, path: target.pathname, method: 'DELETE', headers: { 'mcp-session-id': session, 'mcp-protocol-version': LEGACY } })
        .then((r) => r.body.dump())
        .catch(() => undefined);
    }
    await own?.close();
  };
  return { call, close, session: () => session };
}

/**
 * The session's GET event stream (its own connection): `expect(id)` resolves with the
 * message answering id. That server sends the stream's headers only with its first
 * event, so the stream counts as open once a ping sent through the POST side comes back on it.
 */
async function openEventStream(target, session, post) {
  const connection = new Client(target.origin, { bodyTimeout: 0, headersTimeout: 0, keepAliveTimeout: 120_000 });
  const waiting = new Map();
  let body;
  let buffered = '';
  const onData = (chunk) => {
    buffered += chunk;
    let end;
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const event = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      for (const line of event.split('\n')) {
        if (!line.startsWith('data:')) continue;
        const message = JSON.parse(line.slice(5));
        waiting.get(message.id)?.(message);
        waiting.delete(message.id);
      }
    }
  };
  const opened = connection
    .request({ path: target.pathname, method: 'GET', headers: { accept: 'text/event-stream', 'mcp-session-id': session, 'mcp-protocol-version': LEGACY } })
    .then((response) => {
      if (response.statusCode !== 200) throw new Error(`GET event stream: HTTP ${response.statusCode}`);
      body = response.body;
      body.setEncoding('utf8');
      body.on('data', onData);
      body.on('error', () => undefined);
    });
  opened.catch(() => undefined);
  const expect = (id) => new Promise((resolve) => waiting.set(id, resolve));
  for (let attempt = 0; ; attempt++) {
    const id = `${session}-ping-${attempt}`;
    const pong = expect(id);
    await post({ jsonrpc: '2.0', id, method: 'ping' });
    const answered = await Promise.race([pong.then(() => true), new Promise((resolve) => setTimeout(resolve, 100, false))]);
    if (answered) break;
    waiting.delete(id);
    if (attempt === 50) throw new Error('GET event stream: no ping answer on it in 5 s');
  }
  await opened;
  return {
    expect,
    forget: (id) => waiting.delete(id),
    close: () => {
      body?.destroy();
      connection.destroy().catch(() => undefined);
    },
  };
}

/**
 * A server over stdio, spoken to in newline-delimited JSON-RPC: `request(method, params)`
 * resolves with the answering message. Initialises as a 2025-11-25 client.
 */
async function openStdioClient(command, args, { cwd, env } = {}) {
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'ignore'] });
  const waiting = new Map();
  let nextId = 0;
  let buffered = '';
  let exited;
  const gone = new Promise((resolve) => child.once('exit', (code) => resolve((exited = code))));
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    buffered += chunk;
    let newline;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (!line.startsWith('{')) continue; // a server that prints banners on stdout
      const message = JSON.parse(line);
      if (message.id !== undefined) waiting.get(message.id)?.(message);
      waiting.delete(message.id);
    }
  });
  const send = (message) => child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);
  const request = (method, params) => {
    const id = nextId++;
    const answer = new Promise((resolve, reject) => {
      waiting.set(id, resolve);
      gone.then((code) => reject(new Error(`${args.join(' ')} exited (${code}) before answering ${method}`)));
    });
    send({ id, method, ...(params ? { params } : {}) });
    return answer;
  };
  const init = await request('initialize', { protocolVersion: LEGACY, capabilities: {}, clientInfo: CLIENT_INFO });
  if (!init.result) throw new Error(`initialize over stdio: ${JSON.stringify(init).slice(0, 300)}`);
  send({ method: 'notifications/initialized' });
  return {
    pid: child.pid,
    request,
    close: async () => {
      if (exited !== undefined) return;
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGTERM'), 2000);
      await gone;
      clearTimeout(timer);
    },
  };
}

module.exports = { MODERN, LEGACY, ENVELOPE, messagesIn, outcomeOf, openHttpClient, openStdioClient };
