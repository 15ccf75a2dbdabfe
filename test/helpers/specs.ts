import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { generateTools, type GenerateOptions, type ToolSet, readSpecFile, type McpTool } from '../../generators';

export const FIXTURES = path.join(__dirname, '..', 'fixtures', 'specs');

export function fixture(name: string): string {
  return path.join(FIXTURES, name);
}

export async function toolSetOf(file: string, options: Partial<GenerateOptions> = {}): Promise<ToolSet> {
  return generateTools(await readSpecFile(file), options);
}

export function toolNamed(set: ToolSet, suffix: string): McpTool {
  const tool = set.tools.find((t) => t.name === `${set.connectorId}_${suffix}`);
  if (!tool) throw new Error(`no tool ${set.connectorId}_${suffix}; have ${set.tools.map((t) => t.name).join(', ')}`);
  return tool;
}

/** The validator MCP clients use for tool schemas: ajv in the 2020-12 dialect. */
export function createAjv(): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, logger: false });
  addFormats(ajv);
  return ajv;
}

/** Compiles every input and output schema; returns the failures (tool name, which schema, message). */
export function schemaFailures(tools: readonly McpTool[], ajv = createAjv()): string[] {
  const failures: string[] = [];
  for (const tool of tools) {
    for (const [which, schema] of [
      ['inputSchema', tool.inputSchema],
      ['outputSchema', tool.outputSchema],
    ] as const) {
      if (schema === undefined) continue;
      try {
        ajv.compile(schema);
      } catch (error) {
        failures.push(`${tool.name} ${which}: ${(error as Error).message}`);
      }
    }
  }
  return failures;
}

/** MCP's rule for tool names (SEP-986): 1-64 of A-Z a-z 0-9 _ - . */
export const MCP_TOOL_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
