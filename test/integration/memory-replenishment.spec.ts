import { DateTime } from 'luxon';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { InteractionHooks } from '../../src/memory/interactions/interaction-hooks';
import { ReplenishmentService } from '../../src/memory/replenishment/replenishment.service';
import { estimateRunOut } from '../../src/memory/replenishment/run-out-model';
import { createTestApp, TestApp } from '../support/test-app';
import { insertContact, insertInteraction } from './memory-value-support';

const D0 = DateTime.fromISO('2030-01-10T09:00:00Z', { zone: 'utc' });

describe('replenishment (the rice jar)', () => {
  let t: TestApp;
  let replenishment: ReplenishmentService;
  let hooks: InteractionHooks;

  /** Records a purchase the way the interactions module does: the row, then the hooks, in one transaction. */
  const buy = (contactId: string, productKey: string, at: DateTime, quantity: number) =>
    t.db.transaction(async (tx) => {
      await insertInteraction(tx, { contactId, kind: 'purchase', occurredAt: at.toJSDate(), amount: quantity * 6, lines: [{ productKey, quantity, productName: 'Northeast rice' }] });
      await hooks.run(tx, [contactId]);
    });
  const predictionOf = async (contactId: string, productKey: string) =>
    (
      await t.db.query(
        `SELECT run_out_on::text AS run_out_on, daily_consumption::float8 AS rate, purchases_used FROM replenishment_predictions
          WHERE contact_id = $1 AND product_key = $2`,
        [contactId, productKey],
      )
    )[0];
  const dueFor = async (contactId: string, day: string) =>
    (await replenishment.dueBetween(day, day, 3)).filter((d) => d.contactId === contactId).map((d) => d.productKey);

  /**
   * A transaction that records a purchase of `productKey` for the contact, runs the hooks (taking the
   * derived-memory locks) and holds them until `release()`.
   */
  async function holdContact(contactId: string, productKey: string, at: DateTime): Promise<{ release: () => void; done: Promise<void> }> {
    let release!: () => void;
    let recorded!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const firstRecorded = new Promise<void>((resolve) => (recorded = resolve));
    const done = t.db.transaction(async (tx: EntityManager) => {
      await insertInteraction(tx, { contactId, kind: 'purchase', occurredAt: at.toJSDate(), lines: [{ productKey, quantity: 10 }] });
      await hooks.run(tx, [contactId]);
      recorded();
      await held;
    });
    await firstRecorded;
    return { release, done };
  }

  /** Waits (by asking PostgreSQL, not by sleeping) until a statement matching `queryLike` is blocked on a lock. */
  async function untilBlocked(queryLike: string, what: string): Promise<void> {
    for (let i = 0; ; i++) {
      const [{ waiting }] = await t.db.query(
        `SELECT count(*)::int AS waiting FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock' AND (${queryLike})`,
      );
      if (waiting > 0) return;
      if (i > 5_000) throw new Error(`${what} never waited for the transaction holding the contact`);
    }
  }

  beforeAll(async () => {
    t = await createTestApp();
    replenishment = t.app.get(ReplenishmentService);
    hooks = t.app.get(InteractionHooks);
  });
  afterAll(() => t.close());

  it('predicts the run-out from the purchases, and a purchase in between moves it and cancels the reminder', async () => {
    const contact = await insertContact(t.db);
    const rice = `rice-${randomUUID()}`;
    await buy(contact, rice, D0, 10);
    expect(await predictionOf(contact, rice)).toBeUndefined(); // one purchase, no product default: no guess
    await buy(contact, rice, D0.plus({ days: 20 }), 10);
    expect(await predictionOf(contact, rice)).toEqual({ run_out_on: '2030-02-19', rate: 0.5, purchases_used: 2 });
    expect(await dueFor(contact, '2030-02-16')).toEqual([rice]);

    await buy(contact, rice, D0.plus({ days: 30 }), 10);
    const expected = estimateRunOut(
      [0, 20, 30].map((days) => ({ at: D0.plus({ days }).toJSDate(), quantity: 10 })),
      null,
    )!;
    expect(await predictionOf(contact, rice)).toMatchObject({ run_out_on: expected.runOutOn, purchases_used: 3 });
    expect(expected.runOutOn > '2030-02-19').toBe(true);
    expect(await dueFor(contact, '2030-02-16')).toEqual([]);

    const { body } = await t.http.get(`/contacts/${contact}/replenishment`).set(t.auth('viewer')).expect(200);
    expect(body).toEqual([expect.objectContaining({ productKey: rice, productName: 'Northeast rice', runOutOn: expected.runOutOn, purchasesUsed: 3 })]);
    const due = await t.http
      .get('/memory/replenishment/due')
      .query({ from: expected.runOutOn, to: expected.runOutOn, leadDays: 0 })
      .set(t.auth('viewer'))
      .expect(200);
    expect(due.body).toContainEqual(expect.objectContaining({ contactId: contact, productKey: rice, remindOn: expected.runOutOn }));
  });

  it('gives a family that bought 10 kg every ~20 days and now buys 20 kg about 40 days', async () => {
    const family = await insertContact(t.db, 'Family');
    const rice = `rice-${randomUUID()}`;
    let at = D0;
    for (const gap of [19, 22, 20, 18, 21]) {
      await insertInteraction(t.db, { contactId: family, kind: 'purchase', occurredAt: at.toJSDate(), lines: [{ productKey: rice, quantity: 10 }] });
      at = at.plus({ days: gap });
    }
    await buy(family, rice, at, 20);
    const { run_out_on } = await predictionOf(family, rice);
    const days = DateTime.fromISO(run_out_on, { zone: 'utc' }).diff(at.startOf('day'), 'days').days;
    expect(days).toBeGreaterThanOrEqual(38);
    expect(days).toBeLessThanOrEqual(42);
  });

  it('predicts a first purchase from the product default once one is set, for marketers only', async () => {
    const contact = await insertContact(t.db);
    const soap = `soap-${randomUUID()}`;
    await buy(contact, soap, D0, 3);
    expect(await predictionOf(contact, soap)).toBeUndefined();

    await t.http.put(`/memory/products/${soap}/consumption`).set(t.auth('viewer')).send({ dailyConsumption: 0.1 }).expect(403);
    const bad = await t.http.put(`/memory/products/${soap}/consumption`).set(t.auth('marketer')).send({ dailyConsumption: 0 }).expect(400);
    expect(bad.body.details).toEqual([expect.objectContaining({ field: 'dailyConsumption' })]);

    const { body } = await t.http
      .put(`/memory/products/${soap}/consumption`)
      .set(t.auth('marketer'))
      .send({ dailyConsumption: 0.1, unit: 'bar' })
      .expect(200);
    expect(body).toMatchObject({ productKey: soap, dailyConsumption: '0.100000', unit: 'bar', predictions: 1 });
    expect(await predictionOf(contact, soap)).toEqual({ run_out_on: '2030-02-09', rate: 0.1, purchases_used: 1 });
    // A second purchase replaces the default with the person's own rhythm.
    await buy(contact, soap, D0.plus({ days: 20 }), 3);
    expect(await predictionOf(contact, soap)).toEqual({ run_out_on: '2030-02-19', rate: 0.15, purchases_used: 2 });
  });

  it('sees a concurrent purchase of the same contact: the second transaction waits for the first', async () => {
    const contact = await insertContact(t.db);
    const rice = `rice-${randomUUID()}`;
    await buy(contact, rice, D0, 10);
    const first = await holdContact(contact, rice, D0.plus({ days: 20 }));
    const second = buy(contact, rice, D0.plus({ days: 40 }), 10);
    await untilBlocked(`query LIKE '%FROM contact_value%FOR UPDATE%' OR query LIKE '%pg_advisory_xact_lock%'`, 'the second transaction');
    first.release();
    await Promise.all([first.done, second]);
    expect(await predictionOf(contact, rice)).toMatchObject({ purchases_used: 3 });
  });

  it('an API purchase that arrives while another transaction holds the contact waits for it and counts its purchase', async () => {
    // The API's recording statement takes the derived-memory locks itself; the read after it must still see what the holder committed.
    const contact = await insertContact(t.db);
    const rice = `rice-${randomUUID()}`;
    const start = DateTime.utc().minus({ days: 60 });
    await buy(contact, rice, start, 10);
    const first = await holdContact(contact, rice, start.plus({ days: 20 }));
    const posted = t.http
      .post(`/contacts/${contact}/interactions`)
      .set(t.auth('marketer'))
      .send({ eventId: `jar-${randomUUID()}`, kind: 'purchase', occurredAt: start.plus({ days: 40 }).toISO(), items: [{ productKey: rice, quantity: 10 }] })
      .then((res) => res);
    await untilBlocked(`query LIKE '%INSERT INTO interactions%'`, 'the API request');
    first.release();
    await first.done;
    expect((await posted).status).toBe(201);
    expect(await predictionOf(contact, rice)).toMatchObject({ purchases_used: 3 });
    expect(await t.db.query(`SELECT frequency_12m FROM contact_value WHERE contact_id = $1`, [contact])).toEqual([{ frequency_12m: 3 }]);
  });

  it('answers 404 for an unknown contact', async () => {
    await t.http.get(`/contacts/${randomUUID()}/replenishment`).set(t.auth('viewer')).expect(404);
  });
});
