/**
 * Report speed on large data (issue 8): builds a database of ~1,000,000 outbox rows and messages and
 * ~300,000 message events over 50 campaigns and 100,000 contacts (generated in SQL), then times each
 * report's statements with EXPLAIN ANALYZE — first without the report indexes, then with them — and
 * prints both, with every sequential scan over more than 10,000 rows that a plan still does.
 *
 *   npx ts-node --transpile-only bench/reports-scale.ts [--outbox=1000000] [--reuse] [--keep] [--only=segment]
 *
 * Not a phase of `npm run bench`: it measures reads, not a bulk path against a raw ceiling.
 * BENCH_DATABASE_URL names the server (default: local PostgreSQL). `--reuse` keeps a seeded database
 * from an earlier run with the same size (the report indexes are dropped again before "before"). `--only`
 * times just the reports whose name contains it, e.g. `--only=segment` while working on one report.
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { DataSource, EntityManager } from 'typeorm';
import { migrations } from '../migrations';
import { dataSourceOptions } from '../src/database/data-source-options';
import { CampaignReportRepository } from '../src/reports/campaign-report.repository';
import { OverviewRepository } from '../src/reports/overview.repository';
import { SegmentReportRepository } from '../src/reports/segment-report.repository';
import { compileRule } from '../src/segments/rules/segment-rule.compiler';
import { checkRule } from '../src/segments/rules/segment-rule.validator';

/** The migrations whose effect is measured: left out for "before", applied for "after". */
const REPORT_INDEX_MIGRATIONS = ['ReportIndexes1765850400000'];

const { values } = parseArgs({ options: { outbox: { type: 'string' }, reuse: { type: 'boolean' }, keep: { type: 'boolean' }, only: { type: 'string' } } });
const OUTBOX_ROWS = Number(values.outbox ?? 1_000_000);
const CAMPAIGNS = 50;
const PER_CAMPAIGN = Math.floor(OUTBOX_ROWS / CAMPAIGNS);
const CONTACTS = Math.max(1000, Math.floor(OUTBOX_ROWS / 10));
const SERVER = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const NAME = `tidings_reports_scale_${OUTBOX_ROWS}`;
const URL_ = SERVER.replace(/\/[^/]*$/, `/${NAME}`);
const SEED_MARK = `reports-scale seed ${OUTBOX_ROWS} v1`;

async function admin<T>(work: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: SERVER });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function migrate(withReportIndexes: boolean): Promise<void> {
  const chosen = withReportIndexes ? migrations : migrations.filter((m) => !REPORT_INDEX_MIGRATIONS.includes(m.name));
  const db = new DataSource({ ...dataSourceOptions(URL_, 2), migrations: chosen });
  await db.initialize();
  try {
    if (!withReportIndexes) {
      // A reused database may carry the indexes from the last run's "after": take them off again.
      const [{ migrated }] = await db.query(`SELECT to_regclass('schema_migrations') IS NOT NULL AS migrated`);
      const applied: Array<{ name: string }> = migrated ? await db.query(`SELECT name FROM schema_migrations ORDER BY id DESC`) : [];
      const all = new DataSource({ ...dataSourceOptions(URL_, 2) });
      await all.initialize();
      for (const row of applied) {
        if (!REPORT_INDEX_MIGRATIONS.includes(row.name)) break;
        await all.undoLastMigration({ transaction: 'each' });
      }
      await all.destroy();
    }
    await db.runMigrations({ transaction: 'each' });
  } finally {
    await db.destroy();
  }
}

