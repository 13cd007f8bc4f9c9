import { DateTime } from 'luxon';
import { Client } from 'pg';
import { InteractionHooks } from '../../src/memory/interactions/interaction-hooks';
import { ValueRecomputeJob } from '../../src/memory/value/value-recompute.job';
import { BASE_RECOMPUTE_LOCK, ValueService } from '../../src/memory/value/value.service';
import { TestApp } from '../support/test-app';
import { createIsolatedTestApp, insertContact, insertInteraction } from './memory-value-support';

const T0 = DateTime.fromISO('2031-03-01T12:00:00Z', { zone: 'utc' });

describe('customer value of one contact over time', () => {
  let t: TestApp;
  let value: ValueService;
  let heavy: string;

  const signalsOf = (contactId: string): Promise<Array<{ dimension: string; from_value: string | null; to_value: string; detected_at: Date }>> =>
    t.db.query(`SELECT dimension, from_value, to_value, detected_at FROM value_signals WHERE contact_id = $1 ORDER BY id`, [contactId]);
  const valueOf = async (contactId: string) => (await t.db.query(`SELECT * FROM contact_value WHERE contact_id = $1`, [contactId]))[0];

  beforeAll(async () => {
    t = await createIsolatedTestApp('value');
    value = t.app.get(ValueService);
    // 110 weeks of a weekly purchase of 50, the last one the day before T0, plus an occasional
    // service visit; two light customers so that the heavy one is not alone in the base.
    heavy = await insertContact(t.db, 'Heavy');
    for (let week = 0; week < 110; week++) {
      await insertInteraction(t.db, { contactId: heavy, kind: 'purchase', occurredAt: T0.minus({ days: 1 + 7 * week }).toJSDate(), amount: 50 });
    }
    await insertInteraction(t.db, { contactId: heavy, kind: 'service_visit', occurredAt: T0.minus({ days: 4 }).toJSDate() });
    for (const name of ['Light 1', 'Light 2']) {
      const light = await insertContact(t.db, name);
      await insertInteraction(t.db, { contactId: light, kind: 'purchase', occurredAt: T0.minus({ days: 30 }).toJSDate(), amount: 20 });
    }
  });
  afterAll(() => t.close());

  it('derives the figures of a weekly 50 spender: heavy, loyal, A, lifetime value 26,000', async () => {
    await value.recomputeBase(T0.toJSDate());
    expect(await valueOf(heavy)).toMatchObject({
      recency_days: 1,
      frequency_12m: 53,
      monetary_12m: '2600.00',
      monetary_total: '5500.00',
      rfm_score: '554',
      abc_class: 'A',
      frequency_class: 'heavy',
      loyalty_stage: 'loyal',
      lifetime_value: '26000.00',
    });
    expect((await signalsOf(heavy)).map((s) => `${s.dimension}:${s.from_value}→${s.to_value}`)).toEqual([
      'abc_class:null→A',
      'loyalty_stage:null→loyal',
      'frequency_class:null→heavy',
    ]);
  });

  it('signals heavy → light when the heavy customer stops coming, once however often it is recomputed', async () => {
    const later = T0.plus({ days: 60 }).toJSDate();
    const summary = await value.recomputeBase(later);
    expect(summary.signals.frequency_class).toBeGreaterThanOrEqual(1);
    const signals = await signalsOf(heavy);
    expect(signals.slice(3).map((s) => `${s.dimension}:${s.from_value}→${s.to_value}`)).toEqual([
      'loyalty_stage:loyal→long_standing',
      'frequency_class:heavy→light',
    ]);
    expect(signals[4].detected_at).toEqual(later);
    expect(await valueOf(heavy)).toMatchObject({ recency_days: 61, frequency_class: 'light', loyalty_stage: 'long_standing' });

    const [{ count }] = await t.db.query(`SELECT count(*)::int AS count FROM value_signals`);
    const again = await value.recomputeBase(later);
    const oneHourLater = await value.recomputeBase(DateTime.fromJSDate(later).plus({ hours: 1 }).toJSDate());
    expect(again.signals).toEqual({ abc_class: 0, frequency_class: 0, loyalty_stage: 0 });
    expect(oneHourLater.signals).toEqual({ abc_class: 0, frequency_class: 0, loyalty_stage: 0 });
    expect(await t.db.query(`SELECT count(*)::int AS count FROM value_signals`)).toEqual([{ count }]);
  });

  it('lists signals for campaigns by dimension, new value and time', async () => {
    const { body } = await t.http
      .get('/memory/value/signals')
      .query({ dimension: 'frequency_class', to: 'light', since: T0.plus({ days: 1 }).toISO() })
      .set(t.auth('viewer'))
      .expect(200);
    expect(body.items).toEqual([expect.objectContaining({ contactId: heavy, fromValue: 'heavy', toValue: 'light' })]);

    const first = await t.http.get('/memory/value/signals').query({ limit: 2 }).set(t.auth('viewer')).expect(200);
    expect(first.body.items).toHaveLength(2);
    const next = await t.http.get('/memory/value/signals').query({ limit: 2, cursor: first.body.nextCursor }).set(t.auth('viewer')).expect(200);
    expect(Number(next.body.items[0].id)).toBeGreaterThan(Number(first.body.items[1].id));

    const bad = await t.http.get('/memory/value/signals').query({ dimension: 'mood', since: 'yesterday' }).set(t.auth('viewer')).expect(400);
    expect(bad.body.details.map((d: { field: string }) => d.field).sort()).toEqual(['dimension', 'since']);
  });

  it('recomputes a contact inside the transaction that records its interactions', async () => {
    const newcomer = await insertContact(t.db, 'Newcomer');
    await t.db.transaction(async (tx) => {
      await insertInteraction(tx, { contactId: newcomer, kind: 'purchase', occurredAt: new Date(Date.now() - 3_600_000), amount: 120 });
      await t.app.get(InteractionHooks).run(tx, [newcomer, newcomer]);
      // Visible inside the transaction, before it commits.
      expect((await tx.query(`SELECT loyalty_stage FROM contact_value WHERE contact_id = $1`, [newcomer]))[0].loyalty_stage).toBe('new');
    });
    expect(await valueOf(newcomer)).toMatchObject({ loyalty_stage: 'new', frequency_class: 'light', monetary_total: '120.00', abc_class: null });
    expect((await signalsOf(newcomer)).map((s) => `${s.dimension}:${s.to_value}`)).toEqual(['loyalty_stage:new', 'frequency_class:light']);

    const { body } = await t.http.get(`/contacts/${newcomer}/value`).set(t.auth('viewer')).expect(200);
    expect(body).toMatchObject({ contactId: newcomer, loyaltyStage: 'new', monetaryTotal: '120.00' });
    await t.http.get(`/contacts/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}/value`).set(t.auth('viewer')).expect(404);
  });

  it('recomputes the base on request for marketers, not viewers, and reports the distribution', async () => {
    await t.http.post('/memory/value/recompute').set(t.auth('viewer')).expect(403);
    const { body } = await t.http.post('/memory/value/recompute').set(t.auth('marketer')).expect(200);
    expect(body).toMatchObject({ contacts: 4, abc: { A: { customers: expect.any(Number) } } });
    const [audit] = await t.db.query(`SELECT action FROM audit_log WHERE action = 'value.recompute'`);
    expect(audit).toEqual({ action: 'value.recompute' });

    const distribution = await t.http.get('/memory/value/distribution').set(t.auth('viewer')).expect(200);
    expect(distribution.body.customers).toBe(4);
    expect(Object.values(distribution.body.loyaltyStages as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(4);
  });

  it('lets only one instance run the daily recompute: the other skips while the lock is held', async () => {
    const other = new Client({ connectionString: (t.db.options as { url?: string }).url });
    await other.connect();
    try {
      await other.query(`SELECT pg_advisory_lock($1)`, [BASE_RECOMPUTE_LOCK]);
      expect(await t.app.get(ValueRecomputeJob).runOnce(new Date())).toBe('skipped');
      await other.query(`SELECT pg_advisory_unlock($1)`, [BASE_RECOMPUTE_LOCK]);
      expect(await t.app.get(ValueRecomputeJob).runOnce(new Date())).toBe('ran');
    } finally {
      await other.end();
    }
  });
});
