/** Where a connector's tools are called: the connector file's baseUrl, or the spec's first server filled in. */
import { didYouMean } from '../../../errors';
import type { ServerModel } from '../../../generators';
import { hint, keyPath, shown, type ConnectorConfig } from '../connector-config';

/**
 * The connector file's baseUrl, else the spec's first server with its variables
 * filled (the file's serverVariables, else the spec's defaults). Tools are called on
 * one absolute URL; a relative or missing server needs the file to say where the API is.
 */
export function resolveBaseUrl(servers: readonly ServerModel[], declared: boolean, config: ConnectorConfig): { baseUrl?: string; errors: string[] } {
  if (config.baseUrl !== undefined) return { baseUrl: config.baseUrl, errors: [] };
  if (!declared || servers.length === 0) {
    return { errors: ["baseUrl: the spec declares no server; set baseUrl to the API's absolute URL (for example https://api.example.com)"] };
  }
  const server = servers[0];
  const errors: string[] = [];
  const placeholders = [...server.url.matchAll(/\{([^{}]+)\}/g)].map((m) => m[1]);
  const known = new Set([...Object.keys(server.variables), ...placeholders]);
  for (const [name, value] of Object.entries(config.serverVariables)) {
    const where = keyPath(['serverVariables', name]);
    if (!known.has(name)) {
      errors.push(`${where}: the spec's server ${server.url} has no variable "${name}"${hint(didYouMean(name, known))}`);
      continue;
    }
    const allowed = server.variables[name]?.enum;
    if (allowed && allowed.length > 0 && !allowed.includes(value))
      errors.push(`${where}: must be one of ${allowed.join(', ')}, as the spec says (got ${shown(value)})`);
  }
  const url = server.url.replace(/\{([^{}]+)\}/g, (whole, name: string) => {
    const value = config.serverVariables[name] ?? server.variables[name]?.default;
    if (value === undefined) {
      errors.push(
        `${keyPath(['serverVariables', name])}: the spec's server ${server.url} has no default for {${name}}; set serverVariables.${name} or baseUrl`,
      );
      return whole;
    }
    return value;
  });
  if (errors.length > 0) return { errors };
  if (!/^[a-z][a-z0-9+.-]*:/i.test(url)) {
    const example = `https://api.example.com${url.startsWith('/') && url !== '/' ? url.replace(/\/+$/, '') : ''}`;
    return { errors: [`baseUrl: the spec's server URL "${url}" is relative; set baseUrl to the absolute URL the API is served at (for example ${example})`] };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { errors: [`baseUrl: the spec's server URL "${url}" is not a valid URL; set baseUrl`] };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return { errors: [`baseUrl: the spec's server URL "${url}" is not http(s); set baseUrl`] };
  return { baseUrl: parsed.href.replace(/\/+$/, ''), errors: [] };
}
