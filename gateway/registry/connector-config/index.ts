/**
 * `<name>.connector.yaml` (or a built-in's `connectors/<id>/connector.yaml`): what refines
 * the connector the hub derives from a spec (docs/connectors.md). One schema, validated
 * once per load with every problem listed as `key.path: what was expected`, defaults in
 * one frozen object (STYLE.md "Configuration"). Checks that need the spec (does this
 * operation exist?) are load-connector/'s.
 *
 *   types.ts            the shape once read        schema.ts        the one JSON Schema
 *   defaults.ts         every default              checks.ts        what a schema cannot say
 *   auth-section.ts     `auth`: schema + checks    policy-sections  rate limits, retry, cache, breaker
 *   parse.ts            read -> validate -> resolve.ts (defaults laid under the file, frozen)
 *
 * A new section is one more entry in schema.ts's SECTIONS (reserved ones are refused until
 * then), its type owned by the folder that reads it.
 */
export type { ConnectorConfig, ConnectorTimeouts, Selection, ToolOverride, ToolsetDefinition } from './types';
export type { RawConfig } from './resolve';
export { DEFAULT_CONNECTOR_CONFIG } from './defaults';
export { RESERVED_SECTIONS } from './schema';
export { RATE_LIMIT_HEADERS } from './policy-sections';
export { TOOL_NAME } from './limits';
export { mergeConnectorConfigs, parseConnectorConfig, readConnectorConfig, readRawConnectorConfig } from './parse';
export { connectorError } from './problems';
export { hint, keyPath, shown } from './messages';
export { deepFreeze } from './deep-freeze';
