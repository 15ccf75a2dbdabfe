/** Bounds and name patterns the schema and the value checks share. */

// Above 2^31-1 ms Node fires a timer at once; an hour is already far past any sane wait.
export const MAX_TIMEOUT_MS = 3_600_000;
// The cut body is held in memory per call.
export const MAX_RESPONSE_BYTES = 268_435_456;
export const TOOL_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HOST_LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
export const HOST_ENTRY = new RegExp(`^(?:${HOST_LABEL}(?:\\.${HOST_LABEL})*|\\[[0-9a-f:.]+\\])(?::(\\d{1,5}))?$`);
