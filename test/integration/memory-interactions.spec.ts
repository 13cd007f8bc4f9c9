import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { InteractionHooks } from '../../src/memory/interactions/interaction-hooks';
import { OpenTopicsService } from '../../src/memory/interactions/open-topics.service';
import { createContact, eventId, purchaseInput } from '../factories/memory.factory';
import { createTestApp, TestApp } from '../support/test-app';

describe('interactions', () => {
  let t: TestApp;
  /** What a real listener saw inside the recording transaction: the contacts and how many of their interactions it could read. */
  const seenByListener: Array<{ contactIds: string[]; visible: number }> = [];
  beforeAll(async () => {
    t = await createTestApp();
    t.app.get(InteractionHooks).register({
      async onInteractionsRecorded(tx: EntityManager, contactIds: string[]) {
        const [{ count }] = await tx.query(`SELECT count(*)::int AS count FROM interactions WHERE contact_id = ANY($1::uuid[])`, [contactIds]);
        seenByListener.push({ contactIds, visible: count });
      },
    });
  });
  afterAll(() => t.close());

  const post = (contactId: string, body: Record<string, unknown>) =>
    t.http.post(`/contacts/${contactId}/interactions`).set(t.auth('marketer')).send(body);
  const countEvents = async (prefix: string) =>
    (await t.db.query(`SELECT count(*)::int AS count FROM interactions WHERE event_id LIKE $1`, [`${prefix}%`]))[0].count as number;

  it('records a purchase with its lines and totals it, and runs the hooks in the same transaction', async () => {
    const contactId = await createContact(t);
    const res = await post(contactId, purchaseInput()).expect(201);
    expect(res.body).toMatchObject({ contactId, kind: 'purchase', amount: 103, currency: 'CNY', recordedBy: 'api-key:test marketer' });
    expect(res.body.items).toEqual([
      { lineNo: 1, productKey: 'rice-5kg', name: 'Northeast rice 5 kg', quantity: 2, unit: 'bag', unitPrice: 45.5 },
      { lineNo: 2, productKey: 'tea-longjing', name: 'Longjing tea 250 g', quantity: 1, unit: 'box', unitPrice: 12 },
    ]);
    const lines = await t.db.query(`SELECT product_key, quantity::float8 AS quantity, contact_id FROM purchase_lines WHERE interaction_id = $1 ORDER BY line_no`, [res.body.id]);
    expect(lines).toEqual([
      { product_key: 'rice-5kg', quantity: 2, contact_id: contactId },
      { product_key: 'tea-longjing', quantity: 1, contact_id: contactId },
    ]);
    expect(seenByListener).toContainEqual({ contactIds: [contactId], visible: 1 });
    // The answer is the interaction as stored: what the list shows, and what the audit log names.
    const listed = await t.http.get(`/contacts/${contactId}/interactions`).set(t.auth('viewer')).expect(200);
    expect(listed.body.items).toEqual([res.body]);
    const [audit] = await t.db.query(`SELECT actor_label, changes FROM audit_log WHERE action = 'interaction.record' AND entity_id = $1`, [contactId]);
    expect(audit).toEqual({ actor_label: 'api-key:test marketer', changes: { interactionId: res.body.id, kind: 'purchase', eventId: res.body.eventId } });
  });

  it('replays the same eventId as a 200 that writes nothing, and refuses a different payload with 409', async () => {
    const contactId = await createContact(t);
    const body = purchaseInput();
    const first = await post(contactId, body).expect(201);
    const hookCalls = seenByListener.length;
    const again = await post(contactId, body).expect(200);
    expect(again.body).toEqual(first.body);
    expect(await countEvents(String(body.eventId))).toBe(1);
    expect(seenByListener).toHaveLength(hookCalls);
    const audits = await t.db.query(`SELECT count(*)::int AS count FROM audit_log WHERE action = 'interaction.record' AND entity_id = $1`, [contactId]);
    expect(audits[0].count).toBe(1);

    const changed = await post(contactId, { ...body, items: [{ productKey: 'rice-5kg', quantity: 3, unitPrice: 45.5 }] }).expect(409);
    expect(changed.body).toMatchObject({ error: 'EVENT_ID_CONFLICT', details: [{ field: 'eventId', problem: expect.stringContaining('amount, items') }] });
    const otherContact = await createContact(t);
    await post(otherContact, body).expect(409);
  });

  it('checks the rules of each kind and refuses a time in the future', async () => {
    const contactId = await createContact(t);
    const future = await post(contactId, { eventId: eventId(), kind: 'note', summary: 'Prefers mornings', occurredAt: new Date(Date.now() + 3_600_000).toISOString() }).expect(400);
    expect(future.body.details).toEqual([{ field: 'occurredAt', problem: 'occurredAt must not be in the future' }]);
    const message = await post(contactId, { eventId: eventId(), kind: 'message_opened', channel: 'phone' }).expect(400);
    expect(message.body.details.map((d: { field: string }) => d.field)).toEqual(['channel', 'messageId']);
    const noteWithItems = await post(contactId, { eventId: eventId(), kind: 'note', summary: 'x', items: [{ productKey: 'a', quantity: 1 }] }).expect(400);
    expect(noteWithItems.body.details).toEqual([{ field: 'items', problem: 'items is only for purchases' }]);
    const noCurrency = await post(contactId, purchaseInput({ currency: undefined })).expect(400);
    expect(noCurrency.body.details).toEqual([{ field: 'currency', problem: expect.stringContaining('required') }]);
    const badCurrency = await post(contactId, purchaseInput({ currency: 'XYZ' })).expect(400);
    expect(badCurrency.body.details[0].field).toBe('currency');
    const topic = await post(contactId, { eventId: eventId(), kind: 'open_topic' }).expect(400);
    expect(topic.body.details).toEqual([{ field: 'summary', problem: expect.stringContaining('topic to raise next time') }]);
    await post(contactId, { eventId: eventId(), kind: 'message_bounced', channel: 'email', messageId: randomUUID() }).expect(201);
  });

  it('needs the marketer role to write and a live contact', async () => {
    const contactId = await createContact(t);
    await t.http.post(`/contacts/${contactId}/interactions`).set(t.auth('viewer')).send(purchaseInput()).expect(403);
    await t.http.post('/interactions/batch').set(t.auth('viewer')).send({ items: [{ ...purchaseInput(), contactId }] }).expect(403);
    await post(randomUUID(), purchaseInput()).expect(404);
  });

  it('lists newest first, filtered by kind, page by page', async () => {
    const contactId = await createContact(t);
    const kinds = ['call', 'note', 'call', 'complaint', 'call'];
    for (const [i, kind] of kinds.entries()) {
      await post(contactId, { eventId: eventId(), kind, summary: `#${i}`, occurredAt: new Date(Date.now() - (10 - i) * 60_000).toISOString() }).expect(201);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: Array<{ summary: string }>; nextCursor: string | null } } = await t.http
        .get(`/contacts/${contactId}/interactions`).query({ kind: 'call,complaint', limit: 2, ...(cursor ? { cursor } : {}) })
        .set(t.auth('viewer')).expect(200);
      seen.push(...page.body.items.map((i) => i.summary));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['#4', '#3', '#2', '#0']);
    const bad = await t.http.get(`/contacts/${contactId}/interactions?cursor=nonsense`).set(t.auth('viewer')).expect(400);
    expect(bad.body.details[0].field).toBe('cursor');
  });

  it('brings up the oldest open topic first, and raises each topic exactly once', async () => {
    const [a, b] = [await createContact(t), await createContact(t)];
    const older = await post(a, { eventId: eventId(), kind: 'open_topic', summary: 'Ask how the new X5 drives', occurredAt: new Date(Date.now() - 7 * 86_400_000).toISOString() }).expect(201);
    const newer = await post(a, { eventId: eventId(), kind: 'open_topic', summary: 'Winter tyres in November', occurredAt: new Date(Date.now() - 86_400_000).toISOString() }).expect(201);
    const topics = t.app.get(OpenTopicsService);

    const oldest = await topics.oldest([a, b]);
    expect(oldest.get(a)).toMatchObject({ id: older.body.id, summary: 'Ask how the new X5 drives' });
    expect(oldest.has(b)).toBe(false);

    const messageId = randomUUID();
    expect(await t.db.transaction((tx) => topics.markTopicRaised(tx, older.body.id, messageId))).toBe(true);
    // A second message cannot raise the same topic again.
    expect(await t.db.transaction((tx) => topics.markTopicRaised(tx, older.body.id, randomUUID()))).toBe(false);
    const [row] = await t.db.query(`SELECT topic_raised_by_message FROM interactions WHERE id = $1`, [older.body.id]);
    expect(row.topic_raised_by_message).toBe(messageId);
    expect((await topics.oldest([a])).get(a)?.id).toBe(newer.body.id);
    expect((await topics.open(a)).map((topic) => topic.id)).toEqual([newer.body.id]);
  });
});
