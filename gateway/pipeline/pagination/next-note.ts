/** What a paged result says in its text: the agent reads text, not `_meta`. */
export function nextPageNote(tool: string, next: Record<string, unknown>): string {
  return `More results: call ${tool} again with ${JSON.stringify(next)} added to its arguments for the next page.`;
}
