/** `specs/<name>.connector.yaml` with `use: <id>`: a built-in connector with the user's keys laid over its file. */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { rejected } from '../../../test/helpers/errors';
import { REAL_SPECS } from '../../../test/helpers/real-specs';
import { fixture } from '../../../test/helpers/specs';
import { loadConnector, loadUsedBuiltIn } from '.';

const CONNECTORS = path.join(__dirname, '..', '..', '..', 'connectors');
let root: string;
beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'lunar-use-built-in-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  const at = path.join(dir, `${name}.connector.yaml`);
  writeFileSync(at, text);
  return at;
}

it("serves the built-in with the user's base URL, headers merged and toolsets added", async () => {
  const at = file(
    'ghe',
    [
      'use: github',
      'id: ghe',
      'baseUrl: https://github.example.com/api/v3',
      'headers:',
      '  X-Team: platform',
      'toolsets:',
      '  triage: { operations: [issues/add-labels, issues/remove-label] }',
      'defaultToolsets: [issues, triage]',
    ].join('\n'),
  );
  const c = await loadUsedBuiltIn(at, CONNECTORS);
  expect(c.id).toBe('ghe');
  expect(c.configFile).toBe(at);
  expect(c.runtime.baseUrl).toBe('https://github.example.com/api/v3');
  expect(c.runtime.headers).toMatchObject({ 'x-team': 'platform', 'user-agent': 'lunar-snake-hub', 'x-github-api-version': '2022-11-28' });
  expect(c.tools.every((t) => t.tool.name.startsWith('ghe_'))).toBe(true);
  const inDefault = c.tools.filter((t) => t.inDefault).map((t) => t.tool.name);
  expect(inDefault).toContain('ghe_issues_add_labels');
  expect(inDefault).not.toContain('ghe_pulls_get');
  // The built-in's renames and toolsets stay.
  expect(c.tools.find((t) => t.tool.name === 'ghe_create_branch')?.toolsets).toEqual(['repos']);
  expect(c.runtime.auth?.scheme).toMatchObject({ type: 'oauth2', oauth: { scopes: ['repo'] } });
});

it("serves every operation of the full published spec with the built-in's toolsets and names", async () => {
  const at = file('github-full', `use: github\nspec: ${REAL_SPECS.github}\n`);
  const c = await loadUsedBuiltIn(at, CONNECTORS);
  expect(c.specFile).toBe(REAL_SPECS.github);
  expect(c.tools.length).toBeGreaterThan(1100);
  expect(c.tools.filter((t) => t.inDefault).length).toBeLessThanOrEqual(60);
  expect(c.tools.find((t) => t.tool.name === 'github_get_file_contents')).toBeDefined();
});

it('says what is missing: no `use` and no spec beside the file, an unknown built-in, `use` beside a spec', async () => {
  const lone = await rejected(loadUsedBuiltIn(file('lone', 'baseUrl: https://api.example.com\n'), CONNECTORS));
  expect(lone.code).toBe('HUB_ERR_CONFIG_CONNECTOR');
  expect(lone.details.problems).toEqual([
    'no spec beside it (lone.json, .yaml or .yml): put the spec there, or say `use: <id>` to turn on a built-in connector',
  ]);

  const typo = await rejected(loadUsedBuiltIn(file('typo', 'use: githb\n'), CONNECTORS));
  expect(typo.details.problems).toEqual([`use: no built-in connector "githb" in ${CONNECTORS} (did you mean "github"?)`]);

  const beside = file('shop', 'use: github\n');
  copyFileSync(fixture('e2e/shop.yaml'), path.join(path.dirname(beside), 'shop.yaml'));
  const refused = await rejected(loadConnector(path.join(path.dirname(beside), 'shop.yaml')));
  expect(refused.code).toBe('HUB_ERR_CONFIG_CONNECTOR');
  expect((refused.details.problems as string[])[0]).toMatch(/^use: turns on a built-in connector from a file with no spec beside it/);
});

it('checks what the user adds as any connector file: credentials never go in headers', async () => {
  const at = file('bad', 'use: github\nheaders:\n  Authorization: token x\n');
  const bad = await rejected(loadUsedBuiltIn(at, CONNECTORS));
  expect(bad.details.file).toBe(at);
  expect((bad.details.problems as string[]).join('\n')).toMatch(/^headers\.authorization|^headers\.Authorization/);
});
