/**
 * A connection URL (Redis, PostgreSQL) fit for messages and logs: everything from the
 * scheme up to the last `@` (user and password) becomes `***`, and a long string is not
 * echoed whole. Not through `new URL()`: a password holding an unescaped `/` or `@` makes
 * the parse put part of it in the host or path, where it would be shown.
 */
export function redactUrl(url: string): string {
  const at = url.lastIndexOf('@');
  if (at === -1) return url.slice(0, 200);
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url)?.[0] ?? '';
  return `${scheme}***@${url.slice(at + 1)}`.slice(0, 200);
}
