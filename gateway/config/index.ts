/**
 * The hub's settings: one table of keys (schema.ts), read from flags, the environment, a
 * YAML config file and defaults (load.ts), documented in docs/configuration.md (docs.ts
 * renders the table a test compares it with). The rest of the code receives settings.
 */
export { CONFIG_FILE_ENV, LOG_LEVELS, PROGRESS_MODES, SETTING_KEYS, SETTINGS, type SettingKey, type SettingRow, type Settings } from './schema';
export {
  expectedFor,
  formatProblem,
  loadSettings,
  resolveSettings,
  settingFromEnv,
  type ResolvedSettings,
  type SettingSource,
  type SettingsInput,
} from './load';
export { type SettingsProblem } from './read-file';
export { settingsTable, shownValue } from './docs';
