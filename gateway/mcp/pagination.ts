/**
 * tools/list pages. The cursor is the name of the last tool sent (base64url), so a page
 * boundary survives a reload: the next page starts after that name in the new snapshot.
 */
import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import type { RegisteredTool } from '../core';

export function encodeCursor(lastName: string): string {
  return Buffer.from(lastName, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const name = Buffer.from(cursor, 'base64url').toString('utf8');
  if (cursor === '' || !/^[A-Za-z0-9_.-]{1,64}$/.test(name)) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Invalid cursor "${cursor}"`);
  return name;
}

/** `tools` is sorted by name. */
export function pageOf(tools: readonly RegisteredTool[], cursor: string | undefined, pageSize: number): { page: RegisteredTool[]; nextCursor?: string } {
  let start = 0;
  if (cursor !== undefined) {
    const after = decodeCursor(cursor);
    let lo = 0;
    let hi = tools.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (tools[mid].tool.name <= after) lo = mid + 1;
      else hi = mid;
    }
    start = lo;
  }
  const page = tools.slice(start, start + pageSize);
  const more = start + pageSize < tools.length;
  return more ? { page, nextCursor: encodeCursor(page[page.length - 1].tool.name) } : { page };
}
