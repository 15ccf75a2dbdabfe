/** Every default of the connector file in one frozen object, with units (STYLE.md "Configuration"). */
import { DEFAULT_GENERATE_OPTIONS } from '../../../generators';
import { DEFAULT_UPSTREAM_POLICY } from '../../core';
import { deepFreeze } from './deep-freeze';
import type { ConnectorConfig } from './types';

export const DEFAULT_CONNECTOR_CONFIG: Readonly<ConnectorConfig> = deepFreeze({
  serverVariables: {},
  allowedHosts: [],
  timeouts: {
    connectMs: 10_000, // milliseconds
    headersMs: 30_000, // milliseconds
    bodyMs: 60_000, // milliseconds, between two body chunks
  },
  maxResponseBytes: 1_048_576, // bytes (1 MiB); larger bodies are cut with a notice
  headers: {},
  operations: { exclude: [] },
  tags: { exclude: [] },
  deprecated: 'exclude',
  outputSchema: DEFAULT_GENERATE_OPTIONS.outputSchema,
  tools: {},
  toolsets: {},
  policy: DEFAULT_UPSTREAM_POLICY,
});
