/**
 * One real spec end to end: Prism mocks it, the real hub (`lunar-hub serve`) serves it
 * with a connector pointing at a recording proxy in front of Prism, and the SDK's MCP
 * client calls every tool with generated arguments. Each call is then judged by what
 * Prism said about the request the hub sent (verdict.ts).
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { request } from 'undici';
import { generateTools, type OperationModel, readSpecFile } from '../../generators';
import { runCli, scratchDir } from '../helpers/cli';
import { freshDataDir, startServe, type ServedHub } from '../helpers/hub-process';
import { listAll } from '../helpers/mcp';
import { generateArguments } from './arguments';
import { declaredParameters, parseSpecText, undeclaredNames, type Declared } from './declared';
import { startPrism, type PrismMock } from './prism-process';
import { startRecorder, type Exchange, type Recorder } from './recorder';
import { judge, type Verdict, type Violation } from './verdict';

/** A targeted call beside the sweep, with fixed arguments, documenting a known HUB BUG. */
/** A hand-written call that pins how the hub treats a case generated arguments never reach. */
export interface Probe {
  tool: string;
  args: Record<string, unknown>;
  /** What must happen to the call. */
  expected: Category;
  /** Why that is right. */
  why: string;
}

/**
 * A reviewed failure. It excuses the operation's call only when every violation Prism
 * listed (or, for a request the hub did not send, the hub's error) matches `match`: any
 * other problem with the same request still fails the suite.
 */
export interface Known {
  reason: string;
  match: RegExp;
}

export interface SpecCase {
  /** Connector id, the spec's file name in the scratch folder, and the report's name. */
  name: string;
  file: string;
  /** The path of the spec's first server (`/api/1.0`); Prism serves the paths without it. */
  basePath: string;
  /** The tenant's connection the hub's credentials stage uses (Prism checks that credentials are there). */
  connection?: { kind: 'bearer' | 'basic'; secret: string; username?: string };
  /** Extra connector file lines (static headers, say). */
  connectorYaml?: string;
  /** The least share of called tools whose request Prism must find valid. */
  minValidShare: number;
  /**
   * Operations (`METHOD /path`) whose request Prism rejects although the request is valid
   * for the spec: Prism's own bugs, each with the reason. Reviewed one by one.
   */
  prismFalsePositives?: Record<string, Known>;
  /** Operations whose request the hub builds wrongly (or refuses to build): known HUB BUGs. */
  hubBugs?: Record<string, Known>;
  /** Spec problems that make every request invalid for the spec (not the hub's doing). */
  specProblems?: Record<string, Known>;
  /** Cases the sweep's generated arguments do not reach (empty values...). */
  probes?: Probe[];
}

export type Category =
  | Verdict // what Prism said about the request
  | 'arguments' // the hub refused the generated arguments (HUB_ERR_CALL_ARGUMENTS)
  | 'not-sent' // the hub answered without calling the upstream (another HUB_ERR_*)
  | 'wrong-route' // Prism routed it, but the path is not the operation's template
  | 'undeclared'; // Prism was content, but the request carries a parameter the operation does not declare

/** Categories that fail the suite unless the operation is in one of the reviewed tables. */
export const FAILING: ReadonlySet<Category> = new Set<Category>(['invalid', 'wrong-route', 'route-not-found', 'not-sent', 'undeclared']);

export interface CallRecord {
  tool: string;
  operation: string;
  operationId?: string;
  category: Category;
  /** Why a failing call does not fail the test: 'prism' (known false positive), 'hub-bug', 'spec'. */
  excused?: { kind: 'prism' | 'hub-bug' | 'spec'; reason: string };
  violations?: Violation[];
  warnings?: Violation[];
  answer?: string;
  args: Record<string, unknown>;
  argumentAttempts: number;
  argumentProblems?: string;
  request?: { method: string; url: string; headers: Record<string, string | string[] | undefined>; body?: string; framing: string };
  hubResult?: string;
  /** The status Prism answered with (through the proxy). */
  upstreamStatus?: number;
  /** `_meta['lunar-hub/status']` of an error result: must be the status Prism answered with. */
  hubStatus?: number;
  /** The MCP client refused the result (e.g. structuredContent vs outputSchema); the verdict still stands. */
  clientError?: string;
}

