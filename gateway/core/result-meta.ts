/** `_meta` keys a program can read instead of parsing the text. */
export const META_STATUS = 'lunar-hub/status';
export const META_CODE = 'lunar-hub/code';
export const META_RETRY_AFTER = 'lunar-hub/retry-after';
export const META_TRUNCATED = 'lunar-hub/truncated';

/** The `HUB_ERR_*` code a result carries in `_meta`, if any. */
export function codeOf(result: { _meta?: Record<string, unknown> }): string | undefined {
  const code = result._meta?.[META_CODE];
  return typeof code === 'string' ? code : undefined;
}
