/**
 * `lunar-hub connectors add <file-or-url> [--specs DIR] [--id ID]`: a spec into the specs
 * folder with a starter connector file beside it. For a URL the spec is looked for where
 * APIs usually publish it (the URL itself, then /openapi.json, /swagger.json,
 * /v3/api-docs...). The starter file says what the spec declares: the base URL, toolsets
 * from its tags, the auth scheme and how to add a connection for it, the pagination style
 * its list operations suggest, each with a comment.
 *
 * Nothing is half-written: both files are checked (the spec parsed, the pair loaded as
 * `serve` would load it) in a scratch folder first, then moved into the specs folder; a
 * bad address, no spec found, an invalid spec, or a name already taken exits 1 and leaves
 * the folder as it was.
 */
import { copyFile, mkdir, mkdtemp, readFile, rename, rm, writeFile, access } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { connectorIdFromFile, isValidConnectorId, readSpecText, type LoadedSpec } from '../../generators';
import { errors } from '../../errors';
import { writeLine, type CommandIO } from './io';

/** Where APIs publish their spec, tried in this order after the URL itself. */
const WELL_KNOWN = [
  '/openapi.json',
  '/openapi.yaml',
  '/swagger.json',
  '/v3/api-docs',
  '/.well-known/openapi',
  '/openapi',
  '/api-docs',
  '/swagger/v1/swagger.json',
  '/docs/openapi.json',
];
const FETCH_TIMEOUT_MS = 10_000;
const MAX_SPEC_BYTES = 50 * 1024 * 1024;

