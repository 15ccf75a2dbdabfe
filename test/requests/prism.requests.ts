/**
 * Are the hub's upstream requests right? Judged by an independent validator of the spec,
 * Stoplight Prism 5.14 (`prism mock`), not by the hub's own code.
 *
 * For each real spec (specs.ts): Prism mocks it as a real process; the real hub
 * (`lunar-hub serve`) serves the spec, its connector pointing at a recording proxy in
 * front of Prism; the MCP SDK client calls every tool with arguments json-schema-faker
 * generated from the tool's inputSchema (seeded, so every run sends the same requests);
 * and each request the upstream received is judged by Prism's verdict on it.
 *
 * Fails when Prism finds a request invalid (or unroutable) and the reason is not a
 * reviewed Prism false positive, spec problem or known HUB BUG (specs.ts), when the
 * share of valid requests drops below the spec's floor, or when generated arguments are
 * often refused. Reports: `.tmp/prism-report-<spec>.json` and a summary on the console.
 *
 * Run: `npm run test:requests` (PRISM_SPECS=github,notion to run some specs only).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO, removeScratchDirs } from '../helpers/cli';
import { runSpec, type CallRecord, type SpecReport } from './run-spec';
import { SPEC_CASES } from './specs';

const only = process.env.PRISM_SPECS?.split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const cases = only === undefined ? SPEC_CASES : SPEC_CASES.filter((c) => only.includes(c.name));
const reports: SpecReport[] = [];

/** At most this share of calls may end with arguments the hub refuses (a faker or schema problem, not a wire one). */
const MAX_ARGUMENT_FAILURE_SHARE = 0.02;

afterAll(() => {
  removeScratchDirs();
  if (reports.length === 0) return;
  const lines = [
    'Requests judged by Prism 5.14.2:',
    'spec       tools  called  valid  invalid  excused  no-route  undeclared  security  args-refused  not-sent  prism-error  share',
  ];
  for (const r of reports) {
    const c = r.counts;
    lines.push(
      [
        r.spec.padEnd(9),
        String(r.tools).padStart(6),
        String(r.called).padStart(7),
        String(c.valid).padStart(6),
        String(c.invalid).padStart(8),
        String(r.excused.length).padStart(8),
        String(c['route-not-found'] + c['wrong-route']).padStart(9),
        String(c.undeclared).padStart(11),
        String(c.security).padStart(9),
        String(c.arguments).padStart(13),
        String(c['not-sent']).padStart(9),
        String(c['prism-error']).padStart(12),
        `${(r.validShare * 100).toFixed(1)}%`.padStart(7),
      ].join(' '),
    );
  }
  console.log(lines.join('\n'));
});

function brief(call: CallRecord): string {
  const violations = (call.violations ?? [])
    .slice(0, 3)
    .map((v) => `${v.location.join('.')}: ${v.message}`)
    .join(' | ');
  const request = call.request
    ? `${call.request.method} ${call.request.url}${call.request.body ? ` body=${call.request.body.slice(0, 300)}` : ''}`
    : '(not sent)';
  return `${call.tool} (${call.operation}) ${call.category}: ${violations}\n    request: ${request}\n    args: ${JSON.stringify(call.args).slice(0, 300)}${call.hubResult && !call.request ? `\n    hub: ${call.hubResult.slice(0, 300)}` : ''}`;
}

function writeReport(report: SpecReport): string {
  const dir = path.join(REPO, '.tmp');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `prism-report-${report.spec}.json`);
  const { calls, unexplained, excused, ...summary } = report;
  const notValid = calls.filter((c) => c.category !== 'valid');
  // Every valid request in one line each, so a reader can see what was judged.
  const valid = calls
    .filter((c) => c.category === 'valid')
    .map(
      (c) =>
        `${c.tool}: ${c.request!.method} ${c.request!.url}${c.request!.body !== undefined ? ` [${c.request!.headers['content-type']}] ${c.request!.body.slice(0, 200)}` : ''}`,
    );
  writeFileSync(
    file,
    JSON.stringify(
      { ...summary, unexplained: unexplained.map((c) => c.tool), excused: excused.map((c) => `${c.tool} [${c.excused!.kind}]`), notValid, valid },
      null,
      2,
    ),
  );
  return file;
}

