/**
 * A spec (plus its connector file) -> the connector the registry serves.
 *
 *   load.ts             loadConnector, connectorFromToolSet (shared with generated artefacts)
 *   find-config.ts      which connector file goes with a spec
 *   apply-config.ts     filters, renames and per-operation rates on the generated tools
 *   operation-index.ts  operations by operationId or `METHOD /path`, with did-you-mean
 *   base-url.ts         the base URL from the file or the spec's servers and variables
 *   use-built-in.ts     a specs/ file that turns on a built-in connector (`use: <id>`)
 */
export { connectorFromToolSet, loadConnector, type LoadConnectorOptions, type LoadedConnector } from './load';
export { loadUsedBuiltIn, usedBuiltInFiles } from './use-built-in';
export { connectorFileFor, findConnectorConfig } from './find-config';
export { applyConnectorConfig, type AppliedConfig } from './apply-config';
export { resolveBaseUrl } from './base-url';
