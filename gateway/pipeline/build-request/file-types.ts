/** File bytes sent without a type or a name: their media type read from the common signatures, and a file name. */
import type { DecodedBytes } from '../../../generators';

const SIGNATURES: Array<[string, number[]]> = [
  ['image/png', [0x89, 0x50, 0x4e, 0x47]],
  ['image/jpeg', [0xff, 0xd8, 0xff]],
  ['image/gif', [0x47, 0x49, 0x46, 0x38]],
  ['application/pdf', [0x25, 0x50, 0x44, 0x46]],
  ['application/zip', [0x50, 0x4b, 0x03, 0x04]],
];

/**
 * A wildcard body type (`image/*`) needs a real content-type on the wire: plain base64
 * carries none, so read the common file signatures; else fall back to octet-stream.
 */
export function sniffMediaType(bytes: Uint8Array, wildcard: string): string {
  const riff = bytes.length >= 12 && String.fromCharCode(...bytes.subarray(8, 12)) === 'WEBP' ? 'image/webp' : undefined;
  const found = riff ?? SIGNATURES.find(([, magic]) => magic.every((b, i) => bytes[i] === b))?.[0];
  const family = wildcard.split('/')[0].toLowerCase();
  if (found !== undefined && (family === '*' || found.startsWith(`${family}/`))) return found;
  return 'application/octet-stream';
}

const EXTENSIONS: Record<string, string> = {
  'image/png': '.png',
  'image/jpeg': '.jpg',
  'image/gif': '.gif',
  'image/webp': '.webp',
  'image/svg+xml': '.svg',
  'application/pdf': '.pdf',
  'application/json': '.json',
  'application/zip': '.zip',
  'text/plain': '.txt',
  'text/csv': '.csv',
};

// Many upstreams reject a file part without a filename; a data: URL may name one.
export function filenameFor(field: string, decoded: DecodedBytes, type: string): string {
  if (decoded.filename !== undefined && decoded.filename !== '') return decoded.filename;
  return field + (EXTENSIONS[type.toLowerCase()] ?? '');
}
