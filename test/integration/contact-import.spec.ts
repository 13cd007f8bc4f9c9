import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SuppressionService } from '../../src/privacy/suppression.service';
import { ContactImportFile } from '../factories/contact-import.factory';
import { contactInput } from '../factories/contact.factory';
import { allRowErrors, contactsOf, expectRowErrors, ImportJobBody, RowErrorBody, waitForImport } from '../fixtures/import-jobs';
import { createTestApp, TestApp } from '../support/test-app';

describe('contact import', () => {
  let t: TestApp;
  let importDir: string;
  beforeAll(async () => {
    importDir = mkdtempSync(join(tmpdir(), 'tidings-import-'));
    t = await createTestApp({ IMPORT_DIR: importDir });
  });
  afterAll(async () => {
    await t.close();
    rmSync(importDir, { recursive: true, force: true });
  });

  const upload = (body: string, contentType = 'text/csv', role: 'marketer' | 'viewer' = 'marketer') =>
    t.http.post('/contacts/import').set(t.auth(role)).set('Content-Type', contentType).send(body);

  const finished = (id: string) => waitForImport(t, id);
  const allErrors = (id: string) => allRowErrors(t, id);
  const expectErrors = expectRowErrors;
  const storedOf = (file: ContactImportFile) => contactsOf(t, file);

  describe('a CSV with every kind of bad row', () => {
    const file = new ContactImportFile(2000, { badEvery: 41 });
    let firstJob: ImportJobBody;

    it('stores every good row and reports every bad one by line and field, without its value', async () => {
      const started = await upload(file.toString()).expect(202);
      expect(started.body).toMatchObject({ status: 'queued', statusUrl: `/contacts/imports/${started.body.id}` });
      expect(started.headers.location).toBe(started.body.statusUrl);

      firstJob = await finished(started.body.id);
      expect(firstJob).toMatchObject({
        status: 'completed',
        failure: null,
        rows: { seen: 2000, created: file.goodCount, updated: 0, unchanged: 0, failed: file.badCount },
      });
      expect(firstJob.bytes.processed).toBe(firstJob.bytes.total);
      expectErrors(await allErrors(firstJob.id), file);

      const stored = await storedOf(file);
      expect(stored).toHaveLength(file.goodCount);
      const byExternalId = new Map(stored.map((c) => [c.external_id, c]));
      for (let i = 0; i < file.rows; i++) {
        if (!file.isGood(i)) continue;
        expect(byExternalId.get(file.externalId(i))).toEqual(
          expect.objectContaining({
            email: file.email(i),
            phone: file.phone(i),
            time_zone: 'Asia/Shanghai',
            tags: ['owner', 'vip'],
            address: { city: 'Shanghai', country: 'CN' },
            attributes: { tier: i % 2 ? 'gold' : 'silver' },
          }),
        );
      }
      const [{ count: granted }] = await t.db.query(
        `SELECT count(*)::int AS count FROM contact_consent_events e JOIN contacts c ON c.id = e.contact_id
          WHERE c.external_id LIKE $1 AND e.source = 'import' AND e.status = 'granted' AND e.channel = 'email'`,
        [`${file.prefix}-%`],
      );
      expect(granted).toBe([...Array(file.rows).keys()].filter((i) => file.grantsEmailConsent(i)).length);

      const problems: Array<{ problem: string }> = await t.db.query(`SELECT problem FROM import_row_errors WHERE job_id = $1`, [firstJob.id]);
      for (const { problem } of problems) expect(problem).not.toMatch(/not-an-email|Mars|12345|maybe|@example\.com/);
      const audit = await t.db.query(`SELECT action, changes FROM audit_log WHERE entity_id = $1`, [firstJob.id]);
      expect(audit).toEqual([{ action: 'contact.import', changes: { status: 'completed', format: 'csv', rows: firstJob.rows } }]);
      expect(readdirSync(importDir)).toEqual([]);
    });

    it('changes nothing when the same file is imported again', async () => {
      const before = await storedOf(file);
      const consentBefore = await t.db.query(`SELECT count(*)::int AS n FROM contact_consent_events WHERE contact_id = ANY($1::uuid[])`, [
        before.map((c) => c.id),
      ]);
      const started = await upload(file.toString()).expect(202);
      const again = await finished(started.body.id);
      expect(again.rows).toEqual({ seen: 2000, created: 0, updated: 0, unchanged: file.goodCount, failed: file.badCount });
      expectErrors(await allErrors(again.id), file);
      expect(await storedOf(file)).toEqual(before);
      const consentAfter = await t.db.query(`SELECT count(*)::int AS n FROM contact_consent_events WHERE contact_id = ANY($1::uuid[])`, [
        before.map((c) => c.id),
      ]);
      expect(consentAfter).toEqual(consentBefore);
      const audit = await t.db.query(`SELECT entity_id FROM audit_log WHERE entity_id = ANY($1::text[]) OR entity_id = ANY($2::text[])`, [
        [firstJob.id, again.id],
        before.map((c) => c.id),
      ]);
      expect(audit.map((a: { entity_id: string }) => a.entity_id).sort()).toEqual([firstJob.id, again.id].sort());
    });
  });

  it('imports JSON lines in the shape of POST /contacts, and counts physical lines', async () => {
    const a = contactInput();
    const b = contactInput();
    const lines = [
      JSON.stringify({ ...a, consent: { sms: { granted: true, text: 'Texts about my car are fine' } } }),
      '',
      '{"email": "broken',
      JSON.stringify([b]),
      JSON.stringify({ ...b, nickname: 'Bo' }),
      JSON.stringify({ ...b, timeZone: 'Asia/Atlantis' }),
      JSON.stringify(b),
    ];
    const started = await upload(lines.join('\r\n') + '\r\n', 'application/x-ndjson').expect(202);
    const job = await finished(started.body.id);
    expect(job).toMatchObject({ status: 'completed', rows: { seen: 6, created: 2, failed: 4 } });
    expect(await allErrors(job.id)).toEqual([
      { line: 3, field: 'row', problem: 'the line is not valid JSON' },
      { line: 4, field: 'row', problem: 'each line must be a JSON object' },
      { line: 5, field: 'nickname', problem: 'unknown field' },
      { line: 6, field: 'timeZone', problem: expect.stringContaining('IANA') },
    ]);
    const [stored] = await t.db.query(`SELECT id, phone, attributes FROM contacts WHERE external_id = $1`, [a.externalId]);
    expect(stored.attributes).toEqual(a.attributes);
    const consent = await t.db.query(`SELECT channel, status, source, consent_text FROM contact_consent_events WHERE contact_id = $1`, [stored.id]);
    expect(consent).toEqual([{ channel: 'sms', status: 'granted', source: 'import', consent_text: 'Texts about my car are fine' }]);
  });

  it('reports the line where a multi-line CSV record starts, and pages through errors', async () => {
    const csv = 'external_id,givenName,email\nm1,"Two\nlines",bad\n\nm2,Ok,also-bad\nm3,Ok,still-bad\n';
    const job = await finished((await upload(csv).expect(202)).body.id);
    expect(job.rows).toMatchObject({ seen: 3, failed: 3 });
    const first = await t.http.get(`/contacts/imports/${job.id}/errors?limit=2`).set(t.auth('viewer')).expect(200);
    expect(first.body.items.map((e: RowErrorBody) => e.line)).toEqual([2, 5]);
    const rest = await t.http.get(`/contacts/imports/${job.id}/errors?limit=2&cursor=${first.body.nextCursor}`).set(t.auth('viewer')).expect(200);
    expect(rest.body).toEqual({ items: [{ line: 6, field: 'email', problem: expect.any(String) }], nextCursor: null });
  });

  it('matches by external id, then e-mail, then phone, and refuses an identifier of another contact', async () => {
    const create = async (overrides: Record<string, unknown>) =>
      (await t.http.post('/contacts').set(t.auth('marketer')).send(contactInput(overrides)).expect(201)).body;
    const byExternal = await create({});
    const byEmail = await create({ externalId: undefined });
    const byPhone = await create({ externalId: undefined, email: undefined });
    const gainsExternalId = await create({ externalId: undefined });
    const holder = await create({});
    const other = await create({});
    const newcomer = contactInput();
    const phoneDigits = String(byPhone.phone).slice(3);
    const csv = [
      'externalId,givenName,email,phone',
      `${byExternal.externalId},ByExternalId,,`,
      `,ByEmail,${String(byEmail.email).toUpperCase()},`,
      `,ByPhone,,+86 ${phoneDigits.slice(0, 3)} ${phoneDigits.slice(3)}`,
      `${'fresh-' + gainsExternalId.id},GainsId,${gainsExternalId.email},`,
      `${holder.externalId},Conflict,${other.email},`,
      `${newcomer.externalId},New,${newcomer.email},${newcomer.phone}`,
    ].join('\n');
    const job = await finished((await upload(csv).expect(202)).body.id);
    expect(job.rows).toEqual({ seen: 6, created: 1, updated: 4, unchanged: 0, failed: 1 });
    expect(await allErrors(job.id)).toEqual([{ line: 6, field: 'email', problem: 'belongs to a different contact than the one matched by externalId' }]);

    const names = async (id: string) => (await t.db.query(`SELECT given_name, external_id FROM contacts WHERE id = $1`, [id]))[0];
    expect(await names(byExternal.id)).toEqual({ given_name: 'ByExternalId', external_id: byExternal.externalId });
    expect(await names(byEmail.id)).toEqual({ given_name: 'ByEmail', external_id: null });
    expect(await names(byPhone.id)).toEqual({ given_name: 'ByPhone', external_id: null });
    expect(await names(gainsExternalId.id)).toEqual({ given_name: 'GainsId', external_id: 'fresh-' + gainsExternalId.id });
    expect(await names(holder.id)).toEqual({ given_name: 'Wei', external_id: holder.externalId });
    const [created] = await t.db.query(`SELECT given_name, phone FROM contacts WHERE external_id = $1`, [newcomer.externalId]);
    expect(created).toEqual({ given_name: 'New', phone: newcomer.phone });
  });

  it('refuses an identifier of an erased person', async () => {
    const erased = contactInput();
    const hash = t.app.get(SuppressionService).hash('email', String(erased.email));
    await t.db.query(`INSERT INTO suppressions (identifier_hash, kind, reason) VALUES ($1, 'email', 'erased')`, [hash]);
    const job = await finished((await upload(`externalId,email\n${erased.externalId},${String(erased.email).toUpperCase()}\n`).expect(202)).body.id);
    expect(job.rows).toMatchObject({ seen: 1, created: 0, failed: 1 });
    expect(await allErrors(job.id)).toEqual([{ line: 2, field: 'email', problem: 'belongs to an erased contact' }]);
    expect(await t.db.query(`SELECT id FROM contacts WHERE external_id = $1`, [erased.externalId])).toEqual([]);
  });

  it('refuses a viewer, an unknown column, and a body that is not CSV or JSON lines', async () => {
    await upload('externalId\nx1\n', 'text/csv', 'viewer').expect(403);
    const unknown = await upload('externalId,emial,attributes.tier,address.planet\nx1,a@b.cn,gold,Mars\n').expect(400);
    expect(unknown.body).toEqual({
      error: 'IMPORT_FILE_INVALID',
      message: expect.stringContaining('emial, address.planet'),
      details: [
        { field: 'emial', problem: 'unknown column' },
        { field: 'address.planet', problem: 'unknown column' },
      ],
    });
    await upload('externalId\nx1\n', 'text/plain').expect(415);
    await t.http.post('/contacts/import?format=jsonl').set(t.auth('marketer')).set('Content-Type', 'text/plain').send('{"externalId":"p1"}\n').expect(202);
    await t.http.post('/contacts/import?format=jsonl').set(t.auth('marketer')).set('Content-Type', 'text/csv').send('externalId\n').expect(400);
    expect((await upload('', 'text/csv').expect(400)).body.error).toBe('IMPORT_FILE_INVALID');
    await t.http.get('/contacts/imports/00000000-0000-4000-8000-000000000000').set(t.auth('viewer')).expect(404);
  });

  it('answers 413 in the API error shape past IMPORT_MAX_BYTES, declared or streamed', async () => {
    const small = await createTestApp({ IMPORT_DIR: importDir, IMPORT_MAX_BYTES: '1000' });
    try {
      const body = 'externalId\n' + 'x\n'.repeat(1000);
      const declared = await small.http.post('/contacts/import').set(small.auth('marketer')).set('Content-Type', 'text/csv').send(body).expect(413);
      expect(declared.body).toMatchObject({ error: 'PAYLOAD_TOO_LARGE' });
      const streamed = await new Promise<{ status?: number; body: string }>((resolve, reject) => {
        const req = httpRequest(`${small.baseUrl}/contacts/import`, {
          method: 'POST',
          headers: { ...small.auth('marketer'), 'Content-Type': 'text/csv', 'Transfer-Encoding': 'chunked' },
        });
        req.on('response', (res) => {
          let text = '';
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode, body: text }));
        });
        req.on('error', reject);
        req.write('externalId\n');
        req.end('y\n'.repeat(1000));
      });
      expect(streamed.status).toBe(413);
      expect(JSON.parse(streamed.body)).toMatchObject({ error: 'PAYLOAD_TOO_LARGE' });
      expect(readdirSync(importDir)).toEqual([]);
    } finally {
      await small.close();
    }
  });
});