/** Known-bad requests replayed through the proxy: proof that the judge can say no. */
export interface Control {
  what: string;
  expected: Category;
  got: Category;
  answer: string;
}

export interface SpecReport {
  spec: string;
  file: string;
  tools: number;
  /** Tools the generators make from the spec (the hub must serve every one). */
  generated: number;
  called: number;
  counts: Record<Category, number>;
  /** valid / called. */
  validShare: number;
  /** Failing calls not excused: each fails the test. */
  unexplained: CallRecord[];
  excused: CallRecord[];
  /** Argument sets the faker could not make valid (sent anyway; the hub refuses them). */
  generationFailures: number;
  /** Error results whose `lunar-hub/status` is not the status the upstream answered with. */
  statusMismatches: string[];
  probes: Array<CallRecord & { expected: Category; why: string }>;
  controls: Control[];
  /** Prism's request warnings (below Error: not failures), by message, most frequent first. */
  warnings: Array<{ message: string; calls: number; example: string }>;
  seconds: { prism: number; hub: number; calls: number };
  calls: CallRecord[];
}

const HUB_CODE = /\b(HUB_ERR_[A-Z_]+)\b/;

interface ToolInfo {
  operation: OperationModel;
  parameterArguments: Map<string, string>;
  /** The operation's parameters as the spec document declares them. */
  declared: Declared;
}

export async function runSpec(spec: SpecCase, log: (line: string) => void = () => undefined): Promise<SpecReport> {
  const dir = scratchDir(`requests-${spec.name}`);
  const specFile = path.join(dir, `${spec.name}${path.extname(spec.file)}`);
  copyFileSync(spec.file, specFile);

  // The operation behind each tool, from the generators: only to name operations and to
  // know which arguments are parameters. The verdict comes from Prism.
  const toolSet = generateTools(await readSpecFile(specFile), { connectorId: spec.name });
  const document = parseSpecText(readFileSync(specFile, 'utf8'));
  const operations = new Map(toolSet.operations.map((op) => [op.key, op]));
  const byTool = new Map<string, ToolInfo>();
  for (const binding of toolSet.bindings) {
    const operation = operations.get(binding.operation)!;
    byTool.set(binding.tool, {
      operation,
      parameterArguments: new Map(binding.arguments.filter((a) => a.in !== 'body').map((a) => [a.property, a.in])),
      declared: declaredParameters(document, operation.specPath, operation.method),
    });
  }

  let prism: PrismMock | undefined;
  let recorder: Recorder | undefined;
  let hub: ServedHub | undefined;
  let client: Client | undefined;
  try {
    const started = performance.now();
    prism = await startPrism(specFile);
    const prismSeconds = (performance.now() - started) / 1000;
    log(`${spec.name}: Prism listening after ${prismSeconds.toFixed(1)} s`);
    recorder = await startRecorder({ target: prism.url, basePath: spec.basePath });
    writeFileSync(
      path.join(dir, `${spec.name}.connector.yaml`),
      `id: ${spec.name}\nbaseUrl: ${recorder.baseUrl}\ntimeouts:\n  connectMs: 5000\n  headersMs: 60000\n  bodyMs: 60000\nmaxResponseBytes: 4194304\n${spec.connectorYaml ?? ''}`,
    );
    const hubStarted = performance.now();
    const data = freshDataDir();
    if (spec.connection) await addConnection(data, dir, spec.name, spec.connection);
    hub = await startServe(['--specs', dir, '--data', data], { LOG_LEVEL: 'warn' });
    client = new Client({ name: 'prism-requests', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(hub.mcpUrl)));
    const tools = await listAll(client);
    const hubSeconds = (performance.now() - hubStarted) / 1000;

    const infoOf = (name: string): ToolInfo => {
      const info = byTool.get(name);
      if (info === undefined) throw new Error(`the hub serves ${name}, which the generators do not know`);
      return info;
    };
    const callsStarted = performance.now();
    const calls: CallRecord[] = [];
    for (const tool of tools) {
      const info = infoOf(tool.name);
      const generated = generateArguments(tool.name, tool.inputSchema as Record<string, unknown>, info.parameterArguments);
      calls.push(await call(client, recorder, spec, tool.name, info, generated.args, generated.attempts, generated.problems));
    }
    const callSeconds = (performance.now() - callsStarted) / 1000;

    const probes: SpecReport['probes'] = [];
    for (const probe of spec.probes ?? []) {
      probes.push({ ...(await call(client, recorder, spec, probe.tool, infoOf(probe.tool), probe.args, 0)), expected: probe.expected, why: probe.why });
    }
    const controls = await runControls(recorder, calls, byTool, spec);
    const report = summarise(spec, tools.length, calls, probes, controls, { prism: prismSeconds, hub: hubSeconds, calls: callSeconds });
    return { ...report, generated: toolSet.tools.length };
  } finally {
    await client?.close().catch(() => undefined);
    await hub?.stop();
    await recorder?.close();
    await prism?.stop();
  }
}

