/**
 * The daily birthday trigger over the whole archive: one UTC day's greetings (09:00 local, contacts
 * in eight zones, ~2,740 birthdays a day) found and enqueued, against the bare indexed SELECT of the
 * same rows.
 *
 * Bare: one statement over the month-day index that returns exactly the contacts whose 09:00 local
 * falls in the day (the zone arithmetic done in SQL). Tidings, two figures: the find alone
 * (`TriggerEvaluator.occasions`, SQL narrowing plus the care calendar's per-contact instant, key and
 * age) — the one the ratio is about — and find + enqueue (`CampaignScheduler.evaluateTrigger`,
 * the scheduler's whole transaction: lock the campaign, find, write the outbox rows, close the window).
 */
import type { DataSource } from 'typeorm';
import { alternate, BenchOptions, BenchPhase, median, PhaseResult, phaseClock } from '../support/phase';
import { openSeededDatabase } from '../support/seed-contacts';

const DAY = '2027-06-15';
const FROM = new Date(`${DAY}T00:00:00Z`);
const TO = new Date(FROM.getTime() + 86_400_000);
const LOCAL_TIME = '09:00';

/** Every birthday on the day before, of and after DAY (zones run ±14 h), then exactly those whose 09:00 local is in the window. */
const BARE_SELECT = `
  SELECT c.id, c.birthday, c.time_zone
    FROM contacts c
   WHERE c.birthday IS NOT NULL
     AND (extract(month FROM c.birthday)::int * 100 + extract(day FROM c.birthday)::int) = ANY($1::int[])
     AND (make_date($4, extract(month FROM c.birthday)::int, extract(day FROM c.birthday)::int) + $5::time) AT TIME ZONE c.time_zone >= $2
     AND (make_date($4, extract(month FROM c.birthday)::int, extract(day FROM c.birthday)::int) + $5::time) AT TIME ZONE c.time_zone < $3`;
const BARE_PARAMS = [[614, 615, 616], FROM, TO, 2027, LOCAL_TIME];

