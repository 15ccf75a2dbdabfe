/** A valid connector file laid over the defaults, normalised (lower-case names, no trailing slash) and frozen. */
import { PAGINATION_DEFAULTS } from '../../core';
import { deepFreeze } from './deep-freeze';
import { DEFAULT_CONNECTOR_CONFIG } from './defaults';
import { resolvePolicy, type RawPolicy } from './policy-sections';
import type { ConnectorConfig, ConnectorTimeouts, Selection, ToolsetDefinition } from './types';

export type RawConfig = Partial<Omit<ConnectorConfig, 'timeouts' | 'operations' | 'tags' | 'policy' | 'toolsets'>> &
  RawPolicy & {
    toolsets?: Record<string, Partial<ToolsetDefinition>>;
    timeouts?: Partial<ConnectorTimeouts>;
    operations?: Partial<Selection>;
    tags?: Partial<Selection>;
  };

export function resolveConfig(raw: RawConfig): ConnectorConfig {
  const d = DEFAULT_CONNECTOR_CONFIG;
  const config: ConnectorConfig = {
    ...(raw.id !== undefined ? { id: raw.id } : {}),
    ...(raw.spec !== undefined ? { spec: raw.spec } : {}),
    ...(raw.use !== undefined ? { use: raw.use } : {}),
    ...(raw.baseUrl !== undefined ? { baseUrl: normaliseBaseUrl(raw.baseUrl) } : {}),
    serverVariables: { ...(raw.serverVariables ?? d.serverVariables) },
    allowedHosts: [...new Set((raw.allowedHosts ?? d.allowedHosts).map((h) => h.toLowerCase()))],
    timeouts: { ...d.timeouts, ...raw.timeouts },
    maxResponseBytes: raw.maxResponseBytes ?? d.maxResponseBytes,
    headers: Object.fromEntries(Object.entries(raw.headers ?? d.headers).map(([k, v]) => [k.toLowerCase(), v])),
    operations: { ...raw.operations, exclude: raw.operations?.exclude ?? [] },
    tags: { ...raw.tags, exclude: raw.tags?.exclude ?? [] },
    deprecated: raw.deprecated ?? d.deprecated,
    outputSchema: raw.outputSchema ?? d.outputSchema,
    tools: { ...raw.tools },
    toolsets: Object.fromEntries(
      Object.entries(raw.toolsets ?? {}).map(([name, t]) => [
        name,
        {
          ...(t.description !== undefined ? { description: t.description } : {}),
          tags: t.tags ?? [],
          operations: t.operations ?? [],
          scopes: t.scopes ?? [],
        },
      ]),
    ),
    ...(raw.defaultToolsets !== undefined ? { defaultToolsets: [...new Set(raw.defaultToolsets)] } : {}),
    ...(raw.pagination !== undefined ? { pagination: { ...PAGINATION_DEFAULTS[raw.pagination.style], ...raw.pagination } } : {}),
    ...(raw.auth !== undefined ? { auth: { ...raw.auth } } : {}),
    policy: resolvePolicy(raw),
  };
  return deepFreeze(config);
}

function normaliseBaseUrl(url: string): string {
  return new URL(url).href.replace(/\/+$/, '');
}
