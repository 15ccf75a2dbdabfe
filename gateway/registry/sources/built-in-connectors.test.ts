/** Built-in connectors (`connectors/<id>/connector.yaml`) through the registry: enabled, disabled, missing, clashing, reloaded. */
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { Registry, type RegistryOptions } from '..';
import type { RegistrySnapshot } from '../../core';

const FIXTURES = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'connectors');

let root: string;
let connectorsDir: string;
let specsDir: string;
const registries: Registry[] = [];

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'built-in-connectors-'));
  connectorsDir = path.join(root, 'connectors');
  specsDir = path.join(root, 'specs');
  cpSync(FIXTURES, connectorsDir, { recursive: true });
  mkdirSync(specsDir);
});

afterEach(() => {
  for (const registry of registries.splice(0)) registry.close();
  rmSync(root, { recursive: true, force: true });
});

async function started(enabled: readonly string[] | undefined, extra: Partial<RegistryOptions> = {}): Promise<Registry> {
  const registry = new Registry({
    specsDir,
    log: pino({ level: 'silent' }),
    debounceMs: 20,
    ...(enabled ? { connectors: { dir: connectorsDir, enabled } } : {}),
    ...extra,
  });
  registries.push(registry);
  await registry.start();
  return registry;
}

const toolNames = (snapshot: RegistrySnapshot) => snapshot.tools.map((t) => t.tool.name);

function nextChange(registry: Registry): Promise<RegistrySnapshot> {
  return new Promise((resolve) => registry.once('changed', (next: RegistrySnapshot) => resolve(next)));
}

