/** Flags shared by the commands that generate tools from a spec. */
import { errors } from '../../errors';
import type { GenerateOptions, OutputSchemaMode } from '../../generators';

export const GENERATION_FLAGS = {
  id: { type: 'string' },
  'include-deprecated': { type: 'boolean' },
  'output-schema': { type: 'string' },
} as const;

export interface GenerationFlagValues {
  id?: string;
  'include-deprecated'?: boolean;
  'output-schema'?: string;
}

const MODES: OutputSchemaMode[] = ['shallow', 'full', 'none'];

export function generationOptions(values: GenerationFlagValues): Partial<GenerateOptions> {
  const mode = values['output-schema'];
  if (mode !== undefined && !MODES.includes(mode as OutputSchemaMode)) {
    throw errors.CONFIG_USAGE([`--output-schema must be one of ${MODES.join(', ')} (got "${mode}")`]);
  }
  return {
    connectorId: values.id,
    includeDeprecated: values['include-deprecated'],
    outputSchema: mode as OutputSchemaMode | undefined,
  };
}
