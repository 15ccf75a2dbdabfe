/**
 * A fast start from `lunar-hub generate`'s output: `<out>/<connector>/connector.json`
 * (bindings, operation model, what the connector file's checks need, and a stamp of
 * the spec it came from), `tools.json` and `problems.json` rebuild the LoadedConnector
 * that loadConnector would build, without reading or parsing the spec. The connector
 * file beside the original spec is read and applied on every load, exactly as
 * loadConnector applies it, so editing it never needs a new `generate`.
 *
 * An artefact is used only when it is certainly what loadConnector would produce:
 * written by this hub version in this format, generated with the connector id,
 * `deprecated` and `outputSchema` the connector file now asks for, and from the spec
 * as it is now (same size and mtime, or same SHA-256 of its bytes). Otherwise the
 * spec is loaded instead, with a warning that says why.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { errors } from '../../errors';
import { HUB_VERSION } from '../package-info';
import {
  resolveGenerateOptions,
  type SkippedOperation,
  type ToolSet,
  resolvePointer,
  connectorIdFromFile,
  type ApiModel,
  type OperationModel,
  type OutputSchemaMode,
  type Problem,
  type LoadedSpec,
  type McpTool,
  type ToolBinding,
} from '../../generators';
import { connectorFromToolSet, findConnectorConfig, loadConnector, type LoadedConnector } from './load-connector';

/** Bump when connector.json changes shape or meaning; older artefacts are then not used. */
export const ARTEFACT_FORMAT = 1;

/** The spec an artefact was generated from, as it was when generate read it. */
export interface ArtefactSpecStamp {
  /** Absolute path. */
  file: string;
  bytes: number;
  mtimeMs: number;
  /** Of the bytes generate read. */
  sha256: string;
  /** External `$ref`s pull in other files, which this stamp does not cover: such artefacts are never used. */
  externalRefs: boolean;
}

/** What applyConnectorConfig reads from the spec document: the operations generation skipped, and the declared tags. */
export interface ArtefactOperationIndex {
  skipped: Array<{ operation: string; pointer: string; operationId?: string; tags: string[]; deprecated: boolean }>;
  tags: string[];
}

/** `connector.json`. The first six keys are the ToolSet's; the rest serve the fast start. */
export interface ConnectorArtefact {
  connectorId: string;
  /** The spec's path as generate was given it (problems name it). */
  file: string;
  api: Omit<ApiModel, 'operations'>;
  bindings: ToolBinding[];
  operations: OperationModel[];
  skipped: SkippedOperation[];
  format: number;
  /** The hub version that wrote it: generation may change between versions. */
  hub: string;
  spec: ArtefactSpecStamp;
  generation: { includeDeprecated: boolean; outputSchema: OutputSchemaMode };
  /** Whether the spec declares `servers` (resolveBaseUrl's second argument). */
  serversDeclared: boolean;
  index: ArtefactOperationIndex;
}

