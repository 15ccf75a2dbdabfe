/**
 * The real order of the call pipeline's stages, start to end, for a real spec against a
 * real upstream: the generic stages (observe outermost) for every kind, then the HTTP
 * kind's own. A stage added, removed or moved fails this test.
 */
import { mkdtempSync, copyFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import diagnostics from 'node:diagnostics_channel';
import { RegistrySnapshot, type CallContext, type CallEndEvent } from '../../gateway/core';
import { createCallPipeline, type CallPipeline } from '../../gateway/pipeline/call-pipeline';
import { memoryCounter } from '../../gateway/pipeline/quota';
import { loadConnector } from '../../gateway/registry/load-connector';
import { startUpstream, type Upstream } from '../helpers/upstream';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'specs', 'e2e', 'shop.yaml');
let upstream: Upstream;
let snapshot: RegistrySnapshot;
const pipelines: CallPipeline[] = [];

beforeAll(async () => {
  upstream = await startUpstream({
    'GET /items': (_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('[{"id":"1","name":"cup"}]'),
  });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lsh-order-'));
  copyFileSync(FIXTURE, path.join(dir, 'shop.yaml'));
  writeFileSync(path.join(dir, 'shop.connector.yaml'), `baseUrl: ${upstream.url}\n`);
  snapshot = new RegistrySnapshot(1, [await loadConnector(path.join(dir, 'shop.yaml'))], []);
});

afterAll(async () => {
  await upstream.close();
  await Promise.all(pipelines.map((p) => p.close()));
});

function context(toolName: string, args: Record<string, unknown> = {}): CallContext {
  return {
    callId: 'c1',
    toolName,
    args,
    signal: new AbortController().signal,
    snapshot,
    progress: () => undefined,
    log: pino({ level: 'silent' }),
    entry: 'mcp',
    facts: {},
  };
}

function traced(): { events: string[]; call: CallPipeline['call'] } {
  const events: string[] = [];
  const pipeline = createCallPipeline({ quota: memoryCounter(), trace: (event, stage) => events.push(`${event.toUpperCase()} ${stage}`) });
  pipelines.push(pipeline);
  return { events, call: pipeline.call };
}

describe('the call pipeline order', () => {
  it('runs observe -> resolveTool -> authorise -> validateArguments -> project -> quota -> followPages -> buildRequest -> credentials -> send, and unwinds in reverse', async () => {
    const { events, call } = traced();
    const result = await call(context('shop_list_items', { per_page: 2 }));
    expect(result.isError).toBeFalsy();
    expect(upstream.seen.map((r) => r.url)).toEqual(['/items?per_page=2']);
    const order = ['observe', 'resolveTool', 'authorise', 'validateArguments', 'project', 'quota', 'followPages', 'buildRequest', 'credentials', 'send'];
    expect(events).toEqual([...order.map((s) => `START ${s}`), ...[...order].reverse().map((s) => `END ${s}`)]);
  });

  it('stops at validateArguments for bad arguments: nothing of the HTTP kind runs, nothing goes upstream, observe maps the error', async () => {
    const { events, call } = traced();
    const seen = upstream.seen.length;
    const ends: CallEndEvent[] = [];
    const onEnd = (message: unknown) => ends.push(message as CallEndEvent);
    diagnostics.subscribe('lunar-hub:call:end', onEnd);
    try {
      const result = await call(context('shop_list_items', { per_page: 'many' }));
      expect(result.isError).toBe(true);
      expect(result._meta?.['lunar-hub/code']).toBe('HUB_ERR_CALL_ARGUMENTS');
    } finally {
      diagnostics.unsubscribe('lunar-hub:call:end', onEnd);
    }
    expect(upstream.seen.length).toBe(seen);
    expect(events.filter((e) => e.startsWith('START'))).toEqual(['START observe', 'START resolveTool', 'START authorise', 'START validateArguments']);
    expect(ends).toEqual([
      expect.objectContaining({
        connector: 'shop',
        tool: 'shop_list_items',
        kind: 'http',
        entry: 'mcp',
        outcome: 'tool_error',
        code: 'HUB_ERR_CALL_ARGUMENTS',
      }),
    ]);
  });

  it('lets an unknown tool through observe as the one protocol error', async () => {
    const { call } = traced();
    await expect(call(context('shop_nope'))).rejects.toMatchObject({ code: 'HUB_ERR_CALL_UNKNOWN_TOOL' });
  });
});