async function call(
  client: Client,
  recorder: Recorder,
  spec: SpecCase,
  toolName: string,
  info: ToolInfo,
  args: Record<string, unknown>,
  attempts: number,
  problems?: string,
): Promise<CallRecord> {
  const { operation } = info;
  const operationName = `${operation.method.toUpperCase()} ${operation.path}`;
  const record: CallRecord = {
    tool: toolName,
    operation: operationName,
    ...(operation.operationId !== undefined ? { operationId: operation.operationId } : {}),
    category: 'valid',
    args,
    argumentAttempts: attempts,
    ...(problems !== undefined ? { argumentProblems: problems } : {}),
  };
  const before = recorder.exchanges.length;
  try {
    const result = (await client.callTool({ name: toolName, arguments: args }, undefined, { timeout: 120_000 })) as CallToolResult;
    record.hubResult = resultText(result).slice(0, 400);
    const status = result._meta?.['lunar-hub/status'];
    if (typeof status === 'number') record.hubStatus = status;
  } catch (error) {
    record.clientError = (error as Error).message.slice(0, 400);
  }
  const exchanges = recorder.exchanges.slice(before);
  if (exchanges.length > 1) throw new Error(`${toolName}: one call made ${exchanges.length} upstream requests`);
  if (exchanges.length === 0) {
    const code = HUB_CODE.exec(record.hubResult ?? record.clientError ?? '')?.[1];
    record.category = code === 'HUB_ERR_CALL_ARGUMENTS' ? 'arguments' : 'not-sent';
  } else {
    const exchange = exchanges[0];
    record.request = describeRequest(exchange);
    if (exchange.response !== undefined) record.upstreamStatus = exchange.response.status;
    const judgement = judge(exchange);
    record.category = judgement.verdict;
    record.answer = judgement.answer;
    if (judgement.violations.length > 0) record.violations = judgement.violations;
    if (judgement.warnings.length > 0) record.warnings = judgement.warnings;
    // Prism matched a route, but was it this operation's? (A value equal to a literal
    // segment of a sibling path would reach another operation.)
    if (record.category !== 'route-not-found' && !matchesTemplate(exchange, recorder, operation)) {
      record.category = 'wrong-route';
      record.violations = [{ location: ['request', 'path'], severity: 'Error', message: `${exchange.method} ${exchange.url} is not ${operationName}` }];
    }
    const undeclared = undeclaredNames(exchange, info.declared);
    if (undeclared.length > 0) {
      if (record.category === 'valid') record.category = 'undeclared';
      record.violations = [
        ...(record.violations ?? []),
        ...undeclared.map((name) => ({
          location: ['request', ...name.split(':')],
          severity: 'Error',
          message: `${name} is not a parameter of ${operationName}`,
        })),
      ];
    }
  }
  if (FAILING.has(record.category)) {
    const tables = [
      ['hub-bug', spec.hubBugs],
      ['prism', spec.prismFalsePositives],
      ['spec', spec.specProblems],
    ] as const;
    for (const [kind, table] of tables) {
      const known = table?.[operationName];
      if (known !== undefined && explains(known, record)) {
        record.excused = { kind, reason: known.reason };
        break;
      }
    }
  }
  return record;
}

