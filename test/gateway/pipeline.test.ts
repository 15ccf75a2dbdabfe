/** The tool half of the pipeline: stage order, the next()-twice guard, argument validation, views and pages. */
import pino from 'pino';
import { compose } from '../../gateway/pipeline/compose';
import { type CallContext, type CallFn, type Stage, type RegisteredTool, parseToolsets, visibleIn, RegistrySnapshot } from '../../gateway/core';
import { createArgumentValidator } from '../../gateway/pipeline/validate-arguments';
import { decodeCursor, pageOf } from '../../gateway/mcp/pagination';

const silent = pino({ level: 'silent' });
const { checkFor } = createArgumentValidator();

function context(): CallContext {
  return {
    callId: 'c1',
    toolName: 't',
    args: {},
    signal: new AbortController().signal,
    snapshot: RegistrySnapshot.empty(),
    progress: () => undefined,
    log: silent,
    facts: {},
  };
}

function registered(
  name: string,
  inputSchema: Record<string, unknown> = { type: 'object' },
  tags: string[] = [],
  connectorId = name.split('_')[0],
): RegisteredTool {
  return {
    kind: 'http',
    connectorId,
    tool: { name, inputSchema: inputSchema as RegisteredTool['tool']['inputSchema'] },
    binding: { tool: name, operation: `GET /${name}`, arguments: [] },
    operation: {
      key: `GET /${name}`,
      method: 'get',
      path: `/${name}`,
      specPath: `/${name}`,
      pointer: '',
      tags,
      deprecated: false,
      parameters: [],
      responses: [],
      servers: [],
    },
  };
}

describe('compose', () => {
  it('runs stages in list order around the terminal, each once', async () => {
    const trace: string[] = [];
    const stage =
      (name: string): Stage =>
      (next) =>
      async (ctx) => {
        trace.push(`START ${name}`);
        const result = await next(ctx);
        trace.push(`END ${name}`);
        return result;
      };
    const terminal: CallFn = async () => {
      trace.push('SEND');
      return { content: [] };
    };
    await compose([stage('resolve'), stage('validate'), stage('build')], terminal)(context());
    expect(trace).toEqual(['START resolve', 'START validate', 'START build', 'SEND', 'END build', 'END validate', 'END resolve']);
  });

  it('refuses a stage that calls next() twice (it would send the request twice)', async () => {
    const twice: Stage = (next) => async (ctx) => {
      await next(ctx);
      return next(ctx);
    };
    let sent = 0;
    const call = compose([twice], async () => {
      sent++;
      return { content: [] };
    });
    await expect(call(context())).rejects.toThrow(/next\(\) twice/);
    expect(sent).toBe(1);
    // ...per call: the next call may call next() again.
    await expect(call(context())).rejects.toThrow(/next\(\) twice/);
    expect(sent).toBe(2);
  });
});

describe('argument validation', () => {
  const schema = {
    type: 'object',
    properties: { owner: { type: 'string', minLength: 1 }, labels: { type: 'array', items: { type: 'string' } }, state: { enum: ['open', 'closed'] } },
    required: ['owner'],
    additionalProperties: false,
  };

  it.each([
    [{ owner: 'octo' }, []],
    [{}, ['owner: is required']],
    [{ owner: '' }, ['owner: must NOT have fewer than 1 characters']],
    [{ owner: 'o', labels: ['a', 2] }, ['labels/1: must be string']],
    [{ owner: 'o', state: 'merged' }, ['state: must be one of ["open","closed"]']],
    [{ owner: 'o', colour: 'red' }, ['colour: is not an argument of this tool']],
    [{ owner: 1, extra: true }, ['extra: is not an argument of this tool', 'owner: must be string']],
  ])('%j -> %j', (args, problems) => {
    expect(checkFor(registered('gh_get', schema))(args)).toEqual(problems);
  });

  it('still validates what it can when the schema does not compile, and logs it once', () => {
    const warnings: string[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => warnings.push(line) });
    const broken = registered('gh_broken', {
      type: 'object',
      properties: { id: { type: 'integer' }, filter: { $ref: '#/$defs/Missing' } },
      required: ['id'],
      additionalProperties: false,
    });
    const check = checkFor(broken, log);
    expect(check({ id: 3, filter: { anything: true } })).toEqual([]);
    expect(check({ id: 'x' })).toEqual(['id: must be integer']);
    expect(check({ filter: 1, other: 2 })).toEqual(['id: is required', 'other: is not an argument of this tool']);
    expect(checkFor(broken, log)).toBe(check);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('gh_broken');
  });
});

