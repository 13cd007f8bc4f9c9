/**
 * Bulk contact import: throughput and peak memory, through the API and through the CLI.
 *
 *   npx ts-node --transpile-only bench/import-100k.ts            # 100,000 rows
 *   npx ts-node --transpile-only bench/import-100k.ts 300000     # to see that the peak does not grow
 *
 * Needs the PostgreSQL at 127.0.0.1:5432 (trust auth, user postgres); BENCH_DATABASE_URL overrides it.
 * The database `tidings_bench` is dropped and created again for each path. The service and the CLI
 * run as their real compiled programs (dist/, built first when stale), each in its own process, so
 * the memory figures are theirs alone and not this harness's:
 *   1. API: start `node dist/src/main.js`, upload the generated CSV (streamed), poll until done;
 *      upload the same file again. Peak RSS is sampled from /proc/<pid>/status every 50 ms.
 *   2. CLI: on a fresh database, `node dist/src/cli.js import <file>`, twice; peak RSS from
 *      /usr/bin/time (its maximum resident set size).
 * The file has 1% bad rows spread over it: bad e-mail, bad phone, unknown time zone, duplicate key,
 * missing identifier, in turn.
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { ContactImportFile } from '../test/factories/contact-import.factory';
import { recreateDatabase } from '../test/support/test-database';

const ROOT = join(__dirname, '..');
const ROWS = Number(process.argv[2] ?? 100_000);
const SERVER_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DATABASE = 'tidings_bench';
const SECRET_KEY = 'bench-secret-key-bench-secret-key-0123456789';

interface Figures {
  path: string;
  rowsPerSecond: number;
  importSeconds: number;
  wallSeconds: number;
  peakRssMb: number;
  counts: string;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'tidings-bench-'));
  try {
    const file = new ContactImportFile(ROWS, { badEvery: 100, kinds: ['email', 'phone', 'timeZone', 'duplicate', 'missingIdentifier'] });
    const csv = join(work, `contacts-${ROWS}.csv`);
    await writeLines(csv, file.lines());
    console.log(`${ROWS} rows, ${file.badCount} bad, ${(statSync(csv).size / 1024 / 1024).toFixed(1)} MB: ${csv}`);
    execFileSync('node', ['scripts/build-if-needed.js'], { cwd: ROOT, stdio: 'inherit' });

    const figures: Figures[] = [];
    const env = { ...process.env, DATABASE_URL: await recreateDatabase(SERVER_URL, DATABASE), SECRET_KEY, LOG_LEVEL: 'warn', IMPORT_DIR: join(work, 'uploads') };
    figures.push(...(await throughApi(csv, env)));
    env.DATABASE_URL = await recreateDatabase(SERVER_URL, DATABASE);
    figures.push(await throughCli(csv, env, 'CLI, fresh database'), await throughCli(csv, env, 'CLI, same file again'));

    console.log(`\n${'path'.padEnd(24)} ${'rows/s'.padStart(8)} ${'import s'.padStart(9)} ${'wall s'.padStart(8)} ${'peak RSS MB'.padStart(12)}  counts`);
    for (const f of figures) {
      console.log(
        `${f.path.padEnd(24)} ${f.rowsPerSecond.toFixed(0).padStart(8)} ${f.importSeconds.toFixed(1).padStart(9)} ` +
          `${f.wallSeconds.toFixed(1).padStart(8)} ${f.peakRssMb.toFixed(0).padStart(12)}  ${f.counts}`,
      );
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Starts the service, imports the file twice over HTTP, stops the service. */
async function throughApi(csv: string, env: NodeJS.ProcessEnv): Promise<Figures[]> {
  const key = execFileSync('node', ['dist/src/cli.js', 'apikey', 'create', '--role', 'marketer'], { cwd: ROOT, env, encoding: 'utf8' })
    .trim()
    .split('\n')
    .pop()!;
  const port = await freePort();
  const service = spawn('node', ['dist/src/main.js'], { cwd: ROOT, env: { ...env, PORT: String(port), HOST: '127.0.0.1' }, stdio: 'inherit' });
  const base = `http://127.0.0.1:${port}`;
  try {
    await until(async () => (await call(base, 'GET', '/health')).status === 200, 60_000);
    const idleMb = rssMb(service.pid!, 'VmRSS');
    console.log(`service up, ${idleMb.toFixed(0)} MB resident before any import`);
    const figures: Figures[] = [];
    for (const path of ['API, fresh database', 'API, same file again']) {
      let peak = 0;
      const sampler = setInterval(() => (peak = Math.max(peak, rssMb(service.pid!, 'VmRSS'))), 50);
      const started = Date.now();
      const job = await upload(base, key, csv);
      const done = await until(async () => {
        const status = await call(base, 'GET', `/contacts/imports/${job.id}`, key);
        return status.body.status === 'completed' || status.body.status === 'failed' ? status.body : undefined;
      }, 3_600_000);
      clearInterval(sampler);
      figures.push({ path, ...(await jobFigures(env.DATABASE_URL!, done.id as string)), wallSeconds: (Date.now() - started) / 1000, peakRssMb: peak });
    }
    console.log(`service peak over both imports (VmHWM): ${rssMb(service.pid!, 'VmHWM').toFixed(0)} MB`);
    return figures;
  } finally {
    service.kill('SIGTERM');
    await once(service, 'exit');
  }
}