/** Everything in SQL with generate_series: contacts, segments, campaigns, the outbox, messages, events, replies, unsubscribes, value. */
async function seed(c: Client): Promise<void> {
  const step = async (label: string, sql: string, params: unknown[] = []) => {
    const started = performance.now();
    const result = await c.query(sql, params);
    console.log(`  ${label}: ${result.rowCount?.toLocaleString('en') ?? '-'} rows in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  };
  await c.query(`SET session_replication_role = replica`);
  await c.query(`SET maintenance_work_mem = '256MB'`);
  await step('contacts', `INSERT INTO contacts (id, email, given_name, time_zone, tags)
    SELECT md5('c' || g)::uuid, 'c' || g || '@example.test', 'C' || g, 'Asia/Shanghai', CASE WHEN g % 5 = 0 THEN ARRAY['vip', 'bench'] ELSE ARRAY['bench'] END
      FROM generate_series(1, $1::int) g`, [CONTACTS]);
  await step('segments', `INSERT INTO segments (id, name, rule, created_by)
    SELECT md5('s' || s)::uuid, 'Segment ' || s, jsonb_build_object('field', 'tags', 'op', 'has', 'value', CASE WHEN s = 1 THEN 'vip' ELSE 'bench' END), 'bench'
      FROM generate_series(1, 5) s`);
  await step('campaigns', `INSERT INTO campaigns (id, name, kind, status, segment_id, template_key, channels, created_by)
    SELECT md5('k' || k)::uuid, 'Campaign ' || k, 'broadcast', 'completed', md5('s' || (1 + k % 5))::uuid, 'birthday', ARRAY['email', 'sms'], 'bench'
      FROM generate_series(1, $1::int) k`, [CAMPAIGNS]);
  // Row i of campaign k goes to contact (k·7919 + i) mod n: every campaign reaches a different slice.
  // By i mod 100: 0–84 sent, 85–89 failed, 90–97 skipped, 98–99 deferred; one in three by SMS.
  const rows = `SELECT k, i, md5('k' || k)::uuid AS campaign_id, md5('c' || (((k * 7919 + i) % $2::int) + 1))::uuid AS contact_id,
                       CASE WHEN i % 100 < 85 THEN 'sent' WHEN i % 100 < 90 THEN 'failed' WHEN i % 100 < 98 THEN 'skipped' ELSE 'pending' END AS state,
                       CASE WHEN i % 3 = 0 THEN 'sms' ELSE 'email' END AS channel,
                       timestamptz '2027-01-01 00:00Z' + k * interval '1 day' + (i % 86400) * interval '1 second' AS sent_at,
                       md5('m' || k || '-' || i)::uuid AS message_id
                  FROM generate_series(1, $3::int) k, generate_series(1, $1::int) i`;
  await step('messages', `INSERT INTO messages (id, channel, provider, contact_id, campaign_id, occasion_key, recipient, variant, status, status_rank, sent_at)
    SELECT message_id, channel, 'bench', contact_id, campaign_id::text, 'broadcast', 'someone', 'default',
           CASE WHEN state = 'failed' THEN 'failed' WHEN i % 10 < 7 THEN 'delivered' WHEN i % 10 < 9 THEN 'sent' ELSE 'bounced' END,
           CASE WHEN state = 'failed' THEN 3 WHEN i % 10 < 7 THEN 3 WHEN i % 10 < 9 THEN 2 ELSE 3 END,
           CASE WHEN state = 'failed' THEN NULL ELSE sent_at END
      FROM (${rows}) r WHERE state IN ('sent', 'failed')`, [PER_CAMPAIGN, CONTACTS, CAMPAIGNS]);
  await step('outbox', `INSERT INTO outbox_messages (campaign_id, contact_id, occasion_key, due_at, state, channel, variant, reason, message_id, attempts, finished_at, next_attempt_at)
    SELECT campaign_id, contact_id, 'broadcast', sent_at, state, CASE WHEN state = 'skipped' AND i % 2 = 0 THEN NULL ELSE channel END, 'default',
           CASE state WHEN 'sent' THEN 'delivered_to_provider' WHEN 'failed' THEN 'provider_permanent' WHEN 'skipped' THEN (ARRAY['opted_out', 'frequency_cap', 'no_address', 'unsubscribed'])[1 + i % 4] ELSE 'deferred:quiet_hours' END,
           CASE WHEN state IN ('sent', 'failed') THEN message_id END, 1,
           CASE WHEN state <> 'pending' THEN sent_at END, CASE WHEN state = 'pending' THEN sent_at + interval '8 hours' ELSE '-infinity' END
      FROM (${rows}) r`, [PER_CAMPAIGN, CONTACTS, CAMPAIGNS]);
  // Opens for a quarter of the sent messages, clicks for a tenth: ~300,000 events per 1,000,000 rows; one in twenty a bot.
  await step('message events', `INSERT INTO message_events (message_id, status, provider_status, applied, occurred_at, payload)
    SELECT message_id, what, 'tracking', false, sent_at + interval '1 hour', jsonb_build_object('bot', i % 20 = 0)
      FROM (${rows}) r, LATERAL (VALUES ('opened', (i * 13) % 100 < 25), ('clicked', (i * 13) % 100 < 10)) AS e(what, happens)
     WHERE state = 'sent' AND happens`, [PER_CAMPAIGN, CONTACTS, CAMPAIGNS]);
  await step('replies', `INSERT INTO interactions (contact_id, event_id, kind, occurred_at, recorded_by, channel, message_id)
    SELECT contact_id, 'reply-' || message_id, 'message_replied', sent_at + interval '2 hours', 'bench', channel, message_id
      FROM (${rows}) r WHERE state = 'sent' AND i % 50 = 7`, [PER_CAMPAIGN, CONTACTS, CAMPAIGNS]);
  await step('purchases (other interactions)', `INSERT INTO interactions (contact_id, event_id, kind, occurred_at, recorded_by, amount, currency)
    SELECT md5('c' || (1 + g % $1::int))::uuid, 'purchase-' || g, 'purchase', timestamptz '2026-06-01Z' + (g % 200) * interval '1 day', 'bench', 10 + g % 90, 'CNY'
      FROM generate_series(1, $1::int * 2) g`, [CONTACTS]);
  await step('consent', `INSERT INTO contact_consent_events (contact_id, channel, status, source, recorded_by, recorded_at)
    SELECT md5('c' || g)::uuid, 'email', 'granted', 'import', 'bench', timestamptz '2026-01-01Z' FROM generate_series(1, $1::int) g
    UNION ALL
    SELECT md5('c' || g)::uuid, 'email', 'revoked', 'unsubscribe', 'bench', timestamptz '2027-02-01Z' FROM generate_series(1, $1::int) g WHERE g % 20 = 0`, [CONTACTS]);
  await step('contact value', `INSERT INTO contact_value (contact_id, abc_class, loyalty_stage, frequency_class, lifetime_value)
    SELECT md5('c' || g)::uuid, (ARRAY['A', 'B', 'B', 'C', 'C', 'C', 'C', 'C', 'C', 'C'])[1 + g % 10], 'regular',
           (ARRAY['heavy', 'medium', 'light', 'lapsed'])[1 + g % 4], (g % 1000) * 10
      FROM generate_series(1, $1::int) g`, [CONTACTS]);
  await step('value signals', `INSERT INTO value_signals (contact_id, dimension, from_value, to_value, detected_at)
    SELECT md5('c' || g)::uuid, 'frequency_class', 'heavy', 'light', timestamptz '2026-10-01Z' + (g % 150) * interval '1 day'
      FROM generate_series(1, $1::int) g WHERE g % 5 = 0`, [CONTACTS]);
  await c.query(`RESET session_replication_role`);
}

/**
 * A stand-in for the DataSource that records each statement a repository runs (and runs it), with
 * the settings (SET LOCAL) its transaction ran first, so the EXPLAIN is of the plan it really got.
 */
function recording(db: DataSource) {
  const statements: Array<{ sql: string; params: unknown[]; settings: string[] }> = [];
  const over = (runner: DataSource | EntityManager, settings: string[]) => ({
    query: async (sql: string, params: unknown[] = []) => {
      if (/^SET LOCAL /i.test(sql)) settings.push(sql);
      else statements.push({ sql, params, settings: [...settings] });
      return runner.query(sql, params);
    },
  });
  const transaction = (work: (tx: EntityManager) => Promise<unknown>) => db.transaction((tx) => work(over(tx, []) as unknown as EntityManager));
  return { statements, source: { ...over(db, []), transaction } as unknown as DataSource & EntityManager };
}

interface Measured {
  report: string;
  ms: number;
  planMs: number;
  /** Shared buffers (8 kB pages) the statements touched: hit or read. Unlike times, it does not move with the machine's load. */
  pages: number;
  seqScans: string[];
}

async function measure(db: DataSource, label: string): Promise<Measured[]> {
  const campaignId = (await db.query(`SELECT md5('k25')::uuid AS id`))[0].id as string;
  const contactId = (await db.query(`SELECT contact_id FROM outbox_messages WHERE campaign_id = $1 LIMIT 1`, [campaignId]))[0].contact_id as string;
  const five: string[] = (await db.query(`SELECT md5('k' || k)::uuid AS id FROM generate_series(21, 25) k`)).map((r: { id: string }) => r.id);
  const until = new Date('2027-03-15T00:00:00Z');
  const vipRule = checkRule({ field: 'tags', op: 'has', value: 'vip' }, new Map()).rule!;
  const reports: Array<[string, (source: DataSource & EntityManager) => Promise<unknown>]> = [
    ['campaign funnel (20k rows)', (s) => Promise.all([new CampaignReportRepository(s).funnel(campaignId), new CampaignReportRepository(s).reasons(campaignId), new CampaignReportRepository(s).audience(campaignId)])],
    ['campaign timeline (day, Shanghai)', (s) => new CampaignReportRepository(s).timeline(campaignId, 'day', 'Asia/Shanghai')],
    ['recipient path', (s) => new CampaignReportRepository(s).path(campaignId, contactId)],
    ['fatigue (12 weeks, all)', (s) => new OverviewRepository(s).fatigue(12, 'Asia/Shanghai', until, null)],
    ['fatigue (12 weeks, 5 campaigns)', (s) => new OverviewRepository(s).fatigue(12, 'Asia/Shanghai', until, five)],
    ['channel mix (12 weeks, all)', (s) => new OverviewRepository(s).channelMix(12, 'Asia/Shanghai', until, null)],
    ['value overview', (s) => new OverviewRepository(s).value(6, 'Asia/Shanghai', until)],
    ['segment performance (all 1M rows)', (s) => new SegmentReportRepository(s).performance({ campaignIds: null, segmentId: null, from: null, until: null, channel: null })],
    ['segment performance (5 campaigns)', (s) => new SegmentReportRepository(s).performance({ campaignIds: five, segmentId: null, from: null, until: null, channel: null })],
    ['lifetime value of one segment', (s) => new SegmentReportRepository(s).value(s, compileRule(vipRule, { now: until, paramOffset: 2 }), new Date('2026-09-15Z'), until)],
  ];
  const out: Measured[] = [];
  for (const [report, run] of reports.filter(([name]) => !values.only || name.includes(values.only))) {
    const { statements, source } = recording(db);
    await run(source); // warm the cache, and record the statements
    const times: number[] = [];
    for (let round = 0; round < 3; round++) {
      const started = performance.now();
      await run(recording(db).source);
      times.push(performance.now() - started);
    }
    let planMs = 0;
    let pages = 0;
    const seqScans: string[] = [];
    for (const { sql, params, settings } of statements) {
      const [{ 'QUERY PLAN': plan }] = await db.transaction(async (tx) => {
        for (const setting of settings) await tx.query(setting);
        return tx.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${sql}`, params);
      });
      planMs += plan[0]['Execution Time'];
      pages += (plan[0].Plan['Shared Hit Blocks'] ?? 0) + (plan[0].Plan['Shared Read Blocks'] ?? 0);
      walk(plan[0].Plan, (node) => {
        const rows = node['Actual Rows'] * (node['Actual Loops'] ?? 1) + (node['Rows Removed by Filter'] ?? 0) * (node['Actual Loops'] ?? 1);
        if (node['Node Type'] === 'Seq Scan' && rows > 10_000) seqScans.push(`${node['Relation Name']} (${Math.round(rows).toLocaleString('en')} rows read)`);
      });
    }
    const ms = times.sort((a, b) => a - b)[1];
    out.push({ report, ms, planMs, pages, seqScans });
    console.log(`  [${label}] ${report}: ${ms.toFixed(0)} ms (median of 3), EXPLAIN ANALYZE ${planMs.toFixed(0)} ms, ${pages.toLocaleString('en')} pages${seqScans.length ? `; seq scans: ${seqScans.join(', ')}` : ''}`);
  }
  return out;
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Actual Rows': number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
  Plans?: PlanNode[];
}

