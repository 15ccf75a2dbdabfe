/** A connector file's problems, listed in the order of the file, and the one error that carries them all. */
import type { Document } from 'yaml';
import { errors, type HubError } from '../../../errors';
import { yaml } from './load-yaml';
import { keyPath } from './messages';

export type KeySegments = ReadonlyArray<string | number>;

/** Problems with the keys they are about, so they can be listed in the order of the file. */
export class Reasons {
  private readonly items: Array<{ at: KeySegments; text: string }> = [];

  constructor(private readonly root: unknown) {}

  add(at: KeySegments, message: string): void {
    this.items.push({ at, text: `${keyPath(at, this.root)}: ${message}` });
  }

  get size(): number {
    return this.items.length;
  }

  /** In the order they were found, for a merged file that has no one document to order them by. */
  texts(): string[] {
    return this.items.map((item) => item.text);
  }

  inFileOrder(doc: Document): string[] {
    const offset = (at: KeySegments): number => {
      const node = at.length === 0 ? doc.contents : doc.getIn(at, true);
      return yaml().isNode(node) && node.range ? node.range[0] : Number.MAX_SAFE_INTEGER;
    };
    // Array.prototype.sort is stable: problems of one key keep the order they were found in.
    return this.items
      .map((item) => ({ ...item, offset: offset(item.at) }))
      .sort((a, b) => a.offset - b.offset)
      .map((item) => item.text);
  }
}

/** The one error for a bad connector file; `reasons` are `key.path: what was expected`. */
export function connectorError(file: string, reasons: string[], cause?: unknown): HubError {
  return errors.CONFIG_CONNECTOR([file, reasons.join('; ')], { cause, details: { file, problems: reasons } });
}
