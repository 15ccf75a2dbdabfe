/**
 * Reads an upstream body up to a cap, so a 5 GB download costs at most the cap in
 * memory (plus one network chunk) and the rest is never transferred: the stream is
 * destroyed at the cut, which closes undici's socket instead of draining it.
 */
import type { Dispatcher } from 'undici';

export interface CappedBody {
  /** At most `maxBytes` bytes. */
  body: Buffer;
  /** True when more than `maxBytes` arrived; the rest was not read. */
  truncated: boolean;
}

export async function readBodyCapped(body: AsyncIterable<Uint8Array> | Dispatcher.ResponseData['body'], maxBytes: number): Promise<CappedBody> {
  const limit = Number.isFinite(maxBytes) ? Math.max(0, Math.floor(maxBytes)) : Number.MAX_SAFE_INTEGER;
  const chunks: Buffer[] = [];
  let kept = 0;
  let truncated = false;
  // Leaving the loop early calls the iterator's return(), which destroys a Readable
  // (undici's body included) and finishes a generator wrapping one.
  for await (const chunk of body as AsyncIterable<Uint8Array | string>) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const room = limit - kept;
    if (bytes.length > room) {
      // Only "more than the cap" is a cut, so a body of exactly the cap is whole.
      if (room > 0) chunks.push(bytes.subarray(0, room));
      kept = limit;
      truncated = true;
      break;
    }
    chunks.push(bytes);
    kept += bytes.length;
  }
  if (truncated) destroyQuietly(body);
  return { body: Buffer.concat(chunks, kept), truncated };
}

/** For iterables whose return() does not release the source; an error from the abort is expected. */
function destroyQuietly(body: unknown): void {
  const stream = body as { destroy?: (error?: Error) => void; destroyed?: boolean; on?: (event: string, fn: () => void) => void };
  if (typeof stream.destroy !== 'function' || stream.destroyed === true) return;
  stream.on?.('error', () => {});
  stream.destroy();
}