function walk(node: PlanNode, visit: (node: PlanNode) => void): void {
  visit(node);
  for (const child of node.Plans ?? []) walk(child, visit);
}

async function main(): Promise<void> {
  const exists = await admin(async (c) => (await c.query(`SELECT shobj_description(oid, 'pg_database') AS mark FROM pg_database WHERE datname = $1`, [NAME])).rows[0]);
  if (!(values.reuse && exists?.mark === SEED_MARK)) {
    await admin(async (c) => {
      await c.query(`DROP DATABASE IF EXISTS "${NAME}" WITH (FORCE)`);
      await c.query(`CREATE DATABASE "${NAME}"`);
    });
    await migrate(false);
    console.log(`seeding ${OUTBOX_ROWS.toLocaleString('en')} outbox rows over ${CAMPAIGNS} campaigns and ${CONTACTS.toLocaleString('en')} contacts`);
    const client = new Client({ connectionString: URL_ });
    await client.connect();
    try {
      await seed(client);
      await client.query('VACUUM ANALYZE');
      await client.query(`COMMENT ON DATABASE "${NAME}" IS '${SEED_MARK}'`);
    } finally {
      await client.end();
    }
  } else {
    await migrate(false);
  }
  const results: Record<string, Measured[]> = {};
  for (const label of ['before', 'after'] as const) {
    if (label === 'after') {
      const started = performance.now();
      await migrate(true);
      console.log(`report indexes built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
    const db = new DataSource({ ...dataSourceOptions(URL_, 2), migrations: [] });
    await db.initialize();
    try {
      await db.query('ANALYZE');
      results[label] = await measure(db, label);
    } finally {
      await db.destroy();
    }
  }
  const load = (await import('node:os')).loadavg().map((l) => l.toFixed(1)).join(' ');
  console.log(`\nload average now ${load} on ${(await import('node:os')).cpus().length} cores`);
  console.log(`${'report'.padEnd(36)} ${'before: ms [EXPLAIN ms] pages'.padStart(32)} ${'after: ms [EXPLAIN ms] pages'.padStart(32)}`);
  const cell = (m: Measured) => `${m.ms.toFixed(0)} [${m.planMs.toFixed(0)}] ${m.pages.toLocaleString('en')}`;
  results.before.forEach((b, i) => {
    const a = results.after[i];
    console.log(`${b.report.padEnd(36)} ${cell(b).padStart(32)} ${cell(a).padStart(32)}${a.seqScans.length ? `   seq: ${a.seqScans.join(', ')}` : ''}`);
  });
  if (!values.keep) await admin((c) => c.query(`DROP DATABASE IF EXISTS "${NAME}" WITH (FORCE)`));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
