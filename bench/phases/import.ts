/**
 * CSV import: 1,000,000 rows (--quick: 100,000) validated, normalised, de-duplicated and upserted,
 * against the raw ceiling of COPYing the same file into a staging table.
 *
 * The file is the test factory's (test/factories/contact-import.factory.ts): 13 columns, 1% bad rows
 * spread over it (bad e-mail, bad phone, unknown time zone, duplicate key, missing identifier).
 *
 * Raw: `COPY staging FROM STDIN (FORMAT csv, HEADER true)` with the file streamed from disk, into a
 * plain (logged, not UNLOGGED) table of the file's 13 columns as text, without indexes. Logged like
 * the real contacts table so both sides pay for the WAL; without indexes because that is what a
 * staging table is — the import has to maintain the contacts table's indexes, which COPY here does not.
 *
 * Tidings: the path a user takes for a file this size, `node dist/src/cli.js import <file>`, in its
 * own process, timed from spawn to exit (start-up included), peak RSS sampled from /proc. The
 * schema is migrated before the clock starts by a separate `migrate` run.
 *
 * Each round recreates the database for both sides, so every run starts from the same empty state.
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { ContactImportFile } from '../../test/factories/contact-import.factory';
import { recreateDatabase } from '../../test/support/test-database';
import { alternate, BenchOptions, BenchPhase, median, PhaseResult, sampleRss } from '../support/phase';

const ROOT = join(__dirname, '..', '..');
const DATABASE = 'tidings_bench_import';
const SECRET_KEY = 'bench-secret-key-bench-secret-key-0123456789';
const TARGET_RATIO = 2.5;
const TARGET_RSS_MB = 256;
const STAGING_COLUMNS = [
  'external_id', 'given_name', 'family_name', 'email', 'phone', 'locale', 'time_zone', 'birthday', 'tags',
  'address_city', 'address_country', 'attributes_tier', 'consent_email',
];

interface ImportRun {
  seconds: number;
  jobSeconds: number;
  peakRssMb: number;
  counts: { seen: number; created: number; failed: number };
}

export const phase: BenchPhase = {
  name: 'import',
  async run(options: BenchOptions): Promise<PhaseResult[]> {
    const rows = options.quick ? 100_000 : 1_000_000;
    const file = new ContactImportFile(rows, { badEvery: 100, kinds: ['email', 'phone', 'timeZone', 'duplicate', 'missingIdentifier'] });
    const csv = join(options.workDir, `contacts-${rows}.csv`);
    await writeLines(csv, file.lines());
    const megabytes = statSync(csv).size / 1024 / 1024;
    console.log(`${rows.toLocaleString('en')} rows (${file.badCount.toLocaleString('en')} bad), ${megabytes.toFixed(0)} MB`);
    execFileSync('node', ['scripts/build-if-needed.js'], { cwd: ROOT, stdio: 'inherit' });

    const runs: ImportRun[] = [];
    const values = await alternate(
      options.rounds,
      async () => {
        const url = await recreateDatabase(options.serverUrl, DATABASE);
        const seconds = await copyIntoStaging(url, csv, rows);
        console.log(`  COPY    ${seconds.toFixed(2)} s`);
        return seconds;
      },
      async () => {
        const url = await recreateDatabase(options.serverUrl, DATABASE);
        const run = await importThroughCli(url, csv, options.workDir);
        if (run.counts.seen !== rows || run.counts.failed !== file.badCount || run.counts.created !== file.goodCount) {
          throw new Error(`the import counted ${JSON.stringify(run.counts)}; the file has ${rows} rows, ${file.badCount} bad`);
        }
        runs.push(run);
        console.log(`  Tidings ${run.seconds.toFixed(2)} s (job ${run.jobSeconds.toFixed(2)} s), peak RSS ${run.peakRssMb} MB`);
        return run.seconds;
      },
    );
    const raw = median(values.raw);
    const tidings = median(values.tidings);
    const ratio = tidings / raw;
    const peakRssMb = Math.max(...runs.map((r) => r.peakRssMb));
    return [
      {
        phase: `CSV import, ${rows.toLocaleString('en')} rows (validate, normalise, dedupe, upsert) vs COPY to staging`,
        unit: 's',
        raw: round2(raw),
        tidings: round2(tidings),
        ratio: round2(ratio),
        target: `≤ ${TARGET_RATIO} × COPY, peak RSS ≤ ${TARGET_RSS_MB} MB`,
        met: ratio <= TARGET_RATIO && peakRssMb <= TARGET_RSS_MB,
        extra: {
          peakRssMb,
          rowsPerSecond: { copy: Math.round(rows / raw), tidings: Math.round(rows / tidings) },
          copySeconds: values.raw.map(round2),
          tidingsSeconds: values.tidings.map(round2),
          tidingsJobSeconds: runs.map((r) => round2(r.jobSeconds)),
          peakRssMbPerRound: runs.map((r) => r.peakRssMb),
          fileMb: Math.round(megabytes),
          staging: 'plain logged table, 13 text columns, no indexes',
        },
      },
    ];
  },
};

async function copyIntoStaging(url: string, csv: string, rows: number): Promise<number> {
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    await db.query(`CREATE TABLE staging (${STAGING_COLUMNS.map((c) => `${c} text`).join(', ')})`);
    const started = performance.now();
    await pipeline(createReadStream(csv), db.query(copyFrom(`COPY staging FROM STDIN (FORMAT csv, HEADER true)`)));
    const seconds = (performance.now() - started) / 1000;
    const { rows: counted } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM staging`);
    if (counted[0].n !== rows) throw new Error(`COPY stored ${counted[0].n} rows, expected ${rows}`);
    return seconds;
  } finally {
    await db.end();
  }
}

async function importThroughCli(url: string, csv: string, workDir: string): Promise<ImportRun> {
  const env = { ...process.env, DATABASE_URL: url, SECRET_KEY, LOG_LEVEL: 'warn', IMPORT_DIR: join(workDir, 'uploads') };
  // Start-up of a fresh database migrates it; that is not part of an import.
  execFileSync('node', ['dist/src/cli.js', 'migrate'], { cwd: ROOT, env, stdio: 'ignore' });
  const started = performance.now();
  // With the heap settings `npm run cli` uses (package.json): the bench measures what users run.
  const child = spawn('node', ['--max-old-space-size=192', '--max-semi-space-size=8', 'dist/src/cli.js', 'import', csv], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const rss = sampleRss(child.pid!);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  const seconds = (performance.now() - started) / 1000;
  const peakRssMb = rss.stop();
  if (code !== 0) throw new Error(`the CLI import failed (exit ${code}):\n${output.slice(-4000)}`);
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    const { rows } = await db.query<{ seen: number; created: number; failed: number; seconds: number }>(
      `SELECT rows_seen AS seen, rows_created AS created, rows_failed AS failed, extract(epoch FROM finished_at - started_at)::float AS seconds
         FROM import_jobs WHERE status = 'completed'`,
    );
    if (rows.length !== 1) throw new Error(`expected one completed import job:\n${output.slice(-4000)}`);
    const { seconds: jobSeconds, ...counts } = rows[0];
    return { seconds, jobSeconds, peakRssMb, counts };
  } finally {
    await db.end();
  }
}

async function writeLines(path: string, lines: Iterable<string>): Promise<void> {
  const out = createWriteStream(path);
  for (const line of lines) if (!out.write(line)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
