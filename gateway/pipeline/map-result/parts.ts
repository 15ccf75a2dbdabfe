/** The small pieces every kind of result is made of. */
import { STATUS_CODES } from 'node:http';
import type { CallToolResult } from '@modelcontextprotocol/server';

export type ContentBlock = CallToolResult['content'][number];

export function text(value: string): ContentBlock {
  return { type: 'text', text: value };
}

export function statusLine(status: number): string {
  const reason = STATUS_CODES[status];
  return reason ? `HTTP ${status} ${reason}` : `HTTP ${status}`;
}

export function canonicalHeader(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase()).replace(/^Etag$/, 'ETag');
}

/**
 * JSON without insignificant whitespace, working on the text so numbers keep every
 * digit (a re-serialised 64-bit id would lose precision). Also safe on a cut body:
 * a string left open by the cut is kept as is.
 */
export function minifyJson(json: string): string {
  return json.replace(/("(?:[^"\\]|\\[\s\S])*(?:"|\\?$))|[ \t\n\r]+/g, (match, quoted: string | undefined) => quoted ?? '');
}

/** `12345 bytes` below 10 KiB, else `1.5 MiB (1572864 bytes)`: readable and exact. */
export function formatBytes(bytes: number): string {
  const exact = `${bytes} byte${bytes === 1 ? '' : 's'}`;
  if (bytes < 10 * 1024) return exact;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const shown = Number.isInteger(value) ? String(value) : value.toFixed(1);
  return `${shown} ${units[unit]} (${exact})`;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
