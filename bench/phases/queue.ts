/**
 * Queue overhead: how fast workers take due messages off the outbox. The claim is one statement per
 * batch of WORKER_BATCH_SIZE rows (UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)), never
 * one queue job per message; this measures its rate in rows/s and its round trips per 1,000
 * messages, against a reference send rate of 1,000 messages/s (about what one SMTP relay takes over
 * five pooled connections; the e-mail phase measures the real figure). No raw side.
 */
import type { DataSource } from 'typeorm';
import { BenchOptions, BenchPhase, median, PhaseResult, phaseClock } from '../support/phase';
import { openSeededDatabase } from '../support/seed-contacts';

const REFERENCE_SEND_RATE = 1_000;

export const phase: BenchPhase = {
  name: 'queue',
  async run(options: BenchOptions): Promise<PhaseResult[]> {
    const contacts = options.quick ? 100_000 : 1_000_000;
    const messages = options.quick ? 10_000 : 100_000;
    const bench = await openSeededDatabase(options, 'queue', contacts);
    try {
      const { CampaignsService } = await import('../../src/campaigns/campaigns.service');
      const { OutboxRepository } = await import('../../src/delivery/outbox.repository');
      const { AppConfig } = await import('../../src/config/app-config');
      const { SYSTEM_ACTOR } = await import('../../src/auth/actor');
      const campaigns = bench.app.get(CampaignsService);
      const outbox = bench.app.get(OutboxRepository);
      const batch = bench.app.get(AppConfig).WORKER_BATCH_SIZE;
      const db = bench.db;
      const clock = phaseClock();

      const created = await clock.span('data', async () => {
        const campaign = await campaigns.create(
          { name: 'Queue overhead', kind: 'broadcast', templateKey: 'newsletter', channels: ['email'], schedule: { type: 'at', at: '2030-01-01T09:00:00Z' } },
          SYSTEM_ACTOR,
        );
        await campaigns.start(campaign.id, SYSTEM_ACTOR);
        // The campaign is running with `messages` due rows: what a materialised broadcast leaves for the workers.
        await db.query(`UPDATE campaigns SET status = 'running', materialized_at = now() WHERE id = $1`, [campaign.id]);
        return campaign;
      });

      const rates: number[] = [];
      const trips: number[] = [];
      for (let round = 1; round <= options.rounds; round++) {
        await clock.span('round setup', () => fillOutbox(db, created.id, messages));
        const now = new Date();
        let claimed = 0;
        let roundTrips = 0;
        const seconds = await clock.measure(async () => {
          for (;;) {
            const rows = await outbox.claim(`bench-${round}`, [created.id], now, 60, batch);
            roundTrips++;
            if (rows.length === 0) break;
            claimed += rows.length;
          }
        });
        if (claimed !== messages) throw new Error(`claimed ${claimed} rows of ${messages}`);
        rates.push(Math.round(claimed / seconds));
        trips.push(roundTrips);
        console.log(`round ${round}: ${Math.round(claimed / seconds).toLocaleString('en')} rows/s in ${roundTrips} claims`);
      }
      await clock.span('teardown', () => db.query('TRUNCATE outbox_messages'));

      const rate = median(rates);
      const perThousand = (1000 / messages) * median(trips);
      return [
        {
          phase: `queue: outbox claim, ${messages.toLocaleString('en')} messages, batches of ${batch}`,
          unit: 'rows/s',
          raw: null,
          tidings: Math.round(rate),
          ratio: null,
          target: `≥ 10 × send rate (${(10 * REFERENCE_SEND_RATE).toLocaleString('en')} rows/s)`,
          met: rate >= 10 * REFERENCE_SEND_RATE,
          extra: {
            referenceSendRate: `${REFERENCE_SEND_RATE} messages/s (taken as the send rate; one SMTP relay over 5 pooled connections, see the e-mail phase)`,
            claimToSendRatio: Number((rate / REFERENCE_SEND_RATE).toFixed(1)),
            claimRoundTripsPer1000Messages: Number(perThousand.toFixed(1)),
            workerBatchSize: batch,
            rowsPerSecondPerRound: rates,
            claimsPerRound: trips,
          },
        },
      ];
    } finally {
      await bench.close();
    }
  },
};

/** `messages` pending rows due now, on an emptied and analysed table, written before the clock starts. */
async function fillOutbox(db: DataSource, campaignId: string, messages: number): Promise<void> {
  await db.query('TRUNCATE outbox_messages');
  await db.query(
    `INSERT INTO outbox_messages (campaign_id, contact_id, occasion_key, due_at)
     SELECT $1, c.id, 'broadcast', now() - interval '1 minute' FROM contacts c ORDER BY c.id LIMIT $2`,
    [campaignId, messages],
  );
  await db.query('ANALYZE outbox_messages');
  await db.query('CHECKPOINT');
}
