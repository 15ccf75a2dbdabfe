import type { Tool } from '@modelcontextprotocol/sdk/types.js';

/** What listing needs of a client: SDK v1's and v2's Clients both have it. */
export interface ListingClient {
  listTools(params?: { cursor?: string }): Promise<{ tools: readonly object[]; nextCursor?: string }>;
}

/** Every tool a server lists, following `nextCursor` page by page. */
export async function listAll(client: ListingClient): Promise<Tool[]> {
  const tools: Tool[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor ? { cursor } : {});
    tools.push(...(page.tools as Tool[])); // v1 and v2 type the same wire shape differently
    cursor = page.nextCursor;
  } while (cursor);
  return tools;
}
