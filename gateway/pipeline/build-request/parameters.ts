/**
 * Path, query, header and cookie parameters by their OAS 3.1 §4.8.12 style/explode
 * (generators/client/serialise.ts, shared with the typed clients). A value never changes
 * the path (everything but unreserved characters is percent-encoded, dot segments are
 * refused) and never adds a header (CR/LF/NUL refused, transport headers refused).
 */
import { hasDotSegment, serialiseCookieParam, serialiseHeaderParam, serialisePathParam, serialiseQueryParam } from '../../../generators';
import { buildError, dotSegmentError, guarded } from './build-errors';
import type { Plan } from './plan';

export const DEFAULT_ACCEPT = 'application/json, */*;q=0.8';

type Args = Record<string, unknown>;

/** The operation's path with its template filled, relative to the base path. */
export function expandPath(tool: string, plan: Plan, args: Args, operationPath: string): string {
  const template = plan.template;
  let path = template.literals[0];
  for (let i = 0; i < template.names.length; i++) {
    const step = plan.pathSteps[i];
    if (step === undefined) throw buildError(tool, `no argument fills "{${template.names[i]}}" in ${operationPath}`);
    const expanded = guarded(tool, step.property, () => serialisePathParam(step.name, args[step.property], step.options));
    if (expanded === '') throw buildError(tool, `argument "${step.property}" is empty, and an empty path segment would change the path`, step.property);
    path += expanded + template.literals[i + 1];
  }
  if (hasDotSegment(path)) throw dotSegmentError(tool, plan, args, operationPath);
  return path;
}

/** The base URL's query, then the template's literal one, then the query arguments. */
export function queryString(tool: string, plan: Plan, baseQuery: string, args: Args): string {
  let query = baseQuery;
  if (plan.template.query !== '') query = query === '' ? plan.template.query : `${query}&${plan.template.query}`;
  for (const step of plan.query) {
    const value = args[step.property];
    if (value === undefined || value === null) continue;
    if (value === '' && step.emptyValue !== 'allowed') {
      // `name=` is not a value the spec allows (allowEmptyValue is false): an optional
      // parameter is left out, which is what an agent sending "" means; a required one cannot be.
      if (step.emptyValue === 'omit') continue;
      throw buildError(
        tool,
        `argument "${step.property}" is empty, and the spec does not allow an empty value for query parameter "${step.name}"`,
        step.property,
      );
    }
    const part = guarded(tool, step.property, () => serialiseQueryParam(step.name, value, step.options));
    if (part !== '') query = query === '' ? part : `${query}&${part}`;
  }
  return query;
}

/** The connector's static headers, the header and cookie arguments, and an Accept. */
export function requestHeaders(tool: string, plan: Plan, args: Args, connectorHeaders: Readonly<Record<string, string>> | undefined): Record<string, string> {
  // The connector's static headers (validated when the connector loads) are defaults: an
  // operation's own header argument is more specific and wins.
  const headers: Record<string, string> = connectorHeaders === undefined ? {} : { ...connectorHeaders };
  for (const step of plan.headers) {
    const value = args[step.property];
    if (value === undefined || value === null) continue;
    if (step.refusal !== undefined)
      throw buildError(tool, `argument "${step.property}" would set the ${step.name} header, which ${step.refusal}`, step.property);
    headers[step.wire] = guarded(tool, step.property, () => serialiseHeaderParam(value, step.options));
  }
  let cookie = headers.cookie ?? '';
  for (const step of plan.cookies) {
    const value = args[step.property];
    if (value === undefined || value === null) continue;
    const pair = guarded(tool, step.property, () => serialiseCookieParam(step.name, value, step.options));
    if (pair !== '') cookie = cookie === '' ? pair : `${cookie}; ${pair}`;
  }
  if (cookie !== '') headers.cookie = cookie;
  if (headers.accept === undefined) headers.accept = DEFAULT_ACCEPT;
  return headers;
}
