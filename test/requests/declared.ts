/**
 * What Prism does not check: a query parameter, header or cookie the operation does not
 * declare is ignored by Prism, so a parameter sent under a wrong name (`filter_state`
 * for `filter[state]`, say) would pass as long as it is optional. This reads the
 * operation's parameters straight from the spec document (not through the hub's model)
 * and lists every name the request carries that the spec does not declare.
 */
import { parse as parseYaml } from 'yaml';
import type { Exchange } from './recorder';

type Node = Record<string, unknown>;

/** Headers the HTTP layer and the hub itself set on every request (not parameters). */
const TRANSPORT_HEADERS = new Set([
  'host',
  'connection',
  'keep-alive',
  'accept',
  'accept-encoding',
  'content-type',
  'content-length',
  'transfer-encoding',
  'user-agent',
]);

export interface Declared {
  /** undefined: anything goes (an object parameter with form/explode spreads its properties into the query). */
  query?: Set<string>;
  header: Set<string>;
  cookie: Set<string>;
  /** Required query parameters (the negative controls drop one). */
  requiredQuery: Set<string>;
}

export function parseSpecText(text: string): Node {
  return (text.trimStart().startsWith('{') ? JSON.parse(text) : parseYaml(text, { uniqueKeys: false })) as Node;
}

export function declaredParameters(doc: Node, specPath: string, method: string): Declared {
  const item = resolve(doc, (doc.paths as Node)[specPath]) ?? {};
  const operation = resolve(doc, item[method]) ?? {};
  const params = [...asArray(item.parameters), ...asArray(operation.parameters)].map((p) => resolve(doc, p)).filter((p): p is Node => p !== undefined);
  const declared: Declared = { query: new Set(), header: new Set(TRANSPORT_HEADERS), cookie: new Set(), requiredQuery: new Set() };
  declareCredentials(doc, operation, declared);
  for (const param of params) {
    const name = String(param.name);
    if (param.in === 'header') declared.header.add(name.toLowerCase());
    else if (param.in === 'cookie') declared.cookie.add(name);
    else if (param.in === 'query') {
      if (param.required === true) declared.requiredQuery.add(name);
      const schema = resolve(doc, param.schema);
      const style = (param.style as string | undefined) ?? 'form';
      const explode = (param.explode as boolean | undefined) ?? style === 'form';
      if (style === 'form' && explode && schema !== undefined && (schema.type === 'object' || schema.properties !== undefined)) declared.query = undefined;
      else declared.query?.add(name);
    }
  }
  return declared;
}

/**
 * Credentials are not parameters, but the operation's security (its own, else the
 * document's) declares where they go: `Authorization` for http and OAuth schemes, the
 * named header, query parameter or cookie for apiKey ones.
 */
function declareCredentials(doc: Node, operation: Node, declared: Declared): void {
  const requirements = asArray(operation.security ?? doc.security);
  const schemes = (resolve(doc, (doc.components as Node | undefined)?.securitySchemes) ?? {}) as Node;
  for (const requirement of requirements) {
    for (const name of Object.keys((requirement as Node) ?? {})) {
      const scheme = resolve(doc, schemes[name]);
      if (scheme === undefined) continue;
      if (scheme.type !== 'apiKey') declared.header.add('authorization');
      else if (scheme.in === 'header') declared.header.add(String(scheme.name).toLowerCase());
      else if (scheme.in === 'cookie') declared.cookie.add(String(scheme.name));
      else declared.query?.add(String(scheme.name));
    }
  }
}

/** Names in the request that the operation does not declare: `query:x`, `header:x`, `cookie:x`. */
export function undeclaredNames(exchange: Exchange, declared: Declared): string[] {
  const out: string[] = [];
  const search = exchange.url.includes('?') ? exchange.url.slice(exchange.url.indexOf('?') + 1) : '';
  if (declared.query !== undefined) {
    for (const name of new Set([...new URLSearchParams(search).keys()])) {
      const base = name.replace(/\[.*$/, ''); // deepObject: color[R]
      if (!declared.query.has(name) && !declared.query.has(base)) out.push(`query:${name}`);
    }
  }
  for (const name of Object.keys(exchange.headers)) {
    if (name === 'cookie') continue;
    if (!declared.header.has(name)) out.push(`header:${name}`);
  }
  const cookie = exchange.headers.cookie;
  if (typeof cookie === 'string') {
    for (const pair of cookie.split(/;\s*/)) {
      const name = pair.split('=')[0];
      if (name !== '' && !declared.cookie.has(name)) out.push(`cookie:${name}`);
    }
  }
  return out;
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Follows local `$ref`s (`#/components/...`). */
function resolve(doc: Node, value: unknown): Node | undefined {
  let node = value;
  for (let hops = 0; hops < 32 && typeof node === 'object' && node !== null && typeof (node as Node).$ref === 'string'; hops++) {
    const ref = (node as Node).$ref as string;
    if (!ref.startsWith('#/')) return undefined;
    node = ref
      .slice(2)
      .split('/')
      .reduce<unknown>((at, key) => (typeof at === 'object' && at !== null ? (at as Node)[key.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined), doc);
  }
  return typeof node === 'object' && node !== null ? (node as Node) : undefined;
}
