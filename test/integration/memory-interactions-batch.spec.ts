import { randomUUID } from 'node:crypto';
import { insertContacts } from '../factories/memory.factory';
import { createTestApp, TestApp } from '../support/test-app';

describe('interaction batches', () => {
  let t: TestApp;
  let contacts: string[];
  beforeAll(async () => {
    t = await createTestApp();
    contacts = await insertContacts(t, 20);
  });
  afterAll(() => t.close());

  const batch = (items: unknown[]) => t.http.post('/interactions/batch').set(t.auth('marketer')).send({ items });
  const countEvents = async (prefix: string) =>
    (await t.db.query(`SELECT count(*)::int AS count FROM interactions WHERE event_id LIKE $1`, [`${prefix}%`]))[0].count as number;

  /** 1,000 rows across 20 contacts: every third a purchase with two lines, the rest calls, notes and open topics. */
  function thousand(prefix: string): Array<Record<string, unknown>> {
    return Array.from({ length: 1000 }, (_, i) => {
      const base = { contactId: contacts[i % contacts.length], eventId: `${prefix}-${i}`, occurredAt: new Date(Date.now() - (1000 - i) * 60_000).toISOString() };
      if (i % 3 === 0) {
        return { ...base, kind: 'purchase', currency: 'CNY', items: [
          { productKey: 'rice-5kg', quantity: 1, unitPrice: 45.5 }, { productKey: 'oil-1l', quantity: 2, unitPrice: 18.8 },
        ] };
      }
      return { ...base, kind: ['call', 'note', 'open_topic'][i % 3 === 1 ? 0 : i % 2], summary: `row ${i}` };
    });
  }

  it('stores 1,000 interactions with one insert for the rows and one for the purchase lines, and replays them', async () => {
    const prefix = `b1k-${randomUUID().slice(0, 8)}`;
    const items = thousand(prefix);
    const spy = jest.spyOn(t.db.logger, 'logQuery');
    let inserts: string[];
    try {
      const res = await batch(items).expect(201);
      expect(res.body).toMatchObject({ created: 1000, replayed: 0 });
      expect(res.body.results).toHaveLength(1000);
      expect(res.body.results[999]).toMatchObject({ index: 999, eventId: `${prefix}-999`, status: 'created', id: expect.any(String) });
      inserts = spy.mock.calls.map(([sql]) => sql).filter((sql) => /INSERT INTO (interactions|purchase_lines)\b/.test(sql));
    } finally {
      spy.mockRestore();
    }
    expect(inserts).toHaveLength(2);
    expect(await countEvents(prefix)).toBe(1000);
    const [{ lines }] = await t.db.query(
      `SELECT count(*)::int AS lines FROM purchase_lines l JOIN interactions i ON i.id = l.interaction_id WHERE i.event_id LIKE $1`, [`${prefix}%`]);
    expect(lines).toBe(334 * 2);

    const replay = await batch(items).expect(200);
    expect(replay.body).toMatchObject({ created: 0, replayed: 1000 });
    expect(await countEvents(prefix)).toBe(1000);
  });

  it('stores nothing when one row is invalid, and names it', async () => {
    const prefix = `bbad-${randomUUID().slice(0, 8)}`;
    const items = thousand(prefix);
    items[517] = { ...items[517], occurredAt: new Date(Date.now() + 86_400_000).toISOString() };
    const res = await batch(items).expect(400);
    expect(res.body.details).toEqual([{ field: 'items[517].occurredAt', problem: 'items[517].occurredAt must not be in the future' }]);
    expect(await countEvents(prefix)).toBe(0);
  });

  it('stores nothing when a row names an unknown contact', async () => {
    const prefix = `bnoc-${randomUUID().slice(0, 8)}`;
    const items = thousand(prefix).slice(0, 10);
    items[3] = { ...items[3], contactId: randomUUID() };
    const res = await batch(items).expect(400);
    expect(res.body.details).toEqual([{ field: 'items[3].contactId', problem: expect.stringContaining('does not exist') }]);
    expect(await countEvents(prefix)).toBe(0);
  });

  it('is one transaction: a reused eventId found after the rows were inserted rolls every row back', async () => {
    const prefix = `bconf-${randomUUID().slice(0, 8)}`;
    await batch([{ contactId: contacts[0], eventId: `${prefix}-used`, kind: 'note', summary: 'the original' }]).expect(201);
    const items = thousand(prefix).slice(0, 200);
    items[150] = { contactId: contacts[0], eventId: `${prefix}-used`, kind: 'note', summary: 'something else' };
    const res = await batch(items).expect(409);
    expect(res.body).toMatchObject({ error: 'EVENT_ID_CONFLICT', details: [{ field: 'items[150].eventId', problem: expect.stringContaining('summary') }] });
    expect(await countEvents(prefix)).toBe(1);
  });

  it('folds a row repeated within the batch, and refuses the same eventId for two different rows', async () => {
    const prefix = `bdup-${randomUUID().slice(0, 8)}`;
    const row = { contactId: contacts[1], eventId: `${prefix}-1`, kind: 'call', summary: 'Asked about delivery' };
    const folded = await batch([row, { ...row }]).expect(201);
    expect(folded.body).toMatchObject({ created: 1, replayed: 0 });
    expect(folded.body.results[0].id).toBe(folded.body.results[1].id);
    const clash = await batch([{ ...row, eventId: `${prefix}-2` }, { ...row, eventId: `${prefix}-2`, summary: 'other' }]).expect(400);
    expect(clash.body.details).toEqual([{ field: 'items[1].eventId', problem: expect.stringContaining('repeats items[0].eventId') }]);
  });

  it('refuses more than 1,000 rows', async () => {
    const items = thousand('too-many').concat(thousand('too-many-2').slice(0, 1));
    const res = await batch(items).expect(400);
    expect(res.body.details[0].field).toBe('items');
  });
});
