/**
 * A loopback upstream that holds every request to an OpenAPI spec before answering it:
 * the operation must exist for the method and path, every query parameter must be one
 * the operation declares (and every required one present, path and query), a JSON body
 * must parse and carry the body's required properties, and the credentials must be the
 * ones expected. A request that breaks a rule is answered 400 and recorded in
 * `violations`, so a test fails on it by name; one that keeps them goes to the route the
 * test gave for its operationId (a 404 in the service's style otherwise).
 */
import { readFileSync } from 'node:fs';
import type http from 'node:http';
import { startUpstream, type SeenRequest, type Upstream } from './upstream';

type Json = Record<string, unknown>;
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

export interface SpecUpstream extends Upstream {
  /** What broke the rules, one line per request: `METHOD /path: what`. */
  violations: string[];
  /** The operationIds that were called, in order. */
  called: string[];
}

export interface SpecUpstreamOptions {
  /** The spec file (JSON) the requests are held to. */
  spec: string;
  /** Where the base URL's path ends: `/api/v3` when the connector's baseUrl is `<upstream>/api/v3`. */
  basePath?: string;
  /** Each request's credentials, checked before anything else (`Authorization: Bearer x`). */
  auth: (headers: http.IncomingHttpHeaders) => string | undefined;
  /** Answers by operationId; `params` are the path parameters. */
  routes: Record<string, (req: SeenRequest & { params: Record<string, string>; query: URLSearchParams }, res: http.ServerResponse) => void>;
  /** How this service says "not found" and "bad request". */
  error: (res: http.ServerResponse, status: number, message: string) => void;
}

interface Operation {
  id: string;
  method: string;
  template: string;
  pattern: RegExp;
  names: string[];
  parameters: Array<{ name: string; in: string; required: boolean }>;
  requiredBody: string[];
  hasBody: boolean;
}

export async function startSpecUpstream(options: SpecUpstreamOptions): Promise<SpecUpstream> {
  const spec = JSON.parse(readFileSync(options.spec, 'utf8')) as Json;
  const operations = operationsOf(spec);
  const violations: string[] = [];
  const called: string[] = [];
  const base = options.basePath ?? '';
  const upstream = await startUpstream({}, (req, res) => {
    const url = new URL(req.url, 'http://x');
    const where = `${req.method} ${url.pathname}`;
    const refuse = (why: string) => {
      violations.push(`${where}: ${why}`);
      options.error(res, 400, why);
    };
    if (!url.pathname.startsWith(base)) return refuse(`not under the base path ${base}`);
    const path = url.pathname.slice(base.length) || '/';
    const candidates = operations.filter((op) => op.pattern.test(path));
    const op = candidates.find((o) => o.method === req.method);
    if (!op) return candidates.length > 0 ? refuse(`no ${req.method} operation at ${path}`) : options.error(res, 404, 'Not Found');
    const authProblem = options.auth(req.headers);
    if (authProblem) return refuse(authProblem);
    const match = op.pattern.exec(path)!;
    const params = Object.fromEntries(op.names.map((n, i) => [n, decodeURIComponent(match[i + 1])]));
    const declared = new Set(op.parameters.filter((p) => p.in === 'query').map((p) => p.name));
    const unknown = [...new Set(url.searchParams.keys())].filter((k) => !declared.has(k));
    if (unknown.length > 0) return refuse(`query parameters ${unknown.join(', ')} are not declared by ${op.id}`);
    const missing = op.parameters.filter((p) => p.required && p.in === 'query' && !url.searchParams.has(p.name)).map((p) => p.name);
    if (missing.length > 0) return refuse(`required query parameters ${missing.join(', ')} missing for ${op.id}`);
    if (req.body.length > 0) {
      if (!op.hasBody) return refuse(`${op.id} takes no body`);
      let body: unknown;
      try {
        body = JSON.parse(req.body.toString('utf8'));
      } catch {
        return refuse('the body is not JSON');
      }
      const absent = op.requiredBody.filter((k) => typeof body !== 'object' || body === null || !(k in body));
      if (absent.length > 0) return refuse(`the body lacks required properties ${absent.join(', ')} of ${op.id}`);
    } else if (op.requiredBody.length > 0) return refuse(`${op.id} needs a body with ${op.requiredBody.join(', ')}`);
    called.push(op.id);
    const route = options.routes[op.id];
    if (!route) return options.error(res, 404, `no test route for ${op.id}`);
    route({ ...req, params, query: url.searchParams }, res);
  });
  return Object.assign(upstream, { violations, called });
}

function operationsOf(spec: Json): Operation[] {
  const components = (spec.components ?? {}) as Json;
  const deref = <T>(node: unknown): T => {
    let value = node as Json;
    for (let depth = 0; value && typeof value.$ref === 'string' && depth < 16; depth++) {
      const [, , section, name] = (value.$ref as string).split('/');
      value = ((components[section] ?? {}) as Json)[name.replace(/~1/g, '/').replace(/~0/g, '~')] as Json;
    }
    return value as T;
  };
  const out: Operation[] = [];
  for (const [template, rawItem] of Object.entries((spec.paths ?? {}) as Json)) {
    const item = rawItem as Json;
    const names: string[] = [];
    // GitHub's `{base}...{head}`: a parameter is one path segment's worth of characters, dots included.
    const pattern = new RegExp(
      `^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{([^}]+)\\?\}/g, (_m, name: string) => {
        names.push(name);
        return '([^/]+?)';
      })}$`,
    );
    for (const method of METHODS) {
      const op = item[method] as Json | undefined;
      if (!op) continue;
      const parameters = [...((item.parameters ?? []) as unknown[]), ...((op.parameters ?? []) as unknown[])]
        .map((p) => deref<{ name: string; in: string; required?: boolean }>(p))
        .map((p) => ({ name: p.name, in: p.in, required: p.required === true }));
      const body = op.requestBody ? deref<Json>(op.requestBody) : undefined;
      const schema = body ? deref<Json>(((body.content as Json | undefined)?.['application/json'] as Json | undefined)?.schema) : undefined;
      out.push({
        id: String(op.operationId ?? `${method.toUpperCase()} ${template}`),
        method: method.toUpperCase(),
        template,
        pattern,
        names,
        parameters,
        requiredBody: body?.required === true && Array.isArray(schema?.required) ? (schema.required as string[]) : [],
        hasBody: body !== undefined,
      });
    }
  }
  // Literal segments before templated ones: /repos/{o}/{r}/releases/latest before /releases/{id}.
  return out.sort((a, b) => a.names.length - b.names.length);
}
