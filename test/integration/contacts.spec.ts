import { contactInput } from '../factories/contact.factory';
import { createTestApp, TestApp } from '../support/test-app';

describe('contacts API', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('creates a contact, normalising phone, e-mail and locale, and reads it back', async () => {
    const input = contactInput({ email: 'Wang.Fang@Example.COM', phone: '138 0013 8001', locale: 'zh-cn' });
    const created = await t.http.post('/contacts').set(t.auth('marketer')).send(input).expect(201);
    expect(created.body).toMatchObject({ email: 'wang.fang@example.com', phone: '+8613800138001', locale: 'zh-CN', timeZone: 'Asia/Shanghai' });

    const read = await t.http.get(`/contacts/${created.body.id}`).set(t.auth('viewer')).expect(200);
    expect(read.body.address).toEqual(input.address);
    expect(read.body.attributes).toEqual({ tier: 'gold', car: 'X5' });
  });

  it('rejects an invalid phone number and an unknown time zone with the field named', async () => {
    const phone = await t.http.post('/contacts').set(t.auth('marketer')).send(contactInput({ phone: '12345' })).expect(400);
    expect(phone.body).toMatchObject({ error: 'VALIDATION_FAILED', details: [{ field: 'phone' }] });
    const zone = await t.http.post('/contacts').set(t.auth('marketer')).send(contactInput({ timeZone: 'Asia/Atlantis' })).expect(400);
    expect(zone.body.details).toEqual([{ field: 'timeZone', problem: expect.stringContaining('IANA') }]);
  });

  it('keeps external id, e-mail and phone unique among live contacts', async () => {
    const first = contactInput();
    await t.http.post('/contacts').set(t.auth('marketer')).send(first).expect(201);
    const sameEmail = await t.http
      .post('/contacts')
      .set(t.auth('marketer'))
      .send(contactInput({ email: String(first.email).toUpperCase() }))
      .expect(409);
    expect(sameEmail.body.details).toEqual([expect.objectContaining({ field: 'email' })]);
    await t.http.post('/contacts').set(t.auth('marketer')).send(contactInput({ phone: first.phone })).expect(409);
    await t.http.post('/contacts').set(t.auth('marketer')).send(contactInput({ externalId: first.externalId })).expect(409);
  });

  it('updates with PATCH, clears a field with null, and records each change in the audit log', async () => {
    const { body } = await t.http.post('/contacts').set(t.auth('marketer')).send(contactInput()).expect(201);
    const patched = await t.http
      .patch(`/contacts/${body.id}`)
      .set(t.auth('marketer'))
      .send({ formOfAddress: 'Dr Li', birthday: null })
      .expect(200);
    expect(patched.body).toMatchObject({ formOfAddress: 'Dr Li', birthday: null, givenName: 'Wei' });
    const audit = await t.db.query(`SELECT action, changes FROM audit_log WHERE entity_id = $1 ORDER BY id`, [body.id]);
    expect(audit.map((a: { action: string }) => a.action)).toEqual(['contact.create', 'contact.update']);
    expect(audit[1].changes.fields.sort()).toEqual(['birthday', 'formOfAddress']);
  });

  it('appends consent changes and never overwrites them', async () => {
    const { body } = await t.http
      .post('/contacts')
      .set(t.auth('marketer'))
      .send(contactInput({ consent: { email: { granted: true, text: 'Send me birthday greetings by e-mail', source: 'shop form' } } }))
      .expect(201);
    expect(body.consent.email).toMatchObject({ granted: true, source: 'shop form', text: 'Send me birthday greetings by e-mail' });

    const revoked = await t.http
      .post(`/contacts/${body.id}/consent`)
      .set(t.auth('marketer'))
      .send({ email: { granted: false, source: 'phone call' } })
      .expect(200);
    expect(revoked.body.consent.email).toMatchObject({ granted: false, source: 'phone call' });

    const history = await t.http.get(`/contacts/${body.id}/consent-history`).set(t.auth('viewer')).expect(200);
    expect(history.body.map((e: { status: string }) => e.status)).toEqual(['granted', 'revoked']);
    expect(history.body[0].consentText).toBe('Send me birthday greetings by e-mail');
  });

  it('lists with cursor pagination and filters by tag, attribute and text', async () => {
    const tag = `batch-${Date.now()}`;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { body } = await t.http
        .post('/contacts')
        .set(t.auth('marketer'))
        .send(contactInput({ tags: [tag], attributes: { rank: i, tier: i % 2 ? 'gold' : 'silver' }, givenName: i === 3 ? 'Meilin' : 'Wei' }))
        .expect(201);
      ids.push(body.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: Array<{ id: string }>; nextCursor: string | null } } = await t.http
        .get('/contacts')
        .query({ tag, limit: 2, ...(cursor ? { cursor } : {}) })
        .set(t.auth('viewer'))
        .expect(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((c) => c.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(ids);

    const gold = await t.http.get('/contacts').query({ tag, attribute: 'tier:gold' }).set(t.auth('viewer')).expect(200);
    expect(gold.body.items.map((c: { id: string }) => c.id)).toEqual([ids[1], ids[3]]);
    const rank = await t.http.get('/contacts').query({ tag, attribute: 'rank:4' }).set(t.auth('viewer')).expect(200);
    expect(rank.body.items.map((c: { id: string }) => c.id)).toEqual([ids[4]]);
    const text = await t.http.get('/contacts').query({ tag, q: 'meil' }).set(t.auth('viewer')).expect(200);
    expect(text.body.items.map((c: { id: string }) => c.id)).toEqual([ids[3]]);
  });

  it('soft-deletes: the contact disappears from reads and lists, and its e-mail may be used again', async () => {
    const input = contactInput();
    const { body } = await t.http.post('/contacts').set(t.auth('marketer')).send(input).expect(201);
    await t.http.delete(`/contacts/${body.id}`).set(t.auth('marketer')).expect(204);
    await t.http.get(`/contacts/${body.id}`).set(t.auth('viewer')).expect(404);
    const [row] = await t.db.query(`SELECT deleted_at FROM contacts WHERE id = $1`, [body.id]);
    expect(row.deleted_at).toBeInstanceOf(Date);
    await t.http.post('/contacts').set(t.auth('marketer')).send(contactInput({ email: input.email })).expect(201);
  });
});
