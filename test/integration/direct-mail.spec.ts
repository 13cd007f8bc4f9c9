import { parse } from 'csv-parse/sync';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectMailService } from '../../src/channels/direct-mail/direct-mail.service';
import { PersonalDataRegistry } from '../../src/privacy/personal-data.registry';
import { createContact } from '../factories/memory.factory';
import { createTestApp, TestApp } from '../support/test-app';
import { candlesDrawn, pdfText, readPdfPages, squash } from './direct-mail-pdf';

type Row = Record<string, string>;

/** The day the cards are printed: every bulk contact's birthday (15 June) is still ahead. */
const AS_OF = '2026-06-01T04:00:00.000Z';

const SHANGHAI = { street: '南京东路', houseNumber: '100号', district: '黄浦区', city: '上海市', postcode: '200001', country: 'CN' };
const PALO_ALTO = { street: 'Hamilton Avenue', houseNumber: '301', city: 'Palo Alto', state: 'California', postcode: '94303', country: 'US' };
const CN_BLOCK = ['200001', '上海市', '黄浦区', '南京东路100号', '王小明'];
const US_BLOCK = ['Jane Doe', '301 Hamilton Avenue', 'Palo Alto, CA 94303', 'United States of America'];

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

async function download(t: TestApp, url: string, role: 'viewer' | 'admin' = 'viewer') {
  const res = await t.http
    .get(url)
    .set(t.auth(role))
    .buffer(true)
    .parse((stream, done) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => done(null, Buffer.concat(chunks)));
    });
  return { status: res.status, headers: res.headers, body: res.body as Buffer };
}

/** Contacts with a US address straight into the table; "No. g" turns (g % 100) + 1 on 15 June 2026. */
async function insertAddressedContacts(t: TestApp, count: number): Promise<Array<{ id: string; g: number }>> {
  return t.db.query(
    `INSERT INTO contacts (given_name, family_name, locale, time_zone, birthday, address)
     SELECT 'Guest', 'No. ' || g, 'en', 'Asia/Shanghai', make_date(2026 - ((g % 100) + 1), 6, 15),
            jsonb_build_object('street', 'Main Street', 'houseNumber', g::text, 'city', 'Springfield', 'state', 'Illinois',
                               'postcode', '62701', 'country', 'US')
       FROM generate_series(1, $1::int) g
     RETURNING id, substring(family_name FROM 5)::int AS g`,
    [count],
  );
}

