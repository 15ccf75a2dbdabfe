/**
 * Every kind of connector source the registry reads, in the order id clashes are
 * settled (the earlier source's file keeps the id; the later one is a failure).
 *
 * Adding a source: write `sources/<name>.ts` exporting a `SourceKind<YourOptions>`
 * (source.ts: scan / load / watch; `create` returns undefined when the options do not
 * ask for it), and add it to SOURCE_KINDS below. Its options join RegistryOptions by
 * themselves (SourceOptions is derived from this list).
 */
import { builtInConnectors } from './built-in-connectors';
import { specsFolder } from './specs-folder';
import type { SourceKind } from './source';

export const SOURCE_KINDS = [specsFolder, builtInConnectors] as const;

type OptionsOf<K> = K extends SourceKind<infer O> ? O : never;
type AllOf<U> = (U extends unknown ? (u: U) => void : never) extends (all: infer I) => void ? I : never;

/** The options of every source kind together. */
export type SourceOptions = AllOf<OptionsOf<(typeof SOURCE_KINDS)[number]>>;

export type { ConnectorSource, SourceEntry, SourceKind, SourceLoad, SourceScan } from './source';
export type { BuiltInConnectorsOptions } from './built-in-connectors';
export type { SpecsFolderOptions } from './specs-folder';
