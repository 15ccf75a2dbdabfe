/**
 * A real OAuth 2 / OpenID Connect authorisation server for tests (oidc-provider, run by
 * oidc-server.mjs in its own process), and a scripted user for its built-in development
 * login and consent pages: plain fetch, a small cookie jar, redirects followed by hand.
 */
import { stopChild } from './child-process';
import { spawn } from 'node:child_process';
import path from 'node:path';

const SCRIPT = path.join(__dirname, 'oidc-server.mjs');

export interface OidcClientConfig {
  client_id: string;
  client_secret?: string;
  redirect_uris?: string[];
  grant_types?: string[];
  response_types?: string[];
  token_endpoint_auth_method?: 'client_secret_basic' | 'client_secret_post' | 'none';
  scope?: string;
}

export interface OidcServerConfig {
  clients: OidcClientConfig[];
  /** Scopes beyond openid and offline_access. */
  scopes?: string[];
  /** Seconds. */
  accessTokenTtl?: number;
  clientCredentialsTtl?: number;
  deviceCodeTtl?: number;
  /** Per client, e.g. one whose device codes expire at once. */
  deviceCodeTtlByClient?: Record<string, number>;
  /** Issue JWT access tokens (RFC 9068) for this protected resource, with extra claims per client id. */
  jwtResource?: { audience: string; scope?: string; claims?: Record<string, Record<string, unknown>> };
}

export interface GrantEvent {
  event: 'grant.success' | 'grant.error';
  grantType: string;
}

export interface OidcServer {
  issuer: string;
  /** Every token-endpoint grant so far (success or error), in order. */
  grants(): GrantEvent[];
  /** Everything the server wrote on stderr (oidc-provider's warnings). */
  stderr(): string;
  stop(): Promise<void>;
}

export async function startOidcServer(config: OidcServerConfig): Promise<OidcServer> {
  // stdin stays open as a lifeline: the server exits when it closes, so a crashed test run leaves no orphan.
  const child = spawn(process.execPath, [SCRIPT, JSON.stringify({ port: 0, ...config })], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const issuer = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`oidc-server did not start in 20 s:\n${stderr}`));
    }, 20_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (line && stdout.includes('\n')) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { issuer: string }).issuer);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`oidc-server exited with ${code}:\n${stderr}`));
    });
  });
  return {
    issuer,
    grants: () =>
      stdout
        .split('\n')
        .filter((line) => line.startsWith('{"event"'))
        .map((line) => JSON.parse(line) as GrantEvent),
    stderr: () => stderr,
    stop: async () => {
      await stopChild(child);
    },
  };
}

/** name → value; enough for one host and the provider's few cookies. */
class CookieJar {
  private readonly cookies = new Map<string, string>();

  store(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair, ...attributes] = header.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]) <= Date.now());
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

interface Form {
  action: string;
  fields: URLSearchParams;
}

const decodeHtml = (text: string) =>
  text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&#x27;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

const attribute = (tag: string, name: string) => {
  const match = new RegExp(`\\s${name}="([^"]*)"`, 'i').exec(tag);
  return match ? decodeHtml(match[1]) : undefined;
};

/** The page's first POST form, with its inputs filled the way a user who agrees would. */
function firstForm(html: string, pageUrl: string): Form | undefined {
  const match = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(html);
  if (!match) return undefined;
  const fields = new URLSearchParams();
  for (const input of match[2].match(/<input\b[^>]*>/gi) ?? []) {
    const name = attribute(input, 'name');
    if (!name) continue;
    if (name === 'login') fields.set(name, 'test-user');
    else if (name === 'password') fields.set(name, 'any-password');
    else fields.set(name, attribute(input, 'value') ?? '');
  }
  return { action: new URL(attribute(match[1], 'action') ?? pageUrl, pageUrl).href, fields };
}

/**
 * Walks the provider's pages like a browser: follows redirects by hand and submits each
 * page's form (after `choose` may change its fields), until `done(location)` says a redirect
 * is the end (returned, not requested) or a page has no form to submit (returned with its status).
 */
async function browse(
  start: string,
  done: (location: URL) => boolean,
  /** May change a form's fields before it is submitted; `false` stops instead (the page is returned). */
  choose: (fields: URLSearchParams) => boolean | void = () => {},
): Promise<{ location?: URL; status?: number; page?: string }> {
  const jar = new CookieJar();
  let request: { url: string; form?: URLSearchParams } = { url: start };
  for (let step = 0; step < 20; step++) {
    const response = await fetch(request.url, {
      method: request.form ? 'POST' : 'GET',
      body: request.form,
      redirect: 'manual',
      headers: { cookie: jar.header() },
    });
    jar.store(response);
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      const next = new URL(location, request.url);
      if (done(next)) return { location: next };
      request = { url: next.href };
      continue;
    }
    const page = await response.text();
    const form = response.status === 200 ? firstForm(page, request.url) : undefined;
    if (!form || choose(form.fields) === false) return { status: response.status, page };
    request = { url: form.action, form: form.fields };
  }
  throw new Error(`more than 20 steps from ${start}`);
}

/**
 * Opens `authorizationUrl`, signs in (any login) and consents, and returns the redirect to
 * the client's redirect_uri (the callback with code and state) without requesting it.
 */
export async function loginAndConsent(authorizationUrl: string): Promise<URL> {
  const redirectUri = new URL(authorizationUrl).searchParams.get('redirect_uri');
  if (!redirectUri) throw new Error('the authorization URL has no redirect_uri');
  const isCallback = (location: URL) => `${location.origin}${location.pathname}` === redirectUri.replace(/\?.*$/, '');
  const { location, status, page } = await browse(authorizationUrl, isCallback);
  if (!location) throw new Error(`the provider stopped on a page (${status}) instead of redirecting back:\n${page?.slice(0, 500)}`);
  return location;
}

/** Enters `userCode` at the provider's device page, confirms, signs in and consents. */
export async function approveDeviceCode(issuer: string, userCode: string): Promise<void> {
  const { status, page } = await browse(deviceUrl(issuer, userCode), () => false);
  if (status !== 200 || !page || !/Sign-in Success/.test(page)) {
    throw new Error(`the device approval did not succeed (${status}):\n${page?.slice(0, 500)}`);
  }
}

/** Enters `userCode` at the provider's device page and presses "Abort" on the confirmation. */
export async function denyDeviceCode(issuer: string, userCode: string): Promise<void> {
  let aborted = false;
  const { page } = await browse(
    deviceUrl(issuer, userCode),
    () => false,
    (fields) => {
      if (aborted) return false; // the page after "Abort" offers the code form again: stop there
      if (fields.has('confirm')) {
        fields.delete('confirm');
        fields.set('abort', 'yes');
        aborted = true;
      }
    },
  );
  if (!page || !/interrupted/.test(page)) throw new Error(`the device denial did not register:\n${page?.slice(0, 500)}`);
}

function deviceUrl(issuer: string, userCode: string): string {
  const url = new URL('/device', issuer);
  url.searchParams.set('user_code', userCode);
  return url.href;
}
