/**
 * OpenAPI parameter and form-field serialisation: OAS 3.1 §4.8.12.4 "Style Values" and
 * "Style Examples" (RFC 6570 expansions plus the query-only styles), §4.8.15 Encoding
 * Object for application/x-www-form-urlencoded bodies, and base64 / data: URL decoding.
 *
 * Shared by the gateway's request builder and the typed-client runtime. It imports
 * nothing, because `lunar-hub generate` copies it verbatim beside generated clients (as
 * client-serialise.ts). Failures are TypeErrors whose message reads after the argument's
 * name ("... is required in the path"); callers add the name and their own error code.
 *
 * Percent-encoding follows RFC 3986 strictly (only unreserved characters stay as they
 * are), so a value can never add a path segment, a query parameter or a fragment, and
 * the output matches the specification's examples byte for byte (`%7C`, `%5B`...).
 *
 * Over 400 lines on purpose: the style table of one spec section, kept whole so the typed
 * client runtime can ship it as one file (package.json `files`).
 */

export interface StyleOptions {
  /** simple | label | matrix (path), form | spaceDelimited | pipeDelimited | deepObject (query), simple (header), form (cookie) */
  style: string;
  explode: boolean;
  /** Query only: RFC 6570 reserved expansion (see encodeReserved). */
  allowReserved?: boolean;
  /** Media type of a parameter declared with `content`: its value is written whole in that type. */
  contentType?: string;
}

// ---- Percent-encoding ----

const NOT_UNRESERVED_BY_ENCODE_URI_COMPONENT = /[!'()*]/;
const NOT_UNRESERVED_BY_ENCODE_URI_COMPONENT_ALL = /[!'()*]/g;

function escapeChar(c: string): string {
  return '%' + c.charCodeAt(0).toString(16).toUpperCase();
}

/** RFC 3986 percent-encoding of everything but unreserved characters (A-Z a-z 0-9 - . _ ~), UTF-8. */
export function encodeComponent(text: string): string {
  let out: string;
  try {
    out = encodeURIComponent(text);
  } catch {
    throw new TypeError('is not well-formed Unicode (it has an unpaired surrogate)');
  }
  return NOT_UNRESERVED_BY_ENCODE_URI_COMPONENT.test(out) ? out.replace(NOT_UNRESERVED_BY_ENCODE_URI_COMPONENT_ALL, escapeChar) : out;
}

// Reserved characters that stay as they are under allowReserved. `#`, `[` and `]` are not
// allowed in a query at all, and `&`, `=` and `+` would change how the query splits into
// parameters (OAS 3.1.1 leaves those to the application): they stay encoded.
const KEPT_BY_ALLOW_RESERVED = /%(?:3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)|%25(?=[0-9A-Fa-f]{2})/g;

/** RFC 6570 reserved expansion for `allowReserved: true`: reserved characters and valid %XX triples pass through. */
export function encodeReserved(text: string): string {
  return encodeComponent(text).replace(KEPT_BY_ALLOW_RESERVED, (m) => decodeURIComponent(m));
}

// ---- Values ----

/** How one scalar (or a nested structure, as JSON) is written as text (OAS Appendix B). */
export function valueText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null || value === undefined) return '';
  return JSON.stringify(value);
}

export function isJsonMediaType(mediaType: string): boolean {
  const mt = mediaType.toLowerCase();
  return mt.startsWith('application/json') || /^[^;]*\+json\b/.test(mt) || mt.startsWith('*/*');
}

/** The whole text of a `content`-typed parameter or encoding: JSON for JSON media types, text otherwise. */
export function contentText(value: unknown, mediaType: string): string {
  return isJsonMediaType(mediaType) ? JSON.stringify(value) : valueText(value);
}

function isPresent(value: unknown): boolean {
  return value !== undefined && value !== null;
}

type Shape = { kind: 'scalar'; text: string } | { kind: 'list'; items: string[] } | { kind: 'pairs'; pairs: Array<[string, string]> };