async function throughCli(csv: string, env: NodeJS.ProcessEnv, path: string): Promise<Figures> {
  const started = Date.now();
  const child = spawn('/usr/bin/time', ['-f', 'maxrss_kb=%M', 'node', 'dist/src/cli.js', 'import', csv], { cwd: ROOT, env });
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  child.stderr.on('data', (chunk) => (out += chunk));
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`the CLI failed:\n${out}`);
  const id = /Import ([0-9a-f-]{36})/.exec(out)?.[1];
  const maxRss = Number(/maxrss_kb=(\d+)/.exec(out)?.[1]);
  if (!id) throw new Error(`no job id in the CLI's output:\n${out}`);
  return { path, ...(await jobFigures(env.DATABASE_URL!, id)), wallSeconds: (Date.now() - started) / 1000, peakRssMb: maxRss / 1024 };
}

async function jobFigures(url: string, id: string): Promise<Pick<Figures, 'rowsPerSecond' | 'importSeconds' | 'counts'>> {
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    const { rows } = await db.query(
      `SELECT status, rows_seen, rows_created, rows_updated, rows_unchanged, rows_failed,
              extract(epoch FROM finished_at - started_at)::float AS seconds FROM import_jobs WHERE id = $1`,
      [id],
    );
    const j = rows[0];
    return {
      rowsPerSecond: j.rows_seen / j.seconds,
      importSeconds: j.seconds,
      counts: `${j.status}: ${j.rows_seen} seen, ${j.rows_created} created, ${j.rows_updated} updated, ${j.rows_unchanged} unchanged, ${j.rows_failed} failed`,
    };
  } finally {
    await db.end();
  }
}

function upload(base: string, key: string, csv: string): Promise<{ id: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/contacts/import`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'text/csv', 'Content-Length': statSync(csv).size },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => (res.statusCode === 202 ? resolve(JSON.parse(text)) : reject(new Error(`upload: ${res.statusCode} ${text}`))));
    });
    req.on('error', reject);
    createReadStream(csv).pipe(req);
  });
}

function call(base: string, method: string, path: string, key?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers: key ? { Authorization: `Bearer ${key}` } : {} }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : {} }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Polls `check` until it returns something truthy. */
async function until<T>(check: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await check().catch(() => undefined);
    if (result) return result;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function rssMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : 0;
}


async function writeLines(path: string, lines: Iterable<string>): Promise<void> {
  const out = createWriteStream(path);
  for (const line of lines) if (!out.write(line)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
