/**
 * The JSON value of a tool result, for the stages that work on it after the HTTP kind
 * (projection, following pages): its structured content, else its first text block when
 * that is one JSON document and every block is text (notes may follow it). Undefined for
 * anything else (an image, a file, a cut body).
 */
import type { CallToolResult } from '@modelcontextprotocol/server';

export function resultJson(result: CallToolResult): unknown {
  if (result.structuredContent !== undefined) return result.structuredContent;
  const first = result.content[0];
  if (first?.type !== 'text' || result.content.some((c) => c.type !== 'text')) return undefined;
  try {
    return JSON.parse(first.text);
  } catch {
    return undefined;
  }
}