export const phase: BenchPhase = {
  name: 'birthday',
  async run(options: BenchOptions): Promise<PhaseResult[]> {
    const contacts = options.quick ? 100_000 : 1_000_000;
    const bench = await openSeededDatabase(options, 'birthday', contacts);
    try {
      const { CampaignsService } = await import('../../src/campaigns/campaigns.service');
      const { CampaignScheduler, TRIGGER_LOOKAHEAD_MS } = await import('../../src/campaigns/campaign-scheduler.service');
      const { TriggerEvaluator } = await import('../../src/campaigns/triggers/trigger-evaluator.service');
      const { SYSTEM_ACTOR } = await import('../../src/auth/actor');
      const campaigns = bench.app.get(CampaignsService);
      const scheduler = bench.app.get(CampaignScheduler);
      const evaluator = bench.app.get(TriggerEvaluator);
      const db = bench.db;
      const clock = phaseClock();

      const campaign = await clock.span('data', async () => {
        const created = await campaigns.create(
          { name: 'Birthday greetings', kind: 'trigger', templateKey: 'birthday', channels: ['email'], trigger: { type: 'birthday', localTime: LOCAL_TIME } },
          SYSTEM_ACTOR,
        );
        // Starting evaluates today's real window; the rounds then evaluate DAY from a clean outbox.
        return campaigns.start(created.id, SYSTEM_ACTOR);
      });
      const trigger = campaign.trigger as unknown as import('../../src/campaigns/triggers/trigger.types').TriggerDefinition;
      // The scheduler's `now` whose window [evaluated_until, now + lookahead) is exactly the day.
      const now = new Date(TO.getTime() - TRIGGER_LOOKAHEAD_MS);

      const bare = async () => {
        let rows = 0;
        const ms = 1000 * (await clock.measure(() => inTransaction(db, async (tx) => void (rows = (await tx.query(BARE_SELECT, BARE_PARAMS)).length))));
        return { ms, rows };
      };
      const find = async () => {
        let rows = 0;
        const ms =
          1000 *
          (await clock.measure(() =>
            inTransaction(db, async (tx) => {
              const occasions = await evaluator.occasions(trigger, FROM, TO, (offset) => scheduler.audience(campaign, tx, offset, now), 'UTC', tx);
              rows = occasions.length;
            }),
          ));
        return { ms, rows };
      };
      const findAndEnqueue = async () => {
        await clock.span('round setup', async () => {
          await db.query('TRUNCATE outbox_messages');
          await db.query(`UPDATE campaigns SET evaluated_until = $2 WHERE id = $1`, [campaign.id, FROM]);
        });
        let rows = 0;
        const ms = 1000 * (await clock.measure(async () => void (rows = (await scheduler.evaluateTrigger(campaign.id, now)).inserted)));
        const [{ n }] = await clock.span('verify', () =>
          db.query(`SELECT count(*)::int AS n FROM outbox_messages WHERE campaign_id = $1 AND due_at >= $2 AND due_at < $3`, [campaign.id, FROM, TO]),
        );
        if (n !== rows) throw new Error(`evaluateTrigger reported ${rows} rows, the outbox holds ${n}`);
        return { ms, rows };
      };

      // One unmeasured pass of each, so no side pays for reading the table into the cache.
      const expected = await clock.span('warm-up', async () => {
        const rows = (await bare()).rows;
        await find();
        await findAndEnqueue();
        return rows;
      });

      const enqueueMs: number[] = [];
      const check = (side: string, rows: number) => {
        if (rows !== expected) throw new Error(`${side} found ${rows} birthdays, the bare SELECT ${expected}`);
      };
      const values = await alternate(
        options.rounds,
        async () => {
          const r = await bare();
          check('bare SELECT', r.rows);
          return r.ms;
        },
        async () => {
          const found = await find();
          check('the trigger evaluator', found.rows);
          const enqueued = await findAndEnqueue();
          check('evaluateTrigger', enqueued.rows);
          enqueueMs.push(round1(enqueued.ms));
          return found.ms;
        },
      );
      await clock.span('teardown', () => db.query('TRUNCATE outbox_messages'));

      const raw = median(values.raw);
      const tidings = median(values.tidings);
      const total = median(enqueueMs);
      console.log(`${expected} birthdays: bare SELECT ${raw.toFixed(1)} ms, Tidings find ${tidings.toFixed(1)} ms, find + enqueue ${total.toFixed(1)} ms`);
      const label = `birthday trigger, ${contacts.toLocaleString('en')} contacts, one day (${expected.toLocaleString('en')} birthdays)`;
      const extra = {
        day: DAY,
        birthdays: expected,
        bareMs: values.raw.map(round1),
        findMs: values.tidings.map(round1),
        findAndEnqueueMs: enqueueMs,
      };
      return [
        {
          phase: `${label}: find`,
          unit: 'ms',
          raw: round1(raw),
          tidings: round1(tidings),
          ratio: Number((tidings / raw).toFixed(2)),
          target: '≤ 2 × bare SELECT',
          met: tidings <= 2 * raw,
          extra,
        },
        {
          phase: `${label}: find + enqueue`,
          unit: 'ms',
          raw: round1(raw),
          tidings: round1(total),
          ratio: Number((total / raw).toFixed(2)),
          target: '≤ 250 ms',
          met: total <= 250,
          extra: {},
        },
      ];
    } finally {
      await bench.close();
    }
  },
};

/** Both sides read inside a transaction with JIT off, as the scheduler's evaluation does. */
function inTransaction(db: DataSource, work: (tx: import('typeorm').EntityManager) => Promise<void>): Promise<void> {
  return db.transaction(async (tx) => {
    await tx.query('SET LOCAL jit = off');
    await work(tx);
  });
}

function round1(n: number): number {
  return Number(n.toFixed(1));
}
