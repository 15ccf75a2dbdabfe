/** How keys and values of the connector file are named in problem messages. */

/** `timeouts.connectMs`, `operations.include[2]`, `tools["GET /pets"].name`. */
export function keyPath(segments: ReadonlyArray<string | number>, root?: unknown): string {
  if (segments.length === 0) return '(top level)';
  let out = '';
  let node = root;
  for (const segment of segments) {
    const index = typeof segment === 'number' ? segment : Array.isArray(node) && /^\d+$/.test(segment) ? Number(segment) : undefined;
    if (index !== undefined) out += `[${index}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(String(segment))) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
    node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[String(segment)] : undefined;
  }
  return out;
}

export function shown(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 56)}..."` : text;
}

/** ` (did you mean "x"?)`, or nothing without a suggestion. */
export function hint(suggestion: string | undefined): string {
  return suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`;
}
