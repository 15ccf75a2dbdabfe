/**
 * What Prism said about one request, read from Prism's own answer:
 *
 * - A mocked response (from the spec's examples or schemas). Prism still validated the
 *   request: every violation it found is in the `sl-violations` header, the request's
 *   under location `["request", ...]`. A request violation of severity Error means Prism
 *   judged the request invalid even though it answered with the spec's 4xx example (GitHub
 *   declares 422 responses, so Prism sends those rather than its own problem).
 * - Its own problem+json (`type: https://stoplight.io/prism/errors#...`): 422
 *   UNPROCESSABLE_ENTITY with a `validation` list, 415 INVALID_CONTENT_TYPE, 401
 *   UNAUTHORIZED (security), 404/405 when no route matched; NOT_FOUND, NOT_ACCEPTABLE,
 *   NO_RESPONSE_DEFINED and SCHEMA_TOO_COMPLEX come after validation passed, when Prism has
 *   nothing to mock.
 */
import type { Exchange } from './recorder';

export type Verdict = 'valid' | 'invalid' | 'route-not-found' | 'security' | 'prism-error';

export interface Violation {
  location: string[];
  severity: string;
  code?: string | number;
  message: string;
}

export interface Judgement {
  verdict: Verdict;
  /** Request violations of severity Error (invalid), or why the route was not found. */
  violations: Violation[];
  /** Request violations below Error (unknown formats and the like); not failures. */
  warnings: Violation[];
  /** Prism's problem type, or `mocked <status>`. */
  answer: string;
}

const PRISM_ERRORS = 'https://stoplight.io/prism/errors#';
const NO_ROUTE = new Set([
  'NO_PATH_MATCHED_ERROR',
  'NO_METHOD_MATCHED_ERROR',
  'NO_SERVER_MATCHED_ERROR',
  'NO_RESOURCE_PROVIDED_ERROR',
  'NO_BASE_URL_ERROR',
  'NO_SERVER_CONFIGURATION_PROVIDED_ERROR',
]);
/** Problems Prism raises only once the request has passed validation. */
const AFTER_VALIDATION = new Set(['NOT_FOUND', 'NOT_ACCEPTABLE', 'NO_RESPONSE_RESPONSE_DEFINED', 'SCHEMA_TOO_COMPLEX']);

export function judge(exchange: Exchange): Judgement {
  if (exchange.outsideBasePath) {
    return {
      verdict: 'route-not-found',
      violations: [{ location: ['request', 'path'], severity: 'Error', message: `${exchange.url} is outside the connector's base path` }],
      warnings: [],
      answer: 'outside base path',
    };
  }
  const response = exchange.response;
  if (response === undefined) {
    return {
      verdict: 'prism-error',
      violations: [{ location: [], severity: 'Error', message: exchange.error ?? 'no answer' }],
      warnings: [],
      answer: 'no answer',
    };
  }
  const fromHeader = headerViolations(response.headers['sl-violations']);
  const request = fromHeader.filter((v) => v.location[0] === 'request');
  const errors = request.filter((v) => v.severity === 'Error');
  const warnings = request.filter((v) => v.severity !== 'Error');
  const security = errors.filter((v) => String(v.code) === '401');

  const problem = prismProblem(response.headers['content-type'], response.body);
  if (problem !== undefined) {
    const type = problem.type.slice(PRISM_ERRORS.length);
    const answer = `${response.status} ${type}`;
    if (type === 'UNPROCESSABLE_ENTITY') {
      const listed = Array.isArray(problem.validation) ? (problem.validation as Violation[]).filter((v) => v.severity === 'Error').map(normalise) : [];
      return {
        verdict: 'invalid',
        violations: listed.length > 0 ? listed : [{ location: [], severity: 'Error', message: problem.detail ?? problem.title }],
        warnings,
        answer,
      };
    }
    if (type === 'INVALID_CONTENT_TYPE')
      return {
        verdict: 'invalid',
        violations: [{ location: ['request', 'header', 'content-type'], severity: 'Error', code: 415, message: problem.detail ?? problem.title }],
        warnings,
        answer,
      };
    if (type === 'UNAUTHORIZED')
      return {
        verdict: 'security',
        violations: [{ location: ['request'], severity: 'Error', code: 401, message: problem.detail ?? problem.title }],
        warnings,
        answer,
      };
    if (NO_ROUTE.has(type))
      return {
        verdict: 'route-not-found',
        violations: [{ location: ['request', 'path'], severity: 'Error', message: problem.detail ?? problem.title }],
        warnings,
        answer,
      };
    if (AFTER_VALIDATION.has(type) && errors.length === 0) return { verdict: 'valid', violations: [], warnings, answer };
    return {
      verdict: 'prism-error',
      violations: [{ location: [], severity: 'Error', message: `${type}: ${problem.detail ?? problem.title}` }],
      warnings,
      answer,
    };
  }
  const answer = `mocked ${response.status}`;
  if (security.length > 0) return { verdict: 'security', violations: errors, warnings, answer };
  if (errors.length > 0) return { verdict: 'invalid', violations: errors, warnings, answer };
  return { verdict: 'valid', violations: [], warnings, answer };
}

/** Prism leaves `location` out of some violations (a missing required body). */
function normalise(violation: Violation): Violation {
  return { ...violation, location: Array.isArray(violation.location) ? violation.location : [] };
}

interface PrismProblem {
  type: string;
  title: string;
  detail?: string;
  validation?: unknown;
}

function prismProblem(contentType: string | undefined, body: Buffer): PrismProblem | undefined {
  if (contentType === undefined || !/problem\+json/i.test(contentType)) return undefined;
  try {
    const value = JSON.parse(body.toString('utf8')) as PrismProblem;
    return typeof value.type === 'string' && value.type.startsWith(PRISM_ERRORS) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The `sl-violations` header; Prism cuts it at ~8 KB behind "Too many violations!". */
function headerViolations(header: string | string[] | undefined): Violation[] {
  const text = Array.isArray(header) ? header.join(',') : header;
  if (text === undefined || text === '') return [];
  try {
    const parsed = JSON.parse(text) as Violation[];
    return Array.isArray(parsed) ? parsed.map(normalise) : [];
  } catch {
    // Cut ("Too many violations! [..."): read every whole violation object before the cut.
    const out: Violation[] = [];
    const whole = /\{"location":\[((?:"(?:[^"\\]|\\.)*",?)*)\],"severity":"(\w+)"(?:,"code":(?:"((?:[^"\\]|\\.)*)"|(\d+)))?,"message":"((?:[^"\\]|\\.)*)"\}/g;
    for (let match = whole.exec(text); match !== null; match = whole.exec(text)) {
      const location = JSON.parse(`[${match[1]}]`) as string[];
      const code = match[3] !== undefined ? (JSON.parse(`"${match[3]}"`) as string) : match[4] !== undefined ? Number(match[4]) : undefined;
      out.push({ location, severity: match[2], ...(code !== undefined ? { code } : {}), message: JSON.parse(`"${match[5]}"`) as string });
    }
    // Nothing readable: say so as a request error, so the call is looked at rather than passed.
    return out.length > 0 ? out : [{ location: ['request'], severity: 'Error', message: `unreadable sl-violations header: ${text.slice(0, 300)}` }];
  }
}
