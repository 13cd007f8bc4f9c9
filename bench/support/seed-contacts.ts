/**
 * A bench phase's database, migrated by the app itself and holding N synthetic contacts with
 * e-mail consent, vacuumed and analysed so every measured round starts from the same settled state.
 *
 * Seeding a million contacts takes one to two minutes on a shared machine, so the seeded database
 * is kept as a template (across runs) and a run gets a file copy of it (a few seconds), which the
 * phases of the run share. Every phase therefore reads exactly the same rows, whichever phases run. The template carries a signature of what made
 * it (the seed code, the contact count, every migration's source) and is rebuilt when that changes.
 */
import type { INestApplicationContext } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { BenchOptions, phaseClock } from './phase';

/** Several zones on both sides of UTC, so local-time work (birthdays at 09:00) spans two UTC dates. */
export const BENCH_TIME_ZONES = [
  'Etc/UTC',
  'Europe/Berlin',
  'America/New_York',
  'America/Los_Angeles',
  'Asia/Shanghai',
  'Asia/Tokyo',
  'Asia/Kolkata',
  'Australia/Sydney',
] as const;

/** The tag a third of the contacts carry (every contact whose number is divisible by 3). */
export const THIRD_TAG = 'third';

export interface BenchApp {
  app: INestApplicationContext;
  db: DataSource;
  url: string;
  close(): Promise<void>;
}

const templates = new Map<number, Promise<string>>();
const openDatabases = new Map<string, Promise<BenchApp & { name: string }>>();

/**
 * The app (migrations run, no workers) on a copy of the seeded template of `contacts` contacts.
 * `env` adds configuration (e.g. WORKER_BATCH_SIZE).
 *
 * Phases asking for the same contacts and configuration in one run share one copy and one app: a
 * copy of the million-contact template costs a checkpoint and half a gigabyte written, a boot a few
 * seconds, and neither is part of any figure. Each phase must therefore leave the database as it
 * found it (an empty outbox; campaigns of its own are harmless, every phase acts on its own ids),
 * and each side of a phase still starts its rounds from the same state. `close()` only says the
 * phase is done with it; `closeSeededDatabases()` (at the end of the run) closes and drops them.
 */
export async function openSeededDatabase(options: BenchOptions, phase: string, contacts: number, env: Record<string, string> = {}): Promise<BenchApp> {
  const key = JSON.stringify([contacts, env]);
  let opening = openDatabases.get(key);
  if (!opening) {
    const configured = Object.keys(env).length > 0 ? `_${createHash('sha256').update(key).digest('hex').slice(0, 6)}` : '';
    const name = checkoutDatabaseName(`seeded_${contacts}${configured}`);
    opening = seededDatabaseCopy(options, name, contacts).then(async (url) => ({ ...(await phaseClock().span('boot', () => bootApp(options, url, env))), name }));
    openDatabases.set(key, opening);
  }
  const bench = await opening;
  console.log(`${phase}: ${contacts.toLocaleString('en')} seeded contacts in ${bench.name}`);
  return { ...bench, close: async () => undefined };
}