// RFC 6570 treats undefined (and null) members of lists and maps as absent.
function shapeOf(value: unknown): Shape {
  if (Array.isArray(value)) {
    const items: string[] = [];
    for (const item of value) if (isPresent(item)) items.push(valueText(item));
    return { kind: 'list', items };
  }
  if (typeof value === 'object' && value !== null) {
    const pairs: Array<[string, string]> = [];
    for (const key of Object.keys(value)) {
      const member = (value as Record<string, unknown>)[key];
      if (isPresent(member)) pairs.push([key, valueText(member)]);
    }
    return { kind: 'pairs', pairs };
  }
  return { kind: 'scalar', text: valueText(value) };
}

// ---- Path (simple, label, matrix) ----

interface Operator {
  first: string;
  sep: string;
  named: boolean;
}

const PATH_OPERATORS: Record<string, Operator> = {
  simple: { first: '', sep: ',', named: false },
  label: { first: '.', sep: '.', named: false },
  matrix: { first: ';', sep: ';', named: true },
};

/** One path parameter's expansion, prefix included (`.blue`, `;color=blue`). Throws for null/undefined. */
export function serialisePathParam(name: string, value: unknown, options: StyleOptions): string {
  if (!isPresent(value)) throw new TypeError('is required in the path and has no value');
  if (options.contentType !== undefined) return encodeComponent(contentText(value, options.contentType));
  const op = PATH_OPERATORS[options.style];
  if (op === undefined) throw new TypeError(`has style "${options.style}", which a path parameter cannot use`);
  const shape = shapeOf(value);
  const label = op.named ? encodeComponent(name) : '';
  if (shape.kind === 'scalar' || (shape.kind === 'list' && shape.items.length === 0) || (shape.kind === 'pairs' && shape.pairs.length === 0)) {
    const text = shape.kind === 'scalar' ? shape.text : '';
    // RFC 6570 §3.2.7: an empty matrix value is `;name`, not `;name=`.
    return op.first + (op.named ? (text === '' ? label : `${label}=`) : '') + encodeComponent(text);
  }
  if (shape.kind === 'list') {
    if (!options.explode) return op.first + (op.named ? `${label}=` : '') + shape.items.map(encodeComponent).join(',');
    return op.first + shape.items.map((item) => (op.named ? `${label}=` : '') + encodeComponent(item)).join(op.sep);
  }
  if (!options.explode) return op.first + (op.named ? `${label}=` : '') + shape.pairs.map(([k, v]) => `${encodeComponent(k)},${encodeComponent(v)}`).join(',');
  return op.first + shape.pairs.map(([k, v]) => `${encodeComponent(k)}=${encodeComponent(v)}`).join(op.sep);
}

export interface PathTemplate {
  /** Encoded literal text around the parameters; `literals.length === names.length + 1`. */
  literals: string[];
  names: string[];
  /** A query the template itself carries (`/?Action=List`), already encoded; '' when none. */
  query: string;
}

// Characters a path (or query) may carry literally; anything else in a template is encoded.
const PATH_LITERAL_UNSAFE = /%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]/g;
const QUERY_LITERAL_UNSAFE = /%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~!$&'()*+,;=:@/?%]/g;

function encodeLiteral(text: string, unsafe: RegExp): string {
  return text.replace(unsafe, (c) => encodeComponent(c));
}

const compiledTemplates = new Map<string, PathTemplate>();