export async function addConnector(source: string, options: { specsDir: string; id?: string }, io: CommandIO): Promise<number> {
  const found = /^https?:\/\//i.test(source) ? await fetchSpec(source, io) : await readLocal(path.resolve(io.cwd, source));
  const spec = await readSpecText(found.name, found.text);
  const id = options.id ?? idFor(spec, found.name);
  if (!isValidConnectorId(id)) throw errors.CONFIG_CONNECTOR_ID([id, 'use --id with 1-24 characters of a-z, 0-9 and "-"']);
  const ext = spec.format === 'yaml' ? 'yaml' : 'json';
  const specName = `${id}.${ext}`;
  const fileName = `${id}.connector.yaml`;
  for (const name of [specName, fileName]) {
    if (await exists(path.join(options.specsDir, name))) {
      throw errors.SPEC_EXISTS([path.join(options.specsDir, name), 'choose another id with --id, or remove it first']);
    }
  }
  const starter = starterConnectorFile(spec, id, found.url);

  // Checked as serve would load them, away from the specs folder.
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'lunar-connectors-add-'));
  try {
    await writeFile(path.join(scratch, specName), found.text);
    await writeFile(path.join(scratch, fileName), starter.text);
    const { loadConnector } = require('../registry/load-connector') as typeof import('../registry/load-connector');
    const connector = await loadConnector(path.join(scratch, specName));
    await mkdir(options.specsDir, { recursive: true });
    // The spec last: the specs folder is watched, and its connector file should be there when it is seen.
    await moveInto(path.join(scratch, fileName), path.join(options.specsDir, fileName));
    try {
      await moveInto(path.join(scratch, specName), path.join(options.specsDir, specName));
    } catch (error) {
      await rm(path.join(options.specsDir, fileName), { force: true });
      throw error;
    }
    writeLine(
      io.stdout,
      `added ${path.join(options.specsDir, specName)} and ${path.join(options.specsDir, fileName)}: connector ${id}, ${connector.tools.length} tools`,
    );
    for (const note of starter.notes) writeLine(io.stdout, `  ${note}`);
    return 0;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function readLocal(file: string): Promise<{ name: string; text: string; url?: string }> {
  try {
    return { name: file, text: await readFile(file, 'utf8') };
  } catch (cause) {
    throw errors.SPEC_UNREADABLE([file, (cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (cause as Error).message], { cause });
  }
}

/** The spec at `address`, or at the first well-known place on its host that holds one. */
async function fetchSpec(address: string, io: CommandIO): Promise<{ name: string; text: string; url: string }> {
  let base: URL;
  try {
    base = new URL(address);
  } catch {
    throw errors.SPEC_NOT_FOUND([address, 'it is not a URL']);
  }
  const candidates = [base.href, ...WELL_KNOWN.map((p) => new URL(p, base.origin).href)].filter((u, i, all) => all.indexOf(u) === i);
  const tried: string[] = [];
  for (const url of candidates) {
    let outcome: string;
    try {
      // Node's fetch: it follows redirects, which a docs site often answers with.
      const response = await fetch(url, {
        headers: { accept: 'application/json, application/yaml, text/yaml, */*' },
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      });
      const declared = Number(response.headers.get('content-length') ?? '0');
      const text = declared > MAX_SPEC_BYTES ? '' : await response.text();
      if (response.ok && Buffer.byteLength(text) <= MAX_SPEC_BYTES && looksLikeSpec(text)) {
        writeLine(io.stderr, `lunar-hub: found a spec at ${url}`);
        return { name: url, text, url };
      }
      outcome = !response.ok ? `HTTP ${response.status}` : declared > MAX_SPEC_BYTES ? 'larger than 50 MB' : 'no OpenAPI document';
    } catch (cause) {
      const inner = (cause as { cause?: { code?: string; message?: string } }).cause;
      outcome = inner?.code ?? inner?.message ?? (cause as Error).message;
    }
    tried.push(`${url} (${outcome})`);
  }
  throw errors.SPEC_NOT_FOUND([address, `tried ${tried.join(', ')}`]);
}

/** `openapi:` or `swagger:` at the top, in JSON or YAML. */
function looksLikeSpec(text: string): boolean {
  return /^\s*\{[\s\S]*"(openapi|swagger)"\s*:/.test(text) || /^(openapi|swagger)\s*:/m.test(text);
}

function idFor(spec: LoadedSpec, name: string): string {
  const title = (spec.document.info as { title?: unknown } | undefined)?.title;
  // A URL names its spec openapi.json or api-docs, which says nothing: the title does.
  const fromName = /^https?:/i.test(name) ? undefined : connectorIdFromFile(name);
  return fromName ?? connectorIdFromFile(typeof title === 'string' && title.trim() !== '' ? title : 'api');
}

async function moveInto(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    // Another file system (a temp dir on tmpfs): copy, then remove.
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    await copyFile(from, to);
    await rm(from, { force: true });
  }
}

const exists = (file: string): Promise<boolean> =>
  access(file).then(
    () => true,
    () => false,
  );

/** The starter connector file: what the spec declares, as settings and comments to start from. */
export function starterConnectorFile(spec: LoadedSpec, id: string, fetchedFrom?: string): { text: string; notes: string[] } {
  const doc = spec.document;
  const lines: string[] = [`# Written by lunar-hub connectors add${fetchedFrom ? ` from ${fetchedFrom}` : ''}; every key is explained in docs/connectors.md.`];
  const notes: string[] = [];
  const servers = (doc.servers as Array<{ url?: string }> | undefined) ?? [];
  const server = servers.find((s) => typeof s.url === 'string')?.url;
  const absolute = server !== undefined && /^https?:\/\//i.test(server) && !server.includes('{');
  if (!absolute) {
    const origin = fetchedFrom ? new URL(fetchedFrom).origin : undefined;
    const guess = origin && server ? new URL(server, origin).href.replace(/\/+$/, '') : origin;
    lines.push('', '# The spec names no absolute server: where requests go.');
    lines.push(guess ? `baseUrl: ${guess}` : '# baseUrl: https://api.example.com');
    if (!guess) notes.push('set baseUrl in the connector file: the spec names no absolute server');
  } else {
    lines.push('', `# Requests go to the spec's server, ${server}; set baseUrl to send them elsewhere.`, `# baseUrl: ${server}`);
  }

  const schemes = (doc.components as { securitySchemes?: Record<string, Record<string, unknown>> } | undefined)?.securitySchemes ?? {};
  const scheme = Object.entries(schemes)[0];
  lines.push('');
  if (scheme) {
    const [name, s] = scheme;
    const kind = s.type === 'apiKey' ? 'api_key' : s.type === 'http' ? (String(s.scheme).toLowerCase() === 'basic' ? 'basic' : 'bearer') : 'oauth2';
    lines.push(
      `# The spec declares ${Object.keys(schemes).length === 1 ? 'one security scheme' : `${Object.keys(schemes).length} security schemes`}; the hub uses "${name}" (${describeScheme(s)}).`,
    );
    lines.push(`# A connection for it: SECRET=... lunar-hub connections add --tenant default --connector ${id} --kind ${kind} --secret-env SECRET`);
    lines.push(`# auth:`, `#   scheme: ${name}`);
    notes.push(`auth: ${describeScheme(s)}; add a ${kind} connection before calling`);
  } else {
    lines.push('# The spec declares no security scheme. If the API needs a key or a token, say how:', '# auth:', '#   type: bearer');
  }

  const pagination = detectPagination(doc);
  if (pagination) {
    lines.push('', `# Its list operations take ${pagination.why}: paged results say how to get the next page, and _pages follows them.`, 'pagination:');
    for (const [k, v] of Object.entries(pagination.settings)) lines.push(`  ${k}: ${v}`);
    notes.push(`pagination: ${pagination.settings.style} (${pagination.why}); check items and next in the connector file`);
  }

  const tags = tagsOf(doc);
  if (tags.length > 0) {
    lines.push(
      '',
      '# A toolset per tag of the spec: ?toolsets=<id>:<toolset> lists one. defaultToolsets keeps an',
      "# agent's list small when it asks for nothing: name the ones it needs most.",
      'toolsets:',
    );
    const names = toolsetNames(tags);
    tags.forEach((tag, i) => {
      lines.push(`  ${names[i]}:`);
      lines.push(`    description: ${JSON.stringify(tag.description ?? `Operations tagged ${tag.name}`)}`);
      lines.push(`    tags: [${JSON.stringify(tag.name)}]`);
    });
    lines.push(`# defaultToolsets: [${names[0]}]`);
    notes.push(`toolsets: ${tags.length}, one per tag`);
  }
  return { text: `${lines.join('\n')}\n`, notes };
}

function describeScheme(s: Record<string, unknown>): string {
  if (s.type === 'apiKey') return `an API key in the ${String(s.in)} ${JSON.stringify(s.name)}`;
  if (s.type === 'http') return `HTTP ${String(s.scheme)}`;
  if (s.type === 'oauth2') return `OAuth 2 (${Object.keys((s.flows as object | undefined) ?? {}).join(', ') || 'no flows'})`;
  return String(s.type);
}

/** The tags operations use, with the document's descriptions where it has them. */
function tagsOf(doc: Record<string, unknown>): Array<{ name: string; description?: string }> {
  // A spec read leniently may hold anything where a tag or a description should be.
  const declared = Array.isArray(doc.tags) ? (doc.tags as unknown[]) : [];
  const described = new Map<string, string>();
  for (const t of declared) {
    const { name, description } = (t ?? {}) as { name?: unknown; description?: unknown };
    const line = typeof description === 'string' ? description.split('\n').find((l) => l.trim() !== '') : undefined;
    if (typeof name === 'string' && line !== undefined) described.set(name, line.trim().slice(0, 120));
  }
  const used = new Set<string>();
  for (const item of Object.values((doc.paths ?? {}) as Record<string, unknown>)) {
    if (item === null || typeof item !== 'object') continue;
    for (const op of Object.values(item as Record<string, { tags?: unknown }>)) {
      if (op && Array.isArray(op.tags)) for (const t of op.tags) if (typeof t === 'string' && t.trim() !== '') used.add(t);
    }
  }
  return [...used].map((name) => ({ name, ...(described.has(name) ? { description: described.get(name)! } : {}) }));
}

/** One toolset name per tag, unique even where two tags make the same name ("Pull Requests", "pull-requests"). */
function toolsetNames(tags: ReadonlyArray<{ name: string }>): string[] {
  const taken = new Set<string>();
  return tags.map((tag) => {
    const base = toolsetName(tag.name);
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base.slice(0, 37)}_${n}`;
    taken.add(name);
    return name;
  });
}

function toolsetName(tag: string): string {
  const name = tag
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^[^a-z]+|_+$/g, '')
    .slice(0, 40);
  return name === '' ? 'tag' : name;
}

/** What the GET operations' query parameters say of the paging, most telling first. */
function detectPagination(doc: Record<string, unknown>): { why: string; settings: Record<string, string> } | undefined {
  const counts = new Map<string, number>();
  let linkHeader = false;
  for (const item of Object.values((doc.paths ?? {}) as Record<string, Record<string, unknown>>)) {
    const get = item?.get as
      { parameters?: Array<{ name?: string; in?: string }>; responses?: Record<string, { headers?: Record<string, unknown> }> } | undefined;
    if (!get) continue;
    for (const p of get.parameters ?? []) if (p?.in === 'query' && typeof p.name === 'string') counts.set(p.name, (counts.get(p.name) ?? 0) + 1);
    for (const r of Object.values(get.responses ?? {})) if (r?.headers && Object.keys(r.headers).some((h) => h.toLowerCase() === 'link')) linkHeader = true;
  }
  const has = (name: string) => (counts.get(name) ?? 0) > 0;
  if (linkHeader) return { why: 'Link response headers', settings: { style: 'link' } };
  for (const name of ['cursor', 'after', 'starting_after', 'start_cursor', 'next_token']) {
    if (has(name)) return { why: `the "${name}" parameter`, settings: { style: 'cursor', param: name, next: 'next_cursor', '# items': 'data' } };
  }
  if (has('pageToken')) return { why: 'the "pageToken" parameter', settings: { style: 'pageToken' } };
  if (has('startAt')) return { why: '"startAt" and "maxResults"', settings: { style: 'startAt' } };
  if (has('offset')) return { why: '"offset" and "limit"', settings: { style: 'offset', ...(has('limit') ? {} : { sizeParam: 'size' }) } };
  if (has('page')) {
    const size = ['per_page', 'page_size', 'pageSize', 'size', 'limit'].find(has);
    return { why: `"page"${size ? ` and "${size}"` : ''}`, settings: { style: 'page', ...(size && size !== 'per_page' ? { sizeParam: size } : {}) } };
  }
  return undefined;
}
