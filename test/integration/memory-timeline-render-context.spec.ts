import { randomUUID } from 'node:crypto';
import { PreferencesService } from '../../src/memory/preferences/preferences.service';
import { RenderContextService } from '../../src/memory/render-context/render-context.service';
import { createContact, eventId, insertContacts } from '../factories/memory.factory';
import { createTestApp, TestApp } from '../support/test-app';

describe('render context', () => {
  let t: TestApp;
  let contexts: RenderContextService;
  /** A list key with partial labels, so the fallbacks per locale can be seen. */
  const teaKey = `tea_style_${randomUUID().slice(0, 8)}`;
  beforeAll(async () => {
    t = await createTestApp();
    contexts = t.app.get(RenderContextService);
    await t.http.post('/preference-keys').set(t.auth('marketer')).send({
      key: teaKey,
      valueType: 'list',
      allowedValues: ['green', 'black', 'oolong'],
      questions: { en: 'Which teas do you like?', 'zh-CN': '您喜欢哪些茶？' },
      valueLabels: { 'zh-CN': { green: '绿茶', oolong: '乌龙茶' }, en: { green: 'green tea', oolong: 'oolong' } },
    }).expect(201);
  });
  afterAll(() => t.close());

  it('gives a template the tea, the Journal, the labels and the open topic (the hotel guest)', async () => {
    const id = await createContact(t, { givenName: 'Jian', familyName: 'Wang', formOfAddress: 'Mr Wang', locale: 'zh-CN' });
    await t.http.post(`/contacts/${id}/preferences`).set(t.auth('marketer')).send({ preferences: [
      { key: 'drink', value: 'tea', source: 'web_form' },
      { key: 'newspaper', value: 'wall_street_journal', source: 'web_form' },
      { key: teaKey, value: ['oolong', 'green', 'black'], source: 'web_form' },
      { key: 'form_of_address', value: '王先生', source: 'web_form' },
    ] }).expect(201);
    const topic = await t.http.post(`/contacts/${id}/interactions`).set(t.auth('marketer'))
      .send({ eventId: eventId(), kind: 'open_topic', summary: 'Ask how the meeting in Atlanta went' }).expect(201);

    const context = await contexts.build(id);
    expect(context).toMatchObject({
      locale: 'zh-CN',
      prefs: { drink: 'tea', newspaper: 'wall_street_journal', [teaKey]: ['oolong', 'green', 'black'] },
      openTopic: { id: topic.body.id, summary: 'Ask how the meeting in Atlanta went' },
    });
    // The customer's stated form of address wins over the one typed into the contact record.
    expect(context!.contact).toMatchObject({ id, givenName: 'Jian', familyName: 'Wang', formOfAddress: '王先生', locale: 'zh-CN', timeZone: 'Asia/Shanghai' });
    expect(context!.contact).not.toHaveProperty('email');
    expect(context!.contact).not.toHaveProperty('externalId');
    expect(context!.prefLabels.drink).toBe('茶');
    expect(context!.prefLabels.newspaper).toBe('华尔街日报');
    // Unlabelled values fall back to English, then to the value itself; lists read as a sentence.
    expect(context!.prefLabels[teaKey]).toBe('乌龙茶、绿茶和black');

    const english = await contexts.build(id, 'en');
    expect(english!.prefLabels[teaKey]).toBe('oolong, green tea, and black');
  });

  it('includes the derived value when the value module has computed it', async () => {
    const [id] = await insertContacts(t, 1);
    await t.db.query(
      `INSERT INTO contact_value (contact_id, frequency_12m, monetary_12m, monetary_total, abc_class, loyalty_stage, frequency_class, lifetime_value)
       VALUES ($1, 52, 2600, 26000, 'A', 'loyal', 'heavy', 26000)`,
      [id],
    );
    const context = await contexts.build(id);
    expect(context!.value).toMatchObject({ abcClass: 'A', loyaltyStage: 'loyal', frequencyClass: 'heavy', monetaryTotal: 26000, frequency12m: 52 });
    expect(await contexts.build(randomUUID())).toBeNull();
  });

  it('builds 200 contexts with the same fixed number of queries as 2', async () => {
    const ids = await insertContacts(t, 200, 'zh-CN');
    const preferences = t.app.get(PreferencesService);
    const staff = { keyId: null, label: 'front desk', role: 'system' as const };
    await t.db.transaction(async (tx) => {
      for (const [i, id] of ids.entries()) {
        await preferences.record(tx, id, [{ key: 'drink', value: i % 2 ? 'tea' : 'coffee', source: 'staff' }], staff);
      }
    });
    await t.http.post('/interactions/batch').set(t.auth('marketer'))
      .send({ items: ids.slice(0, 50).map((contactId) => ({ contactId, eventId: eventId('topic'), kind: 'open_topic', summary: 'Ask about the trip' })) })
      .expect(201);

    const countQueries = async (of: string[]) => {
      const spy = jest.spyOn(t.db.logger, 'logQuery');
      try {
        const built = await contexts.buildMany(of);
        // Only this service's reads are counted: background work elsewhere in the app may query too.
        const queries = spy.mock.calls.filter(([sql]) => /\bFROM (contacts|current_preferences|preference_keys|contact_value|interactions)\b/.test(sql));
        return { built, queries: queries.length };
      } finally {
        spy.mockRestore();
      }
    };
    const small = await countQueries(ids.slice(0, 2));
    const large = await countQueries(ids);
    expect(large.queries).toBe(small.queries);
    expect(large.queries).toBeLessThanOrEqual(5);
    expect(large.built.size).toBe(200);
    expect(large.built.get(ids[1])!.prefs).toEqual({ drink: 'tea' });
    expect(large.built.get(ids[0])!.openTopic).toMatchObject({ summary: 'Ask about the trip' });
    expect(large.built.get(ids[199])!.openTopic).toBeNull();
  });
});
