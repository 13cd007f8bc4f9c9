/**
 * The HTTP API under a steady load (issue 6): p99 latency at 500 requests/s, target < 20 ms.
 *
 * The real service (`node dist/src/main.js` from a copy of the build, no delivery workers) runs in its own process on a
 * fresh database of 100,000 contacts (--quick: 10,000) with e-mail and phone and consent, and an
 * API key made by the service's own CLI. autocannon, in this process, holds a fixed rate
 * (`overallRate`; its latencies are corrected for coordinated omission) for 20 s per endpoint
 * (--quick: 5 s) after a short warm-up that is not counted:
 *   GET  /contacts/:id                 a random contact each time
 *   POST /contacts/:id/interactions    a purchase with one line, a new eventId each time, for a
 *                                      random contact (the rice-jar path: value and run-out
 *                                      predictions follow in the same transaction)
 * `--profile` writes a CPU profile of the service and prints where its time went. Each window also
 * reports the database's CPU per request (its server processes' CPU time, when the server runs on
 * this machine) and the load average at its end.
 */
import autocannon from 'autocannon';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { createServer } from 'node:net';
import { basename, join } from 'node:path';
import { Client } from 'pg';
import { recreateDatabase } from '../../test/support/test-database';
import { groupProfile, summariseProfile, writeProfilerPreload } from '../support/cpu-profile-summary';
import { BenchOptions, BenchPhase, PhaseResult, sampleRss } from '../support/phase';
import { ROOT, snapshotBuild } from '../support/sms-child';

// One database per checkout: helpers benchmarking other worktrees on the same server must not drop ours.
const DATABASE = `tidings_bench_api_${basename(ROOT).replace(/[^a-z0-9]+/gi, '_').toLowerCase()}`;
const RATE = 500;
const CONNECTIONS = 20;
const P99_TARGET_MS = 20;

const PROFILE_GROUPS: Array<[string, RegExp]> = [
  ['DB (pg, typeorm)', /^(pg|pg-.*|postgres-.*|typeorm)$/],
  ['auth', /^src\/auth$/],
  ['contacts', /^src\/contacts.*$/],
  ['interactions and derived memory', /^src\/memory.*$/],
  ['validation (class-validator, class-transformer)', /^(class-validator|class-transformer|validator|libphonenumber-js)$/],
  ['HTTP (express, body parsing, node http)', /^(express|body-parser|router|raw-body|iconv-lite|qs|finalhandler|send|on-finished|cookie-parser|helmet|node:_http_.*|node:http)$/],
  ['logging (pino)', /^(pino.*|nestjs-pino|sonic-boom|fast-redact|thread-stream)$/],
  ['Nest, rxjs', /^(@nestjs\/.*|rxjs|reflect-metadata)$/],
  ['GC', /^\(gc\)$/],
];

/**
 * CPU time (ns) so far of each server process serving the database at `url`, read from
 * /proc/<pid>/schedstat: null when the server is not on this machine (or not readable).
 */
async function databaseCpuNs(url: string): Promise<Map<number, number> | null> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`);
    const cpu = new Map<number, number>();
    for (const { pid } of rows) {
      try {
        cpu.set(pid, Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]));
      } catch {
        return null;
      }
    }
    return cpu;
  } finally {
    await client.end();
  }
}

/** The database's CPU between two samples, in ms; a process that started in between counts from zero. */
function databaseCpuMsBetween(before: Map<number, number> | null, after: Map<number, number> | null): number | null {
  if (!before || !after) return null;
  let ns = 0;
  for (const [pid, total] of after) ns += total - (before.get(pid) ?? 0);
  return ns / 1e6;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function seed(url: string, contacts: number): Promise<string[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO contacts (given_name, family_name, form_of_address, email, phone, locale, time_zone, birthday, tags)
       SELECT 'Guest', 'No. ' || g, 'Guest ' || g, 'api-' || g || '@example.test', '+1555' || lpad(g::text, 7, '0'),
              'en', 'Asia/Shanghai', date '1960-01-01' + (g % 15000), ARRAY['bench']
         FROM generate_series(1, $1::int) g`,
      [contacts],
    );
    await client.query(
      `INSERT INTO contact_consent_events (contact_id, channel, status, source, recorded_by)
       SELECT id, channel, 'granted', 'import', 'bench' FROM contacts, unnest(ARRAY['email', 'sms']) channel`,
    );
    await client.query('VACUUM ANALYZE');
    return (await client.query<{ id: string }>('SELECT id FROM contacts')).rows.map((r) => r.id);
  } finally {
    await client.end();
  }
}

