import fc from 'fast-check';
import { simpleParser } from 'mailparser';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../src/campaigns/calendar/clock';
import { SignedTokens } from '../../src/common/signed-tokens';
import { DeliveryWorker } from '../../src/delivery/delivery-worker';
import { contactInput } from '../factories/contact.factory';
import { SmtpSink } from '../support/smtp-sink';
import { createTestApp, TestApp } from '../support/test-app';

/**
 * Issue 7's tracking: a real campaign e-mail through a real SMTP server, its links followed and its
 * pixel fetched over HTTP; what people did is counted, what machines did is marked; no token, however
 * changed, redirects anywhere but the stored URL or records anything for anyone else.
 */
const PUBLIC_BASE_URL = 'https://care.tidings.test';
const BROWSER = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15';
const SAFE_LINKS = 'Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/534+ (KHTML, like Gecko) BingPreview/1.0b';
const WINTER = 'https://shop.example.com/winter?utm_source=care&c=1';
const SERVICE = 'https://shop.example.com/service';
const TEMPLATE_HTML = `<p>{{greeting}},</p>
<p>Our <a href="https://shop.example.com/winter?utm_source=care&amp;c=1" style="color:#a33">winter tyres</a> are in.</p>
<p><a href="${SERVICE}">Book a service</a>, see the <a href="https://shop.example.com/winter?utm_source=care&amp;c=1">offer</a> again,
or <a href="mailto:care@tidings.test">write to us</a>.</p>`;

interface SentMail {
  contactId: string;
  messageId: string;
  html: string;
  links: string[];
  /** The URL in the List-Unsubscribe header. */
  listUnsubscribe: string;
}