describe('built-in connectors', () => {
  it('serves each enabled one with its spec, its connector file and its folder name as id (unless the file sets one)', async () => {
    const { current } = await started(['todo', 'notes']);
    expect(current.failures).toEqual([]);
    expect([...current.connectors.keys()].sort()).toEqual(['notes-kb', 'todo']);
    const todo = current.connectors.get('todo')!;
    expect(todo).toMatchObject({
      source: 'connectors',
      specFile: path.join(connectorsDir, 'todo', 'openapi.yaml'),
      configFile: path.join(connectorsDir, 'todo', 'connector.yaml'),
    });
    expect(todo.runtime).toMatchObject({ baseUrl: 'https://todo.example.com/v1', timeouts: { connectMs: 2000 } });
    expect(current.connectors.get('notes-kb')).toMatchObject({ source: 'connectors', specFile: path.join(connectorsDir, 'notes', 'spec', 'notes.yaml') });
    expect(current.byName.get('notes-kb_list_notes')!.tool.title).toBe('Every note');
    expect(toolNames(current)).toEqual(['notes-kb_list_notes', 'todo_get_todo', 'todo_list_todos']);
  });

  it('serves none that is not enabled, and none at all without the option', async () => {
    const only = await started(['todo']);
    expect([...only.current.connectors.keys()]).toEqual(['todo']);
    expect(only.current.failures).toEqual([]);
    const none = await started(undefined);
    expect(none.current.connectors.size).toBe(0);
    expect(none.current.failures).toEqual([]);
  });

  it('reports an enabled id with no folder, naming the nearest ones, and still serves the rest', async () => {
    const { current } = await started(['todoo', 'notes', 'jira']);
    expect([...current.connectors.keys()]).toEqual(['notes-kb']);
    expect(current.failures).toHaveLength(2);
    const [jira, todoo] = current.failures;
    expect(todoo).toMatchObject({ file: path.join(connectorsDir, 'todoo'), code: 'HUB_ERR_CONFIG_CONNECTOR_ID' });
    expect(todoo.message).toBe(
      `Connector id "todoo" is invalid: it is enabled, but there is no built-in connector folder ${path.join(connectorsDir, 'todoo')}; did you mean todo?`,
    );
    expect(jira.message).toContain('the built-in connectors are notes, todo');
  });

  it('reports an id clash with a spec in the specs folder, naming both files; the spec keeps the id', async () => {
    const spec = path.join(specsDir, 'todo.yaml');
    copyFileSync(path.join(FIXTURES, 'todo', 'openapi.yaml'), spec);
    const { current } = await started(['todo']);
    expect(current.connectors.get('todo')).toMatchObject({ source: 'specs', specFile: spec });
    const builtIn = path.join(connectorsDir, 'todo', 'connector.yaml');
    expect(current.failures).toEqual([
      { file: builtIn, code: 'HUB_ERR_CONFIG_CONNECTOR_ID', message: expect.stringContaining(`both ${spec} and ${builtIn} map to it`) },
    ]);
  });

  it('reports a connector file that names no spec, and refuses `spec` beside a spec in the specs folder', async () => {
    writeFileSync(path.join(connectorsDir, 'todo', 'connector.yaml'), 'timeouts:\n  connectMs: 2000\n');
    copyFileSync(path.join(FIXTURES, 'notes', 'spec', 'notes.yaml'), path.join(specsDir, 'wiki.yaml'));
    writeFileSync(path.join(specsDir, 'wiki.connector.yaml'), 'spec: other.yaml\n');
    const { current } = await started(['todo']);
    expect(current.connectors.size).toBe(0);
    expect(current.failures.map((f) => [path.relative(root, f.file), f.code])).toEqual([
      [path.join('specs', 'wiki.yaml'), 'HUB_ERR_CONFIG_CONNECTOR'],
      [path.join('connectors', 'todo', 'connector.yaml'), 'HUB_ERR_CONFIG_CONNECTOR'],
    ]);
    expect(current.failures[0].message).toContain("spec: only a built-in connector's connectors/<id>/connector.yaml names its spec");
    expect(current.failures[1].message).toContain('spec: missing');
  });

  it('refuses a `spec` outside the connector folder', async () => {
    writeFileSync(path.join(connectorsDir, 'todo', 'connector.yaml'), 'spec: ../notes/spec/notes.yaml\n');
    const { current } = await started(['todo']);
    expect(current.failures[0].message).toContain("spec: must name a file inside the connector's folder");
  });

  it('reloads when its connector file or its spec changes, and keeps the last good version when one breaks', async () => {
    const registry = await started(['todo', 'notes']);
    registry.watch();
    const file = path.join(connectorsDir, 'todo', 'connector.yaml');

    let changed = nextChange(registry);
    writeFileSync(file, `${readFileSync(file, 'utf8')}tools:\n  listTodos:\n    title: All the todos\n`);
    let next = await changed;
    expect(next.byName.get('todo_list_todos')!.tool.title).toBe('All the todos');
    expect(next.failures).toEqual([]);

    changed = nextChange(registry);
    const spec = path.join(connectorsDir, 'notes', 'spec', 'notes.yaml');
    writeFileSync(spec, readFileSync(spec, 'utf8').replace('summary: List notes', 'summary: List the notes'));
    next = await changed;
    expect(next.byName.get('notes-kb_list_notes')!.tool.description).toBe('List the notes');

    changed = nextChange(registry);
    writeFileSync(file, 'spec: openapi.yaml\ntimeout: 5\n');
    next = await changed;
    expect(next.byName.get('todo_list_todos')!.tool.title).toBe('All the todos');
    expect(next.failures).toEqual([
      { file, code: 'HUB_ERR_CONFIG_CONNECTOR', message: expect.stringContaining('timeout: unknown key'), servingPrevious: 'todo' },
    ]);
  });

  it('serves an enabled connector whose folder appears while the hub runs', async () => {
    rmSync(path.join(connectorsDir, 'todo'), { recursive: true });
    const registry = await started(['todo']);
    expect(registry.current.failures).toHaveLength(1);
    registry.watch();
    const changed = nextChange(registry);
    cpSync(path.join(FIXTURES, 'todo'), path.join(connectorsDir, 'todo'), { recursive: true });
    const next = await changed;
    // The folder may be seen before its files are all copied: wait for the snapshot that has them.
    const settled = next.connectors.has('todo') ? next : await nextChange(registry);
    expect(settled.failures).toEqual([]);
    expect(toolNames(settled)).toEqual(['todo_get_todo', 'todo_list_todos']);
  });
});
