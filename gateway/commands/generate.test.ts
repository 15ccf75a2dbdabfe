/** `lunar-hub generate` when openapi-typescript cannot make a client: one clear line; --strict makes it a failure. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { errors } from '../../errors';
import { generateTypes } from '../../generators';
import { runGenerate } from './generate';

jest.mock('../../generators/client/types', () => ({ generateTypes: jest.fn() }));

const SPEC = path.join(__dirname, '..', '..', 'test', 'fixtures', 'specs', 'circular-3.1.json');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function generate(...flags: string[]): Promise<{ code: number; stderr: string; out: string }> {
  const out = mkdtempSync(path.join(os.tmpdir(), 'generate-'));
  dirs.push(out);
  const stderr = new PassThrough();
  let text = '';
  stderr.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  const code = await runGenerate([SPEC, '--out', out, ...flags], { stdout: new PassThrough(), stderr, env: {}, cwd: path.dirname(SPEC) });
  return { code, stderr: text, out };
}

beforeEach(() => {
  jest.mocked(generateTypes).mockRejectedValue(errors.GEN_TYPES(['circular-3.1.json', 'something openapi-typescript cannot do']));
});

it.each([
  [
    'without --strict: a warning, exit 0',
    [],
    0,
    /^warning HUB_ERR_GEN_TYPES: .*something openapi-typescript cannot do; circular-3-1 gets no typed client \(--strict makes this an error\)$/m,
  ],
  [
    'with --strict: an error, exit 1',
    ['--strict'],
    1,
    /^error HUB_ERR_GEN_TYPES: .*something openapi-typescript cannot do; circular-3-1 gets no typed client$/m,
  ],
])('%s', async (_name, flags, code, line) => {
  const result = await generate(...flags);
  expect(result.code).toBe(code);
  expect(result.stderr).toMatch(line);
  expect(result.stderr.match(/HUB_ERR_GEN_TYPES/g)).toHaveLength(1); // said once
  expect(result.stderr).toMatch(/generated 1 connectors into .*; 1 without a typed client$/m);
  // The tools are written either way.
  expect(existsSync(path.join(result.out, 'circular-3-1', 'tools.json'))).toBe(true);
  expect(existsSync(path.join(result.out, 'circular-3-1', 'client.ts'))).toBe(false);
});

it('exits 0 with --strict when every client is made', async () => {
  jest.mocked(generateTypes).mockResolvedValue('export interface paths {}\n');
  const result = await generate('--strict');
  expect(result.code).toBe(0);
  expect(result.stderr).not.toMatch(/typed client/);
});
