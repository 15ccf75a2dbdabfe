/**
 * The registry room: which connectors the hub serves, read from every connector source
 * into one immutable snapshot, reloaded on change.
 *
 *   registry.ts          Registry: scans the sources, keeps last good versions, settles id clashes, emits `changed`
 *   sources/             one file per source (the specs folder, built-in connectors/); sources/index.ts says how to add one
 *   load-connector/      a spec + its connector file -> the connector served
 *   connector-config/    the connector file: schema, defaults, checks
 *   load-artefacts.ts    the fast start from `lunar-hub generate` output (the specs folder's shortcut)
 */
export { Registry, type RegistryOptions } from './registry';
export {
  SOURCE_KINDS,
  type BuiltInConnectorsOptions,
  type ConnectorSource,
  type SourceEntry,
  type SourceKind,
  type SourceOptions,
  type SpecsFolderOptions,
} from './sources';
export {
  applyConnectorConfig,
  connectorFileFor,
  connectorFromToolSet,
  findConnectorConfig,
  loadConnector,
  resolveBaseUrl,
  type AppliedConfig,
  type LoadConnectorOptions,
  type LoadedConnector,
} from './load-connector';
export {
  DEFAULT_CONNECTOR_CONFIG,
  parseConnectorConfig,
  readConnectorConfig,
  RATE_LIMIT_HEADERS,
  type ConnectorConfig,
  type ConnectorTimeouts,
  type Selection,
  type ToolOverride,
} from './connector-config';
export {
  ARTEFACT_FORMAT,
  artefactDirFor,
  connectorArtefact,
  loadArtefactsOrSpec,
  loadConnectorFromArtefacts,
  stampSpec,
  type ArtefactLoad,
  type ArtefactSpecStamp,
  type ConnectorArtefact,
  type LoadArtefactsOptions,
} from './load-artefacts';
