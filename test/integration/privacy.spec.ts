import { randomUUID } from 'node:crypto';
import { SYSTEM_ACTOR } from '../../src/auth/actor';
import { ContactErasureService } from '../../src/privacy/contact-erasure.service';
import { ContactExportService } from '../../src/privacy/contact-export.service';
import { PersonalDataRegistry } from '../../src/privacy/personal-data.registry';
import { SuppressionService } from '../../src/privacy/suppression.service';
import { contactInput } from '../factories/contact.factory';
import { createTestApp, TestApp } from '../support/test-app';

type Row = Record<string, unknown>;

describe('privacy: export and erasure', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  /**
   * A contact with every field filled, consent with wording, and two later edits. Every value
   * carries a marker no generated id or hash can contain, so the database scan finds only them.
   */
  async function fullContact() {
    const mark = 'Zq' + randomUUID().slice(0, 8);
    const input = contactInput({
      externalId: `crm-${mark}`,
      givenName: `Meilin${mark}`,
      familyName: `Zhou${mark}`,
      formOfAddress: `Ms Zhou ${mark}`,
      address: { street: `Longhua Road ${mark}`, houseNumber: '8', extra: 'Flat 3', postcode: '200232', city: 'Shanghai', district: 'Xuhui', state: 'Shanghai', country: 'CN' },
      lunarBirthdayMonth: 4,
      lunarBirthdayDay: 9,
      lunarBirthdayLeap: true,
      tags: [`vip-${mark}`],
      attributes: { tier: 'gold', drink: `jasmine tea ${mark}` },
      consent: { email: { granted: true, text: `I, Meilin${mark} Zhou${mark}, agree to birthday e-mails`, source: `counter form ${mark}` } },
    });
    const created = await t.http.post('/contacts').set(t.auth('marketer')).send(input).expect(201);
    const id: string = created.body.id;
    await t.http.patch(`/contacts/${id}`).set(t.auth('marketer')).send({ formOfAddress: `Dr Zhou ${mark}`, tags: [`vip-${mark}`, 'owner'] }).expect(200);
    await t.http
      .patch(`/contacts/${id}`)
      .set(t.auth('marketer'))
      .send({ consent: { sms: { granted: true, text: `Texts to ${created.body.phone} are fine`, source: 'api' } } })
      .expect(200);
    const phone: string = created.body.phone;
    const needles = {
      email: String(input.email),
      phone,
      nationalDigits: phone.replace(/^\+86/, ''),
      givenName: String(input.givenName),
      familyName: String(input.familyName),
      fullName: `${input.givenName} ${input.familyName}`,
      externalId: String(input.externalId),
      street: `Longhua Road ${mark}`,
      mark,
    };
    return { id, input, phone, needles };
  }

  /** Tables (and views) whose rows mention the value anywhere; built from the schema, so new tables are scanned too. */
  async function tablesMentioning(value: string): Promise<string[]> {
    const tables: Array<{ table_name: string }> = await t.db.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name`,
    );
    const pattern = '%' + value.replace(/[\\%_]/g, (ch) => '\\' + ch) + '%';
    const found: string[] = [];
    for (const { table_name } of tables) {
      const [{ count }] = await t.db.query(`SELECT count(*)::int AS count FROM "${table_name}" t WHERE t::text ILIKE $1`, [pattern]);
      if (count > 0) found.push(table_name);
    }
    return found;
  }

  it('declares an erasure rule for every table with a contact_id and every column of the scrubbed tables', async () => {
    expect(await t.app.get(PersonalDataRegistry).gaps(t.db.manager)).toEqual([]);
  });

  it('exports everything held about a contact from every table', async () => {
    const { id, input, phone } = await fullContact();
    const res = await t.http.get(`/contacts/${id}/export`).set(t.auth('admin')).expect(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const { tables } = res.body as { tables: Record<string, Row[]> };

    expect(tables.contacts).toEqual([
      expect.objectContaining({
        id, external_id: input.externalId, given_name: input.givenName, family_name: input.familyName, email: input.email, phone,
        address: input.address, locale: 'zh-CN', time_zone: 'Asia/Shanghai', birthday: '1980-05-17', lunar_birthday_month: 4,
        lunar_birthday_day: 9, lunar_birthday_leap: true, attributes: input.attributes, erased_at: null,
      }),
    ]);
    expect(tables.contact_consent_events.map((e) => [e.channel, e.status, e.consent_text, e.source])).toEqual([
      ['email', 'granted', `I, ${input.givenName} ${input.familyName}, agree to birthday e-mails`, (input.consent as Row & { email: Row }).email.source],
      ['sms', 'granted', `Texts to ${phone} are fine`, 'api'],
    ]);
    expect(tables.audit_log.map((a) => a.action)).toEqual(['contact.create', 'contact.update', 'contact.update']);

    const withContactId: Array<{ table_name: string }> = await t.db.query(
      `SELECT c.table_name FROM information_schema.columns c JOIN information_schema.tables s USING (table_schema, table_name)
        WHERE c.table_schema = current_schema() AND c.column_name = 'contact_id' AND s.table_type = 'BASE TABLE'`,
    );
    for (const { table_name } of withContactId) expect(tables).toHaveProperty([table_name]);
  });

  it('erases every personal value from every table in one call, and keeps the consent proof', async () => {
    const { id, input, phone, needles } = await fullContact();
    for (const value of [needles.email, needles.street, needles.fullName]) expect(await tablesMentioning(value)).not.toEqual([]);

    const res = await t.http.post(`/contacts/${id}/erase`).set(t.auth('admin')).expect(200);
    expect(res.body).toMatchObject({
      contactId: id,
      alreadyErased: false,
      suppressed: ['email', 'phone', 'external_id'],
      tables: {
        contacts: { outcome: 'scrubbed', rows: 1 },
        contact_consent_events: { outcome: 'scrubbed', rows: 2 },
        audit_log: { outcome: 'scrubbed', rows: 3 },
      },
    });
    expect(Object.values(res.body.tables).some((table) => (table as Row).undeclared)).toBe(false);

    for (const [name, value] of Object.entries(needles)) {
      expect({ [name]: await tablesMentioning(value) }).toEqual({ [name]: [] });
    }
    const events = await t.db.query(`SELECT channel, status, source, consent_text, recorded_at FROM contact_consent_events WHERE contact_id = $1 ORDER BY id`, [id]);
    expect(events.map((e: Row) => [e.channel, e.status, e.source, e.consent_text])).toEqual([
      ['email', 'granted', 'erased', 'erased'],
      ['sms', 'granted', 'api', 'erased'],
    ]);
    const [erase] = await t.db.query(`SELECT changes FROM audit_log WHERE entity_id = $1 AND action = 'contact.erase'`, [id]);
    expect(erase.changes).toMatchObject({ repeat: false, rows: { contacts: 1, contact_consent_events: 2 } });

    const hashes = t.app.get(SuppressionService).hashesOf({ email: needles.email, phone, externalId: needles.externalId });
    const suppressed = await t.db.query(`SELECT * FROM suppressions WHERE identifier_hash = ANY($1::text[]) ORDER BY kind`, [hashes.map((h) => h.hash)]);
    expect(suppressed.map((s: Row) => [s.kind, s.reason])).toEqual([['email', 'erasure'], ['external_id', 'erasure'], ['phone', 'erasure']]);

    const again = await t.http.post('/contacts').set(t.auth('marketer')).send(contactInput({ email: String(input.email).toUpperCase() })).expect(409);
    expect(again.body).toEqual({ error: 'CONTACT_SUPPRESSED', message: expect.any(String), details: [{ field: 'email', problem: expect.any(String) }] });
    await t.http.post('/contacts').set(t.auth('marketer')).send(contactInput({ phone })).expect(409);
    await t.http.post('/contacts').set(t.auth('marketer')).send(contactInput({ externalId: input.externalId })).expect(409);
  });

  it('exports an erased contact as a tombstone with no personal data', async () => {
    const { id, needles } = await fullContact();
    await t.http.post(`/contacts/${id}/erase`).set(t.auth('admin')).expect(200);
    const res = await t.http.get(`/contacts/${id}/export`).set(t.auth('admin')).expect(200);
    expect(res.body.erasedAt).toEqual(expect.any(String));
    expect(res.body.tables.contacts[0]).toMatchObject({ email: null, phone: null, given_name: null, address: null, tags: [], attributes: {} });
    expect(res.body.tables.contact_consent_events).toHaveLength(2);
    const document = JSON.stringify(res.body).toLowerCase();
    for (const value of Object.values(needles)) expect(document).not.toContain(value.toLowerCase());
    await t.http.get(`/contacts/${id}`).set(t.auth('viewer')).expect(404);
  });

  it('answers a repeated erasure with 200 and the same end state', async () => {
    const { id } = await fullContact();
    const first = await t.http.post(`/contacts/${id}/erase`).set(t.auth('admin')).expect(200);
    const second = await t.http.post(`/contacts/${id}/erase`).set(t.auth('admin')).expect(200);
    expect(second.body).toMatchObject({ alreadyErased: true, erasedAt: first.body.erasedAt, suppressed: [] });
    expect(second.body.tables.contacts).toEqual({ outcome: 'scrubbed', rows: 1 });
    const audit = await t.db.query(`SELECT changes FROM audit_log WHERE entity_id = $1 AND action = 'contact.erase' ORDER BY id`, [id]);
    expect(audit.map((a: { changes: Row }) => a.changes.repeat)).toEqual([false, true]);
  });

  it('exports and erases a soft-deleted contact: the archive still holds it', async () => {
    const { id, input } = await fullContact();
    await t.http.delete(`/contacts/${id}`).set(t.auth('marketer')).expect(204);
    const exported = await t.http.get(`/contacts/${id}/export`).set(t.auth('admin')).expect(200);
    expect(exported.body.tables.contacts[0]).toMatchObject({ email: input.email, deleted_at: expect.any(String) });
    await t.http.post(`/contacts/${id}/erase`).set(t.auth('admin')).expect(200);
    expect(await tablesMentioning(String(input.email))).toEqual([]);
  });

  it('exports and erases a table nobody declared, and reports it as a gap', async () => {
    const { id } = await fullContact();
    const rollback = new Error('rollback');
    // DDL is transactional in PostgreSQL: the table exists only inside this transaction.
    const run = t.db.transaction(async (tx) => {
      await tx.query(`CREATE TABLE loyalty_cards (contact_id uuid NOT NULL, card_number text NOT NULL)`);
      await tx.query(`INSERT INTO loyalty_cards VALUES ($1, 'LC-7781')`, [id]);
      expect(await t.app.get(PersonalDataRegistry).gaps(tx)).toEqual(['loyalty_cards has a contact_id column but no declared erasure rule']);
      const exported = await t.app.get(ContactExportService).export(id, tx);
      expect(exported.tables.loyalty_cards).toEqual([{ contact_id: id, card_number: 'LC-7781' }]);
      const summary = await t.app.get(ContactErasureService).erase(id, SYSTEM_ACTOR, tx);
      expect(summary.tables.loyalty_cards).toEqual({ outcome: 'deleted', rows: 1, undeclared: true });
      throw rollback;
    });
    await expect(run).rejects.toBe(rollback);
  });

  describe('access', () => {
    const unknown = '7f9c2b9e-1d2a-4c51-9a56-0d3c1e9b2a10';
    const routes: Array<['get' | 'post', string]> = [
      ['get', 'export'],
      ['post', 'erase'],
    ];

    it.each(routes)('%s …/%s is for admins only', async (method, action) => {
      const { id } = await fullContact();
      for (const role of ['marketer', 'viewer'] as const) {
        const res = await t.http[method](`/contacts/${id}/${action}`).set(t.auth(role)).expect(403);
        expect(res.body.error).toBe('FORBIDDEN');
      }
      const anonymous = await t.http[method](`/contacts/${id}/${action}`).expect(401);
      expect(anonymous.body.error).toBe('UNAUTHENTICATED');
      const [row] = await t.db.query(`SELECT erased_at FROM contacts WHERE id = $1`, [id]);
      expect(row.erased_at).toBeNull();
    });

    it.each(routes)('%s …/%s answers 404 for an unknown id and 400 for a malformed one', async (method, action) => {
      const missing = await t.http[method](`/contacts/${unknown}/${action}`).set(t.auth('admin')).expect(404);
      expect(missing.body).toEqual({ error: 'NOT_FOUND', message: expect.stringContaining(unknown), details: [] });
      const malformed = await t.http[method](`/contacts/not-a-uuid/${action}`).set(t.auth('admin')).expect(400);
      expect(malformed.body).toEqual({ error: 'VALIDATION_FAILED', message: expect.any(String), details: [{ field: 'id', problem: 'id must be a UUID' }] });
    });
  });
});
