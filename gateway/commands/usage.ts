/**
 * Every command's usage, in one module the CLI reads without loading the commands
 * themselves (each is required only when its verb runs: `stdio` starts without express,
 * the admin use-cases or the generators' client code).
 */

export const adminUsage = [
  'lunar-hub tenants add NAME | tenants list | tenants quota NAME --calls-per-minute N|none   [--data DIR] [--json]',
  'lunar-hub admins add USERNAME [--tenant NAME] (password from LUNAR_ADMIN_PASSWORD or --password-stdin)',
  'lunar-hub keys create --tenant NAME --name TEXT [--user ID] [--toolsets a,b:tag] [--read-only] [--expires ISO] [--calls-per-minute N] | keys list --tenant NAME | keys revoke ID --tenant NAME',
  'lunar-hub connections add --tenant NAME --connector ID --kind api_key|bearer|basic [--user ID] [--username U] [--shared] [--specs DIR] (--secret-env VAR | --secret-stdin)',
  'lunar-hub connections list --tenant NAME [--connector ID] | connections revoke ID --tenant NAME | connections share ID --tenant NAME [--off]',
  'lunar-hub connections connect --tenant NAME --connector ID [--user ID] [--device | --client-credentials] [--specs DIR]   (OAuth: prints the URL to open, or runs the device flow here)',
  'lunar-hub connections reconnect ID --tenant NAME [--specs DIR]   (a new authorization URL for a connection that needs one)',
  'lunar-hub connections test ID --tenant NAME [--specs DIR]   (opens the secret, renews an OAuth token, calls one read-only operation)',
  'lunar-hub oauth-apps add --tenant NAME --connector ID --client-id ID --redirect-uri URL [--scopes a,b] [--client-secret-env VAR]',
  'lunar-hub audit [--tenant NAME] [--agent ID] [--tool NAME] [--since ISO] [--limit N] [--json]',
  'lunar-hub rotate-key [--data DIR]   (re-seal every secret under a new master key)',
].join('\n  ');

export const connectorsUsage = [
  'lunar-hub connectors list [--json] [--specs DIR] [--connectors a,b] [--config FILE]   (built-in and specs/ connectors, their toolsets and auth)',
  'lunar-hub connectors add FILE|URL [--specs DIR] [--id ID]   (a spec into the specs folder, with a starter connector file)',
].join('\n  ');

export const configUsage = 'lunar-hub config check [FILE] | config show [--config FILE] [--json]   (settings: docs/configuration.md)';

export const demoUsage = 'lunar-hub demo [--port 4010]   (the example pet shop specs/petstore.yaml calls: in memory, no key)';

export const generateUsage = 'lunar-hub generate [SPEC...] [--specs DIR] [--out DIR] [--no-client] [--strict] [--include-deprecated] [--output-schema MODE]';

export const serveUsage =
  'lunar-hub serve [--config FILE] [--port N] [--host ADDR] [--specs DIR] [--generated DIR] [--connectors a,b] [--data DIR] [--no-auth] [--jwt-issuer URL] [--jwt-audience AUD] [--public-url URL] [--stateless] [--workers N] [--tools all|dynamic] [--page-size N] [--allowed-hosts a,b] [--log-level LEVEL]';

export const stdioUsage =
  'lunar-hub stdio [--config FILE] [--specs DIR] [--generated DIR] [--connectors a,b] [--data DIR] [--tenant NAME] [--user ID] [--toolsets LIST] [--tools all|dynamic] [--read-only] [--page-size N] [--log-level LEVEL]';

export const toolsUsage = 'lunar-hub tools SPEC [--json] [--id ID] [--include-deprecated] [--output-schema shallow|full|none]';

export const validateUsage = 'lunar-hub validate SPEC [--json]';
