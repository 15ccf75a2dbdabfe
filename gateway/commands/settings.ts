/** A command's settings: its parsed flags over the environment over the config file (gateway/config). */
import { loadSettings, resolveSettings, type ResolvedSettings, type Settings } from '../config';
import type { CommandIO } from './io';

/** `--config FILE` for every command that reads settings. */
export const CONFIG_FLAG = { config: { type: 'string' } } as const;

export function settingsOf(io: CommandIO, flags: Readonly<Record<string, unknown>> = {}): Settings {
  return loadSettings({ env: io.env, flags, cwd: io.cwd });
}

export function resolvedSettingsOf(io: CommandIO, flags: Readonly<Record<string, unknown>> = {}, configFile?: string): ResolvedSettings {
  return resolveSettings({ env: io.env, flags, cwd: io.cwd, ...(configFile !== undefined ? { configFile } : {}) });
}
