/**
 * One setting's raw value (a string from the environment or a flag, or whatever YAML
 * made of a file's value) to its typed value, or what was expected instead.
 */
import { redactUrl } from '../../errors';
import type { SettingRow, SettingType } from './schema';

export type Parsed = { ok: true; value: string | number | boolean | readonly string[] } | { ok: false; expected: string };

const TRUE = ['1', 'true', 'yes', 'on'];
const FALSE = ['0', 'false', 'no', 'off'];

export function parseValue(row: SettingRow, raw: unknown): Parsed {
  const type = row.type;
  const fail = (): Parsed => ({ ok: false, expected: expectedOf(type) });
  const text = typeof raw === 'string' ? raw.trim() : typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : undefined;
  switch (type.kind) {
    case 'string':
    case 'path':
      if (typeof raw !== 'string' && typeof raw !== 'number') return fail();
      if (text === '' || (type.kind === 'string' && type.pattern && !type.pattern.test(text!))) return fail();
      return { ok: true, value: text! };
    case 'integer': {
      const n = typeof raw === 'number' ? raw : text !== undefined && /^-?\d+$/.test(text) ? Number(text) : NaN;
      return Number.isInteger(n) && n >= type.min && n <= type.max ? { ok: true, value: n } : fail();
    }
    case 'boolean':
      if (typeof raw === 'boolean') return { ok: true, value: raw };
      if (text !== undefined && TRUE.includes(text.toLowerCase())) return { ok: true, value: true };
      if (text !== undefined && FALSE.includes(text.toLowerCase())) return { ok: true, value: false };
      return fail();
    case 'enum': {
      const value = text === undefined ? undefined : (type.aliases?.[text.toLowerCase()] ?? text.toLowerCase());
      return value !== undefined && type.values.includes(value) ? { ok: true, value } : fail();
    }
    case 'url': {
      if (typeof raw !== 'string') return fail();
      try {
        const url = new URL(text!);
        return type.schemes.includes(url.protocol) ? { ok: true, value: text!.replace(/\/$/, '') } : fail();
      } catch {
        return fail();
      }
    }
    case 'list': {
      const items = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : undefined;
      if (!items || items.some((item) => typeof item !== 'string')) return fail();
      return { ok: true, value: Object.freeze((items as string[]).map((item) => item.trim()).filter(Boolean)) };
    }
  }
}

export function expectedOf(type: SettingType): string {
  switch (type.kind) {
    case 'string':
      return type.expected ?? 'a non-empty string';
    case 'path':
      return 'a folder path';
    case 'integer':
      return `a whole number from ${type.min} to ${type.max}`;
    case 'boolean':
      return 'true or false (1/0, yes/no)';
    case 'enum':
      return `one of ${type.values.join(', ')}`;
    case 'url':
      return `a ${type.schemes.map((s) => `${s}//`).join(' or ')} URL such as ${type.example}`;
    case 'list':
      return 'a list of strings (comma-separated in a variable or flag)';
  }
}

/** How a bad value is echoed in a problem: never a secret; a URL without its password. */
export function shown(row: SettingRow, raw: unknown): string {
  if (row.secret) return row.type.kind === 'url' && typeof raw === 'string' ? safeUrl(raw) : '(hidden: a secret)';
  return JSON.stringify(raw);
}

/** An unparsable URL (or one without `scheme://`) cannot be trusted to have its password found and hidden. */
function safeUrl(raw: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(raw.trim()) || !URL.canParse(raw.trim())) return '(hidden: not a URL)';
  return JSON.stringify(redactUrl(raw.trim()));
}
