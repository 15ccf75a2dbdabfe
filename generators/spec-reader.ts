/**
 * The generators' one reader (the only I/O in generators/): file -> parsed,
 * bundled OpenAPI 3.x document. Swagger 2.0 is converted with swagger2openapi;
 * external `$ref`s are bundled with @readme/openapi-parser. Anything unreadable
 * becomes one coded error naming the file; everything else that is odd becomes a
 * problem (warning) and reading goes on.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { YAMLParseError } from 'yaml';
import { errors } from '../errors';
import { ProblemList } from './problems';

export type OpenApiVersion = '3.0' | '3.1';

export interface LoadedSpec {
  /** The path as given by the caller; problems name this. */
  file: string;
  format: 'json' | 'yaml';
  /** The version the file declares: `2.0`, `3.0.3`, `3.1.0`... */
  declaredVersion: string;
  /** The model the document now follows (Swagger 2.0 is converted to 3.0). */
  version: OpenApiVersion;
  /** The document as written (after bundling external refs), before any conversion. */
  original: Record<string, unknown>;
  /** The OpenAPI 3.x document the generators read. */
  document: Record<string, unknown>;
  problems: ProblemList;
  /** Size of the file in bytes, for progress and benchmarks. */
  bytes: number;
}

export async function readSpecFile(file: string): Promise<LoadedSpec> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (cause as Error).message;
    throw errors.SPEC_UNREADABLE([file, reason], { cause, details: { file } });
  }
  return readSpecText(file, text);
}

export async function readSpecText(file: string, text: string): Promise<LoadedSpec> {
  const problems = new ProblemList(file);
  const { value, format } = parseText(file, text);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw errors.SPEC_NOT_OPENAPI([file, 'the top level is not an object'], { details: { file } });
  }
  let original = value as Record<string, unknown>;
  const declaredVersion = declaredVersionOf(file, original);

  // A cheap text test first: walking a 12 MB document for refs costs more than reading it.
  if (mayHaveExternalRefs(text) && hasExternalRefs(original)) original = await bundleExternalRefs(file, original, problems);

  let document = original;
  let version: OpenApiVersion;
  if (declaredVersion.startsWith('2.')) {
    document = await convertSwagger2(file, original, problems);
    version = '3.0';
  } else if (/^3\.0(\.|$)/.test(declaredVersion)) {
    version = '3.0';
  } else if (/^3\.1(\.|$)/.test(declaredVersion)) {
    version = '3.1';
  } else {
    // 3.2 and later 3.x minors stay compatible with 3.1 for everything tools need.
    problems.warn('spec-newer-version', '/openapi', `OpenAPI ${declaredVersion} is read as 3.1; features newer than 3.1 are ignored`);
    version = '3.1';
  }
  return { file, format, declaredVersion, version, original, document, problems, bytes: Buffer.byteLength(text) };
}

function parseText(file: string, text: string): { value: unknown; format: 'json' | 'yaml' } {
  const trimmed = text.replace(/^\uFEFF/, '').trimStart();
  const looksJson = trimmed.startsWith('{') || trimmed.startsWith('[') || path.extname(file).toLowerCase() === '.json';
  if (trimmed === '') throw errors.SPEC_PARSE([file, 'JSON or YAML', 'the file is empty'], { details: { file } });
  if (looksJson) {
    try {
      return { value: JSON.parse(trimmed), format: 'json' };
    } catch (cause) {
      // YAML is a superset of JSON: a `.json` file may still be YAML-ish; try before failing.
      if (path.extname(file).toLowerCase() === '.json') {
        throw errors.SPEC_PARSE([file, 'JSON', describeJsonError(trimmed, cause as Error)], { cause, details: { file } });
      }
    }
  }
  try {
    // uniqueKeys off: real specs repeat keys; the last one wins, as in JSON.parse.
    // Loaded here, not at import: most big specs are JSON, and yaml costs ~60 ms to load.
    const { parse } = require('yaml') as typeof import('yaml');
    return { value: parse(trimmed, { uniqueKeys: false, maxAliasCount: 10_000 }), format: 'yaml' };
  } catch (cause) {
    const yamlError = cause as YAMLParseError;
    const reason =
      yamlError.name === 'YAMLParseError' && yamlError.linePos
        ? `line ${yamlError.linePos[0].line}, column ${yamlError.linePos[0].col}: ${yamlError.message.split('\n')[0]}`
        : yamlError.message;
    throw errors.SPEC_PARSE([file, 'YAML', reason], { cause, details: { file } });
  }
}

