/**
 * oauth4webapi, loaded once for the whole folder.
 *
 * The package is ESM-only and this project compiles to CommonJS. Node 20.19+ loads ES
 * modules through `require()` (require(esm)), so a plain `require` typed with the package's
 * own import-mode declarations gives both the value and the types. Jest's loader cannot run
 * ESM syntax, so jest.config.js transforms this one package to CommonJS
 * (test/helpers/esm-to-cjs-transform.js).
 *
 * Every other file in auth/oauth imports from here, never from 'oauth4webapi'.
 */
export type { AuthorizationServer, Client, ClientAuth, TokenEndpointResponse } from 'oauth4webapi' with { 'resolution-mode': 'import' };

type OAuth4WebApi = typeof import('oauth4webapi', { with: { 'resolution-mode': 'import' } });

let loaded: OAuth4WebApi | undefined;

/**
 * Loaded on first use, not with the folder: every command imports auth/'s face, and only
 * the OAuth flows and JWT checks need the library (~5 ms).
 */
export const oauth: OAuth4WebApi = new Proxy({} as OAuth4WebApi, {
  get: (_target, name) => (loaded ??= require('oauth4webapi') as OAuth4WebApi)[name as keyof OAuth4WebApi],
});
