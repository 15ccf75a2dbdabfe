import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { readBodyCapped } from './read-body';

const MiB = 1024 * 1024;
const HUGE = 50 * MiB;
const CHUNK = 64 * 1024;

/**
 * An upstream that streams `size` bytes generated lazily (a repeating 0..255 pattern,
 * so a cut at the wrong offset shows), honouring backpressure, and records how much it
 * managed to write before the client went away.
 */
function startUpstream() {
  const sent: number[] = [];
  const closed: Array<Promise<number>> = [];
  const server = http.createServer((req, res) => {
    const size = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('size'));
    const chunked = req.url?.includes('chunked') ?? false;
    res.writeHead(200, { 'content-type': 'application/octet-stream', ...(chunked ? {} : { 'content-length': String(size) }) });
    let written = 0;
    const index = sent.push(0) - 1;
    closed.push(
      new Promise((resolve) => {
        res.on('close', () => resolve(written));
      }),
    );
    const pump = () => {
      while (written < size && !res.destroyed) {
        const n = Math.min(CHUNK, size - written);
        const chunk = Buffer.allocUnsafe(n);
        for (let i = 0; i < n; i++) chunk[i] = (written + i) & 0xff;
        written += n;
        sent[index] = written;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      if (!res.destroyed) res.end();
    };
    pump();
  });
  return {
    server,
    closed,
    listen: () => new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function expectPattern(body: Buffer): void {
  for (let i = 0; i < body.length; i += 4099) expect(body[i]).toBe(i & 0xff);
  if (body.length > 0) expect(body[body.length - 1]).toBe((body.length - 1) & 0xff);
}

describe('readBodyCapped over a real undici request', () => {
  const upstream = startUpstream();
  const agent = new Agent();
  let base = '';

  beforeAll(async () => {
    base = await upstream.listen();
  });
  afterAll(async () => {
    await agent.close();
    upstream.server.closeAllConnections();
    await upstream.close();
  });

  it.each<[string, string]>([
    ['with content-length', ''],
    ['chunked, size unknown', '&chunked'],
  ])('stops a 50 MB body at the cap and closes the stream (%s)', async (_name, extra) => {
    const before = upstream.closed.length;
    const { body } = await request(`${base}/?size=${HUGE}${extra}`, { dispatcher: agent });
    const read = await readBodyCapped(body, MiB);
    expect(read.truncated).toBe(true);
    expect(read.body).toHaveLength(MiB);
    expectPattern(read.body);
    expect(body.destroyed).toBe(true);
    // The upstream saw the connection go away long before it had written everything:
    // what crossed the wire is bounded by socket buffers, not by the body's size.
    const written = await upstream.closed[before];
    expect(written).toBeLessThan(HUGE / 2);
  });

  it.each<[string, number, number, boolean]>([
    ['below the cap', 300_000, MiB, false],
    ['exactly the cap is whole', MiB, MiB, false],
    ['one byte over', MiB + 1, MiB, true],
    ['empty', 0, MiB, false],
    ['a cap of zero', 10, 0, true],
  ])('%s', async (_name, size, cap, truncated) => {
    const { body } = await request(`${base}/?size=${size}`, { dispatcher: agent });
    const read = await readBodyCapped(body, cap);
    expect(read.truncated).toBe(truncated);
    expect(read.body).toHaveLength(Math.min(size, cap));
    expectPattern(read.body);
  });

  it('leaves the connection usable for the next request after a whole body', async () => {
    for (let i = 0; i < 3; i++) {
      const { body, statusCode } = await request(`${base}/?size=1000`, { dispatcher: agent });
      expect(statusCode).toBe(200);
      expect((await readBodyCapped(body, 5000)).body).toHaveLength(1000);
    }
  });
});

describe('readBodyCapped over any async iterable', () => {
  it('cuts inside a chunk and ends the source', async () => {
    let produced = 0;
    let finished = false;
    async function* source(): AsyncGenerator<Uint8Array> {
      try {
        for (;;) {
          produced++;
          yield new Uint8Array(1000).fill(produced);
        }
      } finally {
        finished = true;
      }
    }
    const read = await readBodyCapped(source(), 2500);
    expect(read).toEqual({ body: Buffer.concat([Buffer.alloc(1000, 1), Buffer.alloc(1000, 2), Buffer.alloc(500, 3)]), truncated: true });
    expect(produced).toBe(3);
    expect(finished).toBe(true);
  });

  it('keeps Uint8Array views at their offsets', async () => {
    const backing = new Uint8Array([9, 9, 1, 2, 3, 9]);
    async function* source(): AsyncGenerator<Uint8Array> {
      yield backing.subarray(2, 5);
    }
    expect(await readBodyCapped(source(), 10)).toEqual({ body: Buffer.from([1, 2, 3]), truncated: false });
  });

  it('passes on an error from the source', async () => {
    async function* source(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(10);
      throw Object.assign(new Error('Body Timeout Error'), { code: 'UND_ERR_BODY_TIMEOUT' });
    }
    await expect(readBodyCapped(source(), 100)).rejects.toMatchObject({ code: 'UND_ERR_BODY_TIMEOUT' });
  });
});
