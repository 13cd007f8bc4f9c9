import { simpleParser } from 'mailparser';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { ManualClock } from '../../src/campaigns/calendar/clock';
import { DeliveryWorker } from '../../src/delivery/delivery-worker';
import { contactInput } from '../factories/contact.factory';
import { SmtpSink } from '../support/smtp-sink';
import { createTestApp, TestApp } from '../support/test-app';
import { isolatedDatabase } from '../support/test-database';
import { accountSid, TwilioFake } from '../support/twilio-fake';

/**
 * Issue 8: the numbers of a campaign's report are the rows behind it, counted again. A campaign
 * really runs — e-mail to a real SMTP server that refuses some addresses, SMS through the real
 * twilio client to a server speaking Twilio's API that rejects some numbers — to a random mix of
 * people (seeded: REPORT_SEED repeats a run); then people open, click, unsubscribe, reply and
 * Twilio reports deliveries, all over HTTP. The test recounts every funnel number per channel and
 * variant from the outbox, messages, events, memory and consent rows in plain code, and checks the
 * totals against what it did itself.
 */
const PUBLIC_BASE_URL = 'https://care.tidings.test';
const BROWSER = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15';
const SCANNER = 'Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/534+ (KHTML, like Gecko) BingPreview/1.0b';
const INBOUND_URL = `${PUBLIC_BASE_URL}/channels/sms/twilio/inbound`;
const FUNNEL_KEYS = [
  'audience', 'materialised', 'sent', 'delivered', 'bounced', 'failed', 'deadLettered', 'skipped', 'deferred', 'waiting',
  'openedUnique', 'openedTotal', 'clickedUnique', 'clickedTotal', 'replied', 'unsubscribed',
] as const;
type Funnel = Record<(typeof FUNNEL_KEYS)[number], number>;

/** Who someone is to this campaign: how they can be reached, and what the providers will do. */
const PROFILES = ['email', 'sms', 'refusedEmail', 'rejectedNumber', 'noConsent', 'revoked', 'noAddress'] as const;
type Profile = (typeof PROFILES)[number];

