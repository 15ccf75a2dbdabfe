/**
 * The admin REST API at router level: the real router over a real store (SQLite in a
 * temp data dir) and a real registry over a temp specs folder, driven with supertest.
 * Issue 14: a connection is refused when its connector does not exist (with the known
 * ids and the nearest), sends no credentials, or would not send this kind.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { AdminOperations, CLI_ACTOR, adminApi } from '..';
import { createLogger } from '../../gateway/logger';
import { Registry } from '../../gateway/registry/registry';
import { openServices, type HubServices } from '../../gateway/services';
import { loadSettings } from '../../gateway/config';

const PASSWORD = 'router test password';
const op = (id: string, security?: string) =>
  `  /${id}:\n    get:\n      operationId: get_${id}\n${security ? `      security: [{ ${security}: [] }]\n` : ''}      responses: { '200': { description: ok, content: { application/json: { schema: { type: object } } } } }\n`;
const SPECS: Record<string, string> = {
  // GitHub's case: the spec declares no security scheme.
  github: `openapi: 3.0.3\ninfo: { title: gh, version: '1' }\nservers: [{ url: https://api.github.example }]\npaths:\n${op('user')}`,
  // Stripe's case: two schemes, basic first.
  stripe: `openapi: 3.0.3\ninfo: { title: st, version: '1' }\nservers: [{ url: https://api.stripe.example }]\nsecurity: [{ basicAuth: [] }, { bearerAuth: [] }]\ncomponents:\n  securitySchemes:\n    basicAuth: { type: http, scheme: basic }\n    bearerAuth: { type: http, scheme: bearer }\npaths:\n${op('balance', 'basicAuth')}${op('charges', 'bearerAuth')}`,
  notes: `openapi: 3.0.3\ninfo: { title: notes, version: '1' }\nservers: [{ url: https://notes.example }]\nsecurity: [{ token: [] }]\ncomponents:\n  securitySchemes:\n    token: { type: http, scheme: bearer }\npaths:\n${op('notes')}`,
};

let dir: string;
let services: HubServices;
let registry: Registry;
let app: express.Express;
let token: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'hub-admin-api-'));
  const specs = path.join(dir, 'specs');
  mkdirSync(specs);
  for (const [name, text] of Object.entries(SPECS)) writeFileSync(path.join(specs, `${name}.yaml`), text);
  const log = createLogger('silent');
  registry = new Registry({ specsDir: specs, log });
  await registry.start();
  services = await openServices({ dataDir: path.join(dir, 'data'), settings: loadSettings({ env: {} }), log });
  await new AdminOperations(services.store, services.box).createAdmin(CLI_ACTOR, { username: 'root', password: PASSWORD });
  await services.store.createTenant('acme');
  app = express();
  app.use('/api', adminApi({ services, log, registry }));
  const login = await request(app).post('/api/login').send({ username: 'root', password: PASSWORD }).expect(200);
  token = login.body.token;
});

afterAll(async () => {
  registry?.close();
  await services?.close();
  rmSync(dir, { recursive: true, force: true });
});

const addConnection = (body: Record<string, unknown>) =>
  request(app)
    .post('/api/connections')
    .set('authorization', `Bearer ${token}`)
    .send({ tenant: 'acme', credential: { token: 'secret-token-1' }, ...body });

it('needs an admin session', async () => {
  const res = await request(app).post('/api/connections').send({ tenant: 'acme', connector: 'notes', kind: 'bearer' }).expect(401);
  expect(res.body.error.code).toBe('HUB_ERR_AUTH_UNAUTHENTICATED');
  expect(res.headers['www-authenticate']).toBe('Bearer realm="lunar-hub-admin"');
});

it('adds a connection of a kind the connector sends, and shows no secret', async () => {
  const res = await addConnection({ connector: 'notes', kind: 'bearer' }).expect(201);
  expect(res.body).toMatchObject({ connectorId: 'notes', kind: 'bearer', status: 'active', hasSecret: true });
  expect(res.body.secret).toBeUndefined();
  expect(JSON.stringify(res.body)).not.toContain('secret-token-1');
});

it('refuses a connector id that does not exist, naming the known ones and the nearest', async () => {
  const res = await addConnection({ connector: 'stirpe', kind: 'bearer' }).expect(400);
  expect(res.body.error.code).toBe('HUB_ERR_API_BAD_REQUEST');
  expect(res.body.error.message).toBe('No connector "stirpe" (did you mean stripe?): the known connectors are github, notes, stripe');
});

it("refuses a secret for a connector that sends none, naming the connector file's auth section", async () => {
  const res = await addConnection({ connector: 'github', kind: 'bearer' }).expect(400);
  expect(res.body.error.code).toBe('HUB_ERR_CRED_SCHEME');
  expect(res.body.error.message).toContain('a bearer secret would never be sent');
  expect(res.body.error.message).toContain(`\`auth\` section of ${path.join(dir, 'specs', 'github.connector.yaml')}`);
  const list = await request(app).get('/api/connections?tenant=acme&connector=github').set('authorization', `Bearer ${token}`).expect(200);
  expect(list.body).toEqual([]);
});

it('refuses a bearer key for a spec whose first scheme is basic, saying that auth.scheme picks the scheme', async () => {
  const res = await addConnection({ connector: 'stripe', kind: 'bearer' }).expect(400);
  expect(res.body.error.code).toBe('HUB_ERR_CRED_SCHEME');
  expect(res.body.error.message).toContain('HTTP basic (username and password) (spec securitySchemes.basicAuth)');
  expect(res.body.error.message).toContain("pick another of the spec's securitySchemes (bearerAuth) with `auth.scheme` in");
  await addConnection({ connector: 'stripe', kind: 'basic', credential: { username: 'u', password: 'p' } }).expect(201);
});

it('answers an unknown route with a coded 404', async () => {
  const res = await request(app).get('/api/nothing').set('authorization', `Bearer ${token}`).expect(404);
  expect(res.body.error.code).toBe('HUB_ERR_API_NOT_FOUND');
});