describe('open and click tracking (e2e)', () => {
  let t: TestApp;
  let sink: SmtpSink;
  const clock = new ManualClock('2027-06-01T04:00:00Z'); // noon in Shanghai
  const consent = { email: { granted: true, text: 'News by e-mail', source: 'dealer' } };

  beforeAll(async () => {
    sink = await SmtpSink.start();
    t = await createTestApp(
      // The rate limit has its own tests; here a thousand requests from one address must all be answered.
      { SMTP_URL: sink.url, PUBLIC_BASE_URL, OUTBOX_DIR: mkdtempSync(join(tmpdir(), 'tidings-tracking-')), PUBLIC_RATE_LIMIT_PER_MINUTE: '100000' },
      { clock },
    );
  });
  afterAll(async () => {
    await t.close();
    await sink.close();
    for (const name of ['SMTP_URL', 'PUBLIC_BASE_URL', 'OUTBOX_DIR', 'PUBLIC_RATE_LIMIT_PER_MINUTE']) delete process.env[name];
  });

  /** A published template with links, a broadcast to `count` new contacts, delivered and caught by the sink. */
  async function sendCampaign(count: number): Promise<{ campaignId: string; mails: SentMail[] }> {
    const tag = `track-${randomBytes(4).toString('hex')}`;
    const contacts: string[] = [];
    for (let i = 0; i < count; i++) {
      const { body } = await t.http.post('/contacts').set(t.auth('marketer')).send(contactInput({ tags: [tag], locale: 'en', consent })).expect(201);
      contacts.push(body.id);
    }
    const { body: template } = await t.http
      .post('/templates')
      .set(t.auth('marketer'))
      .send({ key: tag, channel: 'email', locale: 'en', subject: 'Winter is coming, {{contact.givenName}}', html: TEMPLATE_HTML, layout: 'care' })
      .expect(201);
    await t.http.post(`/templates/${template.id}/publish`).set(t.auth('marketer')).expect(200);
    const { body: campaign } = await t.http
      .post('/campaigns')
      .set(t.auth('marketer'))
      .send({ name: `Winter ${tag}`, kind: 'broadcast', templateKey: tag, channels: ['email'], audience: { field: 'tags', op: 'has', value: tag } })
      .expect(201);
    await t.http.post(`/campaigns/${campaign.id}/start`).set(t.auth('marketer')).expect(200);
    const before = sink.messages.length;
    const round = await t.app.get(DeliveryWorker).runOnce({ campaignIds: [campaign.id] });
    expect(round.results.sent).toBe(count);
    expect(sink.messages).toHaveLength(before + count);

    const rows: Array<{ id: string; contact_id: string }> = await t.db.query(`SELECT id, contact_id FROM messages WHERE campaign_id = $1`, [campaign.id]);
    const tokens = t.app.get(SignedTokens);
    const mails: SentMail[] = [];
    for (const received of sink.messages.slice(before)) {
      const html = (await simpleParser(received.raw)).html as string;
      const links = [...html.matchAll(/<a [^>]*href="([^"]+)"/g)].map((m) => m[1].replace(/&amp;/g, '&'));
      const listUnsubscribe = /^List-Unsubscribe:\s*<([^>]+)>/im.exec(received.raw.toString())?.[1] ?? '';
      const mail = { contactId: '', messageId: '', html, links, listUnsubscribe };
      // Whose mail it is, as the pixel's token says.
      const check = tokens.verify(new URL(pixelOf(mail)).pathname.slice('/t/o/'.length, -'.gif'.length), 'tracking');
      if (!check.ok) throw new Error(`pixel token did not verify: ${check.reason}`);
      mail.contactId = check.claims.contactId;
      mail.messageId = rows.find((r) => r.contact_id === mail.contactId)!.id;
      mails.push(mail);
    }
    expect(new Set(mails.map((m) => m.contactId))).toEqual(new Set(contacts));
    return { campaignId: campaign.id, mails };
  }

  function pixelOf(mail: SentMail): string {
    const src = /<img src="([^"]+\/t\/o\/[^"]+\.gif)" width="1" height="1" alt=""/.exec(mail.html)?.[1];
    if (!src) throw new Error('no open pixel in the e-mail');
    return src;
  }

  /** The path of a link in the e-mail, requested from the running service (PUBLIC_BASE_URL stands for it). */
  const pathOf = (url: string) => url.slice(PUBLIC_BASE_URL.length);

  /** Pretends the message was handed over ten minutes ago, as a person's click comes later than a scanner's. */
  async function deliveredMinutesAgo(messageId: string): Promise<void> {
    await t.db.query(`UPDATE messages SET sent_at = sent_at - interval '10 minutes' WHERE id = $1`, [messageId]);
  }

  async function events(messageId: string): Promise<Array<{ status: string; applied: boolean; payload: Record<string, unknown> }>> {
    const { body } = await t.http.get(`/messages/${messageId}`).set(t.auth('viewer')).expect(200);
    return body.events.filter((e: { providerStatus: string }) => e.providerStatus === 'tracking');
  }

  async function interactions(contactId: string, kind: string): Promise<Array<{ messageId: string; details: Record<string, unknown>; recordedBy: string }>> {
    const { body } = await t.http.get(`/contacts/${contactId}/interactions`).query({ kind }).set(t.auth('viewer')).expect(200);
    return body.items;
  }

  const trackingEventCount = async () => Number((await t.db.query(`SELECT count(*)::int AS n FROM message_events WHERE provider_status = 'tracking'`))[0].n);
  const interactionCount = async () => Number((await t.db.query(`SELECT count(*)::int AS n FROM interactions WHERE recorded_by = 'tracking'`))[0].n);

  it('rewrites each link of a campaign e-mail, redirects a person to exactly the original URL, and remembers the click', async () => {
    const { campaignId, mails } = await sendCampaign(2);
    const [mail, other] = mails;

    // Links out are tracked; mailto and our own unsubscribe link are left as they are; one pixel.
    const tracked = mail.links.filter((l) => l.startsWith(`${PUBLIC_BASE_URL}/t/c/`));
    expect(tracked).toHaveLength(3);
    expect(mail.links).toContain('mailto:care@tidings.test');
    // The body's unsubscribe link is the header's one-click link, and it belongs to this contact.
    const unsubscribe = mail.links.filter((l) => l.startsWith(`${PUBLIC_BASE_URL}/unsubscribe/`));
    expect(unsubscribe).toEqual([mail.listUnsubscribe]);
    const unsubscribeToken = t.app.get(SignedTokens).verify(mail.listUnsubscribe.slice(`${PUBLIC_BASE_URL}/unsubscribe/`.length), 'unsubscribe');
    expect(unsubscribeToken).toMatchObject({ ok: true, claims: { contactId: mail.contactId, data: { ch: 'email' } } });
    expect(mail.html).not.toContain('shop.example.com');
    expect(pixelOf(mail)).toMatch(new RegExp(`^${PUBLIC_BASE_URL}/t/o/[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]{22}\\.gif$`));
    expect(Math.max(...tracked.map((l) => l.length))).toBeLessThan(260);
    // The same URL twice in one message is one link (one token); two URLs, two links.
    expect(tracked[0]).toBe(tracked[2]);
    expect(tracked[1]).not.toBe(tracked[0]);
    // One stored row per campaign and URL, however many recipients.
    const stored: Array<{ url: string }> = await t.db.query(`SELECT url FROM tracked_links WHERE campaign_id = $1 ORDER BY url`, [campaignId]);
    expect(stored.map((r) => r.url)).toEqual([SERVICE, WINTER]);

    await deliveredMinutesAgo(mail.messageId);
    const click = await t.http.get(pathOf(tracked[0])).set('User-Agent', BROWSER).expect(302);
    expect(click.headers.location).toBe(WINTER);
    expect(click.headers['cache-control']).toContain('no-store');
    expect(click.headers['referrer-policy']).toBe('no-referrer');
    expect((await t.http.get(pathOf(tracked[1])).set('User-Agent', BROWSER).expect(302)).headers.location).toBe(SERVICE);
    await t.http.get(pathOf(tracked[0])).set('User-Agent', BROWSER).expect(302);

    const clicks = (await events(mail.messageId)).filter((e) => e.status === 'clicked');
    expect(clicks.map((e) => [e.payload.unique, e.payload.bot])).toEqual([[true, false], [true, false], [false, false]]);
    expect(clicks[0].applied).toBe(true); // sent → read
    const { body: message } = await t.http.get(`/messages/${mail.messageId}`).set(t.auth('viewer')).expect(200);
    expect(message.status).toBe('read');

    const remembered = await interactions(mail.contactId, 'message_clicked');
    expect(remembered).toHaveLength(2); // one per link, the repeat is counted in the events only
    expect(remembered.map((i) => i.details.url).sort()).toEqual([SERVICE, WINTER]);
    expect(remembered[0]).toMatchObject({ messageId: mail.messageId, recordedBy: 'tracking', details: { source: 'tracking', campaignId } });
    // The other recipient's memory has nothing of it.
    expect(await interactions(other.contactId, 'message_clicked')).toEqual([]);
    expect(await events(other.messageId)).toEqual([]);
  });

  it('counts the first open of a message as unique and every open in the total', async () => {
    const { campaignId, mails } = await sendCampaign(1);
    const [mail] = mails;
    await deliveredMinutesAgo(mail.messageId);
    for (let i = 0; i < 2; i++) {
      const pixel = await t.http.get(pathOf(pixelOf(mail))).set('User-Agent', BROWSER).expect(200);
      expect(pixel.headers['content-type']).toBe('image/gif');
      expect(pixel.body).toHaveLength(42);
      expect(pixel.headers['cache-control']).toContain('no-store');
      expect(pixel.headers['cross-origin-resource-policy']).toBe('cross-origin');
    }
    const opens = (await events(mail.messageId)).filter((e) => e.status === 'opened');
    expect(opens.map((e) => e.payload.unique)).toEqual([true, false]);
    const remembered = await interactions(mail.contactId, 'message_opened');
    expect(remembered).toHaveLength(1);
    expect(remembered[0]).toMatchObject({ messageId: mail.messageId, details: { source: 'tracking', campaignId } });
    const { body: counts } = await t.http.get(`/campaigns/${campaignId}/tracking`).set(t.auth('viewer')).expect(200);
    expect(counts).toMatchObject({ opened: { unique: 1, total: 2, bots: 0 }, clicked: { unique: 0, total: 0, bots: 0 } });
  });

  it('marks HEAD requests, scanners and clicks on delivery as machines, still redirecting them, and counts none as a person', async () => {
    const { campaignId, mails } = await sendCampaign(1);
    const [mail] = mails;
    const link = mail.links.find((l) => l.includes('/t/c/'))!;

    // Straight after delivery, as Safe Links and Proofpoint do: a click no person could make yet.
    await t.db.query(`UPDATE messages SET sent_at = now() WHERE id = $1`, [mail.messageId]);
    expect((await t.http.get(pathOf(link)).set('User-Agent', BROWSER).expect(302)).headers.location).toBe(WINTER);
    await deliveredMinutesAgo(mail.messageId);
    expect((await t.http.head(pathOf(link)).set('User-Agent', BROWSER).expect(302)).headers.location).toBe(WINTER);
    await t.http.get(pathOf(link)).set('User-Agent', SAFE_LINKS).expect(302);
    await t.http.get(pathOf(pixelOf(mail))).set('User-Agent', 'python-requests/2.31').expect(200);
    await t.http.get(pathOf(link)).unset('User-Agent').expect(302);

    const hits = await events(mail.messageId);
    expect(hits.map((e) => [e.status, e.payload.bot, e.payload.botReason, e.applied])).toEqual([
      ['clicked', true, 'too_soon_after_delivery', false],
      ['clicked', true, 'head_request', false],
      ['clicked', true, 'user_agent:microsoft-link-preview', false],
      ['opened', true, 'user_agent:http-library', false],
      ['clicked', true, 'no_user_agent', false],
    ]);
    expect((await t.http.get(`/messages/${mail.messageId}`).set(t.auth('viewer')).expect(200)).body.status).toBe('sent');
    expect(await interactions(mail.contactId, 'message_clicked')).toEqual([]);
    expect(await interactions(mail.contactId, 'message_opened')).toEqual([]);

    // The person who comes afterwards is the first, unique human.
    await t.http.get(pathOf(link)).set('User-Agent', BROWSER).expect(302);
    const { body: counts } = await t.http.get(`/campaigns/${campaignId}/tracking`).set(t.auth('viewer')).expect(200);
    expect(counts).toMatchObject({ opened: { unique: 0, total: 0, bots: 1 }, clicked: { unique: 1, total: 1, bots: 4 } });
  });

  it('answers a modified, mutated, foreign or expired token with a plain page, never a redirect elsewhere, recording nothing', async () => {
    const { mails } = await sendCampaign(2);
    const [mail, other] = mails;
    await deliveredMinutesAgo(mail.messageId);
    await deliveredMinutesAgo(other.messageId);
    const link = mail.links.find((l) => l.includes('/t/c/'))!;
    const token = link.slice(`${PUBLIC_BASE_URL}/t/c/`.length);
    const tokens = t.app.get(SignedTokens);
    const claims = tokens.verify(token, 'tracking');
    if (!claims.ok) throw new Error('the link token did not verify');
    const { m, l } = claims.claims.data!;
    const otherClaims = tokens.verify(other.links.find((x) => x.includes('/t/c/'))!.slice(`${PUBLIC_BASE_URL}/t/c/`.length), 'tracking');
    if (!otherClaims.ok) throw new Error('the other link token did not verify');
    const sign = (contactId: string, data: Record<string, string>, expiresAt = new Date(Date.now() + 86_400_000)) =>
      tokens.sign({ purpose: 'tracking', contactId, data, expiresAt });
    const before = { events: await trackingEventCount(), interactions: await interactionCount() };

    // Hand-made tokens: properly signed ones naming a link that does not exist, another contact's
    // message, this message under another contact, no link at all; another link's claims under this
    // link's signature; another purpose's key; garbage; a signature one character too long.
    const forged = [
      sign(claims.claims.contactId, { m, l: 'AAAAAAAAAAAAAAAA' }),
      sign(claims.claims.contactId, { m: otherClaims.claims.data!.m, l }),
      sign(otherClaims.claims.contactId, { m, l }),
      sign(claims.claims.contactId, { m }),
      `${sign(claims.claims.contactId, { m, l: 'AAAAAAAAAAAAAAAA' }).split('.')[0]}.${token.split('.')[1]}`,
      tokens.sign({ purpose: 'preferences', contactId: claims.claims.contactId, data: { m, l }, expiresAt: new Date(Date.now() + 86_400_000) }),
      'not-a-token',
      `${token}x`,
    ];
    for (const bad of forged) {
      const res = await t.http.get(`/t/c/${encodeURIComponent(bad)}`).set('User-Agent', BROWSER);
      expect([res.status, res.headers.location]).toEqual([404, undefined]);
      expect(res.text).not.toContain('shop.example.com');
      expect(res.text).not.toContain(claims.claims.contactId);
    }
    const expired = await t.http.get(`/t/c/${sign(claims.claims.contactId, { m, l }, new Date(Date.now() - 1000))}`).set('User-Agent', BROWSER);
    expect([expired.status, expired.headers.location]).toEqual([410, undefined]);
    // A foreign or forged pixel is still a GIF, and still records nothing.
    await t.http.get(`/t/o/${sign(otherClaims.claims.contactId, { m })}.gif`).set('User-Agent', BROWSER).expect(200).expect('Content-Type', 'image/gif');
    expect({ events: await trackingEventCount(), interactions: await interactionCount() }).toEqual(before);

    // A thousand random mutations of the genuine token: each is refused, or (when the change is
    // invisible to the decoder, e.g. the MAC's unused low bits) redirects to the stored URL.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.%~';
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('replace' as const), at: fc.nat(token.length - 1), char: fc.constantFrom(...alphabet) }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(token.length), char: fc.constantFrom(...alphabet) }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat(token.length - 1), char: fc.constant('') }),
    );
    let redirects = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (changes) => {
        let mutated = token;
        for (const change of changes) {
          const at = Math.min(change.at, mutated.length);
          mutated = mutated.slice(0, at) + change.char + mutated.slice(change.kind === 'insert' ? at : at + 1);
        }
        fc.pre(mutated !== token && mutated.length > 0);
        const res = await t.http.get(`/t/c/${encodeURIComponent(mutated)}`).set('User-Agent', BROWSER);
        if (res.status === 302) {
          redirects++;
          expect(res.headers.location).toBe(WINTER);
        } else {
          expect([res.status, res.headers.location]).toEqual([404, undefined]);
        }
      }),
      { numRuns: 1000 },
    );
    // Only the redirects (the genuine link, differently spelled) were recorded, and only for this contact.
    expect(await trackingEventCount()).toBe(before.events + redirects);
    expect(await events(other.messageId)).toEqual([]);
    expect(await interactions(other.contactId, 'message_clicked')).toEqual([]);
  });
});
