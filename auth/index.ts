/**
 * Identity and credentials, the face of auth/ (DESIGN.md): who calls (principals, agent
 * keys, JWT access tokens), whose account goes upstream (connections, sealed secrets,
 * token renewal), how an upstream authenticates (schemes from securitySchemes and the
 * connector file's `auth`), and the upstream OAuth client. Knows nothing of MCP; uses
 * only store/ and errors/. Other folders import only this file.
 */
export * from './principal';
export * from './tenant-named';
export * from './agents/agent-keys';
export * from './agents/jwt-access-tokens';
export * from './credentials/credential-service';
export * from './credentials/oauth-connections';
export * from './upstream/payload';
export * from './crypto/master-key';
export * from './crypto/rotate';
export * from './crypto/secret-box';
export * from './upstream/apply';
export * from './upstream/schemes';
export * from './oauth';
