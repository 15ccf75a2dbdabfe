/** Every problem rule the generators can report is documented in docs/spec-problems.md, and nothing else. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const GENERATORS = path.join(__dirname, '..', '..', 'generators');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path.join(dir, e.name)] : [],
  );
}

it('documents exactly the rules the generators report', () => {
  const source = sourceFiles(GENERATORS)
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
  const used = new Set([...source.matchAll(/\.(?:warn|error)\(\s*'([a-z-]+)'|rule: '([a-z-]+)'/g)].map((m) => m[1] ?? m[2]));
  const doc = readFileSync(path.join(__dirname, '..', '..', 'docs', 'spec-problems.md'), 'utf8');
  const documented = new Set([...doc.matchAll(/^\| `([a-z-]+)` \|/gm)].map((m) => m[1]));
  expect([...used].sort()).toEqual([...documented].sort());
});
