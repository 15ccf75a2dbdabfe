/**
 * Names in specs are not always ASCII (`/ünïcode/{ключ}`), but tool and argument names
 * must be `[A-Za-z0-9_.-]`. Transliterating keeps them readable (`unicode`, `klyuch`)
 * where stripping left `n_code` and `arg`. The `transliteration` package does the work:
 * its tables cover far more scripts than a hand-made table would.
 */
type Transliterate = (text: string) => string;

let transliterate: Transliterate | undefined;
// eslint-disable-next-line no-control-regex -- the whole ASCII range, controls included, is what stays
const NON_ASCII = /[^\x00-\x7f]/;

export function hasNonAscii(text: string): boolean {
  return NON_ASCII.test(text);
}

/** `ünïcode` -> `unicode`, `ключ` -> `klyuch`; ASCII text is returned as it is. */
export function toAscii(text: string): string {
  if (!NON_ASCII.test(text)) return text;
  // Loaded on first use: almost every spec is ASCII, and the tables cost start-up time.
  transliterate ??= (require('transliteration') as typeof import('transliteration')).transliterate;
  return transliterate(text);
}