describe('direct mail: print-house batches', () => {
  let t: TestApp;
  let outbox: string;
  beforeAll(async () => {
    outbox = mkdtempSync(join(tmpdir(), 'tidings-outbox-'));
    t = await createTestApp({ OUTBOX_DIR: outbox, PRINT_CJK_FONT: undefined, DEFAULT_PHONE_REGION: undefined });
  });
  afterAll(async () => {
    await t.close();
    rmSync(outbox, { recursive: true, force: true });
  });

  async function chineseContact(overrides: Record<string, unknown> = {}) {
    return createContact(t, {
      givenName: '小明', familyName: '王', formOfAddress: '王先生', locale: 'zh-CN', timeZone: 'Asia/Shanghai',
      address: SHANGHAI, birthday: '1981-06-15', ...overrides,
    });
  }

  async function usContact(overrides: Record<string, unknown> = {}) {
    return createContact(t, {
      givenName: 'Jane', familyName: 'Doe', formOfAddress: 'Ms Doe', locale: 'en-US', timeZone: 'America/Los_Angeles',
      address: PALO_ALTO, birthday: '1946-06-20', phone: null, ...overrides,
    });
  }

  it('exports 1,000 birthday cards: a CSV of 1,000 rows, a PDF of 1,000 pages, every skip with its reason', async () => {
    const cn = await chineseContact();
    const us = await usContact();
    const bulk = await insertAddressedContacts(t, 998);
    const noAddress = await createContact(t, { address: null });
    const noPostcode = await createContact(t, { address: { ...SHANGHAI, postcode: undefined } });
    const noBirthday = await createContact(t, { birthday: null });
    const erased = await createContact(t);
    await t.http.post(`/contacts/${erased}/erase`).set(t.auth('admin')).expect(200);
    const deleted = await createContact(t);
    await t.http.delete(`/contacts/${deleted}`).set(t.auth('marketer')).expect(204);
    const missing = randomUUID();
    const contactIds = [cn, us, ...bulk.map((b) => b.id), noAddress, noPostcode, noBirthday, erased, deleted, missing];

    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 5);
    const started = Date.now();
    const created = await t.http
      .post('/direct-mail/batches')
      .set(t.auth('marketer'))
      .send({ contactIds, format: 'a4', kind: 'birthday-card', postedFrom: 'CN', asOf: AS_OF, occasionKey: 'birthday:2026' });
    const elapsed = Date.now() - started;
    clearInterval(sampler);
    expect(created.status).toBe(201);
    const batch = created.body;

    expect(batch).toMatchObject({ status: 'ready', format: 'a4', kind: 'birthday-card', requestedCount: 1006, letterCount: 1000, skippedCount: 6 });
    expect(batch.skipped).toEqual([
      { contactId: noAddress, reason: 'no_address' },
      { contactId: noPostcode, reason: 'incomplete_address: postcode' },
      { contactId: noBirthday, reason: 'no_birthday' },
      { contactId: erased, reason: 'erased' },
      { contactId: deleted, reason: 'deleted' },
      { contactId: missing, reason: 'not_found' },
    ]);
    // The summary says the same later.
    expect((await t.http.get(`/direct-mail/batches/${batch.id}`).set(t.auth('viewer')).expect(200)).body.skipped).toEqual(batch.skipped);

    // The files the print house fetches are the files on disk under OUTBOX_DIR/mail/<id>/, byte for byte.
    const csvDownload = await download(t, batch.files.csv.url);
    const pdfDownload = await download(t, batch.files.pdf.url);
    expect(csvDownload.status).toBe(200);
    expect(pdfDownload.status).toBe(200);
    expect(csvDownload.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(pdfDownload.headers['content-type']).toBe('application/pdf');
    expect(pdfDownload.headers['content-disposition']).toBe(`attachment; filename="direct-mail-${batch.id}-letters.pdf"`);
    expect(sha256(csvDownload.body)).toBe(batch.files.csv.sha256);
    expect(sha256(pdfDownload.body)).toBe(batch.files.pdf.sha256);
    expect(readFileSync(join(outbox, 'mail', batch.id, 'letters.pdf')).equals(pdfDownload.body)).toBe(true);
    expect(readFileSync(join(outbox, 'mail', batch.id, 'letters.csv')).equals(csvDownload.body)).toBe(true);

    // CSV: 1,000 rows in request order, addresses formatted for their country.
    const rows: Row[] = parse(csvDownload.body, { bom: true, columns: true });
    expect(rows).toHaveLength(1000);
    expect(rows.map((r) => r.contact_id)).toEqual([cn, us, ...bulk.map((b) => b.id)]);
    const lines = (row: Row) => Object.keys(row).filter((k) => k.startsWith('address_line_') && row[k] !== '').map((k) => row[k]);
    expect(lines(rows[0])).toEqual(CN_BLOCK);
    expect(rows[0]).toMatchObject({ letter_number: '1', recipient_name: '王小明', postcode: '200001', city: '上海市', country: 'CN', candles: '45' });
    expect(rows[0].address_block).toBe(CN_BLOCK.join('\n'));
    expect(rows[0].body).toContain('祝您45岁生日快乐');
    expect(lines(rows[1])).toEqual(US_BLOCK);
    expect(rows[1]).toMatchObject({ recipient_name: 'Jane Doe', postcode: '94303', city: 'Palo Alto', region: 'California', country: 'US', candles: '80' });
    bulk.forEach((b, i) => expect(rows[i + 2].candles).toBe(String((b.g % 100) + 1)));

    // PDF: 1,000 A4 pages; on sampled pages the name, the address block and the candles.
    const pages = readPdfPages(pdfDownload.body);
    expect(pages).toHaveLength(1000);
    expect(new Set(pages.map((p) => p.mediaBox.join(' ')))).toEqual(new Set(['0 0 595.28 841.89']));
    const expectedCandles = [45, 80, ...bulk.map((b) => (b.g % 100) + 1)];
    expect(pages.map(candlesDrawn)).toEqual(expectedCandles);
    const sampled = [1, 2, 3, 250, 501, 999, 1000];
    const texts = await pdfText(pdfDownload.body, sampled);
    expect(squash(texts.get(1) ?? '')).toContain(squash(CN_BLOCK.join('')));
    expect(texts.get(1)).toContain('candles: 45');
    expect(squash(texts.get(1) ?? '')).toContain('祝您45岁生日快乐');
    for (const line of US_BLOCK) expect(texts.get(2)).toContain(line);
    expect(texts.get(2)).toContain('candles: 80');
    for (const page of sampled.slice(2)) {
      const { g } = bulk[page - 3];
      const text = texts.get(page) ?? '';
      expect(text).toContain(`Guest No. ${g}`);
      expect(text).toContain(`${g} Main Street`);
      expect(text).toContain('Springfield, IL 62701');
      expect(text).toContain(`candles: ${(g % 100) + 1}`);
      expect(text).toContain(`letter ${page}`);
    }

    // One sent message per letter, in the batch, addressed on one line.
    const messages: Array<{ contact_id: string; recipient: string; status: string; n: number }> = await t.db.query(
      `SELECT contact_id, recipient, status, (details->>'letterNumber')::int AS n FROM messages
        WHERE batch_id = $1 AND channel = 'mail' AND provider = 'print' ORDER BY n`,
      [batch.id],
    );
    expect(messages).toHaveLength(1000);
    expect(messages.every((m) => m.status === 'sent')).toBe(true);
    expect(messages[0]).toMatchObject({ contact_id: cn, recipient: CN_BLOCK.join(', '), n: 1 });
    expect(messages[1]).toMatchObject({ contact_id: us, recipient: US_BLOCK.join(', '), n: 2 });

    const { body: list } = await t.http.get('/direct-mail/batches?limit=5').set(t.auth('viewer')).expect(200);
    expect(list.items.find((b: { id: string }) => b.id === batch.id)).toMatchObject({ letterCount: 1000, skippedCount: 6, files: batch.files });
    expect(list.items[0]).not.toHaveProperty('skipped');

    const renderSeconds = batch.renderMs / 1000;
    process.stderr.write(
      `\n[direct-mail] 1,000 A4 birthday cards: request ${elapsed} ms, PDF ${batch.renderMs} ms (${Math.round(1000 / renderSeconds)} pages/s), ` +
        `PDF ${(batch.files.pdf.bytes / 1024).toFixed(0)} KiB, CSV ${(batch.files.csv.bytes / 1024).toFixed(0)} KiB, ` +
        `RSS ${(rssBefore / 2 ** 20).toFixed(0)} → peak ${(rssPeak / 2 ** 20).toFixed(0)} MiB sampled (process max ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB)\n`,
    );
  }, 240_000);

  it.each([
    ['a4', [595.28, 841.89]],
    ['letter', [612, 792]],
    ['a6', [297.64, 419.53]],
  ] as const)('prints %s letters on pages of that size', async (format, size) => {
    const ids = [await usContact({ phone: null }), await chineseContact()];
    const { body } = await t.http.post('/direct-mail/batches').set(t.auth('marketer')).send({ contactIds: ids, format, kind: 'letter' }).expect(201);
    expect(body.files.pdf.pages).toBe(2);
    const pdf = await download(t, body.files.pdf.url);
    const pages = readPdfPages(pdf.body);
    expect(pages.map((p) => p.mediaBox)).toEqual([[0, 0, ...size], [0, 0, ...size]]);
    expect(pages.map(candlesDrawn)).toEqual([0, 0]);
  });

  it('words each letter through the given renderer and skips a contact whose letter cannot be rendered', async () => {
    const fine = await usContact();
    const broken = await usContact({ givenName: 'Broken' });
    const service = t.app.get(DirectMailService);
    const seen: Array<{ age: number | null; newAge: number | null; addressLines: string[] }> = [];
    const view = await service.createBatch(
      { contactIds: [fine, broken], format: 'a6', kind: 'birthday-card', asOf: new Date(AS_OF), postedFrom: 'US', templateKey: 'birthday-card' },
      async (r) => {
        seen.push({ age: r.age, newAge: r.newAge, addressLines: r.addressLines });
        if (r.givenName === 'Broken') throw new Error('unknown variable prefs.drink');
        return `Many happy returns, ${r.formOfAddress}! ${r.newAge} candles for you.`;
      },
    );
    expect(seen[0]).toEqual({ age: 79, newAge: 80, addressLines: ['Jane Doe', '301 Hamilton Avenue', 'Palo Alto, CA 94303'] });
    expect(view).toMatchObject({ status: 'ready', letterCount: 1, templateKey: 'birthday-card' });
    expect(view.skipped).toEqual([{ contactId: broken, reason: 'render_failed: unknown variable prefs.drink' }]);
    const text = (await pdfText((await download(t, view.files!.pdf.url)).body)).get(1) ?? '';
    expect(text).toContain('Many happy returns, Ms Doe! 80 candles for you.');
  });

  it('records a batch in which nobody can be reached as empty, with the reasons and no files', async () => {
    const noAddress = await createContact(t, { address: null });
    const { body } = await t.http.post('/direct-mail/batches').set(t.auth('marketer')).send({ contactIds: [noAddress], format: 'a4', kind: 'letter' }).expect(201);
    expect(body).toMatchObject({ status: 'empty', letterCount: 0, files: null, skipped: [{ contactId: noAddress, reason: 'no_address' }] });
    const res = await t.http.get(`/direct-mail/batches/${body.id}/letters.pdf`).set(t.auth('viewer')).expect(409);
    expect(res.body.error).toBe('BATCH_HAS_NO_FILES');
    expect(existsSync(join(outbox, 'mail', body.id))).toBe(false);
  });

  it('rejects bad requests naming the field, and lets viewers read but not create', async () => {
    const id = await usContact();
    const post = (body: unknown, role: 'marketer' | 'viewer' = 'marketer') => t.http.post('/direct-mail/batches').set(t.auth(role)).send(body as object);
    const cases: Array<[unknown, string]> = [
      [{ contactIds: [id], format: 'a5', kind: 'letter' }, 'format'],
      [{ contactIds: [id], format: 'a4', kind: 'postcard' }, 'kind'],
      [{ contactIds: [], format: 'a4', kind: 'letter' }, 'contactIds'],
      [{ contactIds: [id, id], format: 'a4', kind: 'letter' }, 'contactIds'],
      [{ contactIds: ['nope'], format: 'a4', kind: 'letter' }, 'contactIds'],
      [{ contactIds: [id], format: 'a4', kind: 'letter', postedFrom: 'XX' }, 'postedFrom'],
      [{ contactIds: [id], format: 'a4', kind: 'letter', asOf: 'tomorrow' }, 'asOf'],
    ];
    for (const [body, field] of cases) {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(res.body.details.map((d: { field: string }) => d.field)).toContainEqual(expect.stringContaining(field));
    }
    await post({ contactIds: [id], format: 'a4', kind: 'letter' }, 'viewer').expect(403);
    await t.http.get(`/direct-mail/batches/${randomUUID()}`).set(t.auth('viewer')).expect(404);
    await t.http.get('/direct-mail/batches/not-a-uuid/letters.csv').set(t.auth('viewer')).expect(400);
    await t.http.get('/direct-mail/batches').expect(401);
  });

  it("erasing a recipient deletes the files of their batches and their id from other batches' skip lists", async () => {
    const printed = await usContact();
    const other = await usContact({ givenName: 'Other' });
    const skippedOne = await createContact(t, { address: null });
    const { body: withLetter } = await t.http.post('/direct-mail/batches').set(t.auth('marketer')).send({ contactIds: [printed, other], format: 'a6', kind: 'letter' }).expect(201);
    const { body: withSkip } = await t.http.post('/direct-mail/batches').set(t.auth('marketer')).send({ contactIds: [other, skippedOne], format: 'a6', kind: 'letter' }).expect(201);
    expect(existsSync(join(outbox, 'mail', withLetter.id, 'letters.pdf'))).toBe(true);

    const exported = await t.http.get(`/contacts/${skippedOne}/export`).set(t.auth('admin')).expect(200);
    expect(exported.body.tables.direct_mail_batches.map((b: { id: string }) => b.id)).toEqual([withSkip.id]);

    await t.http.post(`/contacts/${printed}/erase`).set(t.auth('admin')).expect(200);
    await t.http.post(`/contacts/${skippedOne}/erase`).set(t.auth('admin')).expect(200);

    expect(existsSync(join(outbox, 'mail', withLetter.id))).toBe(false);
    const gone = await t.http.get(`/direct-mail/batches/${withLetter.id}/letters.csv`).set(t.auth('viewer')).expect(410);
    expect(gone.body.error).toBe('BATCH_FILES_PURGED');
    const { body: after } = await t.http.get(`/direct-mail/batches/${withLetter.id}`).set(t.auth('viewer')).expect(200);
    expect(after).toMatchObject({ letterCount: 2, filesPurgedAt: expect.any(String) });
    const { body: skipAfter } = await t.http.get(`/direct-mail/batches/${withSkip.id}`).set(t.auth('viewer')).expect(200);
    expect(skipAfter.skipped).toEqual([{ contactId: null, reason: 'no_address' }]);
    // The other batch keeps its files: only batches the erased person was printed in lose theirs.
    expect((await download(t, skipAfter.files.pdf.url)).status).toBe(200);
    // Every column of the batch table has a reviewed rule (privacy.spec checks all tables).
    const gaps = await t.app.get(PersonalDataRegistry).gaps(t.db.manager);
    expect(gaps.filter((g) => g.startsWith('direct_mail_batches'))).toEqual([]);
  });

  it('pages through every batch, newest first, with an opaque cursor', async () => {
    const [{ count }] = await t.db.query(`SELECT count(*)::int AS count FROM direct_mail_batches`);
    expect(count).toBeGreaterThan(3);
    const seen: Array<{ id: string; createdAt: string }> = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=2&cursor=${cursor}` : '?limit=2';
      const { body } = await t.http.get(`/direct-mail/batches${query}`).set(t.auth('viewer')).expect(200);
      seen.push(...body.items);
      cursor = body.nextCursor;
    } while (cursor);
    expect(new Set(seen.map((b) => b.id)).size).toBe(count);
    expect(seen.map((b) => b.createdAt)).toEqual([...seen.map((b) => b.createdAt)].sort().reverse());
    const bad = await t.http.get('/direct-mail/batches?cursor=nope').set(t.auth('viewer')).expect(400);
    expect(bad.body.details).toEqual([{ field: 'cursor', problem: expect.any(String) }]);
  });

  describe('without a font for Chinese', () => {
    let bare: TestApp;
    let bareOutbox: string;
    beforeAll(async () => {
      bareOutbox = mkdtempSync(join(tmpdir(), 'tidings-outbox-'));
      bare = await createTestApp({ OUTBOX_DIR: bareOutbox, PRINT_CJK_FONT: '/nonexistent/fonts/missing.ttc' });
    });
    afterAll(async () => {
      await bare.close();
      rmSync(bareOutbox, { recursive: true, force: true });
    });

    it('fails the batch with a clear error instead of printing empty boxes, and still prints Latin letters', async () => {
      const us = (await bare.http.post('/contacts').set(bare.auth('marketer')).send({ givenName: 'Jane', familyName: 'Doe', address: PALO_ALTO }).expect(201)).body.id;
      const cn = (await bare.http.post('/contacts').set(bare.auth('marketer')).send({ givenName: '小明', familyName: '王', address: SHANGHAI }).expect(201)).body.id;
      const res = await bare.http.post('/direct-mail/batches').set(bare.auth('marketer')).send({ contactIds: [us, cn], format: 'a4', kind: 'letter' });
      expect(res.status).toBe(422);
      expect(res.body.error).toBe('PRINT_FONT_MISSING');
      expect(res.body.message).toContain('PRINT_CJK_FONT');
      expect(res.body.message).toContain('/nonexistent/fonts/missing.ttc');
      expect(res.body.details).toEqual([{ field: 'contactIds[1]', problem: expect.stringContaining('王') }]);
      const [failed] = await bare.db.query(`SELECT id, status, error_message FROM direct_mail_batches WHERE status = 'failed' ORDER BY created_at DESC LIMIT 1`);
      expect(failed.status).toBe('failed');
      expect(existsSync(join(bareOutbox, 'mail', failed.id))).toBe(false);
      const [{ count }] = await bare.db.query(`SELECT count(*)::int AS count FROM messages WHERE batch_id = $1`, [failed.id]);
      expect(count).toBe(0);

      const latin = await bare.http.post('/direct-mail/batches').set(bare.auth('marketer')).send({ contactIds: [us], format: 'a4', kind: 'letter' }).expect(201);
      expect(latin.body.status).toBe('ready');
    });
  });
});
