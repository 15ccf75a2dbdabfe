/** Reading and parsing one connector file: YAML, then the schema, then the value checks, every problem in one error. */
import { readFile } from 'node:fs/promises';
import { checkValues } from './checks';
import { yaml } from './load-yaml';
import { connectorError, Reasons } from './problems';
import { resolveConfig, type RawConfig } from './resolve';
import { validator } from './schema';
import { describeSchemaErrors } from './schema-errors';
import type { ConnectorConfig } from './types';

/** Reads a connector file; undefined when there is none. */
export async function readConnectorConfig(file: string): Promise<ConnectorConfig | undefined> {
  const raw = await readRawConnectorConfig(file);
  return raw === undefined ? undefined : resolveConfig(raw);
}

/** Parses and validates one connector file; throws one CONFIG_CONNECTOR listing every problem. */
export function parseConnectorConfig(file: string, text: string): ConnectorConfig {
  return resolveConfig(parseRawConnectorConfig(file, text));
}

/** Reads a connector file as written (validated, no defaults laid under it); undefined when there is none. */
export async function readRawConnectorConfig(file: string): Promise<RawConfig | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw connectorError(file, [`cannot be read: ${(cause as Error).message}`], cause);
  }
  return parseRawConnectorConfig(file, text);
}

/**
 * A built-in connector's file with a user's file laid over it (`use: <id>` in specs/): each
 * key the user's file sets replaces the built-in's, except mappings of named entries
 * (headers, tools, toolsets), which are merged entry by entry. Checked again as one file.
 */
export function mergeConnectorConfigs(file: string, builtIn: RawConfig, user: RawConfig): ConnectorConfig {
  // Which spec is read is the loader's business: the merged file names none.
  const { use: _use, spec: _userSpec, ...own } = user;
  const { spec: _builtInSpec, ...base } = builtIn;
  const merged: Record<string, unknown> = { ...base, ...own };
  for (const key of ['headers', 'tools', 'toolsets'] as const) {
    if (base[key] !== undefined && own[key] !== undefined) merged[key] = { ...base[key], ...own[key] };
  }
  // The user's server variables pick a server of the spec: the built-in's base URL would refuse them.
  if (own.serverVariables !== undefined && own.baseUrl === undefined) delete merged.baseUrl;
  const reasons = new Reasons(merged);
  checkValues(merged, reasons);
  if (reasons.size > 0) throw connectorError(file, reasons.texts());
  return resolveConfig(merged as RawConfig);
}

function parseRawConnectorConfig(file: string, text: string): RawConfig {
  // Duplicate keys stay errors here (unlike specs): in a hand-written file they are mistakes.
  const { parseDocument } = yaml();
  const doc = parseDocument(text.replace(/^\uFEFF/, ''));
  if (doc.errors.length > 0) {
    throw connectorError(
      file,
      doc.errors.map((e) => `${e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}: ` : ''}${e.message.split('\n')[0]}`),
    );
  }
  // An empty file (or only comments) means "all defaults".
  const raw: unknown = doc.toJS() ?? {};
  const reasons = new Reasons(raw);
  const validate = validator();
  if (!validate(raw)) describeSchemaErrors(validate.errors ?? [], reasons);
  checkValues(raw, reasons);
  if (reasons.size > 0) throw connectorError(file, reasons.inFileOrder(doc));
  return raw as RawConfig;
}
