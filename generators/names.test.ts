import type { OperationModel } from './operation';
import { assignToolNames, nameSource, operationBaseName, snakeCase } from './names';

const MCP_TOOL_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

function op(method: OperationModel['method'], path: string, operationId?: string): OperationModel {
  return {
    key: `${method.toUpperCase()} ${path}`,
    method,
    path,
    specPath: path,
    pointer: '',
    operationId,
    tags: [],
    deprecated: false,
    parameters: [],
    responses: [],
    servers: [],
  };
}

describe('snakeCase', () => {
  it.each([
    ['repos/list-for-org', 'repos_list_for_org'],
    ['getHTTPResponse', 'get_http_response'],
    // Transliterated, not stripped: `ünïcode` was `n_code`, `ключ` was nothing at all.
    ['ünïcode', 'unicode'],
    ['ключ', 'klyuch'],
    ['sendGrüße', 'send_grusse'],
    ['日本語', 'ri_ben_yu'],
    ['🚀', ''],
  ])('%s -> %s', (given, want) => {
    expect(snakeCase(given)).toBe(want);
  });
});

describe('tool names from non-ASCII operations', () => {
  it.each([
    [op('get', '/ünïcode/{ключ}'), 'get_unicode_by_klyuch', 'GET /ünïcode/{ключ}'],
    [op('post', '/x', 'créerÉlément'), 'creer_element', 'créerÉlément'],
    [op('get', '/🚀'), 'get', 'GET /🚀'],
    [op('get', '/x', '🚀'), 'get_x', 'GET /x'],
  ])('%j -> %s (from %s)', (operation, base, source) => {
    expect(operationBaseName(operation)).toBe(base);
    expect(nameSource(operation)).toBe(source);
  });

  it('keeps names valid, unique and the same on every run', () => {
    const ops = [op('get', '/ключ'), op('get', '/klyuch'), op('get', '/ключ/{ид}'), op('get', '/🚀'), op('get', '/🛸'), op('post', '/日本語/'.repeat(8))];
    const first = assignToolNames('intl', ops);
    const names = [...first.values()];
    expect(names.every((n) => MCP_TOOL_NAME.test(n))).toBe(true);
    expect(new Set(names).size).toBe(names.length);
    expect(assignToolNames('intl', [...ops].reverse())).toEqual(first);
    expect(first.get('GET /ключ/{ид}')).toBe('intl_get_klyuch_by_id');
  });
});
