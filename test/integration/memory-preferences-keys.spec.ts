import { randomUUID } from 'node:crypto';
import { createContact } from '../factories/memory.factory';
import { createTestApp, TestApp } from '../support/test-app';

describe('preference key registry', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const uniqueKey = () => `test_${randomUUID().slice(0, 8)}`;
  const keyBody = (key: string, overrides: Record<string, unknown> = {}) => ({
    key,
    valueType: 'choice',
    allowedValues: ['green', 'black', 'oolong'],
    questions: { en: 'Which tea do you like?', 'zh-CN': '您喜欢哪种茶？' },
    valueLabels: { 'zh-CN': { green: '绿茶', black: '红茶', oolong: '乌龙茶' }, en: { green: 'Green tea' } },
    askCooldownDays: 60,
    ...overrides,
  });

  it('lists the seeded keys and reads one', async () => {
    const list = await t.http.get('/preference-keys').set(t.auth('viewer')).expect(200);
    expect(list.body.map((k: { key: string }) => k.key)).toEqual(expect.arrayContaining(['drink', 'newspaper', 'preferred_channel', 'topics']));
    const drink = await t.http.get('/preference-keys/drink').set(t.auth('viewer')).expect(200);
    expect(drink.body).toMatchObject({ valueType: 'choice', allowedValues: expect.arrayContaining(['tea', 'coffee']), askCooldownDays: 30 });
    expect(drink.body.questions['zh-CN']).toBe('您想喝点什么？');
    await t.http.get('/preference-keys/no_such_key').set(t.auth('viewer')).expect(404);
  });

  it('creates a key with questions in zh-CN and en and labels, and refuses a duplicate', async () => {
    const key = uniqueKey();
    const created = await t.http.post('/preference-keys').set(t.auth('marketer')).send(keyBody(key)).expect(201);
    expect(created.body).toMatchObject({ key, valueType: 'choice', askCooldownDays: 60, archivedAt: null });
    expect(created.body.valueLabels['zh-CN'].oolong).toBe('乌龙茶');
    const again = await t.http.post('/preference-keys').set(t.auth('marketer')).send(keyBody(key)).expect(409);
    expect(again.body).toMatchObject({ error: 'PREFERENCE_KEY_EXISTS', details: [{ field: 'key' }] });
  });

  it('requires both required locales, allowed values for a choice, and labels only for values the key can hold', async () => {
    const noChinese = await t.http.post('/preference-keys').set(t.auth('marketer'))
      .send(keyBody(uniqueKey(), { questions: { en: 'Which tea?' } })).expect(400);
    expect(noChinese.body.details).toEqual([{ field: 'questions', problem: expect.stringContaining('zh-CN and en') }]);
    const noChoices = await t.http.post('/preference-keys').set(t.auth('marketer'))
      .send(keyBody(uniqueKey(), { allowedValues: undefined, valueLabels: {} })).expect(400);
    expect(noChoices.body.details).toEqual([{ field: 'allowedValues', problem: expect.stringContaining('choices') }]);
    const badLabel = await t.http.post('/preference-keys').set(t.auth('marketer'))
      .send(keyBody(uniqueKey(), { valueLabels: { en: { puer: 'Pu-erh' } } })).expect(400);
    expect(badLabel.body.details).toEqual([{ field: 'valueLabels.en.puer', problem: expect.stringContaining('not a value') }]);
    const textWithChoices = await t.http.post('/preference-keys').set(t.auth('marketer'))
      .send(keyBody(uniqueKey(), { valueType: 'text', valueLabels: {} })).expect(400);
    expect(textWithChoices.body.details[0].field).toBe('allowedValues');
    await t.http.post('/preference-keys').set(t.auth('viewer')).send(keyBody(uniqueKey())).expect(403);
  });

  it('refuses to change the type of a key that has statements, and says why', async () => {
    const key = uniqueKey();
    await t.http.post('/preference-keys').set(t.auth('marketer')).send(keyBody(key)).expect(201);
    // Without statements the type may still change.
    await t.http.patch(`/preference-keys/${key}`).set(t.auth('marketer')).send({ valueType: 'list' }).expect(200);
    const contact = await createContact(t);
    await t.http.post(`/contacts/${contact}/preferences`).set(t.auth('marketer'))
      .send({ preferences: [{ key, value: ['green'], source: 'web_form' }] }).expect(201);
    const refused = await t.http.patch(`/preference-keys/${key}`).set(t.auth('marketer'))
      .send({ valueType: 'text', allowedValues: null, valueLabels: {} }).expect(409);
    expect(refused.body.error).toBe('PREFERENCE_KEY_IN_USE');
    expect(refused.body.message).toMatch(/1 statement.*unreadable.*new key/);
    // Choices a customer currently holds cannot be removed either; unused ones can.
    const inUse = await t.http.patch(`/preference-keys/${key}`).set(t.auth('marketer'))
      .send({ allowedValues: ['black', 'oolong'], valueLabels: {} }).expect(409);
    expect(inUse.body).toMatchObject({ error: 'PREFERENCE_VALUE_IN_USE', details: [{ field: 'allowedValues' }] });
    const trimmed = await t.http.patch(`/preference-keys/${key}`).set(t.auth('marketer'))
      .send({ allowedValues: ['green', 'black'], valueLabels: {}, askCooldownDays: 7 }).expect(200);
    expect(trimmed.body).toMatchObject({ allowedValues: ['green', 'black'], askCooldownDays: 7, valueType: 'list' });
  });

  it('archives a key: hidden from the list, kept with its statements, and closed to new ones', async () => {
    const key = uniqueKey();
    await t.http.post('/preference-keys').set(t.auth('marketer')).send(keyBody(key)).expect(201);
    const contact = await createContact(t);
    await t.http.post(`/contacts/${contact}/preferences`).set(t.auth('marketer'))
      .send({ preferences: [{ key, value: 'green', source: 'staff' }] }).expect(201);
    await t.http.delete(`/preference-keys/${key}`).set(t.auth('marketer')).expect(204);

    const live = await t.http.get('/preference-keys').set(t.auth('viewer')).expect(200);
    expect(live.body.map((k: { key: string }) => k.key)).not.toContain(key);
    const all = await t.http.get('/preference-keys?includeArchived=true').set(t.auth('viewer')).expect(200);
    expect(all.body.find((k: { key: string }) => k.key === key).archivedAt).not.toBeNull();

    const rejected = await t.http.post(`/contacts/${contact}/preferences`).set(t.auth('marketer'))
      .send({ preferences: [{ key, value: 'black', source: 'web_form' }] }).expect(400);
    expect(rejected.body.details).toEqual([{ field: 'preferences[0].key', problem: expect.stringContaining('archived') }]);
    const history = await t.http.get(`/contacts/${contact}/preferences/${key}/history`).set(t.auth('viewer')).expect(200);
    expect(history.body.statements).toHaveLength(1);
  });
});
