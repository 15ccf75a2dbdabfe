/** Every operation of a spec, found by what a connector file may call it: operationId or `METHOD /path`. */
import { didYouMean } from '../../../errors';
import { type ToolSet, resolvePointer, HTTP_METHODS } from '../../../generators';
import { hint, shown } from '../connector-config';

export interface KnownOperation {
  key: string;
  operationId?: string;
  tags: readonly string[];
  deprecated: boolean;
  pointer: string;
}

/** Every operation of the spec, served or skipped by generation, by key, operationId and tag. */
export class OperationIndex {
  readonly byKey = new Map<string, KnownOperation>();
  private readonly byOperationId = new Map<string, KnownOperation[]>();
  private readonly tagNames = new Map<string, string>();

  constructor(set: ToolSet, document: Record<string, unknown>) {
    for (const op of set.operations) this.add(op);
    for (const skip of set.skipped) {
      if (this.byKey.has(skip.operation)) continue;
      const raw = resolvePointer(document, skip.pointer) as Record<string, unknown> | undefined;
      const operationId = typeof raw?.operationId === 'string' && raw.operationId.trim() !== '' ? raw.operationId.trim() : undefined;
      const tags = Array.isArray(raw?.tags) ? raw.tags.filter((t): t is string => typeof t === 'string') : [];
      this.add({ key: skip.operation, operationId, tags, deprecated: raw?.deprecated === true, pointer: skip.pointer });
    }
    // A tag declared at the top but used by no operation is still a name the user may write.
    if (Array.isArray(document.tags)) {
      for (const tag of document.tags as Array<{ name?: unknown }>) if (typeof tag?.name === 'string') this.addTag(tag.name);
    }
  }

  private add(op: KnownOperation): void {
    this.byKey.set(op.key, op);
    if (op.operationId !== undefined) this.byOperationId.set(op.operationId, [...(this.byOperationId.get(op.operationId) ?? []), op]);
    for (const tag of op.tags) this.addTag(tag);
  }

  private addTag(tag: string): void {
    if (!this.tagNames.has(tag.toLowerCase())) this.tagNames.set(tag.toLowerCase(), tag);
  }

  /** An operationId, or `METHOD /path` (method in any case). */
  find(entry: string): KnownOperation[] {
    const key = operationKey(entry);
    if (key !== undefined) {
      const op = this.byKey.get(key);
      return op ? [op] : [];
    }
    return this.byOperationId.get(entry) ?? [];
  }

  unknown(entry: string): string {
    const key = operationKey(entry);
    const suggestion = key !== undefined ? didYouMean(key, this.byKey.keys()) : didYouMean(entry, this.byOperationId.keys());
    return `unknown operation ${shown(entry)}${hint(suggestion)}`;
  }

  hasTag(tag: string): boolean {
    return this.tagNames.has(tag.toLowerCase());
  }

  tags(): Iterable<string> {
    return this.tagNames.values();
  }
}

const METHOD_AND_PATH = /^([A-Za-z]+)\s+(\/\S*)$/;

function operationKey(entry: string): string | undefined {
  const match = METHOD_AND_PATH.exec(entry.trim());
  if (!match || !(HTTP_METHODS as readonly string[]).includes(match[1].toLowerCase())) return undefined;
  return `${match[1].toUpperCase()} ${match[2]}`;
}
