/**
 * The face of generators/ (spec -> operation model -> tools; typed clients; docs): what
 * other folders use. Pure, but for the one reader of spec files.
 */
export { generateCatalogue } from './catalogue';
export * from './client/serialise';
export { generateTypedClient } from './client/typed-client';
export { generateTypes } from './client/types';
export { DEFAULT_GENERATE_OPTIONS, generateTools, resolveGenerateOptions, type GenerateOptions, type SkippedOperation, type ToolSet } from './generate-tools';
export { appendPointer, resolvePointer } from './json-pointer';
export { connectorIdFromFile, isValidConnectorId, MAX_TOOL_NAME } from './names';
export { HTTP_METHODS, type ApiModel, type OperationModel, type ParameterLocation, type ServerModel } from './operation';
export type { OutputSchemaMode } from './output-schema';
export { formatProblem, type Problem } from './problems';
export { readSpecFile, readSpecText, type LoadedSpec } from './spec-reader';
export { validateSpecDocument } from './spec-validator';
export { FOLLOW_PAGES_ARGUMENT, PROJECTION_ARGUMENT, type BodyKind, type McpTool, type ToolBinding } from './tool';
