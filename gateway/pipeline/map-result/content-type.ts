/**
 * What a body is: its declared type and charset, the family that decides how it is shown
 * (JSON, text, image, audio, other bytes), sniffing for bodies that do not say, and text
 * decoding that survives a cut in the middle of a character.
 */
import { TextDecoder } from 'node:util';
import type { UpstreamResponse } from '../../core';
import { header } from '../../upstream/rate-limit';

export type Family = 'json' | 'text' | 'image' | 'audio' | 'binary';

export function contentType(headers: UpstreamResponse['headers']): { mime?: string; charset?: string } {
  const raw = header(headers, 'content-type');
  if (raw === undefined) return {};
  const [mime, ...params] = raw.split(';');
  const charset = params.map((p) => /^\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(p)?.[1]).find((c): c is string => c !== undefined);
  const clean = mime.trim().toLowerCase();
  return { mime: clean === '' ? undefined : clean, charset };
}

const TEXT_APPLICATION_TYPES = new Set([
  'application/xml',
  'application/yaml',
  'application/x-yaml',
  'application/javascript',
  'application/ecmascript',
  'application/x-javascript',
  'application/x-www-form-urlencoded',
  'application/graphql',
  'application/sql',
  'application/x-ndjson',
  'application/jsonl',
  'application/x-sh',
  'application/toml',
]);

export function classify(mime: string | undefined): Family {
  if (mime === undefined) return 'text';
  if (mime === 'application/json' || mime === 'text/json' || mime.endsWith('+json')) return 'json';
  // SVG is XML an agent can read; as an image most model APIs would refuse it.
  if (mime === 'image/svg+xml') return 'text';
  if (mime.startsWith('image/')) return 'image';
  if (mime.startsWith('audio/')) return 'audio';
  if (mime.startsWith('text/') || TEXT_APPLICATION_TYPES.has(mime) || mime.endsWith('+xml') || mime.endsWith('+yaml')) return 'text';
  return 'binary';
}

/** A body with no (or a text/plain) type that is JSON all the same, parsed once. */
export function sniffJson(body: Buffer, charset: string | undefined): { value: unknown; text: string } | undefined {
  // Look at the start first: a large text body is decoded once, as text, not twice.
  const start = decodeText(body.subarray(0, 256), charset, true).trimStart()[0];
  if (start !== '{' && start !== '[') return undefined;
  const decoded = decodeText(body, charset, false);
  try {
    return { value: JSON.parse(decoded), text: decoded };
  } catch {
    return undefined;
  }
}

/** UTF-8 without NUL bytes: what "text" means for a body that does not say its type. */
export function isUtf8Text(body: Buffer, partial: boolean): boolean {
  const sample = body.subarray(0, 64 * 1024);
  if (sample.includes(0)) return false;
  try {
    // A sample (or a cut body) may end inside a character: stream mode keeps it pending.
    new TextDecoder('utf-8', { fatal: true }).decode(sample, { stream: partial || sample.length < body.length });
    return true;
  } catch {
    return false;
  }
}

/**
 * Decode by the declared charset (utf-8 when none or unknown). For a cut body, a
 * character split by the cut is dropped rather than shown as U+FFFD.
 */
export function decodeText(bytes: Buffer, charset: string | undefined, partial: boolean): string {
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(charset ?? 'utf-8');
  } catch {
    decoder = new TextDecoder('utf-8');
  }
  const decoded = decoder.decode(bytes, { stream: partial });
  return decoder.encoding === 'windows-1252' ? decoded.replace(/[\u0080-\u009f]/g, (c) => CP1252_C1[c.charCodeAt(0) - 0x80]) : decoded;
}

/**
 * windows-1252 at 0x80-0x9F (WHATWG: also what `iso-8859-1`, `latin1` and `us-ascii`
 * mean). Node 20's TextDecoder gives the C1 controls there instead (0x80 as U+0080, not €).
 */
const CP1252_C1 =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';
