/**
 * The upstream of the bundled example (specs/petstore.yaml): a pet shop kept in memory,
 * needing no key, so that a newcomer's first tool call works without an account
 * anywhere. Only what the spec declares; a toy, not a mock of anything real.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Pet {
  id: number;
  name: string;
  tag: string | null;
  status: 'available' | 'pending' | 'sold';
}

const STATUSES = ['available', 'pending', 'sold'];
const MAX_BODY = 64 * 1024; // bytes: a pet is a few dozen

export interface DemoUpstream {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export async function startPetstore(port = 4010, host = '127.0.0.1'): Promise<DemoUpstream> {
  const pets: Pet[] = [
    { id: 1, name: 'Rex', tag: 'dog', status: 'available' },
    { id: 2, name: 'Tom', tag: 'cat', status: 'pending' },
    { id: 3, name: 'Nemo', tag: 'fish', status: 'sold' },
  ];
  let nextId = 4;
  const server = createServer((req, res) => {
    handle(req, res).catch(() => send(res, 500, { message: 'the demo pet shop failed' }));
  });
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://demo');
    const one = /^\/pets\/(\d+)$/.exec(url.pathname);
    if (url.pathname === '/pets' && req.method === 'GET') {
      const limit = Math.min(Math.max(Number(url.searchParams.get('limit') ?? 20) || 20, 1), 100);
      const status = url.searchParams.get('status');
      const chosen = [...pets].reverse().filter((p) => status === null || p.status === status);
      return send(res, 200, { items: chosen.slice(0, limit), next: null });
    }
    if (url.pathname === '/pets' && req.method === 'POST') {
      const body = await readJson(req);
      if (typeof body?.name !== 'string' || body.name === '' || body.name.length > 100)
        return send(res, 400, { message: 'name must be a string of 1-100 characters' });
      const status = body.status ?? 'available';
      if (!STATUSES.includes(status)) return send(res, 400, { message: `status must be one of ${STATUSES.join(', ')}` });
      const pet: Pet = { id: nextId++, name: body.name, tag: typeof body.tag === 'string' ? body.tag : null, status: status as Pet['status'] };
      pets.push(pet);
      return send(res, 201, pet);
    }
    if (one && (req.method === 'GET' || req.method === 'DELETE')) {
      const index = pets.findIndex((p) => p.id === Number(one[1]));
      if (index === -1) return send(res, 404, { message: `no pet ${one[1]}` });
      if (req.method === 'GET') return send(res, 200, pets[index]);
      pets.splice(index, 1);
      res.writeHead(204).end();
      return;
    }
    send(res, 404, { message: `the demo pet shop has no ${req.method} ${url.pathname}` });
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<{ name?: unknown; tag?: unknown; status?: string } | undefined> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as { name?: unknown };
  } catch {
    return undefined;
  }
}
