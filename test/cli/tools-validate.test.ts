/** `lunar-hub tools` and `lunar-hub validate`, run as the real binary. */
import { REAL_SPECS } from '../helpers/real-specs';
import { runCli } from '../helpers/cli';
import { fixture } from '../helpers/specs';

describe('lunar-hub tools', () => {
  it('--json prints a JSON array of MCP tools on stdout and nothing else', async () => {
    const result = await runCli(['tools', fixture('locations-3.0.yaml'), '--json']);
    expect(result.code).toBe(0);
    const tools = JSON.parse(result.stdout) as Array<{ name: string; inputSchema: { type: string } }>;
    expect(tools).toHaveLength(9);
    for (const tool of tools) expect(tool.inputSchema.type).toBe('object');
    expect(result.stderr).toContain('9 tools from');
  });

  it('without --json prints a readable list', async () => {
    const result = await runCli(['tools', fixture('petstore-swagger2.yaml')]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('petstore-swagger2_find_pets_by_status');
    expect(result.stdout).toContain('Finds Pets by status');
    expect(() => JSON.parse(result.stdout)).toThrow();
  });

  it('takes a connector id and the deprecated switch', async () => {
    const result = await runCli(['tools', fixture('locations-3.0.yaml'), '--json', '--id', 'acme', '--include-deprecated']);
    const names = (JSON.parse(result.stdout) as Array<{ name: string }>).map((t) => t.name);
    expect(names).toContain('acme_list_legacy_members');
  });

  it("prints GitHub's 1,186 tools as one JSON document", async () => {
    const result = await runCli(['tools', REAL_SPECS.github, '--json', '--id', 'github']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toHaveLength(1186);
  });

  it.each([
    [['tools'], 2, /usage: lunar-hub tools SPEC/],
    [['tools', 'a.yaml', '--bogus'], 2, /--bogus/],
    [['frobnicate'], 2, /unknown command "frobnicate"/],
    [['tools', fixture('broken/bad-yaml.yaml'), '--json'], 1, /HUB_ERR_SPEC_PARSE.*bad-yaml\.yaml.*line \d+/],
    [['tools', fixture('nope.json')], 1, /HUB_ERR_SPEC_UNREADABLE.*nope\.json.*no such file/],
  ])('%j exits %i with a one-line error', async (args, code, message) => {
    const result = await runCli(args as string[]);
    expect(result.code).toBe(code);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('lunar-hub validate', () => {
  it('exits 0 on a spec with only warnings and lists them with file and pointer', async () => {
    const result = await runCli(['validate', 'test/fixtures/specs/external/missing-ref.yaml']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      'warning: test/fixtures/specs/external/missing-ref.yaml#/paths/~1pets/get/responses/200/content/application~1json/schema: $ref "./schemas/nope.yaml" points outside this document and was not bundled [ref-unresolved]',
    );
    expect(result.stdout).toMatch(/0 errors, 2 warnings; 2 tools can be served/);
  });

  it('exits 1 on errors and names each one', async () => {
    const result = await runCli(['validate', 'test/fixtures/specs/invalid-ops-3.0.yaml']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('error: test/fixtures/specs/invalid-ops-3.0.yaml#/components/schemas/DoesNotExist');
    expect(result.stdout).toContain('warning: test/fixtures/specs/invalid-ops-3.0.yaml#/paths/~1items/get/parameters/0/schema/pattern');
  });

  it('points schema errors of the validator at the offending node', async () => {
    const result = await runCli(['validate', 'test/fixtures/specs/names-3.0.yaml', '--json']);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as { problems: Array<{ severity: string; pointer: string; message: string }> };
    expect(report.problems).toContainEqual(
      expect.objectContaining({ severity: 'error', pointer: '/paths/~1users~1{id}/delete/operationId', message: expect.stringContaining('getUser') }),
    );
  });

  it('exits 0 on a clean real spec', async () => {
    const result = await runCli(['validate', REAL_SPECS.notion]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/0 errors, 0 warnings; 24 tools can be served/);
  });

  it('exits 1 with one line for an unreadable file', async () => {
    const result = await runCli(['validate', fixture('broken/not-openapi.json')]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/HUB_ERR_SPEC_NOT_OPENAPI/);
  });
});
