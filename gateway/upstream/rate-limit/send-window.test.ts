import { INITIAL_SIZE, SendWindows } from './send-window';

const never = new AbortController().signal;
const refusal = (blocked: unknown) => Object.assign(new Error('refused'), { blocked });

describe('SendWindows', () => {
  it('lets INITIAL_SIZE calls out at once, then one more per accepted answer; a paced call only counts', async () => {
    const windows = new SendWindows();
    const deadline = Date.now() + 5000;
    for (let i = 0; i < INITIAL_SIZE; i++) await windows.enter('c', false, deadline, never, refusal);
    expect(windows.blocked('c', false, Date.now())).toBe('answer');
    expect(windows.blocked('c', true, Date.now())).toBeUndefined();
    let entered = 0;
    const queued = [1, 2].map(() => windows.enter('c', false, deadline, never, refusal).then(() => entered++));
    windows.left('c', { accepted: true, refused: false });
    await queued[0];
    // One answer freed one place and widened the window by one: both queued calls are out.
    await queued[1];
    expect(entered).toBe(2);
  });

  it('keeps no more in flight than the upstream says it has left, and waits for the reset when nothing is', async () => {
    const windows = new SendWindows();
    const deadline = Date.now() + 5000;
    await windows.enter('c', true, deadline, never, refusal);
    windows.left('c', { accepted: true, refused: false, remaining: 1, resetAt: Date.now() + 200 });
    await windows.enter('c', true, deadline, never, refusal);
    expect(windows.blocked('c', true, Date.now())).toBe('answer');
    windows.left('c', { accepted: true, refused: false, remaining: 0, resetAt: Date.now() + 200 });
    expect(windows.blocked('c', true, Date.now())).toEqual({ until: expect.any(Number) });
    const started = Date.now();
    await windows.enter('c', true, deadline, never, refusal);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });

  it('refuses at once a call whose turn is past its deadline, and at the deadline one still waiting for answers', async () => {
    const windows = new SendWindows();
    await windows.enter('c', true, Date.now() + 1000, never, refusal);
    windows.left('c', { accepted: true, refused: false, remaining: 0, resetAt: Date.now() + 60_000 });
    await expect(windows.enter('c', true, Date.now() + 1000, never, refusal)).rejects.toMatchObject({ blocked: { until: expect.any(Number) } });
    for (let i = 0; i < INITIAL_SIZE; i++) await windows.enter('d', false, Date.now() + 1000, never, refusal);
    await expect(windows.enter('d', false, Date.now() + 50, never, refusal)).rejects.toMatchObject({ blocked: 'answer' });
    await expect(windows.enter('d', false, Date.now() + 5000, AbortSignal.abort(new Error('gone')), refusal)).rejects.toThrow('gone');
  });
});
