/** The projection stage on its own: what it does to each kind of result. */
import pino from 'pino';
import type { CallToolResult } from '@modelcontextprotocol/server';
import type { CallContext, CallFn, RegisteredTool } from '../core';
import { projectResult, PROJECTION_KEY } from './project';

function ctx(args: Record<string, unknown>, outputSchema?: Record<string, unknown>): CallContext {
  return {
    callId: 'c',
    toolName: 'shop_list',
    args,
    signal: new AbortController().signal,
    snapshot: undefined as never,
    progress: () => undefined,
    log: pino({ level: 'silent' }),
    entry: 'mcp',
    facts: {},
    registered: {
      kind: 'http',
      connectorId: 'shop',
      tool: { name: 'shop_list', inputSchema: { type: 'object' }, ...(outputSchema ? { outputSchema } : {}) },
    } as unknown as RegisteredTool,
  };
}

function answering(result: CallToolResult): { next: CallFn; seen: Array<Record<string, unknown>> } {
  const seen: Array<Record<string, unknown>> = [];
  return {
    seen,
    next: async (c) => {
      seen.push(c.args);
      return result;
    },
  };
}

const ITEMS = [
  { id: 1, name: 'cup', tags: ['a'] },
  { id: 2, name: 'pot', tags: [] },
];

it('applies the expression to a JSON text result, and takes _jmespath out of what the kind sees', async () => {
  const { next, seen } = answering({ content: [{ type: 'text', text: JSON.stringify(ITEMS) }] });
  const result = await projectResult(next)(ctx({ limit: 2, _jmespath: '[].{id: id, n: length(tags)}' }));
  expect(result.content).toEqual([{ type: 'text', text: '[{"id":1,"n":1},{"id":2,"n":0}]' }]);
  expect(seen).toEqual([{ limit: 2 }]);
});

it('puts the projection under lunar-hub/projection where the outputSchema admits it, and keeps the whole answer where it requires properties', async () => {
  const whole = { id: 1, name: 'cup' };
  const shallow = await projectResult(answering({ content: [{ type: 'text', text: '{}' }], structuredContent: whole }).next)(
    ctx({ _jmespath: 'name' }, { type: 'object', properties: { id: { type: 'integer' } } }),
  );
  expect(shallow).toEqual({ content: [{ type: 'text', text: '"cup"' }], structuredContent: { [PROJECTION_KEY]: 'cup' } });
  const full = await projectResult(answering({ content: [{ type: 'text', text: '{}' }], structuredContent: whole }).next)(
    ctx({ _jmespath: 'name' }, { type: 'object', required: ['id'], properties: { id: { type: 'integer' } } }),
  );
  expect(full).toEqual({ content: [{ type: 'text', text: '"cup"' }], structuredContent: whole });
});

it('leaves errors and answers that are not one JSON document as they are, with a note', async () => {
  const failed: CallToolResult = { content: [{ type: 'text', text: 'HTTP 404' }], isError: true };
  expect(await projectResult(answering(failed).next)(ctx({ _jmespath: 'a' }))).toBe(failed);
  const cut = await projectResult(
    answering({
      content: [
        { type: 'text', text: '[{"id":1' },
        { type: 'text', text: 'cut at 1 MiB' },
      ],
    }).next,
  )(ctx({ _jmespath: '[0]' }));
  expect(cut.content).toHaveLength(3);
  expect(cut.content[2]).toEqual({ type: 'text', text: expect.stringContaining('_jmespath was not applied') });
});

it('refuses a bad expression before the kind runs, and names an expression that fails on the answer', async () => {
  const { next, seen } = answering({ content: [{ type: 'text', text: JSON.stringify(ITEMS) }] });
  await expect(projectResult(next)(ctx({ _jmespath: 'items[' }))).rejects.toMatchObject({ code: 'HUB_ERR_CALL_PROJECTION' });
  await expect(projectResult(next)(ctx({ _jmespath: '   ' }))).rejects.toMatchObject({ code: 'HUB_ERR_CALL_PROJECTION' });
  expect(seen).toEqual([]);
  await expect(projectResult(next)(ctx({ _jmespath: 'abs([0].name)' }))).rejects.toMatchObject({
    code: 'HUB_ERR_CALL_PROJECTION',
    message: expect.stringContaining('failed on this answer'),
  });
});
