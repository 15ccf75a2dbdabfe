/**
 * An immutable view of every connector the hub serves. A reload builds a new one and
 * swaps it in; calls in flight keep the one they started on.
 */
import type { ServedConnector } from './connector';
import type { RegisteredTool } from './tool';

/** A spec (or connector file) that could not be loaded; /healthz shows these. */
export interface LoadFailure {
  file: string;
  code: string;
  message: string;
  /** The connector still served from an earlier, good version of the file, if any. */
  servingPrevious?: string;
}

export class RegistrySnapshot {
  /** Sorted by tool name: tools/list pages are deterministic and cursors are names. */
  readonly tools: readonly RegisteredTool[];
  readonly byName: ReadonlyMap<string, RegisteredTool>;
  readonly connectors: ReadonlyMap<string, ServedConnector>;

  constructor(
    readonly version: number,
    connectors: readonly ServedConnector[],
    readonly failures: readonly LoadFailure[],
  ) {
    this.connectors = new Map(connectors.map((c) => [c.id, c]));
    const tools = connectors.flatMap((c) => c.tools).sort((a, b) => (a.tool.name < b.tool.name ? -1 : a.tool.name > b.tool.name ? 1 : 0));
    this.tools = Object.freeze(tools);
    this.byName = new Map(tools.map((t) => [t.tool.name, t]));
    Object.freeze(this);
  }

  static empty(): RegistrySnapshot {
    return new RegistrySnapshot(0, [], []);
  }
}
