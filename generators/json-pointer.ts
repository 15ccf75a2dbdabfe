/** JSON Pointer (RFC 6901) helpers; refs inside one document are `#` + pointer. */

export function escapeToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function unescapeToken(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

export function appendPointer(pointer: string, ...tokens: Array<string | number>): string {
  let out = pointer;
  for (const token of tokens) out += '/' + escapeToken(String(token));
  return out;
}

/** Resolve a pointer inside `root`; undefined when any token is missing. */
export function resolvePointer(root: unknown, pointer: string): unknown {
  if (pointer === '') return root;
  if (!pointer.startsWith('/')) return undefined;
  let node: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    if (node === null || typeof node !== 'object') return undefined;
    const token = unescapeToken(raw);
    if (Array.isArray(node)) {
      if (!/^(0|[1-9]\d*)$/.test(token)) return undefined;
      node = node[Number(token)];
    } else {
      if (!Object.prototype.hasOwnProperty.call(node, token)) return undefined;
      node = (node as Record<string, unknown>)[token];
    }
  }
  return node;
}

/** A local ref (`#/a/b`) as a pointer; undefined for external or malformed refs. */
export function localRefPointer(ref: string): string | undefined {
  if (ref === '#') return '';
  if (!ref.startsWith('#/')) return undefined;
  try {
    return decodeURIComponent(ref.slice(1));
  } catch {
    return ref.slice(1);
  }
}

/**
 * Line number (1-based) -> JSON pointer for `JSON.stringify(value, null, 2)`.
 * @readme/openapi-parser reports schema violations as code frames over that exact
 * rendering, without pointers; this map turns its `> 23 |` marker back into a pointer.
 */
export function prettyJsonLinePointers(value: unknown): string[] {
  const lines: string[] = ['', '']; // index 0 unused; line 1 is the root's opening
  const walk = (node: unknown, pointer: string): void => {
    if (node === null || typeof node !== 'object') return;
    const entries: Array<[string, unknown]> = Array.isArray(node)
      ? node.map((v, i) => [String(i), v])
      : Object.entries(node).filter(([, v]) => v !== undefined && typeof v !== 'function');
    if (entries.length === 0) return;
    for (const [key, child] of entries) {
      const childPointer = appendPointer(pointer, key);
      lines.push(childPointer);
      walk(child, childPointer);
    }
    lines.push(pointer); // closing bracket
  };
  walk(value, '');
  return lines;
}