describe('tool views', () => {
  const tools = [registered('gh_issues_list', {}, ['issues']), registered('gh_repos_get', {}, ['repos']), registered('jira_search', {}, ['Issue Search'])];

  it.each([
    [undefined, undefined, ['gh_issues_list', 'gh_repos_get', 'jira_search']],
    ['gh', undefined, ['gh_issues_list', 'gh_repos_get']],
    ['gh:issues,jira', undefined, ['gh_issues_list', 'jira_search']],
    ['jira:issue search', undefined, ['jira_search']],
    [undefined, 'jira', ['jira_search']],
    ['gh:repos', 'gh', ['gh_repos_get']],
  ])('toolsets=%s at /mcp/%s', (toolsets, connector, expected) => {
    const visible = visibleIn(parseToolsets(toolsets, connector))!;
    expect(tools.filter(visible).map((t) => t.tool.name)).toEqual(expected);
  });

  it("lists each connector's default set when no toolsets are asked for, and named toolsets by name", () => {
    const grouped = [
      { ...registered('gh_issues_list', {}, ['issues']), toolsets: ['issues'], inDefault: true },
      { ...registered('gh_repos_get', {}, ['repos']), toolsets: ['repos'], inDefault: false },
      { ...registered('gh_code_search', {}, ['search']), toolsets: ['code_search'], inDefault: false },
      registered('jira_search', {}, ['Issue Search']),
    ];
    const seen = (toolsets: string | undefined, connector?: string) => {
      const visible = visibleIn(parseToolsets(toolsets, connector))!;
      return grouped.filter(visible).map((t) => t.tool.name);
    };
    expect(seen(undefined)).toEqual(['gh_issues_list', 'jira_search']);
    expect(seen(undefined, 'gh')).toEqual(['gh_issues_list']);
    expect(seen('gh')).toEqual(['gh_issues_list', 'gh_repos_get', 'gh_code_search']);
    expect(seen('gh:code_search,gh:repos')).toEqual(['gh_repos_get', 'gh_code_search']);
    // A tag's name still picks its tools.
    expect(seen('gh:search')).toEqual(['gh_code_search']);
  });

  it.each([['Bad Id'], ['gh:'], ['jira'], [':x']])('refuses %s at /mcp/gh', (toolsets) => {
    expect(() => parseToolsets(toolsets, 'gh')).toThrow(expect.objectContaining({ code: 'HUB_ERR_CONFIG_USAGE' }));
  });
});

describe('tools/list pages', () => {
  const tools = ['a_1', 'a_2', 'b_1', 'b_2', 'c_1'].map((n) => registered(n));

  it('walks every tool once with cursors that are names', () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const { page, nextCursor } = pageOf(tools, cursor, 2);
      seen.push(...page.map((t) => t.tool.name));
      cursor = nextCursor;
    } while (cursor);
    expect(seen).toEqual(['a_1', 'a_2', 'b_1', 'b_2', 'c_1']);
  });

  it('continues after the last name sent even when the list changed in between', () => {
    const first = pageOf(tools, undefined, 2);
    const reloaded = ['a_0', 'a_1', 'a_3', 'b_1', 'b_2', 'c_1'].map((n) => registered(n));
    expect(pageOf(reloaded, first.nextCursor, 2).page.map((t) => t.tool.name)).toEqual(['a_3', 'b_1']);
  });

  it('refuses a cursor it did not make', () => {
    expect(() => decodeCursor('%%%')).toThrow(/Invalid cursor/);
    expect(() => decodeCursor(Buffer.from('../etc').toString('base64url'))).toThrow(/Invalid cursor/);
  });
});
