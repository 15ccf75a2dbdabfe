/** Small schema pieces several sections use; `expected` is what a problem message says was wanted. */
import { MAX_TIMEOUT_MS } from './limits';

export const timeout = { type: 'integer', minimum: 1, maximum: MAX_TIMEOUT_MS, expected: `a whole number of milliseconds from 1 to ${MAX_TIMEOUT_MS}` };
export const nonEmptyString = { type: 'string', minLength: 1, expected: 'a non-empty string' };
export const httpsUrl = { type: 'string', pattern: '^https?://', expected: 'an absolute http(s) URL' };
export const whole = (what: string, min: number, max: number) => ({
  type: 'integer',
  minimum: min,
  maximum: max,
  expected: `a whole number of ${what} from ${min} to ${max}`,
});
