import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { OutboundSender } from '../../src/channels/outbound/outbound-sender';
import { SignedTokens } from '../../src/common/signed-tokens';
import { DeliveryWorker } from '../../src/delivery/delivery-worker';
import { GoldfishGuard } from '../../src/memory/guard/goldfish-guard.service';
import { contactInput } from '../factories/contact.factory';
import { createTestApp, TestApp } from '../support/test-app';

/**
 * Unsubscribe at the URL every e-mail's List-Unsubscribe header carries: RFC 8058 one-click POST
 * unsubscribes at once and answers the same whatever the token; a GET (a person or a link
 * scanner) only shows a page; the page's own form, with its CSRF field, stops chosen channels and
 * topics; and the next campaign skips the person with the reason "unsubscribed".
 */
describe('public unsubscribe', () => {
  let t: TestApp;
  let sender: OutboundSender;
  let tokens: SignedTokens;

  beforeAll(async () => {
    t = await createTestApp({ PUBLIC_RATE_LIMIT_PER_MINUTE: '100000', OUTBOX_DIR: mkdtempSync(join(tmpdir(), 'tidings-unsub-')), SMTP_URL: undefined });
    sender = t.app.get(OutboundSender);
    tokens = t.app.get(SignedTokens);
  });
  afterAll(async () => {
    await t.close();
    delete process.env.OUTBOX_DIR;
  });

  async function subscriber(fields: Record<string, unknown> = {}): Promise<string> {
    const consent = { email: { granted: true, text: 'News by e-mail', source: 'dealer' }, sms: { granted: true, text: 'Texts', source: 'dealer' } };
    const { body } = await t.http.post('/contacts').set(t.auth('marketer')).send(contactInput({ locale: 'en', consent, ...fields })).expect(201);
    return body.id;
  }

  async function consentEvents(contactId: string): Promise<Array<{ channel: string; status: string; source: string; consent_text: string | null }>> {
    return t.db.query(`SELECT channel, status, source, consent_text FROM contact_consent_events WHERE contact_id = $1 ORDER BY id`, [contactId]);
  }

  const pathOf = (url: string) => new URL(url).pathname;

  it('shows a confirmation page on GET and changes nothing, however often it is fetched', async () => {
    const id = await subscriber();
    const path = pathOf(sender.unsubscribeUrl(id, 'email'));
    for (let i = 0; i < 3; i++) {
      const page = await t.http.get(path).expect(200);
      expect(page.text).toContain('Do you want to stop receiving e-mail from us?');
      expect(page.text).toMatch(/<input type="checkbox" id="channel-email" name="channel" value="email" checked>/);
    }
    await t.http.head(path).expect(200);
    expect((await consentEvents(id)).filter((e) => e.status === 'revoked')).toEqual([]);
  });

  it('unsubscribes on an RFC 8058 one-click POST, without cookie or CSRF, exactly once however often it is sent', async () => {
    const id = await subscriber();
    const path = pathOf(sender.unsubscribeUrl(id, 'email'));
    const answers = [];
    for (let i = 0; i < 3; i++) {
      const res = await request(t.baseUrl).post(path).type('form').send('List-Unsubscribe=One-Click').expect(200);
      answers.push(res.text);
    }
    expect(new Set(answers).size).toBe(1);
    const revoked = (await consentEvents(id)).filter((e) => e.status === 'revoked');
    expect(revoked).toEqual([{ channel: 'email', status: 'revoked', source: 'unsubscribe', consent_text: 'List-Unsubscribe=One-Click (RFC 8058)' }]);
    const contact = await t.http.get(`/contacts/${id}`).set(t.auth('viewer')).expect(200);
    expect(contact.body.consent).toMatchObject({ email: { granted: false, source: 'unsubscribe' }, sms: { granted: true } });
  });

  it('accepts the one-click body as multipart/form-data too', async () => {
    const id = await subscriber();
    await request(t.baseUrl).post(pathOf(sender.unsubscribeUrl(id, 'sms'))).field('List-Unsubscribe', 'One-Click').expect(200);
    const contact = await t.http.get(`/contacts/${id}`).set(t.auth('viewer')).expect(200);
    expect(contact.body.consent).toMatchObject({ email: { granted: true }, sms: { granted: false, source: 'unsubscribe' } });
  });

  it('answers valid, invalid, expired and other-purpose tokens identically, and acts only on the valid one', async () => {
    const id = await subscriber();
    const good = sender.unsubscribeUrl(id, 'email').split('/').pop()!;
    const expired = tokens.sign({ purpose: 'unsubscribe', contactId: id, data: { ch: 'sms' }, expiresAt: new Date(Date.now() - 1000) });
    const otherPurpose = tokens.sign({ purpose: 'preferences', contactId: id, expiresAt: new Date(Date.now() + 60_000) });
    const tampered = `${good.slice(0, -2)}${good.endsWith('AA') ? 'BB' : 'AA'}`;
    const results = [];
    for (const token of [tampered, expired, otherPurpose, 'nonsense', good]) {
      const res = await request(t.baseUrl).post(`/unsubscribe/${token}`).type('form').send('List-Unsubscribe=One-Click');
      results.push({ status: res.status, type: res.headers['content-type'], text: res.text });
    }
    expect(new Set(results.map((r) => JSON.stringify(r))).size).toBe(1);
    expect((await consentEvents(id)).filter((e) => e.status === 'revoked').map((e) => e.channel)).toEqual(['email']);
    // GET of a bad link is a plain page saying nothing about the person.
    const page = await t.http.get(`/unsubscribe/${expired}`).expect(410);
    expect(page.text).toContain('This link has expired');
    expect(page.text).not.toMatch(/<form|e-mail/);
  });

  it('stops the channels and topics chosen on the page, only with its CSRF field', async () => {
    const id = await subscriber();
    await t.http.post(`/contacts/${id}/preferences`).set(t.auth('marketer')).send({ preferences: [{ key: 'topics', value: ['care', 'offers'], source: 'import' }] }).expect(201);
    const path = pathOf(sender.unsubscribeUrl(id, 'email'));
    const agent = request.agent(t.baseUrl);
    const page = await agent.get(path).expect(200);
    expect(page.text).toContain('Care and service tips');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];

    await agent.post(path).type('form').send({ channel: 'sms', topic: 'offers' }).expect(403);
    expect((await consentEvents(id)).filter((e) => e.status === 'revoked')).toEqual([]);

    const done = await agent.post(path).type('form').send({ _csrf: csrf, channel: 'sms', topic: 'offers' }).expect(200);
    expect(done.text).toContain('You are unsubscribed');
    expect(done.text).toContain('text messages (SMS)');
    expect(done.text).toContain('Offers');
    const contact = await t.http.get(`/contacts/${id}`).set(t.auth('viewer')).expect(200);
    expect(contact.body.consent).toMatchObject({ email: { granted: true }, sms: { granted: false, source: 'unsubscribe', text: 'unsubscribe page' } });
    const prefs = await t.http.get(`/contacts/${id}/preferences?history=true`).set(t.auth('viewer')).expect(200);
    expect(prefs.body.values.topics).toEqual(['care']);
    expect(prefs.body.history.topics.map((s: { source: string }) => s.source)).toEqual(['import', 'web_form']);
  });

  it('the next campaign skips an unsubscribed contact with the reason "unsubscribed"', async () => {
    const tag = `unsub-${randomBytes(3).toString('hex')}`;
    const stays = await subscriber({ tags: [tag], timeZone: 'Asia/Shanghai', consent: { email: { granted: true, source: 'dealer' } } });
    const leaves = await subscriber({ tags: [tag], timeZone: 'Asia/Shanghai', consent: { email: { granted: true, source: 'dealer' } } });
    await request(t.baseUrl).post(pathOf(sender.unsubscribeUrl(leaves, 'email'))).type('form').send('List-Unsubscribe=One-Click').expect(200);

    const { body: campaign } = await t.http
      .post('/campaigns')
      .set(t.auth('marketer'))
      .send({ name: `news ${tag}`, kind: 'broadcast', templateKey: 'welcome', channels: ['email'], audience: { field: 'tags', op: 'has', value: tag } })
      .expect(201);
    await t.http.post(`/campaigns/${campaign.id}/start`).set(t.auth('marketer')).expect(200);
    const worker = t.app.get(DeliveryWorker);
    while ((await worker.runOnce({ campaignIds: [campaign.id] })).claimed > 0);
    const rows: Array<{ contact_id: string; state: string; reason: string | null }> = await t.db.query(
      `SELECT contact_id, state, reason FROM outbox_messages WHERE campaign_id = $1`,
      [campaign.id],
    );
    const byContact = new Map(rows.map((r) => [r.contact_id, r]));
    expect(byContact.get(leaves)).toMatchObject({ state: 'skipped', reason: 'unsubscribed' });
    expect(byContact.get(stays)?.reason).not.toBe('unsubscribed');

    // The goldfish guard, asked directly about that channel, gives the same reason.
    const decision = await t.app.get(GoldfishGuard).evaluate({ contactId: leaves, campaignId: `guard-${tag}`, occasionKey: 'news:1', channel: 'email', now: new Date() });
    expect(decision).toMatchObject({ decision: 'skip', reason: 'unsubscribed', details: { channel: 'email' } });
  });
});
