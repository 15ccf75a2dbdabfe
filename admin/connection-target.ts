/**
 * The connector a new connection is for, checked before its secret is stored: the
 * connector must be served by this hub, and must send a credential of the connection's
 * kind. A secret that would never go upstream is refused, never stored (issue 14).
 */
import { errors, nearestNames } from '../errors';
import { kindsFor, type UpstreamScheme } from '../auth';
import type { ConnectionKind } from '../store';
import type { RegistrySnapshot, ServedConnector } from '../gateway/core';

/** The served connector with that id; unknown ids are refused with the known ones and the nearest. */
export function servedConnector(snapshot: RegistrySnapshot, connectorId: string): ServedConnector {
  const connector = snapshot.connectors.get(connectorId);
  if (connector) return connector;
  const known = [...snapshot.connectors.keys()].sort();
  const near = nearestNames(connectorId, known);
  const hint = near.length > 0 ? ` (did you mean ${near.join(', ')}?)` : '';
  const list = known.length > 0 ? `the known connectors are ${known.join(', ')}` : 'this hub serves no connector yet (put a spec in the specs folder)';
  throw errors.API_BAD_REQUEST([`No connector "${connectorId}"${hint}: ${list}`], { details: { field: 'connector' } });
}

/** Refuses a kind of connection the connector would not send upstream, naming the connector file's `auth` section. */
export function checkConnectionKind(connector: ServedConnector, kind: ConnectionKind): void {
  const auth = connector.runtime.auth;
  const file = connectorFile(connector);
  if (!auth) {
    throw errors.CRED_SCHEME([
      connector.id,
      `its calls carry no credentials (neither the spec's securitySchemes nor the \`auth\` section of ${file} give it a scheme), so a ${kind} secret would never be sent. Say how the API authenticates in that file's \`auth\` section (for example \`auth: { type: bearer }\`), then add the connection`,
    ]);
  }
  const accepted = kindsFor(auth.scheme);
  if (accepted.includes(kind)) return;
  const others = otherSchemeNames(connector, auth.source);
  throw errors.CRED_SCHEME([
    connector.id,
    `it authenticates with ${describeScheme(auth.scheme)} (${auth.source}), which a ${kind} connection cannot feed (it takes ${accepted.join(' or ')}). Add a ${accepted[0]} connection, or pick another of the spec's securitySchemes${others.length > 0 ? ` (${others.join(', ')})` : ''} with \`auth.scheme\` in ${file} (\`auth.type\` defines one the spec lacks)`,
  ]);
}

/** The connector file read, or where one would be read from. */
function connectorFile(connector: ServedConnector): string {
  if (connector.configFile) return connector.configFile;
  // Loaded on this error path only: every CLI command imports admin/, and the loader pulls in the generators.
  const { connectorFileFor } = require('../gateway/registry/load-connector') as typeof import('../gateway/registry/load-connector');
  return connectorFileFor(connector.specFile);
}

function describeScheme(scheme: UpstreamScheme): string {
  switch (scheme.type) {
    case 'apiKey':
      return `an API key in the ${scheme.in} "${scheme.name}"`;
    case 'basic':
      return 'HTTP basic (username and password)';
    case 'bearer':
      return 'a bearer token';
    case 'oauth2':
      return 'OAuth 2';
  }
}

/** The scheme names the spec's operations mention, other than the one in use. */
function otherSchemeNames(connector: ServedConnector, source: string): string[] {
  const inUse = source.startsWith('spec securitySchemes.') ? source.slice('spec securitySchemes.'.length) : undefined;
  const names = new Set<string>();
  for (const registered of connector.tools) {
    if (registered.kind !== 'http') continue;
    for (const requirement of registered.operation.security ?? []) for (const name of Object.keys(requirement)) if (name !== inUse) names.add(name);
  }
  return [...names].sort();
}