/** Split a path template once; memoised per template string, since it runs on every call. */
export function compilePathTemplate(template: string): PathTemplate {
  let compiled = compiledTemplates.get(template);
  if (compiled !== undefined) return compiled;
  // A fragment is never sent (some specs use `#...` only to make path keys unique);
  // a `?` starts a query the operation always sends (`/?Action=DescribeThings`).
  let path = template;
  const hash = path.indexOf('#');
  if (hash >= 0) path = path.slice(0, hash);
  let query = '';
  const question = path.indexOf('?');
  if (question >= 0) {
    query = encodeLiteral(path.slice(question + 1), QUERY_LITERAL_UNSAFE);
    path = path.slice(0, question);
  }
  const literals: string[] = [];
  const names: string[] = [];
  let last = 0;
  for (const match of path.matchAll(/\{([^{}]+)\}/g)) {
    literals.push(encodeLiteral(path.slice(last, match.index), PATH_LITERAL_UNSAFE));
    names.push(match[1]);
    last = match.index! + match[0].length;
  }
  literals.push(encodeLiteral(path.slice(last), PATH_LITERAL_UNSAFE));
  compiled = Object.freeze({ literals: Object.freeze(literals) as string[], names: Object.freeze(names) as string[], query });
  compiledTemplates.set(template, compiled);
  return compiled;
}

/**
 * True when a segment of `path` is "." or ".." (also as %2e): URL parsers resolve those,
 * and no percent-encoding can stop them, so a value that makes one must be refused.
 */
export function hasDotSegment(path: string): boolean {
  if (!path.includes('.') && !/%2e/i.test(path)) return false;
  for (const segment of path.split('/')) {
    if (segment.length > 6 || segment === '') continue;
    const plain = segment.replace(/%2e/gi, '.');
    if (plain === '.' || plain === '..') return true;
  }
  return false;
}

// ---- Query (form, spaceDelimited, pipeDelimited, deepObject) ----

const QUERY_DELIMITERS: Record<string, string> = { form: ',', spaceDelimited: '%20', pipeDelimited: '%7C' };

/**
 * One query parameter as `name=value` pairs joined by `&` (no leading `?`); '' when the
 * value is undefined, null, or an empty list or map (RFC 6570: undefined values are left out).
 */
export function serialiseQueryParam(name: string, value: unknown, options: StyleOptions): string {
  if (!isPresent(value)) return '';
  const key = encodeComponent(name);
  if (options.contentType !== undefined) return `${key}=${encodeComponent(contentText(value, options.contentType))}`;
  const encode = options.allowReserved ? encodeReserved : encodeComponent;
  const style = options.style;
  const deep = style === 'deepObject';
  if (deep && typeof value === 'object' && !Array.isArray(value)) return deepObjectPairs(key, value, encode).join('&');
  const delimiter = QUERY_DELIMITERS[deep ? 'form' : style];
  if (delimiter === undefined) throw new TypeError(`has style "${style}", which a query parameter cannot use`);
  const shape = shapeOf(value);
  if (shape.kind === 'scalar') return `${key}=${encode(shape.text)}`;
  if (shape.kind === 'list') {
    if (shape.items.length === 0) return '';
    // Exploded space/pipe-delimited, and deepObject for a list, are undefined in OAS;
    // both are read as exploded form, the common choice.
    if (options.explode || deep) return shape.items.map((item) => `${key}=${encode(item)}`).join('&');
    return `${key}=${shape.items.map(encode).join(delimiter)}`;
  }
  if (shape.pairs.length === 0) return '';
  if (options.explode) return shape.pairs.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&');
  return `${key}=${shape.pairs.map(([k, v]) => `${encode(k)}${delimiter}${encode(v)}`).join(delimiter)}`;
}

// OAS defines deepObject for one level of scalar properties only. Deeper values follow the
// bracket convention of qs, Rails and Stripe (`a[b][c]=1`, arrays by index `a[list][0]=x`),
// so arrays of objects stay unambiguous. Brackets are percent-encoded as in OAS 3.1.1.
function deepObjectPairs(prefix: string, value: unknown, encode: (text: string) => string, out: string[] = []): string[] {
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      if (isPresent(item)) deepObjectPairs(`${prefix}%5B${index}%5D`, item, encode, out);
    });
  } else if (typeof value === 'object' && value !== null) {
    for (const key of Object.keys(value)) {
      const member = (value as Record<string, unknown>)[key];
      if (isPresent(member)) deepObjectPairs(`${prefix}%5B${encode(key)}%5D`, member, encode, out);
    }
  } else if (isPresent(value)) {
    out.push(`${prefix}=${encode(valueText(value))}`);
  }
  return out;
}