function describeJsonError(text: string, error: Error): string {
  const match = /position (\d+)/.exec(error.message);
  if (!match) return error.message;
  const offset = Number(match[1]);
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const col = offset - before.lastIndexOf('\n');
  return `line ${line}, column ${col}: ${error.message.replace(/ in JSON at position \d+.*$/, '')}`;
}

function declaredVersionOf(file: string, doc: Record<string, unknown>): string {
  const raw = doc.openapi ?? doc.swagger;
  if (raw === undefined) {
    throw errors.SPEC_NOT_OPENAPI([file, 'it has neither an "openapi" nor a "swagger" field'], { details: { file } });
  }
  const version = String(raw);
  if (doc.swagger !== undefined && !version.startsWith('2.')) throw errors.SPEC_VERSION([file, `swagger ${version}`], { details: { file } });
  if (doc.openapi !== undefined && !/^3\.\d+/.test(version)) throw errors.SPEC_VERSION([file, `openapi ${version}`], { details: { file } });
  return version;
}

function mayHaveExternalRefs(text: string): boolean {
  // The lookahead holds the spaces and the quote too: outside it they backtrack and let every ref match.
  return /\$ref['"]?\s*:(?!\s*['"]?#)/.test(text);
}

function hasExternalRefs(node: unknown): boolean {
  const stack: unknown[] = [node];
  while (stack.length > 0) {
    const current = stack.pop();
    if (current === null || typeof current !== 'object') continue;
    if (Array.isArray(current)) {
      for (const item of current) stack.push(item);
      continue;
    }
    for (const [key, child] of Object.entries(current)) {
      if (key === '$ref' && typeof child === 'string' && !child.startsWith('#')) return true;
      if (typeof child === 'object') stack.push(child);
    }
  }
  return false;
}

async function bundleExternalRefs(file: string, doc: Record<string, unknown>, problems: ProblemList): Promise<Record<string, unknown>> {
  try {
    // Never fetch over the network while reading a spec: only files beside it.
    // Loaded on demand: most specs have no external refs and start-up time matters.
    const { bundle } = require('@readme/openapi-parser') as typeof import('@readme/openapi-parser');
    const bundled = await bundle(path.resolve(file), { resolve: { external: true, http: false } as never });
    return bundled as unknown as Record<string, unknown>;
  } catch (cause) {
    problems.warn(
      'ref-external-unresolved',
      '',
      `external $refs could not be bundled (${firstLine((cause as Error).message)}); schemas behind them are treated as "any value"`,
    );
    return doc;
  }
}

async function convertSwagger2(file: string, doc: Record<string, unknown>, problems: ProblemList): Promise<Record<string, unknown>> {
  const swagger2openapi = require('swagger2openapi') as {
    convertObj(doc: unknown, options: Record<string, unknown>): Promise<{ openapi: Record<string, unknown> }>;
  };
  try {
    const result = await swagger2openapi.convertObj(structuredClone(doc), {
      patch: true, // fix small, well-known Swagger mistakes instead of failing
      warnOnly: true,
      resolve: false, // external refs were bundled already; never fetch
      direct: false,
    });
    problems.warn('spec-converted', '', 'Swagger 2.0 converted to OpenAPI 3.0; pointers in later problems refer to the converted document');
    return result.openapi;
  } catch (cause) {
    throw errors.SPEC_CONVERT([file, firstLine((cause as Error).message)], { cause, details: { file } });
  }
}

function firstLine(message: string): string {
  return message.split('\n')[0];
}
