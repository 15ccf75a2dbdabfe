import { readFileSync } from 'node:fs';
import path from 'node:path';
import { errors, isHubError, toHubError } from './index';

const doc = readFileSync(path.join(__dirname, '..', 'docs', 'errors.md'), 'utf8');
const documented = [...doc.matchAll(/^\| `(HUB_ERR_[A-Z_]+)` \| (\d{3}|[^|]+) \|/gm)].map((m) => ({ code: m[1], status: m[2].trim() }));
const CLIENT_RUNTIME_CODES = ['HUB_ERR_CLIENT_HTTP'];

describe('error codes', () => {
  it('are each documented once in docs/errors.md, with their HTTP status', () => {
    const table = Object.values(errors).map((factory) => factory([]));
    expect(documented.map((d) => d.code).sort()).toEqual([...table.map((e) => e.code), ...CLIENT_RUNTIME_CODES].sort());
    for (const error of table) expect(documented.find((d) => d.code === error.code)!.status).toBe(String(error.httpStatus));
  });

  it('fill their message template and keep cause and details', () => {
    const cause = new Error('ENOENT');
    const error = errors.SPEC_UNREADABLE(['specs/x.yaml', 'no such file'], { cause, details: { file: 'specs/x.yaml' } });
    expect(error.message).toBe('Cannot read spec specs/x.yaml: no such file');
    expect(error.cause).toBe(cause);
    expect(error.details).toEqual({ file: 'specs/x.yaml' });
    expect(isHubError(error)).toBe(true);
  });

  it('wrap anything else as HUB_ERR_INTERNAL at the boundary', () => {
    const wrapped = toHubError(new TypeError('boom'));
    expect(wrapped.code).toBe('HUB_ERR_INTERNAL');
    expect(wrapped.message).toBe('Internal error: boom');
    expect(toHubError(wrapped)).toBe(wrapped);
  });
});
