/**
 * Pipeline stage 5 (DESIGN.md "The call pipeline"): schema-validated tool arguments ->
 * one HTTP request for the upstream. Parameters follow OAS 3.1 §4.8.12 style/explode
 * (parameters.ts); bodies follow the tool binding's kind (body.ts: JSON, form,
 * multipart, text, bytes).
 *
 * This is also where an agent's arguments meet the URL and the headers, so it refuses
 * what could redirect a call: a value never changes the path (everything but unreserved
 * characters is percent-encoded, dot segments are refused, and the built URL's path is
 * checked against the base path + the template's literal prefix, base-url.ts), never adds
 * a header (CR/LF/NUL refused), never sets a header the transport owns, and the request
 * only goes to the connector's allowed hosts.
 *
 * Everything that depends only on the tool (parameter styles, body plan, file fields) is
 * worked out once per HttpOperationTool (plan.ts) and kept by the pipeline's RequestBuilder.
 */
export { createRequestBuilder, type RequestBuilder } from './request-builder';
export { DEFAULT_ACCEPT } from './parameters';
export { REFUSED_HEADERS } from './plan';
