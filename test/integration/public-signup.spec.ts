import { simpleParser } from 'mailparser';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignedTokens } from '../../src/common/signed-tokens';
import { SignupConfirmationMailer } from '../../src/public/signup/signup-confirmation.mailer';
import { CONSENT_TEXT } from '../../src/public/signup/signup-texts';
import { contactInput } from '../factories/contact.factory';
import { SmtpSink } from '../support/smtp-sink';
import { createTestApp, TestApp } from '../support/test-app';
import { isolatedDatabase } from '../support/test-database';

/**
 * Issue 7, sign-up with double opt-in, through HTTP against the running service and a real SMTP
 * server: the form, the confirmation mail, the link (GET shows, POST confirms), the hourly limit
 * per address, no enumeration, pending contacts outside every audience, and the refusals.
 */
describe('public sign-up with double opt-in', () => {
  let t: TestApp;
  let sink: SmtpSink;
  let database: { url: string; drop(): Promise<void> };

  beforeAll(async () => {
    sink = await SmtpSink.start();
    // Its own database: the audience test counts everyone a rule-less broadcast reaches.
    database = await isolatedDatabase('signup');
    t = await createTestApp({
      DATABASE_URL: database.url,
      SMTP_URL: sink.url,
      OUTBOX_DIR: mkdtempSync(join(tmpdir(), 'tidings-signup-')),
      // Twenty sign-ups from one test client must reach the per-address limit, not the per-IP one.
      PUBLIC_RATE_LIMIT_PER_MINUTE: '1000',
    });
  });
  afterAll(async () => {
    await t.close();
    await sink.close();
    await database.drop();
    for (const name of ['SMTP_URL', 'OUTBOX_DIR', 'PUBLIC_RATE_LIMIT_PER_MINUTE', 'DATABASE_URL']) delete process.env[name];
  });

  const address = (label: string) => `${label}-${randomBytes(4).toString('hex')}@example.test`;

  /** The form as a browser gets it: its CSRF cookie and hidden fields. */
  async function openForm(query = '', headers: Record<string, string> = {}) {
    const res = await t.http.get(`/signup${query}`).set(headers).expect(200);
    const cookie = (res.headers['set-cookie'] as unknown as string[] | undefined)?.map((c) => c.split(';')[0]).join('; ') ?? '';
    const hidden = (name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(res.text)?.[1] ?? '';
    return { res, cookie, csrf: hidden('_csrf'), embed: hidden('_form') };
  }

  async function signUp(fields: Record<string, string | string[]>, form?: Awaited<ReturnType<typeof openForm>>) {
    const f = form ?? (await openForm());
    return t.http.post('/signup').set('Cookie', f.cookie).type('form').send({ _csrf: f.csrf, consent: 'yes', ...fields });
  }

  async function mailsTo(to: string) {
    await t.app.get(SignupConfirmationMailer).idle();
    return Promise.all(sink.messages.filter((m) => m.to.includes(to)).map((m) => simpleParser(m.raw)));
  }

  function confirmPath(html: string): string {
    const match = /https?:\/\/[^"\s]+(\/signup\/confirm\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)/.exec(html);
    if (!match) throw new Error('no confirmation link in the e-mail');
    return match[1];
  }

  async function contactByEmail(email: string) {
    const rows: Array<{ id: string; status: string; given_name: string | null; phone: string | null }> = await t.db.query(
      `SELECT id, status, given_name, phone FROM contacts WHERE lower(email) = $1 AND deleted_at IS NULL`,
      [email],
    );
    return rows[0];
  }

  it('shows an accessible form in English or Chinese that other sites may frame', async () => {
    const en = await openForm('?locale=en');
    expect(en.res.text).toContain('<html lang="en">');
    for (const field of ['name', 'email', 'phone']) expect(en.res.text).toMatch(new RegExp(`<label for="${field}-input">[\\s\\S]*id="${field}-input"`));
    expect(en.res.text).toMatch(/<fieldset id="topics-input"[^>]*>\s*<legend>/);
    expect(en.res.text).toContain('Care and service tips');
    expect(en.res.text).toContain(CONSENT_TEXT.en);
    expect(en.csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(en.res.headers['x-frame-options']).toBeUndefined();
    expect(en.res.headers['content-security-policy']).toMatch(/frame-ancestors \*/);

    const zh = await openForm('', { 'Accept-Language': 'zh-CN,zh;q=0.9,en;q=0.5' });
    expect(zh.res.text).toContain('<html lang="zh-CN">');
    expect(zh.res.text).toContain('关怀与服务提示');
    expect(zh.res.text).toContain(CONSENT_TEXT['zh-CN']);

    // Every other public page, the confirmation link included, stays unframeable.
    const other = await t.http.get('/signup/confirm/not-a-token');
    expect(other.status).toBe(403);
    expect(other.headers['content-security-policy']).toMatch(/frame-ancestors 'self'/);
  });

  it('sign-up → confirmation e-mail → the link’s GET shows a button, its POST confirms: active, consent and topics recorded', async () => {
    const email = address('wei');
    const sent = await signUp({ name: 'Li Wei', email: email.toUpperCase(), phone: '+86 138 0013 8000', topics: ['care', 'events'], locale: 'zh-CN' });
    expect(sent.status).toBe(200);
    expect(sent.text).toContain('请查收邮件');

    const pending = await contactByEmail(email);
    expect(pending).toMatchObject({ status: 'pending', given_name: 'Li Wei', phone: null });
    // Nothing is applied before the confirmation: no consent, no stated topics.
    expect(await t.db.query(`SELECT 1 FROM contact_consent_events WHERE contact_id = $1`, [pending.id])).toHaveLength(0);
    expect(await t.db.query(`SELECT 1 FROM preference_statements WHERE contact_id = $1`, [pending.id])).toHaveLength(0);

    const [mail] = await mailsTo(email);
    expect(mail.subject).toBe('请确认您的订阅');
    const [message] = await t.db.query(`SELECT purpose, template_key, status FROM messages WHERE contact_id = $1`, [pending.id]);
    expect(message).toEqual({ purpose: 'transactional', template_key: 'confirm-signup', status: 'sent' });
    const path = confirmPath(String(mail.html));
    expect(mail.text).toContain(path);

    // A mail scanner's GET confirms nothing.
    const page = await t.http.get(path).expect(200);
    expect(page.text).toContain('确认订阅');
    expect(page.text).toContain('关怀与服务提示');
    expect((await contactByEmail(email)).status).toBe('pending');

    const cookie = (page.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]).join('; ');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];
    const before = Date.now();
    const confirmed = await t.http.post(path).set('Cookie', cookie).type('form').send({ _csrf: csrf }).expect(200);
    expect(confirmed.text).toContain('订阅成功');

    const contact = await contactByEmail(email);
    expect(contact).toMatchObject({ status: 'active', given_name: 'Li Wei', phone: '+8613800138000' });
    const { body: history } = await t.http.get(`/contacts/${contact.id}/consent-history`).set(t.auth('viewer')).expect(200);
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ channel: 'email', status: 'granted', source: 'web form (double opt-in)', consentText: CONSENT_TEXT['zh-CN'] });
    expect(new Date(history[0].recordedAt).getTime()).toBeGreaterThanOrEqual(before - 1000);
    const { body: prefs } = await t.http.get(`/contacts/${contact.id}/preferences`).set(t.auth('viewer')).expect(200);
    expect(prefs.values.topics).toEqual(['care', 'events']);
    expect(prefs.statements.topics).toMatchObject({ source: 'web_form' });

    // Confirming again (a second click, a reload) changes nothing.
    await t.http.post(path).set('Cookie', cookie).type('form').send({ _csrf: csrf }).expect(200);
    expect(await t.db.query(`SELECT 1 FROM contact_consent_events WHERE contact_id = $1`, [contact.id])).toHaveLength(1);
    expect(await t.db.query(`SELECT 1 FROM preference_statements WHERE contact_id = $1`, [contact.id])).toHaveLength(1);
  });

  it('sends one confirmation for twenty sign-ups of one address in a minute, and answers all twenty alike', async () => {
    const email = address('eager');
    const form = await openForm();
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => signUp({ name: `Eager ${i}`, email, topics: 'news' }, form)));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    expect(new Set(answers.map((a) => a.text)).size).toBe(1);
    expect(await mailsTo(email)).toHaveLength(1);
    const rows = await t.db.query(`SELECT c.id FROM contacts c WHERE lower(c.email) = $1`, [email]);
    expect(rows).toHaveLength(1);
    const [{ request_count }] = await t.db.query(`SELECT request_count FROM signup_requests WHERE contact_id = $1`, [rows[0].id]);
    expect(request_count).toBe(20);

    // An hour later the next sign-up may send again.
    await t.db.query(`UPDATE signup_requests SET confirmation_sent_at = confirmation_sent_at - interval '61 minutes' WHERE contact_id = $1`, [rows[0].id]);
    await signUp({ name: 'Eager later', email }, form);
    expect(await mailsTo(email)).toHaveLength(2);
  });

  it('gives the hour back when the mail server refused the confirmation, so a retry can send it', async () => {
    const email = address('refused');
    sink.refuse(email, 451, '4.3.0 try again later');
    await signUp({ name: 'Unlucky', email });
    expect(await mailsTo(email)).toHaveLength(0);
    const contact = await contactByEmail(email);
    const [message] = await t.db.query(`SELECT status, purpose FROM messages WHERE contact_id = $1`, [contact.id]);
    expect(message).toMatchObject({ purpose: 'transactional' });
    const [{ confirmation_sent_at }] = await t.db.query(`SELECT confirmation_sent_at FROM signup_requests WHERE contact_id = $1`, [contact.id]);
    expect(confirmation_sent_at).toBeNull();

    sink.reset();
    await signUp({ name: 'Unlucky', email });
    expect(await mailsTo(email)).toHaveLength(1);
  });

  it('answers the same for a new, a known active and an erased address, and leaves the known contact as it was', async () => {
    const known = contactInput({ givenName: 'Known', consent: { email: { granted: true, text: 'Shop counter form', source: 'shop' } } });
    const { body: created } = await t.http.post('/contacts').set(t.auth('marketer')).send(known).expect(201);
    const erasedEmail = address('gone');
    const { body: erased } = await t.http.post('/contacts').set(t.auth('marketer')).send(contactInput({ email: erasedEmail })).expect(201);
    await t.http.post(`/contacts/${erased.id}/erase`).set(t.auth('admin')).expect(200);

    const form = await openForm();
    const fresh = await signUp({ name: 'New Person', email: address('new') }, form);
    const again = await signUp({ name: 'Someone Else', email: known.email as string, phone: '+44 20 7946 0000' }, form);
    const refused = await signUp({ name: 'Gone', email: erasedEmail }, form);
    expect([fresh.status, again.status, refused.status]).toEqual([200, 200, 200]);
    expect(again.text).toBe(fresh.text);
    expect(refused.text).toBe(fresh.text);

    const { body: after } = await t.http.get(`/contacts/${created.id}`).set(t.auth('viewer')).expect(200);
    expect(after).toMatchObject({ givenName: 'Known', phone: created.phone, consent: { email: { granted: true, text: 'Shop counter form' } } });
    expect((await contactByEmail((known.email as string).toLowerCase())).status).toBe('active');
    // The erased person: nothing written, nothing sent.
    expect(await mailsTo(erasedEmail)).toHaveLength(0);
    expect(await t.db.query(`SELECT 1 FROM contacts WHERE lower(email) = $1`, [erasedEmail])).toHaveLength(0);
  });

  it('keeps pending contacts out of every broadcast audience until they confirm', async () => {
    const tag = `signup-${randomBytes(3).toString('hex')}`;
    const email = address('pending');
    await signUp({ name: 'Pending Person', email });
    const pending = await contactByEmail(email);
    const { body: active } = await t.http.post('/contacts').set(t.auth('marketer')).send(contactInput({ tags: [tag] })).expect(201);
    await t.db.query(`UPDATE contacts SET tags = ARRAY[$2] WHERE id = $1`, [pending.id, tag]);

    const preview = await t.http.post('/segments/preview').set(t.auth('viewer')).send({ rule: { field: 'tags', op: 'has', value: tag } }).expect(200);
    expect(preview.body.count).toBe(1);

    const broadcast = async (body: Record<string, unknown>) => {
      const { body: c } = await t.http.post('/campaigns').set(t.auth('marketer')).send({ templateKey: 'welcome', channels: ['email'], kind: 'broadcast', ...body }).expect(201);
      await t.http.post(`/campaigns/${c.id}/start`).set(t.auth('marketer')).expect(200);
      const rows: Array<{ contact_id: string }> = await t.db.query(`SELECT contact_id FROM outbox_messages WHERE campaign_id = $1`, [c.id]);
      return rows.map((r) => r.contact_id);
    };
    const segmented = await broadcast({ name: `tagged ${tag}`, audience: { field: 'tags', op: 'has', value: tag } });
    expect(segmented).toEqual([active.id]);
    // A broadcast without a rule goes to every live contact — still not to the pending one.
    const everyone = await broadcast({ name: `everyone ${tag}` });
    expect(everyone).toContain(active.id);
    expect(everyone).not.toContain(pending.id);

    const [mail] = await mailsTo(email);
    const path = confirmPath(String(mail.html));
    const page = await t.http.get(path).expect(200);
    const cookie = (page.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]).join('; ');
    await t.http.post(path).set('Cookie', cookie).type('form').send({ _csrf: /name="_csrf" value="([^"]+)"/.exec(page.text)![1] }).expect(200);
    expect((await broadcast({ name: `tagged again ${tag}`, audience: { field: 'tags', op: 'has', value: tag } })).sort()).toEqual([active.id, pending.id].sort());
  });

  it('shows the form again with 400 and each bad field named, writing nothing', async () => {
    const email = 'not-an-address';
    const res = await signUp({ name: '', email, phone: '12', topics: ['care', 'gossip'], consent: '' });
    expect(res.status).toBe(400);
    for (const field of ['name', 'email', 'phone', 'topics', 'consent']) {
      expect(res.text).toContain(`href="#${field}-input"`);
      expect(res.text).toContain(`id="${field}-error"`);
    }
    expect(res.text).toContain('value="not-an-address"'); // what was typed is kept
    expect(res.text).toMatch(/id="email-input"[^>]*aria-invalid="true"/);
    expect(await t.db.query(`SELECT 1 FROM contacts WHERE email = $1`, [email])).toHaveLength(0);

    const script = await signUp({ name: '<script>alert(1)</script>', email: 'x' });
    expect(script.status).toBe(400);
    expect(script.text).not.toContain('<script>alert(1)</script>');
    expect(script.text).toContain('&lt;script&gt;');
  });

  it('refuses a post without a valid CSRF token (403) and accepts an embedded one only from its own page', async () => {
    const email = address('csrf');
    const form = await openForm();
    await t.http.post('/signup').type('form').send({ name: 'No Token', email, consent: 'yes' }).expect(403);
    await t.http.post('/signup').set('Cookie', form.cookie).type('form').send({ name: 'No Field', email, consent: 'yes' }).expect(403);
    await t.http.post('/signup').set('Cookie', form.cookie).type('form').send({ _csrf: 'x'.repeat(43), name: 'Wrong', email, consent: 'yes' }).expect(403);
    // Inside a cross-site iframe the browser sends no SameSite=Strict cookie; the embed token counts
    // only when the browser says the post came from our own page, never from another site's form.
    const embedded = { _form: form.embed, name: 'Embedded', email, consent: 'yes' };
    await t.http.post('/signup').set('Sec-Fetch-Site', 'cross-site').set('Origin', 'https://evil.example').type('form').send(embedded).expect(403);
    await t.http.post('/signup').set('Sec-Fetch-Site', 'same-origin').type('form').send({ ...embedded, _form: `${form.embed}x` }).expect(403);
    expect(await t.db.query(`SELECT 1 FROM contacts WHERE email = $1`, [email])).toHaveLength(0);
    await t.http.post('/signup').set('Sec-Fetch-Site', 'same-origin').type('form').send(embedded).expect(200);
    expect((await contactByEmail(email)).status).toBe('pending');
  });

  it('answers tampered, foreign-purpose and expired links with a plain 403/410 page and changes nothing', async () => {
    const email = address('tamper');
    await signUp({ name: 'Tamper Test', email });
    const [mail] = await mailsTo(email);
    const path = confirmPath(String(mail.html));
    const token = path.split('/').pop()!;
    const contact = await contactByEmail(email);
    const tokens = t.app.get(SignedTokens);
    const flipped = token.slice(0, -2) + (token.at(-2) === 'A' ? 'B' : 'A') + token.at(-1);
    const otherPurpose = tokens.sign({ purpose: 'preferences', contactId: contact.id, expiresAt: new Date(Date.now() + 60_000) });
    const expired = tokens.sign({ purpose: 'confirm-signup', contactId: contact.id, expiresAt: new Date(Date.now() - 1000) });

    const page = await t.http.get(path).expect(200);
    const cookie = (page.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]).join('; ');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];
    for (const [bad, status] of [[flipped, 403], [otherPurpose, 403], [expired, 410]] as const) {
      const shown = await t.http.get(`/signup/confirm/${bad}`).expect(status);
      expect(shown.text).not.toContain('Tamper');
      expect(shown.text).not.toContain(email);
      await t.http.post(`/signup/confirm/${bad}`).set('Cookie', cookie).type('form').send({ _csrf: csrf }).expect(status);
    }
    // The right link without the form's CSRF field is refused too.
    await t.http.post(path).type('form').send({}).expect(403);
    expect((await contactByEmail(email)).status).toBe('pending');
    expect(await t.db.query(`SELECT 1 FROM contact_consent_events WHERE contact_id = $1`, [contact.id])).toHaveLength(0);
  });
});