describe.each(cases)('$name: requests the hub sends, judged by Prism', (spec) => {
  let report: SpecReport;

  beforeAll(async () => {
    report = await runSpec(spec, (line) => process.stderr.write(`${line}\n`));
    reports.push(report);
    const file = writeReport(report);
    const c = report.counts;
    console.log(
      `${spec.name}: ${report.called}/${report.tools} tools called; valid ${c.valid}, invalid ${c.invalid} (excused ${report.excused.length}), ` +
        `no route ${c['route-not-found'] + c['wrong-route']}, undeclared parameters ${c.undeclared}, security ${c.security}, arguments refused ${c.arguments}, not sent ${c['not-sent']}, ` +
        `Prism errors ${c['prism-error']}, argument generation failures ${report.generationFailures}; ` +
        `valid share ${(report.validShare * 100).toFixed(1)}%; Prism ${report.seconds.prism.toFixed(1)} s, calls ${report.seconds.calls.toFixed(1)} s; report ${file}` +
        (report.unexplained.length > 0 ? `\nFirst invalid requests:\n  ${report.unexplained.slice(0, 8).map(brief).join('\n  ')}` : '') +
        (report.excused.length > 0
          ? `\nExcused:\n  ${report.excused.map((e) => `${e.operation} [${e.excused!.kind}] ${e.category}: ${e.excused!.reason}`).join('\n  ')}`
          : '') +
        (report.probes.length > 0 ? `\nprobes:\n  ${report.probes.map((p) => `${p.tool} ${p.category} (expected ${p.expected}): ${p.why}`).join('\n  ')}` : ''),
    );
  }, 900_000);

  it('serves and calls every tool the generators make from the spec', () => {
    expect(report.tools).toBeGreaterThan(0);
    expect(report.tools).toBe(report.generated);
    expect(report.called).toBe(report.tools);
  });

  it('has a judge that can say no (unknown route, missing required body or parameter, undeclared parameter)', () => {
    expect(report.controls.filter((c) => c.expected === 'invalid').length).toBeGreaterThan(0);
    expect(report.controls.filter((c) => c.expected === 'undeclared').length).toBeGreaterThan(0);
    for (const control of report.controls) expect({ what: control.what, verdict: control.got }).toEqual({ what: control.what, verdict: control.expected });
  });

  it('sends no request Prism finds invalid or unroutable, and refuses no valid arguments, except the reviewed ones', () => {
    expect(report.unexplained.map(brief)).toEqual([]);
  });

  it('keeps the HUB BUG and spec-problem tables true (an entry that no longer fails must go)', () => {
    const failing = new Set(report.calls.filter((c) => c.excused !== undefined).map((c) => c.operation));
    const listed = [...Object.keys(spec.hubBugs ?? {}), ...Object.keys(spec.specProblems ?? {})];
    expect(listed.filter((op) => !failing.has(op))).toEqual([]);
    // Prism's false positives depend on the generated values (specs.ts); a misspelt key would never excuse anything.
    const known = new Set(report.calls.map((c) => c.operation));
    expect(Object.keys(spec.prismFalsePositives ?? {}).filter((op) => !known.has(op))).toEqual([]);
  });

  (spec.probes?.length ? it : it.skip)('treats the hand-written probes as reviewed (empty values...)', () => {
    expect(report.probes).toHaveLength(spec.probes!.length);
    expect(report.probes.map((p) => `${p.tool}: ${p.category}`)).toEqual(report.probes.map((p) => `${p.tool}: ${p.expected}`));
  });

  it("reports the upstream's status in error results (`_meta['lunar-hub/status']`)", () => {
    expect(report.statusMismatches).toEqual([]);
  });

  it("passes the credentials Prism asks for (the hub's credentials stage, from the tenant's connection)", () => {
    expect(report.calls.filter((c) => c.category === 'security').map(brief)).toEqual([]);
  });

  it('rarely generates arguments the hub refuses', () => {
    expect(report.counts.arguments / report.called).toBeLessThanOrEqual(MAX_ARGUMENT_FAILURE_SHARE);
  });

  it(`has a valid share of at least the spec's floor`, () => {
    expect(report.validShare).toBeGreaterThanOrEqual(spec.minValidShare);
  });
});
