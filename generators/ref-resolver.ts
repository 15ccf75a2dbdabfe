import { localRefPointer, resolvePointer } from './json-pointer';
import type { ProblemList } from './problems';

export interface Resolved<T> {
  value: T | undefined;
  /** Pointer of the node finally reached (inside the document). */
  pointer: string;
}

/**
 * Follows local `$ref` chains of OpenAPI objects (parameters, request bodies,
 * responses, schemas). A dangling, external or looping ref is reported once and
 * resolves to undefined so the caller can degrade gracefully.
 */
export class RefResolver {
  constructor(
    readonly document: Record<string, unknown>,
    private readonly problems: ProblemList,
  ) {}

  deref<T>(node: unknown, pointer: string): Resolved<T> {
    let current = node;
    let currentPointer = pointer;
    const visited = new Set<string>();
    while (isRefObject(current)) {
      const ref = current.$ref;
      const target = localRefPointer(ref);
      if (target === undefined) {
        this.problems.warn('ref-unresolved', currentPointer, `$ref "${ref}" points outside this document and was not bundled`);
        return { value: undefined, pointer: currentPointer };
      }
      if (visited.has(target)) {
        this.problems.warn('ref-loop', currentPointer, `$ref "${ref}" loops back on itself`);
        return { value: undefined, pointer: currentPointer };
      }
      visited.add(target);
      const next = resolvePointer(this.document, target);
      if (next === undefined) {
        this.problems.warn('ref-unresolved', currentPointer, `$ref "${ref}" points to nothing`);
        return { value: undefined, pointer: currentPointer };
      }
      current = next;
      currentPointer = target;
    }
    return { value: current as T, pointer: currentPointer };
  }
}

export function isRefObject(node: unknown): node is { $ref: string } {
  return typeof node === 'object' && node !== null && typeof (node as { $ref?: unknown }).$ref === 'string';
}

export function isPlainObject(node: unknown): node is Record<string, unknown> {
  return typeof node === 'object' && node !== null && !Array.isArray(node);
}