const EXTERNAL_REF = /\$ref['"]?\s*:(?!\s*['"]?#)/;

/** What generate stamps a spec with: stat before reading, hash what was read, so a change in between reads as stale. */
export function stampSpec(file: string, stats: { size: number; mtimeMs: number }, text: string): ArtefactSpecStamp {
  return {
    file: path.resolve(file),
    bytes: stats.size,
    mtimeMs: stats.mtimeMs,
    sha256: createHash('sha256').update(text).digest('hex'),
    externalRefs: EXTERNAL_REF.test(text),
  };
}

/** `connector.json` for a generated set (generate writes it; loadConnectorFromArtefacts reads it). */
export function connectorArtefact(
  set: ToolSet,
  spec: LoadedSpec,
  stamp: ArtefactSpecStamp,
  options: { includeDeprecated?: boolean; outputSchema?: OutputSchemaMode },
): ConnectorArtefact {
  const resolved = resolveGenerateOptions(spec, { ...options, connectorId: set.connectorId });
  const known = new Set(set.operations.map((op) => op.key));
  const skipped: ArtefactOperationIndex['skipped'] = [];
  for (const skip of set.skipped) {
    if (known.has(skip.operation)) continue;
    known.add(skip.operation);
    // The same reading as OperationIndex in load-connector/operation-index.ts, done once here.
    const raw = resolvePointer(spec.document, skip.pointer) as Record<string, unknown> | undefined;
    const operationId = typeof raw?.operationId === 'string' && raw.operationId.trim() !== '' ? raw.operationId.trim() : undefined;
    const tags = Array.isArray(raw?.tags) ? raw.tags.filter((t): t is string => typeof t === 'string') : [];
    skipped.push({
      operation: skip.operation,
      pointer: skip.pointer,
      ...(operationId !== undefined ? { operationId } : {}),
      tags,
      deprecated: raw?.deprecated === true,
    });
  }
  const declaredTags = Array.isArray(spec.document.tags)
    ? (spec.document.tags as Array<{ name?: unknown }>).map((t) => t?.name).filter((n): n is string => typeof n === 'string')
    : [];
  return {
    connectorId: set.connectorId,
    file: set.file,
    api: set.api,
    bindings: set.bindings,
    operations: set.operations,
    skipped: set.skipped,
    format: ARTEFACT_FORMAT,
    hub: HUB_VERSION,
    spec: stamp,
    generation: { includeDeprecated: resolved.includeDeprecated, outputSchema: resolved.outputSchema },
    serversDeclared: Array.isArray(spec.document.servers) && spec.document.servers.length > 0,
    index: { skipped, tags: declaredTags },
  };
}

export interface LoadArtefactsOptions {
  /**
   * The spec the caller wants served (the registry's file). Default: the one
   * connector.json names. A different path is accepted when its bytes are the same
   * (a project moved or copied elsewhere); its connector file is the one beside it.
   */
  specFile?: string;
  /** Where the warning goes when the spec is loaded instead. */
  log?: Logger;
}

export type ArtefactLoad = { source: 'artefacts'; connector: LoadedConnector } | { source: 'spec'; connector: LoadedConnector; reason: string };

/** The connector from `dir` (a folder `lunar-hub generate` wrote), or from its spec when the artefact cannot be used. */
export async function loadConnectorFromArtefacts(dir: string, options: LoadArtefactsOptions = {}): Promise<LoadedConnector> {
  return (await loadArtefactsOrSpec(dir, options)).connector;
}

/** loadConnectorFromArtefacts, also telling where the connector came from and why. */
export async function loadArtefactsOrSpec(dir: string, options: LoadArtefactsOptions = {}): Promise<ArtefactLoad> {
  const attempt = await fromArtefacts(dir, options.specFile);
  if ('connector' in attempt) return { source: 'artefacts', connector: attempt.connector };
  if (attempt.specFile === undefined) {
    throw errors.CONFIG_USAGE([`${dir} is not a folder written by \`lunar-hub generate\` (${attempt.reason}), and no spec was named to load instead`]);
  }
  options.log?.warn({ dir, file: attempt.specFile, reason: attempt.reason }, 'generated artefact not used; loading the spec');
  return { source: 'spec', connector: await loadConnector(attempt.specFile), reason: attempt.reason };
}

/**
 * Where the registry looks for a spec's artefact: `<generated>/<connector id>`, the id
 * being the connector file's `id` or the one from the spec's file name, as served.
 */
export async function artefactDirFor(generatedDir: string, specFile: string): Promise<string> {
  let id: string | undefined;
  try {
    id = (await findConnectorConfig(specFile)).config.id;
  } catch {
    // A bad connector file: the load reports it; any folder will do until then.
  }
  return path.join(generatedDir, id ?? connectorIdFromFile(specFile));
}

type Attempt = { connector: LoadedConnector } | { reason: string; specFile?: string };

async function fromArtefacts(dir: string, wanted: string | undefined): Promise<Attempt> {
  const specFile = wanted === undefined ? undefined : path.resolve(wanted);
  // Read the tool list while connector.json is parsed; unused (and its failure ignored) when the artefact is stale.
  const rest = Promise.all([readJson<McpTool[]>(path.join(dir, 'tools.json')), readJson<Problem[]>(path.join(dir, 'problems.json'))]);
  rest.catch(() => undefined);
  let artefact: ConnectorArtefact | null;
  try {
    artefact = JSON.parse(await readFile(path.join(dir, 'connector.json'), 'utf8')) as ConnectorArtefact;
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    return {
      specFile,
      reason:
        code === 'ENOENT' ? `no ${path.join(dir, 'connector.json')}; run \`lunar-hub generate\`` : `connector.json cannot be read: ${(cause as Error).message}`,
    };
  }
  if (!isCurrentFormat(artefact)) {
    const recorded = (artefact as { spec?: { file?: unknown } } | null)?.spec?.file;
    return {
      specFile: specFile ?? (typeof recorded === 'string' ? recorded : undefined),
      reason: `connector.json is not of the format this hub reads (${ARTEFACT_FORMAT}); run \`lunar-hub generate\` again`,
    };
  }
  const file = specFile ?? artefact.spec.file;
  const stale = (reason: string): Attempt => ({ specFile: file, reason });
  if (artefact.hub !== HUB_VERSION) return stale(`generated by lunar-hub ${artefact.hub}, this is ${HUB_VERSION}`);
  if (artefact.spec.externalRefs) return stale('the spec has external $refs, whose files the artefact does not track');

  // The connector file first, as loadConnector does: its errors are the same errors.
  const { configFile, config } = await findConnectorConfig(file);
  const id = config.id ?? connectorIdFromFile(file);
  const differs: string[] = [];
  if (artefact.connectorId !== id) differs.push(`connector id "${artefact.connectorId}", served as "${id}"`);
  const includeDeprecated = config.deprecated === 'include';
  if (artefact.generation.includeDeprecated !== includeDeprecated) {
    differs.push(
      `deprecated operations ${artefact.generation.includeDeprecated ? 'included' : 'left out'}, the connector file says \`deprecated: ${config.deprecated}\``,
    );
  }
  if (artefact.generation.outputSchema !== config.outputSchema)
    differs.push(`outputSchema ${artefact.generation.outputSchema}, the connector file says ${config.outputSchema}`);
  if (differs.length > 0) return stale(`generated with ${differs.join('; ')}`);

  const changed = await specChanged(artefact.spec, file);
  if (changed !== undefined) return stale(changed);

  let tools: McpTool[];
  let problems: Problem[];
  try {
    [tools, problems] = await rest;
  } catch (cause) {
    return stale(`${(cause as Error).message}`);
  }
  const operations = new Set(artefact.operations.map((op) => op.key));
  if (!Array.isArray(problems)) return stale('problems.json is not a list');
  if (
    !Array.isArray(tools) ||
    tools.length !== artefact.bindings.length ||
    tools.some((t, i) => t?.name !== artefact.bindings[i].tool || !operations.has(artefact.bindings[i].operation))
  ) {
    return stale('tools.json does not match connector.json (written by different runs?)');
  }

  const set: ToolSet = {
    connectorId: artefact.connectorId,
    file: artefact.file,
    api: artefact.api,
    tools,
    bindings: artefact.bindings,
    operations: artefact.operations,
    skipped: artefact.skipped,
    problems: problems.map((p) => ({ ...p, file: servedPath(p.file, artefact.file, file) })),
  };
  return {
    connector: connectorFromToolSet({
      id,
      specFile: file,
      configFile,
      config,
      set,
      document: documentFor(artefact.index),
      serversDeclared: artefact.serversDeclared,
    }),
  };
}

/** The keys this version writes, with the right kinds: anything else is read as "generate again", never as a crash. */
function isCurrentFormat(artefact: ConnectorArtefact | null): artefact is ConnectorArtefact {
  if (typeof artefact !== 'object' || artefact === null || artefact.format !== ARTEFACT_FORMAT) return false;
  const { spec, generation, index, api } = artefact;
  return (
    typeof artefact.connectorId === 'string' &&
    typeof artefact.file === 'string' &&
    [artefact.bindings, artefact.operations, artefact.skipped, api?.servers, index?.skipped, index?.tags].every(Array.isArray) &&
    typeof spec?.file === 'string' &&
    typeof spec.bytes === 'number' &&
    typeof spec.sha256 === 'string' &&
    typeof generation?.includeDeprecated === 'boolean' &&
    typeof generation.outputSchema === 'string' &&
    typeof artefact.serversDeclared === 'boolean'
  );
}

/** undefined when the spec is the one generate read; else why not. A touched but unchanged file still counts as the same. */
async function specChanged(stamp: ArtefactSpecStamp, file: string): Promise<string | undefined> {
  let stats: { size: number; mtimeMs: number };
  try {
    stats = await stat(file);
  } catch (cause) {
    return `the spec ${file} cannot be read: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`;
  }
  if (stats.size !== stamp.bytes) return `the spec changed since generate (${stamp.bytes} bytes then, ${stats.size} now)`;
  if (file === stamp.file && stats.mtimeMs === stamp.mtimeMs) return undefined;
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (cause) {
    return `the spec ${file} cannot be read: ${(cause as Error).message}`;
  }
  if (createHash('sha256').update(bytes).digest('hex') === stamp.sha256) return undefined;
  return file === stamp.file ? 'the spec changed since generate (modified, same size)' : `generated from ${stamp.file}, whose content differs from ${file}`;
}

async function readJson<T>(file: string): Promise<T> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new Error(`${path.basename(file)} cannot be read: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (cause) {
    throw new Error(`${path.basename(file)} is not valid JSON: ${(cause as Error).message}`);
  }
}

/**
 * Problems name the spec as generate was given it (often relative to its working
 * folder); loadConnector names the path it was given. Other files (none today: specs
 * with external refs are not loaded from artefacts) keep their place relative to the spec.
 */
function servedPath(problemFile: string, generatedAs: string, served: string): string {
  if (problemFile === generatedAs) return served;
  if (path.isAbsolute(problemFile)) return problemFile;
  return path.resolve(path.dirname(served), path.relative(path.dirname(generatedAs), problemFile));
}

/** The part of the spec document applyConnectorConfig reads: each skipped operation at its pointer, and the declared tags. */
function documentFor(index: ArtefactOperationIndex): Record<string, unknown> {
  const document: Record<string, unknown> = Object.create(null);
  document.tags = index.tags.map((name) => ({ name }));
  for (const { pointer, operationId, tags, deprecated } of index.skipped) {
    const tokens = pointer
      .split('/')
      .slice(1)
      .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
    let node = document;
    tokens.forEach((token, i) => {
      if (i === tokens.length - 1) {
        node[token] = { ...(operationId !== undefined ? { operationId } : {}), tags, deprecated };
        return;
      }
      if (typeof node[token] !== 'object' || node[token] === null) node[token] = Object.create(null);
      node = node[token] as Record<string, unknown>;
    });
  }
  return document;
}
