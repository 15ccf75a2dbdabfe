/**
 * A connector as the registry serves it, whatever source it came from (the specs folder,
 * a built-in `connectors/<id>/`, generated artefacts).
 */
import type { SkippedOperation, Problem } from '../../generators';
import type { ConnectorRuntime } from './http';
import type { RegisteredTool } from './tool';

export interface ServedConnector {
  id: string;
  /** The source it came from: `specs` (the specs folder), `connectors` (built-in); absent outside the registry. */
  source?: string;
  /** The spec file it was generated from. */
  specFile: string;
  /** The connector file read, if there was one. */
  configFile?: string;
  runtime: ConnectorRuntime;
  tools: RegisteredTool[];
  /** The spec's problems, and warnings about the connector file (rule `connector-*`). */
  problems: Problem[];
  /** Operations not served: deprecated, not buildable, or left out by the connector file. */
  skipped: SkippedOperation[];
  /** Its named toolsets, and the default set (empty: every tool is in it). */
  toolsets?: { names: readonly string[]; defaults: readonly string[] };
  /** The built-in connector it is, when it is one (from connectors/, or `use:` in specs/). */
  builtIn?: string;
}