/** A small seeded generator (mulberry32): the same seed gives the same people and the same clicks. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('campaign report recounted from its rows (e2e)', () => {
  let t: TestApp;
  let sink: SmtpSink;
  let twilio: TwilioFake;
  // A database of its own: a worker of another suite sharing the database would claim this campaign's due rows with its own settings.
  let database: Awaited<ReturnType<typeof isolatedDatabase>>;
  const clock = new ManualClock('2027-06-01T04:00:00Z'); // noon in Shanghai: no quiet hours
  const seed = Number(process.env.REPORT_SEED ?? randomBytes(4).readUInt32BE());
  const sid = accountSid();
  const authToken = randomBytes(16).toString('hex');

  beforeAll(async () => {
    sink = await SmtpSink.start();
    twilio = await new TwilioFake(sid, authToken, (url) => url.replace(PUBLIC_BASE_URL, t.baseUrl)).start();
    database = await isolatedDatabase('recount');
    t = await createTestApp(
      {
        DATABASE_URL: database.url,
        SMTP_URL: sink.url,
        PUBLIC_BASE_URL,
        OUTBOX_DIR: mkdtempSync(join(tmpdir(), 'tidings-recount-')),
        PUBLIC_RATE_LIMIT_PER_MINUTE: '100000',
        TWILIO_ACCOUNT_SID: sid,
        TWILIO_AUTH_TOKEN: authToken,
        TWILIO_FROM: '+15005550006',
        TWILIO_API_BASE_URL: twilio.url,
      },
      { clock },
    );
  });
  afterAll(async () => {
    await t.close();
    await sink.close();
    await twilio.stop();
    await database.drop();
    for (const name of ['SMTP_URL', 'PUBLIC_BASE_URL', 'OUTBOX_DIR', 'PUBLIC_RATE_LIMIT_PER_MINUTE', 'TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM', 'TWILIO_API_BASE_URL']) {
      delete process.env[name];
    }
  });

  async function newContact(tag: string, profile: Profile): Promise<{ id: string; email: string | null; phone: string | null }> {
    const granted = (text: string) => ({ granted: true, text, source: 'shop counter' });
    const base = contactInput({ tags: [tag], locale: 'en' });
    const input: Record<string, unknown> = {
      email: { ...base, consent: { email: granted('News by e-mail') }, phone: undefined },
      refusedEmail: { ...base, consent: { email: granted('News by e-mail') }, phone: undefined },
      sms: { ...base, consent: { sms: granted('Texts about my car') }, email: undefined },
      rejectedNumber: { ...base, consent: { sms: granted('Texts about my car') }, email: undefined },
      noConsent: base,
      revoked: { ...base, consent: { email: granted('News by e-mail') }, phone: undefined },
      noAddress: { ...base, email: undefined, phone: undefined, consent: { email: granted('News by e-mail') } },
    }[profile] as Record<string, unknown>;
    const { body } = await t.http.post('/contacts').set(t.auth('marketer')).send(input).expect(201);
    if (profile === 'revoked') {
      await t.http.post(`/contacts/${body.id}/consent`).set(t.auth('marketer')).send({ email: { granted: false, source: 'phone call' } }).expect(200);
    }
    const email = (input.email as string | undefined) ?? null;
    const phone = (body.phone as string | null) ?? null;
    if (profile === 'refusedEmail') sink.refuse(email!, 550, '5.1.1 mailbox unknown');
    if (profile === 'rejectedNumber') twilio.respondTo(phone!, { kind: 'error', status: 400, code: 21211, message: "The 'To' number is not a valid phone number." });
    return { id: body.id, email, phone };
  }

  /** Every funnel number per channel and variant, counted from the rows in plain code. */
  async function recount(campaignId: string): Promise<Map<string, Funnel>> {
    const outbox: Array<{ contact_id: string; channel: string | null; variant: string | null; state: string; reason: string | null; message_id: string | null }> =
      await t.db.query(`SELECT contact_id, channel, variant, state, reason, message_id FROM outbox_messages WHERE campaign_id = $1`, [campaignId]);
    const messages: Array<{ id: string; status: string; sent_at: Date | null }> = await t.db.query(`SELECT id, status, sent_at FROM messages WHERE campaign_id = $1`, [campaignId]);
    const events: Array<{ message_id: string; status: string; payload: Record<string, unknown> | null }> = await t.db.query(
      `SELECT e.message_id, e.status, e.payload FROM message_events e JOIN messages m ON m.id = e.message_id WHERE m.campaign_id = $1`,
      [campaignId],
    );
    const memory: Array<{ message_id: string; kind: string }> = await t.db.query(
      `SELECT i.message_id, i.kind FROM interactions i JOIN messages m ON m.id = i.message_id WHERE m.campaign_id = $1`,
      [campaignId],
    );
    const consent: Array<{ contact_id: string; channel: string; status: string; source: string; recorded_at: Date }> = await t.db.query(
      `SELECT contact_id, channel, status, source, recorded_at FROM contact_consent_events WHERE contact_id IN (SELECT contact_id FROM outbox_messages WHERE campaign_id = $1)`,
      [campaignId],
    );
    const messageById = new Map(messages.map((m) => [m.id, m]));
    const human = (status: string) => (e: (typeof events)[number]) => e.status === status && e.payload?.bot !== true;
    const lines = new Map<string, Funnel & { people: Set<string> }>();
    for (const row of outbox) {
      const key = `${row.channel ?? '(none)'}/${row.variant ?? '(none)'}`;
      const line = lines.get(key) ?? { ...(Object.fromEntries(FUNNEL_KEYS.map((k) => [k, 0])) as Funnel), people: new Set<string>() };
      lines.set(key, line);
      const message = row.message_id ? messageById.get(row.message_id) : undefined;
      const mine = events.filter((e) => e.message_id === row.message_id);
      const deferred = row.state === 'pending' && (row.reason ?? '').startsWith('deferred:');
      line.people.add(row.contact_id);
      line.materialised++;
      if (row.state === 'sent') line.sent++;
      if (row.state === 'sent' && (message?.status === 'delivered' || message?.status === 'read')) line.delivered++;
      if (message?.status === 'bounced' || memory.some((i) => i.message_id === row.message_id && i.kind === 'message_bounced')) line.bounced++;
      if (row.state === 'failed') line.failed++;
      if (row.state === 'dead') line.deadLettered++;
      if (row.state === 'skipped') line.skipped++;
      if (deferred) line.deferred++;
      if (['pending', 'processing', 'sending'].includes(row.state) && !deferred) line.waiting++;
      line.openedTotal += mine.filter(human('opened')).length;
      line.openedUnique += mine.some(human('opened')) ? 1 : 0;
      line.clickedTotal += mine.filter(human('clicked')).length;
      line.clickedUnique += mine.some(human('clicked')) ? 1 : 0;
      if (row.message_id && memory.some((i) => i.message_id === row.message_id && i.kind === 'message_replied')) line.replied++;
      const unsubscribedAfter = consent.some(
        (c) => c.contact_id === row.contact_id && c.channel === row.channel && c.status === 'revoked' && c.source === 'unsubscribe' && message?.sent_at && c.recorded_at >= message.sent_at,
      );
      if (row.message_id && unsubscribedAfter) line.unsubscribed++;
    }
    return new Map([...lines].map(([key, { people, ...line }]) => [key, { ...line, audience: people.size }]));
  }

  it('counts what a real e-mail and SMS campaign did exactly as its rows and events say', async () => {
    const next = random(seed);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)];
    const tag = `recount-${randomBytes(4).toString('hex')}`;
    const people: Array<{ id: string; email: string | null; phone: string | null; profile: Profile }> = [];
    for (let i = 0; i < 36; i++) {
      // Every profile at least twice, then at random.
      const profile = i < PROFILES.length * 2 ? PROFILES[i % PROFILES.length] : pick(PROFILES);
      people.push({ ...(await newContact(tag, profile)), profile });
    }
    for (const channel of ['email', 'sms'] as const) {
      const content = channel === 'email' ? { subject: 'Winter tyres, {{contact.givenName}}', html: '<p>{{greeting}}, <a href="https://shop.example.com/winter">our winter tyres</a> are in.</p>' } : { body: '{{greeting}}, winter tyres are in.' };
      const { body: template } = await t.http.post('/templates').set(t.auth('marketer')).send({ key: tag, channel, locale: 'en', ...content }).expect(201);
      await t.http.post(`/templates/${template.id}/publish`).set(t.auth('marketer')).expect(200);
    }
    const { body: campaign } = await t.http
      .post('/campaigns')
      .set(t.auth('marketer'))
      .send({ name: `Winter ${tag}`, kind: 'broadcast', templateKey: tag, channels: ['email', 'sms'], audience: { field: 'tags', op: 'has', value: tag } })
      .expect(201);
    await t.http.post(`/campaigns/${campaign.id}/start`).set(t.auth('marketer')).expect(200);
    const worker = t.app.get(DeliveryWorker);
    while ((await worker.runOnce({ campaignIds: [campaign.id] })).claimed > 0);
    // A person's opens and clicks come minutes after delivery; a scanner's within seconds are bots anyway.
    await t.db.query(`UPDATE messages SET sent_at = sent_at - interval '10 minutes' WHERE campaign_id = $1`, [campaign.id]);

    const did = { opens: 0, openedMessages: 0, clicks: 0, clickedMessages: 0, unsubscribed: 0, replied: 0, delivered: 0, undelivered: 0 };
    const base = (url: string) => url.replace(PUBLIC_BASE_URL, '');
    for (const received of sink.messages.filter((m) => people.some((p) => p.email && m.to.includes(p.email)))) {
      const mail = await simpleParser(received.raw);
      const html = mail.html as string;
      const pixel = /<img src="([^"]+\/t\/o\/[^"]+\.gif)"/.exec(html)![1];
      const link = [...html.matchAll(/<a [^>]*href="([^"]+\/t\/c\/[^"]+)"/g)].map((m) => m[1])[0];
      const opens = Math.floor(next() * 3);
      for (let i = 0; i < opens; i++) await request(t.baseUrl).get(base(pixel)).set('User-Agent', BROWSER).expect(200);
      did.opens += opens;
      did.openedMessages += opens > 0 ? 1 : 0;
      if (next() < 0.5) await request(t.baseUrl).get(base(pixel)).set('User-Agent', SCANNER).expect(200); // never counted
      const clicks = opens > 0 && next() < 0.6 ? 1 + Math.floor(next() * 2) : 0;
      for (let i = 0; i < clicks; i++) await request(t.baseUrl).get(base(link)).set('User-Agent', BROWSER).expect(302);
      did.clicks += clicks;
      did.clickedMessages += clicks > 0 ? 1 : 0;
      if (next() < 0.3) {
        const unsubscribe = /^List-Unsubscribe:\s*<([^>]+)>/im.exec(received.raw.toString())![1];
        await request(t.baseUrl).post(base(unsubscribe)).type('form').send('List-Unsubscribe=One-Click').expect(200);
        did.unsubscribed++;
      }
    }
    for (const person of people.filter((p) => p.phone)) {
      for (const sms of twilio.messagesTo(person.phone!)) {
        const outcome = pick(['delivered', 'undelivered', 'none'] as const);
        if (outcome !== 'none') expect((await twilio.sendStatus(sms.sid, outcome, outcome === 'undelivered' ? { errorCode: 30003 } : {})).status).toBe(200);
        if (outcome === 'delivered') did.delivered++;
        if (outcome === 'undelivered') did.undelivered++;
        if (next() < 0.4) {
          expect((await twilio.sendInbound(INBOUND_URL, { from: person.phone!, body: 'Thanks, how much are they?' })).status).toBe(200);
          did.replied++;
        }
      }
    }

    const { body: report } = await t.http.get(`/reports/campaigns/${campaign.id}`).set(t.auth('viewer')).expect(200);
    const counted = await recount(campaign.id);
    const context = `REPORT_SEED=${seed}`;
    // Per channel and variant, every number is the rows counted again.
    expect([context, report.lines.map((l: { channel: string; variant: string }) => `${l.channel}/${l.variant}`).sort()]).toEqual([context, [...counted.keys()].sort()]);
    for (const line of report.lines as Array<Funnel & { channel: string; variant: string }>) {
      const expected = counted.get(`${line.channel}/${line.variant}`)!;
      expect([context, line.channel, line.variant, Object.fromEntries(FUNNEL_KEYS.map((k) => [k, line[k]]))]).toEqual([context, line.channel, line.variant, expected]);
    }
    // And the totals are what happened: who could not be reached and why, what the providers did, what people did.
    const count = (...profiles: Profile[]) => people.filter((p) => profiles.includes(p.profile)).length;
    expect([context, report.total]).toMatchObject([
      context,
      {
        audience: people.length,
        materialised: people.length,
        sent: count('email', 'sms'),
        failed: count('refusedEmail', 'rejectedNumber'),
        skipped: count('noConsent', 'revoked', 'noAddress'),
        deferred: 0,
        waiting: 0,
        deadLettered: 0,
        // Texts Twilio reported delivered, and e-mails a person opened (an open is the proof SMTP never gives: 'read').
        delivered: did.delivered + did.openedMessages,
        openedTotal: did.opens,
        openedUnique: did.openedMessages,
        clickedTotal: did.clicks,
        clickedUnique: did.clickedMessages,
        unsubscribed: did.unsubscribed,
        replied: did.replied,
        reasons: { skipped: { no_consented_channel: count('noConsent'), opted_out: count('revoked'), no_address: count('noAddress') } },
      },
    ]);
    expect(Object.keys(report.total.reasons.skipped).sort()).toEqual(['no_address', 'no_consented_channel', 'opted_out']);
  });
});
