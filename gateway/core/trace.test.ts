import { childTraceparent, parseTraceparent, traceHeaders } from './trace';

const VALID = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('parseTraceparent', () => {
  it('reads a W3C traceparent, and tracestate beside it', () => {
    expect(parseTraceparent(VALID, 'vendor=1,other=2')).toEqual({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      parentId: '00f067aa0ba902b7',
      flags: '01',
      state: 'vendor=1,other=2',
    });
  });

  it.each([
    ['absent', undefined],
    ['not a string', 42],
    ['upper case', VALID.toUpperCase()],
    ['all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['all-zero parent id', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01'],
    ['version ff', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['version 00 with more fields', `${VALID}-extra`],
    ['short trace id', '00-4bf92f3577b34da6a3ce929d0e0e47-00f067aa0ba902b7-01'],
    ['garbage', 'hello'],
  ])('ignores a value that is %s', (_name, value) => {
    expect(parseTraceparent(value)).toBeUndefined();
  });

  it('accepts a later version with more fields, and drops a malformed tracestate only', () => {
    expect(parseTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-later')?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(parseTraceparent(VALID, 'x'.repeat(513))).not.toHaveProperty('state');
  });
});

describe('childTraceparent', () => {
  it('keeps the trace id and flags, with a new span id each time', () => {
    const trace = parseTraceparent(VALID)!;
    const a = childTraceparent(trace);
    const b = childTraceparent(trace);
    expect(parseTraceparent(a)).toMatchObject({ traceId: trace.traceId, flags: '01' });
    expect(a.split('-')[2]).not.toBe(trace.parentId);
    expect(a).not.toBe(b);
    expect(traceHeaders({ ...trace, state: 's=1' })).toEqual({
      traceparent: expect.stringMatching(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/),
      tracestate: 's=1',
    });
  });
});
