import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import request from 'supertest';
import { createTestApp, TEST_SECRET_KEY, TestApp } from '../support/test-app';
import { resolvedTestDatabaseUrl } from '../support/test-database';

const ROOT = join(__dirname, '..', '..');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CONFIG_VARIABLES = [
  'NODE_ENV', 'PORT', 'HOST', 'DATABASE_URL', 'EMBEDDED_DB_DIR', 'DB_POOL_SIZE', 'LOG_LEVEL', 'SECRET_KEY', 'IMPORT_DIR',
  'DEFAULT_PHONE_REGION', 'JSON_BODY_LIMIT', 'IMPORT_MAX_BYTES',
];

/** src/main.ts as `npm start` runs it, transpiled on the fly, with exactly the configuration given. */
function startService(env: Record<string, string>): ChildProcess {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !CONFIG_VARIABLES.includes(name)));
  return spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
    cwd: ROOT,
    env: { ...inherited, NODE_OPTIONS: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function collect(stream: NodeJS.ReadableStream | null): { text: () => string } {
  let text = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => (text += chunk));
  return { text: () => text };
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

describe('the service process', () => {
  it('refuses to start on bad configuration, naming every bad variable at once, before touching anything', async () => {
    const child = startService({ NODE_ENV: 'production', PORT: 'abc', DB_POOL_SIZE: '0', LOG_LEVEL: 'loud', DEFAULT_PHONE_REGION: 'ZZ' });
    const stdout = collect(child.stdout);
    const stderr = collect(child.stderr);
    const [code] = await once(child, 'exit');

    expect(code).toBe(1);
    const message = stderr.text();
    expect(message).toContain('Invalid configuration');
    expect(message).toContain('PORT="abc"');
    expect(message).toContain('DB_POOL_SIZE="0"');
    expect(message).toContain('LOG_LEVEL="loud"');
    expect(message).toContain('DEFAULT_PHONE_REGION="ZZ"');
    expect(message).toMatch(/SECRET_KEY: required when NODE_ENV=production/);
    expect(message).not.toMatch(/\n\s+at /); // a list of problems, not a stack trace
    expect(stdout.text()).toBe('');
  });

  // The one test of the real entry point's success path. Transpiling the whole application on the fly
  // costs several seconds (far more on a busy machine); everything else runs in-process via createTestApp.
  it('starts with good configuration, serves /health with a request id, and stops on SIGTERM', async () => {
    const port = await freePort();
    const child = startService({
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: resolvedTestDatabaseUrl(),
      DB_POOL_SIZE: '2',
      SECRET_KEY: TEST_SECRET_KEY,
      LOG_LEVEL: 'info',
    });
    const stderr = collect(child.stderr);
    try {
      // Nest logs this line (as JSON, through pino) once the server listens.
      await new Promise<void>((resolve, reject) => {
        let seen = '';
        child.stdout?.setEncoding('utf8');
        child.stdout?.on('data', (chunk: string) => {
          seen += chunk;
          if (seen.includes('Nest application successfully started')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`the service exited with ${code}: ${stderr.text()}`)));
      });
      const res = await request(`http://127.0.0.1:${port}`).get('/health').expect(200);
      expect(res.body).toEqual({ status: 'ok', database: 'postgres' });
      expect(res.headers['x-request-id']).toMatch(UUID);
    } finally {
      const exited = child.exitCode === null ? once(child, 'exit') : Promise.resolve();
      child.kill('SIGTERM');
      await exited;
    }
    expect({ code: child.exitCode, signal: child.signalCode }).toEqual({ code: null, signal: 'SIGTERM' });
    await expect(request(`http://127.0.0.1:${port}`).get('/health')).rejects.toThrow(/ECONNREFUSED/);
  }, 180_000);
});

describe('request ids, documentation and health', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('gives every response its own X-Request-Id, errors and parser rejections included', async () => {
    const responses = await Promise.all([
      t.http.get('/health'),
      t.http.get('/contacts').set(t.auth('viewer')),
      t.http.get('/contacts'), // 401
      t.http.get('/no-such-route'), // 404
      t.http.post('/contacts').set(t.auth('marketer')).set('Content-Type', 'application/json').send('{oops'), // body parser
      t.http.get('/docs/openapi.json'), // served outside Nest's router
    ]);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 401, 404, 400, 200]);
    const ids = responses.map((r) => r.headers['x-request-id']);
    for (const id of ids) expect(id).toMatch(UUID);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("echoes a caller's sane X-Request-Id so logs join up across services", async () => {
    for (const given of ['abc-123', 'trace.7f9c2b9e_1', 'x'.repeat(64)]) {
      const res = await t.http.get('/health').set('X-Request-Id', given).expect(200);
      expect(res.headers['x-request-id']).toBe(given);
    }
    const failed = await t.http.get('/contacts/not-a-uuid').set(t.auth('viewer')).set('X-Request-Id', 'req-42').expect(400);
    expect(failed.headers['x-request-id']).toBe('req-42');
  });

  it('replaces an insane X-Request-Id instead of reflecting it', async () => {
    for (const given of ['', 'has spaces', '<script>alert(1)</script>', 'x'.repeat(65), 'id\twith\ttabs', 'ünïcode']) {
      const res = await t.http.get('/health').set('X-Request-Id', given).expect(200);
      expect(res.headers['x-request-id']).toMatch(UUID);
    }
  });

  it('serves the Swagger UI at /docs without a key', async () => {
    const res = await t.http.get('/docs').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('<title>Swagger UI</title>');
    expect(res.text).toContain('swagger-ui');
  });

  it('lists the contacts API in /docs/openapi.json, secured by the bearer scheme', async () => {
    const { body: doc } = await t.http.get('/docs/openapi.json').expect(200);
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/contacts', '/contacts/{id}', '/contacts/{id}/consent', '/contacts/{id}/consent-history', '/health']),
    );
    expect(Object.keys(doc.paths['/contacts']).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/contacts/{id}']).sort()).toEqual(['delete', 'get', 'patch']);
    for (const [path, operations] of Object.entries(doc.paths as Record<string, Record<string, { security?: unknown }>>)) {
      if (!path.startsWith('/contacts')) continue;
      for (const [method, operation] of Object.entries(operations)) {
        expect({ operation: `${method} ${path}`, security: operation.security }).toEqual({
          operation: `${method} ${path}`,
          security: [{ bearer: [] }],
        });
      }
    }
    expect(doc.paths['/health'].get.security).toBeUndefined();
  });

  it('reports the database as postgres when DATABASE_URL is set', async () => {
    const res = await t.http.get('/health').expect(200);
    expect(res.body).toEqual({ status: 'ok', database: 'postgres' });
  });
});
