/** The notice on a cut body: how much was kept, and which of the tool's own arguments get the rest. */
import type { ConnectorRuntime, HttpOperationTool, UpstreamResponse } from '../../core';
import { formatBytes } from './parts';

/** Argument names (lower snake case, no `$`) that shrink a page or move to the next one. */
const PAGE_SIZE_ARGS = new Set(['per_page', 'perpage', 'page_size', 'pagesize', 'limit', 'max_results', 'maxresults', 'max_items', 'top']);
const PAGE_POSITION_ARGS = new Set([
  'page',
  'page_number',
  'cursor',
  'offset',
  'start_cursor',
  'starting_after',
  'page_token',
  'next_page_token',
  'next_token',
  'continuation_token',
  'start_at',
  'skip',
  'marker',
]);
/** Arguments that ask for fewer fields, and ones that ask for more (to be left out). */
const FIELD_SELECT_ARGS = new Set(['fields', 'select', 'opt_fields', 'filter_path']);
const FIELD_EXPAND_ARGS = new Set(['expand']);

/** `pageSize`, `$top`, `max-results` all compare as `page_size`, `top`, `max_results`. */
function argumentKind(property: string): string {
  return property
    .replace(/^\$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[-.]/g, '_')
    .toLowerCase();
}

export function truncationNotice(registered: HttpOperationTool, response: UpstreamResponse, connector: ConnectorRuntime, keptBytes: number): string {
  const total = response.declaredBytes !== undefined ? `of ${formatBytes(response.declaredBytes)}` : 'of a larger body (the upstream did not say its size)';
  const head = `Response truncated: kept the first ${formatBytes(keptBytes)} ${total}; this connector's cap is ${formatBytes(connector.maxResponseBytes)}.`;

  const properties = Object.keys(registered.tool.inputSchema.properties ?? {});
  const pick = (set: Set<string>) => properties.filter((p) => set.has(argumentKind(p))).map((p) => `\`${p}\``);
  const sizes = pick(PAGE_SIZE_ARGS);
  const positions = pick(PAGE_POSITION_ARGS);
  if (sizes.length > 0 || positions.length > 0) {
    const ways: string[] = [];
    if (sizes.length > 0) ways.push(`a smaller ${sizes.join(' or ')}`);
    if (positions.length > 0) ways.push(`the next ${positions.join(' or ')}`);
    return `${head} To get the rest, call again with ${ways.join(' or ')}.`;
  }
  const selects = pick(FIELD_SELECT_ARGS);
  const expands = pick(FIELD_EXPAND_ARGS);
  if (selects.length > 0 || expands.length > 0) {
    const ways: string[] = [];
    if (selects.length > 0) ways.push(`with ${selects.join(' or ')} naming only the fields you need`);
    if (expands.length > 0) ways.push(`without ${expands.join(' or ')}`);
    return `${head} To get a smaller answer, call again ${ways.join(' or ')}.`;
  }
  return `${head} This tool has no arguments to page or select fields; \`maxResponseBytes\` in the connector file raises the cap.`;
}
