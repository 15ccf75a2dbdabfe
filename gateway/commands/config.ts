/**
 * `lunar-hub config check [FILE]`: are the settings the hub would start with valid (the
 * file, or --config / LUNAR_CONFIG, and the environment)? Exit 1 listing every problem,
 * 0 with a summary. `lunar-hub config show`: the effective settings, where each comes
 * from, secrets hidden.
 */
import { parseArgs } from 'node:util';
import { errors } from '../../errors';
import { SETTING_KEYS, SETTINGS, shownValue, type SettingKey } from '../config';
import { writeLine, type CommandIO } from './io';
import { CONFIG_FLAG, resolvedSettingsOf } from './settings';
import { configUsage } from './usage';

export async function runConfig(argv: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { ...CONFIG_FLAG, json: { type: 'boolean', default: false } } });
  const [action, file, ...extra] = positionals;
  if (extra.length > 0 || (action === 'show' && file !== undefined) || (action !== 'check' && action !== 'show'))
    throw errors.CONFIG_USAGE([`usage: ${configUsage}`]);
  const resolved = resolvedSettingsOf(io, { config: values.config }, file);
  const valueOf = (key: SettingKey) => key.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], resolved.settings);
  if (action === 'check') {
    const set = SETTING_KEYS.filter((key) => resolved.sources[key] !== 'default');
    const from = (source: string) => set.filter((key) => resolved.sources[key] === source).length;
    writeLine(
      io.stdout,
      `settings valid: ${resolved.file ? `${from('file')} from ${file ?? values.config ?? resolved.file}, ` : 'no config file, '}${from('environment')} from the environment, the rest defaults`,
    );
    return 0;
  }
  const rows = SETTING_KEYS.map((key) => ({
    key,
    value: shownValue(key, valueOf(key)),
    source: valueOf(key) === undefined ? 'unset' : resolved.sources[key],
    env: SETTINGS[key].env,
  }));
  if (values.json) io.stdout.write(JSON.stringify(rows) + '\n');
  else {
    const width = Math.max(...rows.map((r) => r.key.length));
    for (const row of rows) writeLine(io.stdout, `${row.key.padEnd(width)}  ${row.value}  (${row.source})`);
  }
  return 0;
}