/** Join query parts, skipping empty ones. */
export function joinQuery(parts: readonly string[]): string {
  let out = '';
  for (const part of parts) if (part !== '') out = out === '' ? part : `${out}&${part}`;
  return out;
}

// ---- Header (simple) and cookie (form) ----

// RFC 9110 field-value: visible ASCII, space, tab and obs-text. CR, LF and NUL would end
// or split the header; other controls and non-Latin-1 text cannot be sent as they are.
const HEADER_UNSAFE = /[^\t\x20-\x7e\x80-\xff]/;
const HEADER_BREAKING = /[\r\n\0]/;

/** Throws unless `text` can be sent as a header (or cookie) value unchanged. */
export function checkHeaderText(text: string): string {
  if (HEADER_UNSAFE.test(text)) {
    throw new TypeError(
      HEADER_BREAKING.test(text)
        ? 'contains CR, LF or NUL, which could inject headers'
        : 'contains control or non-Latin-1 characters, which a header cannot carry',
    );
  }
  return text;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** An RFC 9110 token: what a header or cookie name must be. */
export function isToken(name: string): boolean {
  return TOKEN.test(name);
}

/** A header parameter's value (style simple): never percent-encoded, refused if it could break the header. '' is a value; callers skip undefined/null. */
export function serialiseHeaderParam(value: unknown, options: StyleOptions): string {
  if (options.contentType !== undefined) {
    // JSON's \u escapes keep any text inside what a header can carry, with the same meaning.
    const text = contentText(value, options.contentType);
    return checkHeaderText(
      isJsonMediaType(options.contentType) ? text.replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')) : text,
    );
  }
  const shape = shapeOf(value);
  const text =
    shape.kind === 'scalar'
      ? shape.text
      : shape.kind === 'list'
        ? shape.items.join(',')
        : shape.pairs.map(([k, v]) => (options.explode ? `${k}=${v}` : `${k},${v}`)).join(',');
  return checkHeaderText(text);
}

/**
 * A cookie parameter (style form) as `name=value` pairs joined by `; `. Values are
 * percent-encoded so `;`, `,` and spaces cannot end the cookie; exploded lists and maps
 * become separate cookies (`; `, not form's `&`, which means nothing in a Cookie header).
 * CR, LF and NUL are refused outright rather than encoded: no agent has a reason to send them.
 */
export function serialiseCookieParam(name: string, value: unknown, options: StyleOptions): string {
  if (!isPresent(value)) return '';
  const key = encodeComponent(name);
  const encode = (text: string) => encodeComponent(checkBreaking(text));
  if (options.contentType !== undefined) return `${key}=${encode(contentText(value, options.contentType))}`;
  const shape = shapeOf(value);
  if (shape.kind === 'scalar') return `${key}=${encode(shape.text)}`;
  if (shape.kind === 'list') {
    if (options.explode) return shape.items.map((item) => `${key}=${encode(item)}`).join('; ');
    return `${key}=${shape.items.map(encode).join(',')}`;
  }
  if (options.explode) return shape.pairs.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('; ');
  return `${key}=${shape.pairs.map(([k, v]) => `${encode(k)},${encode(v)}`).join(',')}`;
}

function checkBreaking(text: string): string {
  if (HEADER_BREAKING.test(text)) throw new TypeError('contains CR, LF or NUL, which could inject headers');
  return text;
}

// ---- application/x-www-form-urlencoded bodies (OAS 3.1 §4.8.15 Encoding Object) ----

/** The Encoding Object fields that matter for form bodies, as a spec writes them. */
export interface FieldEncoding {
  contentType?: unknown;
  style?: unknown;
  explode?: unknown;
  allowReserved?: unknown;
}

/**
 * A form body. A field whose encoding names style, explode or allowReserved is written
 * like a query parameter of that style; otherwise by content type, whose default is JSON
 * for objects and text for scalars; a list repeats its field (form, explode: true).
 */
export function serialiseFormBody(body: Record<string, unknown>, encoding?: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const name of Object.keys(body)) {
    const value = body[name];
    if (!isPresent(value)) continue;
    const field = encoding?.[name];
    const enc = typeof field === 'object' && field !== null ? (field as FieldEncoding) : undefined;
    if (enc !== undefined && (enc.style !== undefined || enc.explode !== undefined || enc.allowReserved !== undefined)) {
      const style = typeof enc.style === 'string' ? enc.style : 'form';
      const explode = typeof enc.explode === 'boolean' ? enc.explode : style === 'form';
      parts.push(serialiseQueryParam(name, value, { style, explode, allowReserved: enc.allowReserved === true }));
      continue;
    }
    const contentType = typeof enc?.contentType === 'string' ? enc.contentType : undefined;
    const key = encodeComponent(name);
    if (Array.isArray(value) && !(contentType !== undefined && isJsonMediaType(contentType))) {
      for (const item of value) if (isPresent(item)) parts.push(`${key}=${encodeComponent(contentType ? contentText(item, contentType) : valueText(item))}`);
    } else if (contentType !== undefined) {
      parts.push(`${key}=${encodeComponent(contentText(value, contentType))}`);
    } else {
      parts.push(`${key}=${encodeComponent(valueText(value))}`);
    }
  }
  return joinQuery(parts);
}