/** Closes the apps `openSeededDatabase` opened and drops their databases. */
export async function closeSeededDatabases(options: BenchOptions): Promise<void> {
  const opened = [...openDatabases.values()];
  openDatabases.clear();
  for (const opening of opened) {
    const bench = await opening.catch(() => null);
    if (!bench) continue;
    await bench.close();
    await admin(options.serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${bench.name}" WITH (FORCE)`).then(() => undefined));
  }
}

/**
 * `tidings_bench_<what>_<checkout folder>`: runs from different checkouts (worktrees) on one server
 * must not drop each other's databases mid-run.
 */
export function checkoutDatabaseName(what: string): string {
  const checkout = basename(join(__dirname, '..', '..')).toLowerCase().replace(/[^a-z0-9]+/g, '_');
  return `tidings_bench_${what}_${checkout}`.slice(0, 63);
}

/**
 * A fresh database `name` holding exactly the seeded template of `contacts` contacts (0: the migrated
 * schema alone), without booting anything in this process; returns its URL. Cheaper than creating
 * an empty database and migrating it, and the same state every time.
 */
export async function seededDatabaseCopy(options: BenchOptions, name: string, contacts: number): Promise<string> {
  let template = templates.get(contacts);
  if (!template) {
    template = phaseClock().span('seed', () => buildTemplate(options, contacts));
    templates.set(contacts, template);
  }
  const templateName = await template;
  await phaseClock().span('copy', () =>
    admin(options.serverUrl, async (client) => {
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      // FILE_COPY copies the template's files after a checkpoint: much faster than WAL-logging 1 GB.
      await client.query(`CREATE DATABASE "${name}" TEMPLATE "${templateName}" STRATEGY = FILE_COPY`);
    }),
  );
  return databaseUrl(options.serverUrl, name);
}

async function buildTemplate(options: BenchOptions, contacts: number): Promise<string> {
  const { migrations } = await import('../../migrations');
  const digest = createHash('sha256')
    .update(JSON.stringify([contacts, seedContacts.toString(), migrations.map((m) => `${m.name}:${m.toString()}`)]))
    .digest('hex')
    .slice(0, 24);
  // The digest is in the name too, so checkouts with different migrations (worktrees, branches) keep
  // their own templates instead of dropping each other's mid-run.
  const name = `tidings_bench_seed_${contacts}_${digest.slice(0, 10)}`;
  const signature = `tidings bench seed ${digest}`;
  let current: string | null = null;
  await admin(options.serverUrl, async (client) => {
    const { rows } = await client.query(`SELECT shobj_description(oid, 'pg_database') AS signature FROM pg_database WHERE datname = $1`, [name]);
    current = rows[0]?.signature ?? null;
  });
  if (current === signature) {
    console.log(`reusing the seeded template of ${contacts.toLocaleString('en')} contacts (${name})`);
    return name;
  }
  await admin(options.serverUrl, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await client.query(`CREATE DATABASE "${name}"`);
  });
  const started = performance.now();
  const bench = await bootApp(options, databaseUrl(options.serverUrl, name), {});
  try {
    await seedContacts(bench.db, contacts);
  } finally {
    await bench.close();
  }
  const client = new Client({ connectionString: databaseUrl(options.serverUrl, name) });
  await client.connect();
  try {
    // Hint bits and the visibility map set now, not by whichever measured round reads a page first.
    await client.query('VACUUM ANALYZE');
    await client.query(`COMMENT ON DATABASE "${name}" IS '${signature}'`);
  } finally {
    await client.end();
  }
  console.log(`seeded ${contacts.toLocaleString('en')} contacts in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return name;
}

/**
 * Contacts 1…n: unique e-mail addresses, one of eight time zones, a birthday spread evenly over the
 * days of the year (7919 is prime to 365) across 50 birth years, the tag `bench` and, for every
 * third contact, `third`; one e-mail consent event each.
 */
export async function seedContacts(db: DataSource, contacts: number): Promise<void> {
  await db.transaction(async (tx) => {
    // A bulk load builds its indexes once at the end (a sort instead of a million insertions) and
    // skips foreign-key checks on rows made consistent by construction; the indexes come back
    // exactly as the migrations defined them.
    await tx.query(`SET LOCAL session_replication_role = replica`);
    await tx.query(`SET LOCAL maintenance_work_mem = '512MB'`);
    const indexes: Array<{ name: string; definition: string }> = await tx.query(
      `SELECT indexname AS name, indexdef AS definition FROM pg_indexes
        WHERE schemaname = current_schema() AND tablename IN ('contacts', 'contact_consent_events')
          AND indexname NOT IN (SELECT conname FROM pg_constraint)`,
    );
    for (const index of indexes) await tx.query(`DROP INDEX "${index.name}"`);
    await tx.query(
      `INSERT INTO contacts (given_name, family_name, form_of_address, email, locale, time_zone, birthday, tags)
       SELECT 'Guest', 'No. ' || g, 'Guest ' || g, 'bench-' || g || '@example.test', 'en',
              ($2::text[])[1 + g % cardinality($2::text[])],
              make_date(1950 + g % 50, 1, 1) + ((g::bigint * 7919) % 365)::int,
              CASE WHEN g % 3 = 0 THEN ARRAY['bench', $3] ELSE ARRAY['bench'] END
         FROM generate_series(1, $1::int) g`,
      [contacts, BENCH_TIME_ZONES, THIRD_TAG],
    );
    await tx.query(
      `INSERT INTO contact_consent_events (contact_id, channel, status, source, recorded_by)
       SELECT id, 'email', 'granted', 'import', 'bench' FROM contacts`,
    );
    for (const index of indexes) await tx.query(index.definition);
  });
}

async function bootApp(options: BenchOptions, url: string, env: Record<string, string>): Promise<BenchApp> {
  // The app reads its configuration once, from the environment, as in production.
  Object.assign(process.env, {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: url,
    SECRET_KEY: 'bench-secret-key-bench-secret-key-0123456789',
    OUTBOX_DIR: `${options.workDir}/outbox`,
    RUN_WORKERS: 'false',
    ...env,
  });
  for (const name of ['SMTP_URL', 'WORKER_BATCH_SIZE', 'WORKER_CONCURRENCY', 'DB_POOL_SIZE']) if (!(name in env)) delete process.env[name];
  const { NestFactory } = await import('@nestjs/core');
  const { AppModule } = await import('../../src/app.module');
  const { DataSource } = await import('typeorm');
  const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error', 'warn'] });
  return { app, db: app.get(DataSource), url, close: () => app.close() };
}

function databaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin(serverUrl: string, work: (client: Client) => Promise<void>): Promise<void> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}
