import { PreferencesService } from '../../src/memory/preferences/preferences.service';
import { createContact, hoursAgo, insertContacts } from '../factories/memory.factory';
import { createTestApp, TestApp } from '../support/test-app';

describe('preference statements', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const state = (id: string, preferences: unknown[]) => t.http.post(`/contacts/${id}/preferences`).set(t.auth('marketer')).send({ preferences });
  const current = async (id: string) => (await t.http.get(`/contacts/${id}/preferences`).set(t.auth('viewer')).expect(200)).body;

  it('ranks the customer\'s own word above inference, and a withdrawal hides lower-authority statements', async () => {
    const id = await createContact(t);
    await state(id, [{ key: 'drink', value: 'coffee', source: 'inferred', statedAt: hoursAgo(4), confidence: 0.6 }]).expect(201);
    expect((await current(id)).values.drink).toBe('coffee');

    await state(id, [{ key: 'drink', value: 'tea', source: 'web_form', statedAt: hoursAgo(3) }]).expect(201);
    const afterForm = await current(id);
    expect(afterForm.values.drink).toBe('tea');
    expect(afterForm.statements.drink).toMatchObject({ source: 'web_form', authority: 4, recordedBy: 'api-key:test marketer' });

    // A later guess does not overrule what the customer said.
    await state(id, [{ key: 'drink', value: 'coffee', source: 'inferred', statedAt: hoursAgo(2) }]).expect(201);
    expect((await current(id)).values.drink).toBe('tea');

    // "Stop offering me anything": the inference about coffee stays hidden behind the withdrawal.
    const withdrawn = await state(id, [{ key: 'drink', value: null, source: 'web_form', statedAt: hoursAgo(1) }]).expect(201);
    expect(withdrawn.body.values).not.toHaveProperty('drink');
    expect(withdrawn.body.recorded).toEqual([expect.objectContaining({ key: 'drink', value: null, source: 'web_form', authority: 4 })]);

    const history = await t.http.get(`/contacts/${id}/preferences/drink/history`).set(t.auth('viewer')).expect(200);
    expect(history.body.current).toBeNull();
    expect(history.body.statements.map((s: { value: unknown; source: string }) => [s.value, s.source])).toEqual([
      ['coffee', 'inferred'], ['tea', 'web_form'], ['coffee', 'inferred'], [null, 'web_form'],
    ]);
    expect(history.body.statements[0].confidence).toBeCloseTo(0.6);
  });

  it('uses a change of answer from then on and keeps the old answer in the history (the hotel, night 3)', async () => {
    const id = await createContact(t);
    await state(id, [
      { key: 'drink', value: 'tea', source: 'web_form', statedAt: hoursAgo(72) },
      { key: 'newspaper', value: 'wall_street_journal', source: 'web_form', statedAt: hoursAgo(72) },
    ]).expect(201);
    await state(id, [{ key: 'drink', value: 'juice', source: 'sms_reply', statedAt: hoursAgo(24) }]).expect(201);
    const view = (await t.http.get(`/contacts/${id}/preferences?history=true`).set(t.auth('viewer')).expect(200)).body;
    expect(view.values).toEqual({ drink: 'juice', newspaper: 'wall_street_journal' });
    expect(view.history.drink.map((s: { value: string }) => s.value)).toEqual(['tea', 'juice']);
    expect(view.history.newspaper).toHaveLength(1);
  });

  it('ignores an expired statement and shows the next valid one', async () => {
    const id = await createContact(t);
    await state(id, [
      { key: 'drink', value: 'juice', source: 'staff', statedAt: hoursAgo(120) },
      { key: 'drink', value: 'tea', source: 'web_form', statedAt: hoursAgo(72), expiresAt: hoursAgo(24) },
      { key: 'newspaper', value: 'usa_today', source: 'staff', statedAt: hoursAgo(1), expiresAt: new Date(Date.now() + 86_400_000).toISOString() },
    ]).expect(201);
    const view = await current(id);
    expect(view.values).toEqual({ drink: 'juice', newspaper: 'usa_today' });
    expect(view.statements.drink.source).toBe('staff');
  });

  it('validates each value against its key and names the field; nothing is stored when one statement is bad', async () => {
    const id = await createContact(t);
    const res = await state(id, [
      { key: 'drink', value: 'tea', source: 'web_form' },
      { key: 'drink', value: 'beer', source: 'web_form' },
      { key: 'favourite_colour_unknown', value: 'red', source: 'staff' },
      { key: 'topics', value: 'care', source: 'web_form' },
      { key: 'quiet_hours', value: 42, source: 'staff' },
      { key: 'topics', value: ['care', 'gossip'], source: 'web_form' },
    ]).expect(400);
    expect(res.body.error).toBe('VALIDATION_FAILED');
    expect(res.body.details.map((d: { field: string }) => d.field)).toEqual([
      'preferences[1].value', 'preferences[2].key', 'preferences[3].value', 'preferences[4].value', 'preferences[5].value',
    ]);
    expect(res.body.details[0].problem).toContain('must be one of: tea, coffee');
    expect(res.body.details[4].problem).toContain('gossip');
    const [{ count }] = await t.db.query(`SELECT count(*)::int AS count FROM preference_statements WHERE contact_id = $1`, [id]);
    expect(count).toBe(0);
  });

  it('rejects a missing value, an unknown source and a statement dated in the future', async () => {
    const id = await createContact(t);
    const res = await state(id, [
      { key: 'drink', source: 'web_form' },
      { key: 'drink', value: 'tea', source: 'guess' },
      { key: 'drink', value: 'tea', source: 'staff', statedAt: new Date(Date.now() + 3_600_000).toISOString() },
    ]).expect(400);
    // These two are the DTO's checks; the global pipe writes array paths as `preferences.0` or `preferences[0]`.
    expect(res.body.details).toEqual(expect.arrayContaining([
      { field: expect.stringMatching(/^preferences(\[0\]|\.0)\.value$/), problem: expect.stringContaining('null withdraws') },
      { field: expect.stringMatching(/^preferences(\[1\]|\.1)\.source$/), problem: expect.any(String) },
    ]));
    const future = await state(id, [{ key: 'drink', value: 'tea', source: 'staff', statedAt: new Date(Date.now() + 3_600_000).toISOString() }]).expect(400);
    expect(future.body.details).toEqual([{ field: 'preferences[0].statedAt', problem: expect.stringContaining('future') }]);
  });

  it('lets a viewer read but not write, and answers 404 for an unknown contact', async () => {
    const id = await createContact(t);
    await t.http.post(`/contacts/${id}/preferences`).set(t.auth('viewer')).send({ preferences: [{ key: 'drink', value: 'tea', source: 'staff' }] }).expect(403);
    await t.http.get(`/contacts/${id}/preferences`).set(t.auth('viewer')).expect(200);
    await t.http.get(`/contacts/00000000-0000-4000-8000-000000000000/preferences`).set(t.auth('viewer')).expect(404);
  });

  it('records who said it and audits the change in the same transaction', async () => {
    const id = await createContact(t);
    await state(id, [{ key: 'drink', value: 'tea', source: 'staff', note: 'Said so at check-in' }]).expect(201);
    const [row] = await t.db.query(`SELECT recorded_by, authority, note FROM preference_statements WHERE contact_id = $1`, [id]);
    expect(row).toEqual({ recorded_by: 'api-key:test marketer', authority: 3, note: 'Said so at check-in' });
    const audit = await t.db.query(`SELECT changes FROM audit_log WHERE action = 'preference.record' AND entity_id = $1`, [id]);
    expect(audit).toEqual([{ changes: { statements: [{ key: 'drink', source: 'staff', withdrawn: false }] } }]);
  });

  it('gives the current preferences of many contacts in one query', async () => {
    const ids = await insertContacts(t, 3);
    const service = t.app.get(PreferencesService);
    await t.db.transaction(async (tx) => {
      await service.record(tx, ids[0], [{ key: 'drink', value: 'tea', source: 'web_form' }], { keyId: null, label: 'web form', role: 'system' });
      await service.record(tx, ids[1], [{ key: 'topics', value: ['care', 'news'], source: 'web_form' }], { keyId: null, label: 'web form', role: 'system' });
    });
    const spy = jest.spyOn(t.db.logger, 'logQuery');
    try {
      const many = await service.current(ids);
      expect(spy.mock.calls.filter(([sql]) => sql.includes('current_preferences'))).toHaveLength(1);
      expect(many.get(ids[0])!.values).toEqual({ drink: 'tea' });
      expect(many.get(ids[0])!.statements.drink.recordedBy).toBe('web form');
      expect(many.get(ids[1])!.values).toEqual({ topics: ['care', 'news'] });
      expect(many.get(ids[2])!.values).toEqual({});
    } finally {
      spy.mockRestore();
    }
  });
});
