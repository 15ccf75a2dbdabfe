/** The upstream's own words out of an error body: the JSON conventions of real APIs, HTML pages, XML faults. */
import { isPlainObject } from './parts';

/**
 * The conventions upstreams use for an error message, most specific first:
 * OAuth (`error` + `error_description`), `message` (GitHub, Stripe inside `error`,
 * AWS `Message`), Google/Azure `error.message`, RFC 9457 `detail`/`title`, FastAPI
 * `detail: [{loc, msg}]`, Jira `errorMessages` + `errors: {field: msg}`, JSON:API and
 * GraphQL `errors: [{message|detail|title}]`, Apigee `fault.faultstring`. A list of
 * details (GitHub's 422 `errors`) is appended to the headline.
 */
export function messageFromJson(value: unknown): string | undefined {
  if (typeof value === 'string') return nonEmpty(value);
  if (Array.isArray(value)) return joinDetails(detailList(value));
  if (!isPlainObject(value)) return undefined;

  const error = value.error;
  const oauth = typeof error === 'string' && nonEmpty(value.error_description) ? `${error}: ${(value.error_description as string).trim()}` : undefined;
  const headline =
    oauth ??
    firstString(value.message, value.Message, value.error_message, value.errorMessage, value.msg) ??
    (typeof error === 'string' ? nonEmpty(error) : isPlainObject(error) ? messageFromJson(error) : undefined) ??
    nonEmpty(value.error_description) ??
    (Array.isArray(value.detail) ? joinDetails(detailList(value.detail)) : firstString(value.detail)) ??
    firstString(value.title) ??
    (isPlainObject(value.fault) ? firstString(value.fault.faultstring, value.fault.message) : undefined);

  const details = [...detailList(value.errorMessages), ...detailList(value.errors)];
  if (headline === undefined) return joinDetails(details);
  const extra = details.filter((d) => d !== headline);
  return extra.length === 0 ? headline : `${headline} (${joinDetails(extra)})`;
}

/** Messages out of an `errors`-style value: strings, objects with a message, or `{field: message}`. */
function detailList(value: unknown): string[] {
  if (typeof value === 'string') return nonEmpty(value) ? [value.trim()] : [];
  if (Array.isArray(value)) {
    return value.slice(0, 5).flatMap((item): string[] => {
      if (typeof item === 'string') return nonEmpty(item) ? [item.trim()] : [];
      if (!isPlainObject(item)) return [];
      const title = firstString(item.title);
      const detail = firstString(item.detail);
      const said = firstString(item.message, item.msg) ?? (title && detail ? `${title}: ${detail}` : (detail ?? title));
      const where = Array.isArray(item.loc) ? item.loc.join('.') : firstString(item.field, item.param);
      if (said !== undefined) return [where !== undefined && !said.includes(where) ? `${where}: ${said}` : said];
      // GitHub's 422 items: {resource, field, code}.
      const code = firstString(item.code);
      return code !== undefined ? [where !== undefined ? `${where}: ${code}` : code] : [];
    });
  }
  if (isPlainObject(value)) {
    return Object.entries(value)
      .slice(0, 5)
      .flatMap(([field, said]) => detailList(said).map((s) => `${field}: ${s}`));
  }
  return [];
}

function joinDetails(details: string[]): string | undefined {
  return details.length === 0 ? undefined : details.join('; ');
}

export function messageFromHtml(html: string): string | undefined {
  const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html)?.[1];
  const h1 = /<h1[^>]*>([\s\S]*?)<\/h1>/i.exec(html)?.[1];
  const pick = nonEmpty(stripTags(h1 ?? '')) ?? nonEmpty(stripTags(title ?? ''));
  if (pick !== undefined) return pick;
  return nonEmpty(stripTags(html.replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, ' ')));
}

/** AWS (`<Error><Code/><Message/>`) and SOAP (`<faultstring/>`) errors. */
export function messageFromXml(xml: string): string | undefined {
  const said = /<(?:[\w-]+:)?(?:Message|message|faultstring)>([^<]+)</.exec(xml)?.[1]?.trim();
  if (!said) return undefined;
  const code = /<(?:[\w-]+:)?Code>([^<]+)</.exec(xml)?.[1]?.trim();
  return code ? `${code}: ${said}` : said;
}

function stripTags(html: string): string {
  return collapse(
    html
      .replace(/<[^>]*>/g, ' ')
      .replace(/&nbsp;/g, ' ')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, '&'),
  );
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function firstString(...values: unknown[]): string | undefined {
  for (const value of values) {
    const found = nonEmpty(value);
    if (found !== undefined) return found;
  }
  return undefined;
}

export function collapse(value: string): string {
  return value.replace(/\s+/g, ' ').trim();
}

export function clip(value: string, limit: number): string {
  return value.length <= limit ? value : `${value.slice(0, limit - 1)}…`;
}
