/**
 * A YAML config file to its settings, each with the line it is on (the `yaml` package's
 * Document API keeps node ranges), and a problem for every syntax error and every key
 * that is not a setting (with the nearest setting's name).
 */
import { readFileSync } from 'node:fs';
import type { Node } from 'yaml';
import { didYouMean, nearestNames } from '../../errors';
import { SETTING_KEYS, SETTINGS, type SettingKey } from './schema';

export interface FileEntry {
  key: SettingKey;
  raw: unknown;
  line: number;
}

export interface SettingsProblem {
  /** `hub.yaml:12`, `environment PORT`, `flag --port`. */
  where: string;
  /** In the file: for listing problems in the file's order. */
  line?: number;
  key?: string;
  message: string;
}

const SECTIONS = new Set(
  SETTING_KEYS.flatMap((key) =>
    key
      .split('.')
      .slice(0, -1)
      .map((_, i, parts) => parts.slice(0, i + 1).join('.')),
  ),
);

export function readConfigFile(file: string, shownAs: string): { entries: FileEntry[]; problems: SettingsProblem[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (cause as Error).message;
    return { entries: [], problems: [{ where: shownAs, message: `cannot read the config file: ${reason}` }] };
  }
  // Loaded only when there is a config file to read: `yaml` costs ~20 ms at start.
  const { isMap, isPair, isScalar, LineCounter, parseDocument } = require('yaml') as typeof import('yaml');
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  const problems: SettingsProblem[] = doc.errors.map((error) => ({
    where: `${shownAs}:${error.linePos?.[0].line ?? 1}`,
    message: error.message.split('\n')[0],
  }));
  if (problems.length > 0) return { entries: [], problems };
  const entries: FileEntry[] = [];
  const lineOf = (node: Node | null | undefined) => (node?.range ? lines.linePos(node.range[0]).line : 1);
  const walk = (map: unknown, prefix: string) => {
    if (!isMap(map)) {
      problems.push({
        where: `${shownAs}:${lineOf(map as Node)}`,
        ...(prefix ? { key: prefix.slice(0, -1) } : {}),
        message: prefix ? 'expected a mapping of settings' : 'expected a mapping of settings at the top (such as `server:` with `port: 8787` under it)',
      });
      return;
    }
    for (const pair of map.items) {
      if (!isPair(pair) || !isScalar(pair.key)) continue;
      const key = `${prefix}${String(pair.key.value)}`;
      const line = lineOf(pair.key);
      if (key in SETTINGS)
        entries.push({
          key: key as SettingKey,
          raw: isScalar(pair.value) ? pair.value.value : ((pair.value as { toJSON(): unknown } | null)?.toJSON() ?? null),
          line,
        });
      else if (SECTIONS.has(key)) walk(pair.value, `${key}.`);
      else {
        const known = [...SETTING_KEYS, ...SECTIONS];
        const near = didYouMean(key, known) ?? nearestNames(key, known, 1)[0];
        problems.push({
          where: `${shownAs}:${line}`,
          line,
          key,
          message: `is not a setting${near ? `; did you mean ${near}?` : ''} (docs/configuration.md lists them)`,
        });
      }
    }
  };
  if (doc.contents !== null) walk(doc.contents, '');
  return { entries, problems };
}
