/** A connection URL with its password, if any, replaced by `***` (for messages and logs). */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    // Unparsable: hide whatever sits before an `@`, and do not echo a long string whole.
    return url.replace(/\/\/[^/@]*@/, '//***@').slice(0, 200);
  }
}
