/**
 * Spec -> tool set: the pure heart of the generators. One frozen, fully-defaulted
 * options object in; tools, bindings, the operation model and every problem out.
 */
import { buildApiModel, type ApiModel, type OperationModel } from './operation';
import type { OutputSchemaMode } from './output-schema';
import type { Problem } from './problems';
import { RefResolver } from './ref-resolver';
import { SchemaConverter } from './schema';
import type { LoadedSpec } from './spec-reader';
import { assignToolNames, connectorIdFromFile, isValidConnectorId } from './names';
import { buildTool, type McpTool, type ToolBinding } from './tool';
import { errors } from '../errors';

export interface GenerateOptions {
  /** Prefix of every tool name; defaults to one derived from the file name. */
  connectorId: string;
  /** Deprecated operations are left out unless this is true. */
  includeDeprecated: boolean;
  outputSchema: OutputSchemaMode;
  /** Characters kept of a tool's summary + description. */
  descriptionBudget: number;
  /** Characters kept of a parameter's (or top-level body property's) description. */
  parameterDescriptionBudget: number;
  /** Characters kept of descriptions nested deeper inside schemas. */
  schemaDescriptionBudget: number;
  /** Called every few operations; the CLI draws progress from it. */
  onProgress?: (done: number, total: number) => void;
}

export const DEFAULT_GENERATE_OPTIONS: Readonly<Omit<GenerateOptions, 'connectorId' | 'onProgress'>> = Object.freeze({
  includeDeprecated: false,
  outputSchema: 'shallow',
  // Budgets tuned on GitHub's spec to keep the mean tool under 1,000 bytes (bench/).
  descriptionBudget: 140, // characters
  parameterDescriptionBudget: 56, // characters
  schemaDescriptionBudget: 44, // characters
});

export interface SkippedOperation {
  operation: string;
  pointer: string;
  reason: string;
}

export interface ToolSet {
  connectorId: string;
  file: string;
  api: Omit<ApiModel, 'operations'>;
  tools: McpTool[];
  bindings: ToolBinding[];
  operations: OperationModel[];
  skipped: SkippedOperation[];
  problems: Problem[];
}

export function resolveGenerateOptions(spec: LoadedSpec, partial: Partial<GenerateOptions> = {}): Readonly<GenerateOptions> {
  const connectorId = partial.connectorId ?? connectorIdFromFile(spec.file);
  if (!isValidConnectorId(connectorId)) {
    throw errors.CONFIG_CONNECTOR_ID([connectorId, 'use 1-24 characters of a-z, 0-9 and "-", starting and ending with a letter or digit']);
  }
  const defined = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined));
  return Object.freeze({ ...DEFAULT_GENERATE_OPTIONS, ...defined, connectorId });
}

export function generateTools(spec: LoadedSpec, partial: Partial<GenerateOptions> = {}): ToolSet {
  const options = resolveGenerateOptions(spec, partial);
  const problems = spec.problems;
  const { operations, ...api } = buildApiModel(spec.document, problems);
  const resolver = new RefResolver(spec.document, problems);
  const converterOptions = { version: spec.version, resolver, problems, descriptionBudget: options.schemaDescriptionBudget };
  const ctx = {
    connectorId: options.connectorId,
    resolver,
    input: new SchemaConverter({ ...converterOptions, direction: 'input' }),
    output: new SchemaConverter({ ...converterOptions, direction: 'output', descriptionBudget: 0 }),
    outputSchema: options.outputSchema,
    descriptionBudget: options.descriptionBudget,
    parameterDescriptionBudget: options.parameterDescriptionBudget,
  };

  const skipped: SkippedOperation[] = [];
  const served = operations.filter((op) => {
    if (op.deprecated && !options.includeDeprecated) {
      skipped.push({ operation: op.key, pointer: op.pointer, reason: 'deprecated (includeDeprecated brings it back)' });
      return false;
    }
    return true;
  });
  const names = assignToolNames(options.connectorId, served);
  const tools: McpTool[] = [];
  const bindings: ToolBinding[] = [];
  served.forEach((op, index) => {
    try {
      const { tool, binding } = buildTool(op, names.get(op.key)!, ctx);
      tools.push(tool);
      bindings.push(binding);
    } catch (cause) {
      // A generator bug or a spec shape nobody foresaw costs one tool, not the spec.
      const reason = `could not be made into a tool: ${(cause as Error).message}`;
      skipped.push({ operation: op.key, pointer: op.pointer, reason });
      problems.warn('operation-skipped', op.pointer, reason);
    }
    if (options.onProgress && (index % 50 === 49 || index === served.length - 1)) options.onProgress(index + 1, served.length);
  });
  return { connectorId: options.connectorId, file: spec.file, api, tools, bindings, operations: served, skipped, problems: problems.items };
}
