/**
 * The floor under any import that stores into `contacts`: COPY of the good rows, already in stored
 * form, straight into an empty `contacts` (every index of the migrated schema present) against the
 * bench's raw side (COPY of the CSV into a 13-text-column staging table without indexes), alternated.
 *
 *   npx ts-node --transpile-only bench/import-floor.ts [rows=100000] [rounds=3]
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { ContactImportFile } from '../test/factories/contact-import.factory';
import { recreateDatabase } from '../test/support/test-database';

const ROOT = join(__dirname, '..');
const SERVER = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const STAGING = ['external_id', 'given_name', 'family_name', 'email', 'phone', 'locale', 'time_zone', 'birthday', 'tags', 'address_city', 'address_country', 'attributes_tier', 'consent_email'];
const STORED = ['id', 'external_id', 'given_name', 'family_name', 'email', 'phone', 'locale', 'time_zone', 'birthday', 'tags', 'address', 'attributes'];

async function write(path: string, lines: Iterable<string>): Promise<void> {
  const out = createWriteStream(path);
  for (const line of lines) if (!out.write(line)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}

function* storedLines(file: ContactImportFile): Generator<string> {
  for (let i = 0; i < file.rows; i++) {
    if (!file.isGood(i)) continue;
    const tier = i % 2 ? 'gold' : 'silver';
    yield [randomUUID(), file.externalId(i), 'Wei', `Li${i}`, file.email(i), file.phone(i), 'zh-CN', 'Asia/Shanghai', '1980-05-17', '"{owner,vip}"',
      '"{""city"": ""Shanghai"", ""country"": ""CN""}"', `"{""tier"": ""${tier}""}"`].join(',') + '\n';
  }
}

async function timedCopy(url: string, prepare: string, copy: string, path: string): Promise<number> {
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    await db.query(prepare);
    await db.query('CHECKPOINT');
    const started = performance.now();
    await pipeline(createReadStream(path), db.query(copyFrom(copy)));
    return (performance.now() - started) / 1000;
  } finally {
    await db.end();
  }
}

async function main(): Promise<void> {
  const rows = Number(process.argv[2] ?? 100_000);
  const rounds = Number(process.argv[3] ?? 3);
  const dir = mkdtempSync(join(tmpdir(), 'import-floor-'));
  const file = new ContactImportFile(rows, { badEvery: 100, kinds: ['email', 'phone', 'timeZone', 'duplicate', 'missingIdentifier'] });
  const csv = join(dir, 'import.csv');
  const stored = join(dir, 'stored.csv');
  await write(csv, file.lines());
  await write(stored, storedLines(file));
  execFileSync('node', ['scripts/build-if-needed.js'], { cwd: ROOT, stdio: 'inherit' });
  const url = await recreateDatabase(SERVER, 'tidings_bench_import_floor');
  execFileSync('node', ['dist/src/cli.js', 'migrate'], { cwd: ROOT, env: { ...process.env, DATABASE_URL: url, SECRET_KEY: 'x'.repeat(40), LOG_LEVEL: 'warn' }, stdio: 'ignore' });
  const staging: number[] = [];
  const contacts: number[] = [];
  const bare: number[] = [];
  const noGin: number[] = [];
  // Where the floor goes: the same table shape without any index, and with every index but the two GIN ones.
  const likeContacts = (name: string) => `DROP TABLE IF EXISTS ${name}; CREATE TABLE ${name} (LIKE contacts INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`;
  for (let round = 0; round < rounds; round++) {
    staging.push(await timedCopy(url, `DROP TABLE IF EXISTS staging; CREATE TABLE staging (${STAGING.map((c) => `${c} text`).join(', ')})`,
      `COPY staging FROM STDIN (FORMAT csv, HEADER true)`, csv));
    contacts.push(await timedCopy(url, `TRUNCATE contacts CASCADE`, `COPY contacts (${STORED.join(', ')}) FROM STDIN (FORMAT csv)`, stored));
    bare.push(await timedCopy(url, likeContacts('bare_contacts'), `COPY bare_contacts (${STORED.join(', ')}) FROM STDIN (FORMAT csv)`, stored));
    noGin.push(await timedCopy(url, `${likeContacts('btree_contacts')}; CREATE UNIQUE INDEX ON btree_contacts (id);
      CREATE UNIQUE INDEX ON btree_contacts (external_id) WHERE deleted_at IS NULL; CREATE UNIQUE INDEX ON btree_contacts (lower(email)) WHERE deleted_at IS NULL;
      CREATE UNIQUE INDEX ON btree_contacts (phone) WHERE deleted_at IS NULL; CREATE INDEX ON btree_contacts (created_at, id) WHERE deleted_at IS NULL;
      CREATE INDEX ON btree_contacts ((extract(month FROM birthday)::int * 100 + extract(day FROM birthday)::int)) WHERE birthday IS NOT NULL`,
      `COPY btree_contacts (${STORED.join(', ')}) FROM STDIN (FORMAT csv)`, stored));
    console.log(`round ${round + 1}: no index ${bare[round].toFixed(2)} s, b-tree indexes only ${noGin[round].toFixed(2)} s`);
    console.log(`round ${round + 1}: staging ${staging[round].toFixed(2)} s, contacts ${contacts[round].toFixed(2)} s, ratio ${(contacts[round] / staging[round]).toFixed(2)}`);
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  console.log(`${rows} rows: median staging ${median(staging).toFixed(2)} s, contacts ${median(contacts).toFixed(2)} s, floor ratio ${(median(contacts) / median(staging)).toFixed(2)}`);
  console.log(`same shape, no index: ${median(bare).toFixed(2)} s (${(median(bare) / median(staging)).toFixed(2)} ×); b-tree indexes, no GIN: ${median(noGin).toFixed(2)} s (${(median(noGin) / median(staging)).toFixed(2)} ×)`);
  rmSync(dir, { recursive: true, force: true });
}

void main();
