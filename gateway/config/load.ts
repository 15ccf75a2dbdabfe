/**
 * The settings of one run, from four layers: flags > environment > config file
 * (`--config FILE`, or LUNAR_CONFIG) > defaults. Every layer is validated, even one a
 * higher layer overrides (a bad file is reported, not hidden), and every problem is
 * listed at once, naming where it is (file and line, variable or flag), the key and what
 * was expected. The result is complete and deep-frozen.
 *
 * Only this folder reads the environment; commands pass `process.env` in.
 */
import path from 'node:path';
import { errors } from '../../errors';
import { expectedOf, parseValue, shown } from './parse-value';
import { readConfigFile, type SettingsProblem } from './read-file';
import { CONFIG_FILE_ENV, SETTING_KEYS, SETTINGS, type SettingKey, type Settings } from './schema';

export type SettingSource = 'default' | 'file' | 'environment' | 'flag';

export interface SettingsInput {
  env?: Readonly<Record<string, string | undefined>>;
  /** parseArgs values by flag name; only the flags a command defines are looked at. */
  flags?: Readonly<Record<string, unknown>>;
  /** A config file; default: `flags.config`, else LUNAR_CONFIG. */
  configFile?: string;
  /** Where relative paths of flags, variables and defaults start (a file's own start at its folder). */
  cwd?: string;
}

export interface ResolvedSettings {
  settings: Settings;
  sources: Readonly<Record<SettingKey, SettingSource>>;
  /** The config file read, if any. */
  file?: string;
}

export function loadSettings(input: SettingsInput = {}): Settings {
  return resolveSettings(input).settings;
}

export function resolveSettings(input: SettingsInput = {}): ResolvedSettings {
  const env = input.env ?? {};
  const flags = input.flags ?? {};
  const cwd = input.cwd ?? process.cwd();
  const problems: SettingsProblem[] = [];
  const values = new Map<SettingKey, { value: unknown; source: SettingSource; where: string }>();
  const take = (key: SettingKey, raw: unknown, source: SettingSource, where: string, base: string, line?: number) => {
    const row = SETTINGS[key];
    const parsed = parseValue(row, raw);
    if (!parsed.ok) {
      problems.push({ where, ...(line !== undefined ? { line } : {}), key, message: `expected ${parsed.expected}, got ${shown(row, raw)}` });
      return;
    }
    values.set(key, { value: row.type.kind === 'path' ? path.resolve(base, parsed.value as string) : parsed.value, source, where });
  };

  for (const key of SETTING_KEYS) {
    const fallback = SETTINGS[key].default;
    if (fallback !== undefined) take(key, fallback, 'default', 'default', cwd);
  }
  const fileFlag = typeof flags.config === 'string' ? flags.config : undefined;
  const named = input.configFile ?? fileFlag ?? (nonEmpty(env[CONFIG_FILE_ENV]) ? env[CONFIG_FILE_ENV]!.trim() : undefined);
  const file = named === undefined ? undefined : path.resolve(cwd, named);
  if (file !== undefined) {
    const read = readConfigFile(file, named!);
    problems.push(...read.problems);
    for (const entry of read.entries) take(entry.key, entry.raw, 'file', `${named}:${entry.line}`, path.dirname(file), entry.line);
  }
  for (const key of SETTING_KEYS) {
    const variable = SETTINGS[key].env;
    // Empty counts as unset: container and compose files often declare variables blank.
    if (nonEmpty(env[variable])) take(key, env[variable], 'environment', `environment ${variable}`, cwd);
  }
  for (const key of SETTING_KEYS) {
    const flag = SETTINGS[key].flag;
    if (flag !== undefined && flags[flag] !== undefined) take(key, flags[flag], 'flag', `flag --${flag}`, cwd);
  }
  if (values.has('store.schema') && !values.has('store.url')) {
    problems.push({
      where: values.get('store.schema')!.where,
      key: 'store.schema',
      message: 'is set but store.url (LUNAR_DATABASE_URL) is not: a schema applies to PostgreSQL only',
    });
  }
  if (problems.length > 0) {
    const usage = problems.every((p) => p.where.startsWith('flag '));
    // The file's problems in its line order, then the environment's, then the flags'.
    const fileProblems = problems.filter((p) => p.line !== undefined).sort((a, b) => a.line! - b.line!);
    const ordered = [
      ...problems.filter((p) => p.line === undefined && !/^(environment|flag) /.test(p.where)),
      ...fileProblems,
      ...problems.filter((p) => /^(environment|flag) /.test(p.where)),
    ];
    const count = ordered.length === 1 ? '1 problem' : `${ordered.length} problems`;
    throw errors.CONFIG_SETTINGS([count, ordered.map(formatProblem).join('\n  ')], { details: { problems: ordered, usage } });
  }
  const settings = {} as Record<string, unknown>;
  const sources = {} as Record<SettingKey, SettingSource>;
  for (const key of SETTING_KEYS) {
    const parts = key.split('.');
    let node = settings;
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    const found = values.get(key);
    if (found !== undefined) node[parts[parts.length - 1]] = found.value;
    sources[key] = found?.source ?? 'default';
  }
  return { settings: deepFreeze(settings) as unknown as Settings, sources: Object.freeze(sources), ...(file !== undefined ? { file } : {}) };
}

export function formatProblem(problem: SettingsProblem): string {
  return `${problem.where}: ${problem.key ? `${problem.key} ` : ''}${problem.message}`;
}

/** What a setting expects, for messages elsewhere (`--port must be ...`). */
export function expectedFor(key: SettingKey): string {
  return expectedOf(SETTINGS[key].type);
}

function nonEmpty(value: string | undefined): boolean {
  return value !== undefined && value.trim() !== '';
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** One setting from the environment alone (its default when unset or invalid): for what must work without the full settings, such as the CLI's debug switch. */
export function settingFromEnv(env: Readonly<Record<string, string | undefined>>, key: SettingKey): unknown {
  const row = SETTINGS[key];
  const raw = env[row.env];
  const parsed = nonEmpty(raw) ? parseValue(row, raw) : undefined;
  return parsed?.ok ? parsed.value : row.default;
}