/** Migrates the database and makes a marketer key the way an operator does: with the CLI. */
function createApiKey(distDir: string, env: Record<string, string>): string {
  const output = execFileSync(process.execPath, [join(distDir, 'src', 'cli.js'), 'apikey', 'create', '--role', 'marketer', '--name', 'bench'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  const key = /^(tid_\S+)$/m.exec(output)?.[1];
  if (!key) throw new Error(`the CLI printed no key:\n${output}`);
  return key;
}

async function startService(distDir: string, env: Record<string, string>, port: number, execArgv: string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...execArgv, join(distDir, 'src', 'main.js')], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    // Request logs go where production sends them (stdout); nobody reads them here.
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the service exited (${child.exitCode}) during start-up`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/health`);
      if (response.status < 500) return child;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error('the service did not start within 60 s');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Stops the service and waits for it. */
async function stopService(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

interface LoadFigures {
  requests: number;
  perSecond: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statuses: Record<string, number>;
}

function load(port: number, seconds: number, request: autocannon.Request, authorization: string): Promise<LoadFigures> {
  return new Promise((resolve, reject) => {
    const statuses: Record<string, number> = {};
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${port}`,
        connections: CONNECTIONS,
        overallRate: RATE,
        duration: seconds,
        timeout: 10,
        headers: { authorization, 'content-type': 'application/json' },
        requests: [request],
      },
      (error, result) => {
        if (error) return reject(error);
        resolve({
          requests: result.requests.total,
          perSecond: Math.round(result.requests.total / seconds),
          p50: result.latency.p50,
          p90: result.latency.p90,
          p99: result.latency.p99,
          max: result.latency.max,
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          statuses,
        });
      },
    );
    instance.on('response', (_client: unknown, statusCode: number) => {
      statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
    });
  });
}

async function run(options: BenchOptions): Promise<PhaseResult[]> {
  const contacts = options.quick ? 10_000 : 100_000;
  const seconds = options.quick ? 5 : 20;
  const warmUp = options.quick ? 1 : 3;
  const profile = process.argv.includes('--profile');
  const distDir = snapshotBuild(options.workDir);

  const url = await recreateDatabase(options.serverUrl, DATABASE);
  const port = await freePort();
  const env = {
    NODE_ENV: 'production',
    DATABASE_URL: url,
    SECRET_KEY: 'bench-secret-key-bench-secret-key-0123456789',
    PORT: String(port),
    HOST: '127.0.0.1',
    RUN_WORKERS: 'false',
    OUTBOX_DIR: join(options.workDir, 'api-outbox'),
    IMPORT_DIR: join(options.workDir, 'api-imports'),
    // The build copy lives outside the repository (see snapshotBuild).
    NODE_PATH: join(ROOT, 'node_modules'),
  };
  const key = createApiKey(distDir, env);
  const ids = await seed(url, contacts);
  console.log(`${contacts.toLocaleString('en')} contacts seeded; service on port ${port}`);
  const profilePrefix = join(options.workDir, 'api-service');
  const service = await startService(distDir, env, port, profile ? ['-r', writeProfilerPreload(options.workDir, profilePrefix)] : []);
  const randomId = () => ids[Math.floor(Math.random() * ids.length)];
  let event = 0;
  const runTag = Date.now().toString(36);
  const endpoints: Array<{ name: string; request: autocannon.Request }> = [
    {
      name: 'GET /contacts/:id',
      request: { method: 'GET', setupRequest: (req) => ({ ...req, path: `/contacts/${randomId()}` }) },
    },
    {
      name: 'POST /contacts/:id/interactions',
      request: {
        method: 'POST',
        setupRequest: (req) => ({
          ...req,
          path: `/contacts/${randomId()}/interactions`,
          body: JSON.stringify({
            eventId: `bench-${runTag}-${event++}`,
            kind: 'purchase',
            currency: 'CNY',
            summary: 'Rice, 5 kg',
            items: [{ productKey: 'rice-5kg', name: 'Rice 5 kg', quantity: 1, unit: 'bag', unitPrice: 45.5 }],
          }),
        }),
      },
    },
  ];
  const results: PhaseResult[] = [];
  const rss = sampleRss(service.pid!);
  try {
    for (const [index, endpoint] of endpoints.entries()) {
      await load(port, warmUp, endpoint.request, `Bearer ${key}`);
      // Each endpoint's measured window is profiled on its own.
      if (profile) service.send({ profiler: 'start' });
      const cpuBefore = await databaseCpuNs(url);
      const figures = await load(port, seconds, endpoint.request, `Bearer ${key}`);
      const databaseCpuMs = databaseCpuMsBetween(cpuBefore, await databaseCpuNs(url));
      // The machine is shared: a window's figures mean little without what else ran.
      const loadAverage = Number(loadavg()[0].toFixed(1));
      if (profile) service.send({ profiler: 'stop' });
      const met = figures.p99 < P99_TARGET_MS && figures.non2xx === 0 && figures.errors === 0 && figures.perSecond >= RATE * 0.95;
      console.log(
        `${endpoint.name.padEnd(32)} ${figures.perSecond}/s  p50 ${figures.p50} ms  p90 ${figures.p90} ms  p99 ${figures.p99} ms  max ${figures.max} ms  ` +
          `non-2xx ${figures.non2xx}  errors ${figures.errors} ${JSON.stringify(figures.statuses)}  ` +
          `database CPU ${databaseCpuMs === null ? 'n/a' : `${(databaseCpuMs / figures.requests).toFixed(2)} ms/request`}  load average ${loadAverage}`,
      );
      const extra: Record<string, unknown> = {
        ...figures,
        databaseCpuMsPerRequest: databaseCpuMs === null ? null : Number((databaseCpuMs / figures.requests).toFixed(2)),
        loadAverage,
      };
      if (profile) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        const written = `${profilePrefix}-${index + 1}.cpuprofile`;
        if (existsSync(written)) {
          const slug = endpoint.name.split(' ')[0].toLowerCase();
          const file = join(ROOT, 'bench', 'results', `api-service-${slug}${options.quick ? '-quick' : ''}.cpuprofile`);
          mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
          copyFileSync(written, file);
          const summary = summariseProfile(file);
          extra.profile = {
            cpuMsPerRequest: Number((summary.total / figures.requests).toFixed(2)),
            busyMs: Math.round(summary.total),
            idleMs: Math.round(summary.idle),
            percentOfBusy: groupProfile(summary, PROFILE_GROUPS),
            topOwnersMs: Object.fromEntries(summary.byOwner.slice(0, 15).map(([owner, ms]) => [owner, Math.round(ms)])),
          };
          console.log(`service CPU profile (${file}):\n${JSON.stringify(extra.profile, null, 2)}`);
        }
      }
      results.push({
        phase: `API ${endpoint.name}, ${RATE} requests/s for ${seconds} s, ${contacts.toLocaleString('en')} contacts`,
        unit: 'ms p99',
        raw: null,
        tidings: figures.p99,
        ratio: null,
        target: `p99 < ${P99_TARGET_MS} ms, no errors`,
        met,
        extra,
      });
    }
  } finally {
    const peak = rss.stop();
    await stopService(service);
    for (const result of results) result.extra.servicePeakRssMb = peak;
  }
  return results;
}

export const phase: BenchPhase = { name: 'api', run };