/** The default tenant's connection to the connector, through the CLI as an admin would make it. */
async function addConnection(data: string, specs: string, connector: string, connection: NonNullable<SpecCase['connection']>): Promise<void> {
  const steps = [
    ['tenants', 'add', 'default'],
    [
      'connections',
      'add',
      '--tenant',
      'default',
      '--connector',
      connector,
      '--kind',
      connection.kind,
      '--secret-env',
      'PRISM_SECRET',
      '--specs',
      specs,
      ...(connection.username ? ['--username', connection.username] : []),
    ],
  ];
  for (const args of steps) {
    const result = await runCli([...args, '--data', data], { env: { PRISM_SECRET: connection.secret } });
    if (result.code !== 0) throw new Error(`lunar-hub ${args.join(' ')}: ${result.stderr}`);
  }
}

function explains(known: Known, record: CallRecord): boolean {
  if (record.request === undefined) return known.match.test(record.hubResult ?? record.clientError ?? '');
  const violations = record.violations ?? [];
  return violations.length > 0 && violations.every((v) => known.match.test(`${v.location.join('.')}: ${v.message}`));
}

/**
 * Negative controls, replayed through the proxy (so with the same credentials): an
 * unknown route; a valid recorded request with its required body, or a required query
 * parameter, taken away; and one with a query parameter the operation does not declare.
 * The judge must catch each, or a "valid" verdict would mean nothing.
 */
async function runControls(recorder: Recorder, calls: CallRecord[], byTool: Map<string, ToolInfo>, spec: SpecCase): Promise<Control[]> {
  const origin = new URL(recorder.baseUrl).origin;
  const basePath = new URL(recorder.baseUrl).pathname.replace(/\/+$/, '');
  const replay = async (
    what: string,
    expected: Category,
    method: string,
    target: string,
    headers: Record<string, string>,
    declared?: Declared,
    body?: string,
  ): Promise<Control> => {
    const before = recorder.exchanges.length;
    const response = await request(`${origin}${target}`, { method: method as 'GET', headers, ...(body !== undefined ? { body } : {}) });
    await response.body.arrayBuffer();
    const exchange = recorder.exchanges[before];
    if (exchange === undefined) return { what, expected, got: 'prism-error', answer: 'not recorded' };
    const judgement = judge(exchange);
    const got = judgement.verdict === 'valid' && declared !== undefined && undeclaredNames(exchange, declared).length > 0 ? 'undeclared' : judgement.verdict;
    return { what, expected, got, answer: judgement.answer };
  };
  const headersOf = (call: CallRecord, withBody: boolean) =>
    Object.fromEntries(
      Object.entries(call.request!.headers).filter(
        ([name, value]) =>
          typeof value === 'string' && !['content-length', 'host', 'connection', 'transfer-encoding'].includes(name) && (withBody || name !== 'content-type'),
      ),
    ) as Record<string, string>;
  const validCalls = calls.filter((c) => c.category === 'valid' && c.request !== undefined);

  const controls = [await replay('an unknown route', 'route-not-found', 'GET', `${basePath}/lunar-no-such-route/${spec.name}`, {})];
  const withBody = validCalls.find(
    (c) => c.request!.body !== undefined && byTool.get(c.tool)?.operation.requestBody?.required === true && !c.request!.body.startsWith('('),
  );
  if (withBody !== undefined) {
    controls.push(
      await replay(`${withBody.operation} without its required body`, 'invalid', withBody.request!.method, withBody.request!.url, headersOf(withBody, false)),
    );
  }
  const withRequiredQuery = validCalls.find(
    (c) =>
      !c.request!.body?.startsWith('(') &&
      [...byTool.get(c.tool)!.declared.requiredQuery].some((name) => new URL(c.request!.url, origin).searchParams.has(name)),
  );
  if (withRequiredQuery !== undefined) {
    const url = new URL(withRequiredQuery.request!.url, origin);
    const name = [...byTool.get(withRequiredQuery.tool)!.declared.requiredQuery].find((n) => url.searchParams.has(n))!;
    url.searchParams.delete(name);
    controls.push(
      await replay(
        `${withRequiredQuery.operation} without its required query parameter ${name}`,
        'invalid',
        withRequiredQuery.request!.method,
        url.pathname + url.search,
        headersOf(withRequiredQuery, true),
        undefined,
        withRequiredQuery.request!.body,
      ),
    );
  }
  const plainGet = validCalls.find((c) => c.request!.method === 'GET' && byTool.get(c.tool)!.declared.query !== undefined);
  if (plainGet !== undefined) {
    const target = `${plainGet.request!.url}${plainGet.request!.url.includes('?') ? '&' : '?'}lunar_undeclared=1`;
    controls.push(
      await replay(
        `${plainGet.operation} with an undeclared query parameter`,
        'undeclared',
        'GET',
        target,
        headersOf(plainGet, false),
        byTool.get(plainGet.tool)!.declared,
      ),
    );
  }
  return controls;
}

