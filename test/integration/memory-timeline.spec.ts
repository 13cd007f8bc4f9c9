import { randomUUID } from 'node:crypto';
import { createContact, eventId, hoursAgo, purchaseInput } from '../factories/memory.factory';
import { createTestApp, TestApp } from '../support/test-app';

describe('GET /contacts/:id/memory', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  /** The derived and outbound tables are filled by other modules; here they get one plain row each. */
  async function fillOtherModulesTables(contactId: string): Promise<string> {
    await t.db.query(
      `INSERT INTO contact_value (contact_id, frequency_12m, monetary_12m, monetary_total, abc_class, loyalty_stage, frequency_class)
       VALUES ($1, 3, 309, 309, 'A', 'regular', 'medium') ON CONFLICT (contact_id) DO NOTHING`,
      [contactId],
    );
    await t.db.query(`INSERT INTO value_signals (contact_id, dimension, from_value, to_value) VALUES ($1, 'frequency_class', 'heavy', 'medium')`, [contactId]);
    await t.db.query(
      `INSERT INTO replenishment_predictions (contact_id, product_key, run_out_on, daily_consumption, purchases_used, last_purchase_at)
       VALUES ($1, 'timeline-rice', current_date + 12, 0.25, 3, now() - interval '1 day')`,
      [contactId],
    );
    const [message] = await t.db.query(
      `INSERT INTO contact_messages (contact_id, campaign_id, occasion_key, state, channel, template_key, asks, sent_at)
       VALUES ($1, 'night-courtesy', '2025-06-01', 'sent', 'sms', 'courtesy-night', '{}', now()) RETURNING id`,
      [contactId],
    );
    await t.db.query(
      `INSERT INTO guard_decisions (contact_id, campaign_id, occasion_key, channel, decision, reason, message_id, details)
       VALUES ($1, 'night-courtesy', '2025-06-02', 'sms', 'skip', 'already_asked', $2, '{"asks": ["drink"]}')`,
      [contactId, message.id],
    );
    return message.id;
  }

  it('returns every section of what we remember about a customer', async () => {
    const contactId = await createContact(t);
    await t.http.post(`/contacts/${contactId}/preferences`).set(t.auth('marketer')).send({ preferences: [
      { key: 'drink', value: 'coffee', source: 'staff', statedAt: hoursAgo(48) },
      { key: 'drink', value: 'tea', source: 'web_form', statedAt: hoursAgo(24) },
      { key: 'newspaper', value: 'wall_street_journal', source: 'web_form', statedAt: hoursAgo(24) },
    ] }).expect(201);
    await t.http.post(`/contacts/${contactId}/interactions`).set(t.auth('marketer')).send(purchaseInput()).expect(201);
    const topic = await t.http.post(`/contacts/${contactId}/interactions`).set(t.auth('marketer'))
      .send({ eventId: eventId(), kind: 'open_topic', summary: 'Ask whether the room was quiet enough' }).expect(201);
    const messageId = await fillOtherModulesTables(contactId);

    const { body } = await t.http.get(`/contacts/${contactId}/memory`).set(t.auth('viewer')).expect(200);
    expect(Object.keys(body).sort()).toEqual(
      ['contactId', 'guardDecisions', 'interactions', 'messages', 'openTopics', 'predictedRunOuts', 'preferences', 'value', 'valueSignals'].sort(),
    );
    expect(body.preferences.values).toEqual({ drink: 'tea', newspaper: 'wall_street_journal' });
    expect(body.preferences.statements.drink).toMatchObject({ source: 'web_form', authority: 4 });
    expect(body.preferences.history.drink.map((s: { value: string }) => s.value)).toEqual(['coffee', 'tea']);
    expect(body.interactions.items.map((i: { kind: string }) => i.kind)).toEqual(['open_topic', 'purchase']);
    expect(body.interactions.items[1].items).toHaveLength(2);
    expect(body.openTopics).toEqual([expect.objectContaining({ id: topic.body.id, summary: 'Ask whether the room was quiet enough' })]);
    // The value module may have computed the row itself from the purchase; either way it is shown.
    expect(body.value).toHaveProperty('abcClass');
    expect(body.value.computedAt).toEqual(expect.any(String));
    expect(body.value).not.toHaveProperty('contactId');
    expect(body.valueSignals).toEqual(expect.arrayContaining([expect.objectContaining({ dimension: 'frequency_class', fromValue: 'heavy', toValue: 'medium' })]));
    expect(body.predictedRunOuts).toEqual(expect.arrayContaining([expect.objectContaining({ productKey: 'timeline-rice', dailyConsumption: 0.25 })]));
    expect(body.messages).toEqual([expect.objectContaining({ id: messageId, campaignId: 'night-courtesy', state: 'sent', channel: 'sms' })]);
    expect(body.guardDecisions).toEqual([expect.objectContaining({ decision: 'skip', reason: 'already_asked', messageId, details: { asks: ['drink'] } })]);
  });

  it('answers with empty sections for a new customer, limits the lists, and 404s an unknown one', async () => {
    const contactId = await createContact(t);
    const empty = await t.http.get(`/contacts/${contactId}/memory`).set(t.auth('viewer')).expect(200);
    expect(empty.body).toEqual({
      contactId,
      preferences: { values: {}, statements: {}, history: {} },
      interactions: { items: [], nextCursor: null },
      openTopics: [],
      value: null,
      valueSignals: [],
      predictedRunOuts: [],
      messages: [],
      guardDecisions: [],
    });
    for (let i = 0; i < 3; i++) {
      await t.http.post(`/contacts/${contactId}/interactions`).set(t.auth('marketer')).send({ eventId: eventId(), kind: 'call', summary: `call ${i}` }).expect(201);
    }
    const limited = await t.http.get(`/contacts/${contactId}/memory?limit=2`).set(t.auth('viewer')).expect(200);
    expect(limited.body.interactions.items).toHaveLength(2);
    expect(limited.body.interactions.nextCursor).toEqual(expect.any(String));
    await t.http.get(`/contacts/${randomUUID()}/memory`).set(t.auth('viewer')).expect(404);
    await t.http.get(`/contacts/${contactId}/memory?limit=0`).set(t.auth('viewer')).expect(400);
  });
});
