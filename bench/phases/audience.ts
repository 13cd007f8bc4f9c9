/**
 * Audience materialisation: a broadcast's audience written into the outbox, for everyone and for a
 * segment that selects a third, against the raw ceiling of COPYing the same (campaign, contact) rows
 * into the same table (same indexes, same foreign keys), emptied and checkpointed before every run.
 *
 * Tidings: `CampaignScheduler.materializeBroadcast`, the path a scheduled broadcast takes when its
 * time comes (one INSERT … SELECT over the compiled segment). Raw: the contact ids are fetched and
 * turned into COPY text before the clock starts, so the raw side is timed on the COPY alone.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { DataSource } from 'typeorm';
import { alternate, BenchOptions, BenchPhase, median, PhaseResult, phaseClock } from '../support/phase';
import { openSeededDatabase, THIRD_TAG } from '../support/seed-contacts';

const SEND_AT = '2030-01-01T09:00:00.000Z';

interface Audience {
  label: string;
  /** The campaign's audience rule; undefined is everyone. */
  rule: unknown;
  /** The same audience as plain SQL, for the raw side's row list. */
  sql: string;
}

const AUDIENCES: Audience[] = [
  { label: 'all', rule: undefined, sql: 'SELECT id FROM contacts' },
  { label: '⅓ segment', rule: { field: 'tags', op: 'has', value: THIRD_TAG }, sql: `SELECT id FROM contacts WHERE tags @> ARRAY['${THIRD_TAG}']` },
];

export const phase: BenchPhase = {
  name: 'audience',
  async run(options: BenchOptions): Promise<PhaseResult[]> {
    const contacts = options.quick ? 100_000 : 1_000_000;
    const bench = await openSeededDatabase(options, 'audience', contacts);
    try {
      const { CampaignsService } = await import('../../src/campaigns/campaigns.service');
      const { CampaignScheduler } = await import('../../src/campaigns/campaign-scheduler.service');
      const { SYSTEM_ACTOR } = await import('../../src/auth/actor');
      const campaigns = bench.app.get(CampaignsService);
      const scheduler = bench.app.get(CampaignScheduler);
      const db = bench.db;

      /** A broadcast waiting for its send time, so its audience is not yet taken. */
      const scheduledCampaign = async (name: string, rule: unknown): Promise<string> => {
        const created = await campaigns.create(
          { name, kind: 'broadcast', templateKey: 'newsletter', channels: ['email'], schedule: { type: 'at', at: SEND_AT }, ...(rule === undefined ? {} : { audience: rule }) },
          SYSTEM_ACTOR,
        );
        await campaigns.start(created.id, SYSTEM_ACTOR);
        return created.id;
      };

      const results: PhaseResult[] = [];
      for (const audience of AUDIENCES) {
        const clock = phaseClock();
        const { rawCampaign, copyText, rows } = await clock.span('data', async () => {
          const campaignId = await scheduledCampaign(`raw ceiling, ${audience.label}`, audience.rule);
          const ids: Array<{ id: string }> = await db.query(audience.sql);
          return { rawCampaign: campaignId, copyText: copyChunks(campaignId, ids.map((r) => r.id)), rows: ids.length };
        });
        const perRound: Record<string, number[]> = { rawSeconds: [], tidingsSeconds: [] };

        const values = await alternate(
          options.rounds,
          async () => {
            await clock.span('round setup', () => emptyOutbox(db));
            const seconds = await clock.measure(() => copyRows(db, copyText));
            await clock.span('verify', () => expectRows(db, rawCampaign, rows));
            perRound.rawSeconds.push(round2(seconds));
            return rows / seconds;
          },
          async (round) => {
            const campaignId = await clock.span('round setup', async () => {
              const id = await scheduledCampaign(`Tidings, ${audience.label}, round ${round}`, audience.rule);
              await emptyOutbox(db);
              return id;
            });
            let inserted = 0;
            const seconds = await clock.measure(async () => {
              inserted = (await scheduler.materializeBroadcast(campaignId, new Date(SEND_AT))).inserted;
            });
            if (inserted !== rows) throw new Error(`materialised ${inserted} rows, expected ${rows}`);
            await clock.span('verify', () => expectRows(db, campaignId, rows));
            perRound.tidingsSeconds.push(round2(seconds));
            return rows / seconds;
          },
        );
        const raw = median(values.raw);
        const tidings = median(values.tidings);
        const ratio = tidings / raw;
        console.log(`${audience.label}: COPY ${Math.round(raw).toLocaleString('en')} rows/s, Tidings ${Math.round(tidings).toLocaleString('en')} rows/s (${ratio.toFixed(2)})`);
        results.push({
          phase: `audience → outbox, ${contacts.toLocaleString('en')} contacts, ${audience.label} (${rows.toLocaleString('en')} rows)`,
          unit: 'rows/s',
          raw: Math.round(raw),
          tidings: Math.round(tidings),
          ratio: Number(ratio.toFixed(2)),
          target: '≥ 0.8 × COPY',
          met: ratio >= 0.8,
          extra: {
            rows,
            rawRowsPerSecond: values.raw.map(Math.round),
            tidingsRowsPerSecond: values.tidings.map(Math.round),
            ...perRound,
          },
        });
      }
      await phaseClock().span('teardown', () => db.query('TRUNCATE outbox_messages'));
      return results;
    } finally {
      await bench.close();
    }
  },
};

/** The raw rows as COPY text, in 1 MB chunks, built before the clock starts. */
function copyChunks(campaignId: string, contactIds: string[]): Buffer[] {
  const chunks: Buffer[] = [];
  let lines: string[] = [];
  let size = 0;
  for (const id of contactIds) {
    const line = `${campaignId}\t${id}\tbroadcast\t${SEND_AT}\n`;
    lines.push(line);
    size += line.length;
    if (size >= 1 << 20) {
      chunks.push(Buffer.from(lines.join('')));
      lines = [];
      size = 0;
    }
  }
  if (lines.length) chunks.push(Buffer.from(lines.join('')));
  return chunks;
}

/** One COPY, in its own transaction, as a bulk loader would run it. */
async function copyRows(db: DataSource, chunks: Buffer[]): Promise<void> {
  const runner = db.createQueryRunner();
  try {
    const client = (await runner.connect()) as PoolClient;
    await client.query('BEGIN');
    await pipeline(Readable.from(chunks), client.query(copyFrom('COPY outbox_messages (campaign_id, contact_id, occasion_key, due_at) FROM STDIN')));
    await client.query('COMMIT');
  } finally {
    await runner.release();
  }
}

/** Both sides write into an empty table and start with no dirty buffers left by the other. */
async function emptyOutbox(db: DataSource): Promise<void> {
  await db.query('TRUNCATE outbox_messages');
  await db.query('CHECKPOINT');
}

async function expectRows(db: DataSource, campaignId: string, rows: number): Promise<void> {
  const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM outbox_messages WHERE campaign_id = $1`, [campaignId]);
  if (n !== rows) throw new Error(`outbox holds ${n} rows of campaign ${campaignId}, expected ${rows}`);
}

function round2(n: number): number {
  return Number(n.toFixed(2));
}
