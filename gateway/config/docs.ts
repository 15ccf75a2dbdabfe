/** The settings table as docs/configuration.md shows it, and a value as `config show` prints it. */
import { REDACTED, redactUrl } from '../../errors';
import { expectedOf } from './parse-value';
import { SETTING_KEYS, SETTINGS, type SettingKey } from './schema';

export function settingsTable(): string {
  const rows = SETTING_KEYS.map((key) => {
    const row = SETTINGS[key];
    const fallback = row.default === undefined ? '' : `\`${String(row.default)}\``;
    return `| \`${key}\` | \`${row.env}\` | ${row.flag ? `\`--${row.flag}\`` : ''} | ${fallback} | ${expectedOf(row.type)} | ${row.doc} |`;
  });
  return ['| Key | Variable | Flag | Default | Value | Meaning |', '| --- | --- | --- | --- | --- | --- |', ...rows].join('\n');
}

/** A secret is never shown; a URL keeps everything but its password. */
export function shownValue(key: SettingKey, value: unknown): string {
  if (value === undefined) return '(unset)';
  const row = SETTINGS[key];
  if (row.secret) return row.type.kind === 'url' ? redactUrl(String(value)) : REDACTED;
  return Array.isArray(value) ? value.join(',') : String(value);
}