// ---- Bytes given as text: base64 or a data: URL ----

export interface DecodedBytes {
  bytes: Buffer;
  /** From a data: URL, when it names one. */
  mediaType?: string;
  /** From a data: URL's `name` or `filename` parameter. */
  filename?: string;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;
const WHITESPACE = /\s/;

/** Strict base64 (standard or URL-safe alphabet, padding optional, line breaks allowed). */
export function decodeBase64(text: string): Buffer {
  const compact = WHITESPACE.test(text) ? text.replace(/\s+/g, '') : text;
  if ((!BASE64.test(compact) && !BASE64URL.test(compact)) || compact.replace(/=+$/, '').length % 4 === 1) {
    throw new TypeError('is not valid base64');
  }
  return Buffer.from(compact, 'base64');
}

/** Bytes from base64 text or an RFC 2397 data: URL (`data:image/png;base64,...`). */
export function decodeBytes(text: string): DecodedBytes {
  if (text.length < 5 || text.slice(0, 5).toLowerCase() !== 'data:') return { bytes: decodeBase64(text) };
  const comma = text.indexOf(',');
  if (comma < 0) throw new TypeError('is not a valid data: URL (no comma)');
  const params = text.slice(5, comma).split(';');
  const mediaType = params[0].trim();
  // The type becomes a content-type header: only `type/subtype` tokens (RFC 9110), no line breaks.
  if (mediaType !== '' && !/^[\w!#$&^.+-]+\/[\w!#$&^.+-]+$/.test(mediaType))
    throw new TypeError(`is a data: URL with an invalid media type "${mediaType.replace(/[\r\n\0]/g, ' ')}"`);
  const out: DecodedBytes = { bytes: Buffer.alloc(0) };
  if (mediaType !== '') out.mediaType = mediaType;
  let base64 = false;
  for (const param of params.slice(1)) {
    const eq = param.indexOf('=');
    if (eq < 0) {
      if (param.trim().toLowerCase() === 'base64') base64 = true;
      continue;
    }
    const key = param.slice(0, eq).trim().toLowerCase();
    if (key === 'name' || key === 'filename') out.filename = safeDecode(param.slice(eq + 1));
  }
  const payload = text.slice(comma + 1);
  if (base64) out.bytes = decodeBase64(payload.includes('%') ? safeDecode(payload) : payload);
  else out.bytes = Buffer.from(safeDecode(payload), 'utf8');
  return out;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new TypeError('is not a valid data: URL (bad percent-encoding)');
  }
}
