import { createTestApp, TestApp } from '../support/test-app';

describe('API keys and roles', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const protectedRoutes: Array<[string, string]> = [
    ['get', '/contacts'],
    ['post', '/contacts'],
    ['get', '/contacts/7f9c2b9e-1d2a-4c51-9a56-0d3c1e9b2a10'],
    ['patch', '/contacts/7f9c2b9e-1d2a-4c51-9a56-0d3c1e9b2a10'],
    ['delete', '/contacts/7f9c2b9e-1d2a-4c51-9a56-0d3c1e9b2a10'],
    ['get', '/api-keys'],
    ['post', '/api-keys'],
  ];

  it.each(protectedRoutes)('%s %s without a key is 401 in the error shape', async (method, path) => {
    const res = await (t.http as unknown as Record<string, (p: string) => import('supertest').Test>)[method](path).expect(401);
    expect(res.body).toEqual({ error: 'UNAUTHENTICATED', message: expect.any(String), details: [] });
  });

  it('rejects an unknown key and a revoked key', async () => {
    await t.http.get('/contacts').set({ Authorization: 'Bearer tid_not-a-key' }).expect(401);
    const created = await t.http.post('/api-keys').set(t.auth('admin')).send({ name: 'short-lived', role: 'viewer' }).expect(201);
    await t.http.get('/contacts').set({ Authorization: `Bearer ${created.body.key}` }).expect(200);
    await t.http.delete(`/api-keys/${created.body.apiKey.id}`).set(t.auth('admin')).expect(200);
    await t.http.get('/contacts').set({ Authorization: `Bearer ${created.body.key}` }).expect(401);
  });

  it('lets a viewer read but not write, and only an admin manage keys', async () => {
    await t.http.get('/contacts').set(t.auth('viewer')).expect(200);
    const write = await t.http.post('/contacts').set(t.auth('viewer')).send({ givenName: 'X' }).expect(403);
    expect(write.body.error).toBe('FORBIDDEN');
    await t.http.get('/api-keys').set(t.auth('marketer')).expect(403);
    await t.http.post('/api-keys').set(t.auth('marketer')).send({ name: 'x', role: 'admin' }).expect(403);
  });

  it('stores only a hash of each key', async () => {
    const created = await t.http.post('/api-keys').set(t.auth('admin')).send({ name: 'hash check', role: 'viewer' }).expect(201);
    const rows = await t.db.query(`SELECT * FROM api_keys WHERE id = $1`, [created.body.apiKey.id]);
    expect(JSON.stringify(rows)).not.toContain(created.body.key);
    expect(created.body.apiKey.keyHash).toBeUndefined();
  });

  it('serves /health without a key and checks the database', async () => {
    const res = await t.http.get('/health').expect(200);
    expect(res.body).toEqual({ status: 'ok', database: 'postgres' });
  });
});