function matchesTemplate(exchange: Exchange, recorder: Recorder, operation: OperationModel): boolean {
  if (exchange.method !== operation.method.toUpperCase()) return false;
  const basePath = new URL(recorder.baseUrl).pathname.replace(/\/+$/, '');
  const pathname = exchange.url.split('?')[0].slice(basePath.length);
  const pattern = operation.path
    .split(/(\{[^}]*\})/)
    .map((part) => (part.startsWith('{') && part.endsWith('}') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${pattern}$`).test(pathname);
}

function describeRequest(exchange: Exchange): NonNullable<CallRecord['request']> {
  const text = exchange.body.toString('utf8');
  const body =
    exchange.body.length === 0 ? undefined : Buffer.from(text, 'utf8').equals(exchange.body) ? text.slice(0, 2000) : `(${exchange.body.length} bytes)`;
  return {
    method: exchange.method,
    url: exchange.url,
    headers: exchange.headers,
    ...(body !== undefined ? { body } : {}),
    framing: exchange.framing,
  };
}

function resultText(result: CallToolResult): string {
  return result.content.map((c) => (c.type === 'text' ? c.text : `[${c.type}]`)).join('\n');
}

function summarise(
  spec: SpecCase,
  tools: number,
  calls: CallRecord[],
  probes: SpecReport['probes'],
  controls: Control[],
  seconds: SpecReport['seconds'],
): Omit<SpecReport, 'generated'> {
  const counts: Record<Category, number> = {
    valid: 0,
    invalid: 0,
    'route-not-found': 0,
    security: 0,
    'prism-error': 0,
    arguments: 0,
    'not-sent': 0,
    'wrong-route': 0,
    undeclared: 0,
  };
  for (const c of calls) counts[c.category]++;
  return {
    spec: spec.name,
    file: spec.file,
    tools,
    called: calls.length,
    counts,
    validShare: calls.length === 0 ? 0 : counts.valid / calls.length,
    unexplained: calls.filter((c) => FAILING.has(c.category) && c.excused === undefined),
    excused: calls.filter((c) => c.excused !== undefined),
    generationFailures: calls.filter((c) => c.argumentProblems !== undefined).length,
    statusMismatches: calls
      // An upstream error must carry its status; a success may carry it, and then the right one.
      .filter((c) => ((c.upstreamStatus ?? 0) >= 300 ? c.hubStatus !== c.upstreamStatus : c.hubStatus !== undefined && c.hubStatus !== c.upstreamStatus))
      .map((c) => `${c.tool}: hub says ${c.hubStatus}, upstream answered ${c.upstreamStatus}`),
    probes,
    controls,
    warnings: warningKinds(calls),
    seconds,
    calls,
  };
}

function warningKinds(calls: CallRecord[]): SpecReport['warnings'] {
  const kinds = new Map<string, { message: string; calls: number; example: string }>();
  for (const c of calls) {
    for (const message of new Set((c.warnings ?? []).map((w) => `${w.location.slice(0, 2).join('.')}: ${w.message}`.slice(0, 200)))) {
      const known = kinds.get(message) ?? { message, calls: 0, example: c.tool };
      known.calls++;
      kinds.set(message, known);
    }
  }
  return [...kinds.values()].sort((a, b) => b.calls - a.calls).slice(0, 20);
}
