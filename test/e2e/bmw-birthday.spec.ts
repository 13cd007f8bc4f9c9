import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { ManualClock } from '../../src/campaigns/calendar/clock';
import { CampaignScheduler } from '../../src/campaigns/campaign-scheduler.service';
import { DeliveryWorker } from '../../src/delivery/delivery-worker';
import { contactInput } from '../factories/contact.factory';
import { candlesDrawn, pdfText, readPdfPages, squash } from '../integration/direct-mail-pdf';
import { SmtpSink } from '../support/smtp-sink';
import { createTestApp, TestApp } from '../support/test-app';
import { accountSid, TwilioFake } from '../support/twilio-fake';

/**
 * Scenario 2 of the mission, end to end: a birthday campaign greets each owner on their birthday,
 * at 09:00 in their own time zone, on their own channel — e-mail through a real SMTP server, SMS
 * through the real Twilio client, a printed card whose candles equal the new age — and running it
 * again the same day sends nobody a second greeting. Opted-out owners get nothing, with a reason.
 */
const PUBLIC_BASE_URL = 'https://care.tidings.test';
const VARIABLES = ['SMTP_URL', 'TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM', 'TWILIO_API_BASE_URL', 'PUBLIC_BASE_URL', 'OUTBOX_DIR'];

describe('the BMW birthday campaign', () => {
  let t: TestApp;
  let sink: SmtpSink;
  let fake: TwilioFake;
  const clock = new ManualClock('2027-05-16T12:00:00Z');
  const tag = `bmw-${randomBytes(4).toString('hex')}`;
  const people: Record<string, { id: string; email: string; phone: string }> = {};

  async function owner(name: string, fields: Record<string, unknown>, preferredChannel?: string) {
    const input = contactInput({ tags: [tag], ...fields });
    const { body } = await t.http.post('/contacts').set(t.auth('marketer')).send(input).expect(201);
    if (preferredChannel) {
      await t.http
        .post(`/contacts/${body.id}/preferences`)
        .set(t.auth('marketer'))
        .send({ preferences: [{ key: 'preferred_channel', value: preferredChannel, source: 'web_form' }] })
        .expect(201);
    }
    people[name] = { id: body.id, email: input.email as string, phone: input.phone as string };
  }

  let campaignId = '';
  async function deliverEverythingDue(): Promise<void> {
    const worker = t.app.get(DeliveryWorker);
    await t.app.get(CampaignScheduler).evaluateTrigger(campaignId, clock.now());
    while ((await worker.runOnce({ campaignIds: [campaignId] })).claimed > 0);
  }

  beforeAll(async () => {
    sink = await SmtpSink.start();
    const sid = accountSid();
    const token = randomBytes(16).toString('hex');
    fake = await new TwilioFake(sid, token).start();
    t = await createTestApp(
      {
        SMTP_URL: sink.url,
        TWILIO_ACCOUNT_SID: sid,
        TWILIO_AUTH_TOKEN: token,
        TWILIO_FROM: '+15005550006',
        TWILIO_API_BASE_URL: fake.url,
        PUBLIC_BASE_URL,
        OUTBOX_DIR: mkdtempSync(join(tmpdir(), 'tidings-bmw-')),
      },
      { clock },
    );
    const emailConsent = { email: { granted: true, text: 'Birthday wishes by e-mail', source: 'dealer' } };
    const smsConsent = { sms: { granted: true, text: 'Birthday wishes by SMS', source: 'dealer' } };
    await owner('ann', { givenName: 'An', familyName: 'Wang', locale: 'zh-CN', timeZone: 'Asia/Shanghai', birthday: '1980-05-17', consent: emailConsent }, 'email');
    await owner('bob', { givenName: 'Bob', familyName: 'Miller', formOfAddress: 'Mr Miller', locale: 'en', timeZone: 'America/Los_Angeles', birthday: '1990-05-17', consent: smsConsent }, 'sms');
    await owner(
      'carl',
      {
        givenName: 'Carl', familyName: 'Becker', formOfAddress: 'Mr Becker', locale: 'en', timeZone: 'Europe/Berlin', birthday: '1970-05-17',
        address: { street: 'Petuelring', houseNumber: '130', postcode: '80809', city: 'München', country: 'DE' },
      },
      'mail',
    );
    // Opted out of everything: no greeting by any channel.
    const optedOut = { granted: false, source: 'unsubscribe link' };
    await owner('dora', { givenName: 'Dora', familyName: 'Fischer', locale: 'en', timeZone: 'Europe/Berlin', birthday: '1985-05-17', consent: { email: optedOut, sms: optedOut, mail: optedOut } });
    await owner('eve', { givenName: 'Eve', familyName: 'Adams', locale: 'en', timeZone: 'Europe/Berlin', birthday: '1985-05-20', consent: emailConsent });
  });

  afterAll(async () => {
    await t.close();
    await sink.close();
    await fake.stop();
    for (const name of VARIABLES) delete process.env[name];
  });

  it('greets each owner once, at 09:00 local, on their own channel, with their age in candles', async () => {
    const created = await t.http
      .post('/campaigns')
      .set(t.auth('marketer'))
      .send({
        name: 'BMW birthday card',
        kind: 'trigger',
        audience: { field: 'tags', op: 'has', value: tag },
        templateKey: 'birthday',
        channels: ['email', 'sms', 'mail'],
        trigger: { type: 'birthday', localTime: '09:00' },
        print: { format: 'a6', kind: 'birthday-card' },
        careExempt: true,
      });
    expect(created.status).toBe(201);
    campaignId = created.body.id as string;
    await t.http.post(`/campaigns/${campaignId}/start`).set(t.auth('marketer')).expect(200);

    // The evening before: nobody's 09:00 has come, so nothing went.
    await deliverEverythingDue();
    expect(sink.messages).toHaveLength(0);

    // Through the birthday, in steps, so each zone's morning is crossed.
    for (const at of ['2027-05-17T02:00:00Z', '2027-05-17T08:00:00Z', '2027-05-17T17:00:00Z']) {
      clock.set(at);
      await deliverEverythingDue();
    }
    // The same day again: a second scheduler pass over the whole day and a second delivery round.
    await t.db.query(`UPDATE campaigns SET evaluated_until = NULL WHERE id = $1`, [campaignId]);
    clock.set('2027-05-17T20:00:00Z');
    await deliverEverythingDue();

    const rows: Array<{ contact_id: string; state: string; reason: string; channel: string | null; due_at: Date }> = await t.db.query(
      `SELECT contact_id, state, reason, channel, due_at FROM outbox_messages WHERE campaign_id = $1`,
      [campaignId],
    );
    const byContact = new Map(rows.map((r) => [r.contact_id, r]));
    expect(rows).toHaveLength(4); // eve's birthday is another day
    expect(byContact.get(people.ann.id)).toMatchObject({ state: 'sent', channel: 'email' });
    expect(byContact.get(people.bob.id)).toMatchObject({ state: 'sent', channel: 'sms' });
    expect(byContact.get(people.carl.id)).toMatchObject({ state: 'sent', channel: 'mail' });
    expect(byContact.get(people.dora.id)).toMatchObject({ state: 'skipped', reason: 'opted_out' });
    // 09:00 on each owner's own clock.
    expect(new Date(byContact.get(people.ann.id)!.due_at).toISOString()).toBe('2027-05-17T01:00:00.000Z');
    expect(new Date(byContact.get(people.carl.id)!.due_at).toISOString()).toBe('2027-05-17T07:00:00.000Z');
    expect(new Date(byContact.get(people.bob.id)!.due_at).toISOString()).toBe('2027-05-17T16:00:00.000Z');

    // Ann: one e-mail, in Chinese, 47 candles.
    const toAnn = sink.messages.filter((m) => m.to.includes(people.ann.email));
    expect(sink.messages).toHaveLength(1);
    expect(toAnn).toHaveLength(1);
    const mail = await simpleParser(toAnn[0].raw);
    expect(mail.html).toBeTruthy();
    expect(((mail.html as string).match(/🕯/gu) ?? []).length).toBe(47);
    expect(mail.headerLines.find((h) => h.key === 'list-unsubscribe')?.line).toContain(`${PUBLIC_BASE_URL}/unsubscribe/`);

    // Bob: one text naming his new age (a row of 37 candle emoji would cost five UCS-2 segments).
    const toBob = fake.messagesTo(people.bob.phone);
    expect(fake.messages).toHaveLength(1);
    expect(toBob).toHaveLength(1);
    expect(toBob[0].body).toContain('37th birthday');

    // Carl: one printed card with 57 candles, addressed to him.
    const [letter] = await t.db.query(
      `SELECT batch_id FROM messages WHERE campaign_id = $1 AND channel = 'mail' AND contact_id = $2`,
      [campaignId, people.carl.id],
    );
    expect(letter.batch_id).toBeTruthy();
    const pdf = await t.http.get(`/direct-mail/batches/${letter.batch_id}/letters.pdf`).set(t.auth('viewer')).buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    const pages = readPdfPages(pdf.body as Buffer);
    expect(pages).toHaveLength(1);
    expect(candlesDrawn(pages[0])).toBe(57);
    expect(squash((await pdfText(pdf.body as Buffer)).get(1) ?? '')).toContain(squash('Petuelring 130'));

    // Every decision has a reason a marketer can read.
    const { body: recipients } = await t.http.get(`/campaigns/${campaignId}/recipients`).set(t.auth('viewer')).expect(200);
    expect(recipients.items.every((r: { reason: string | null }) => typeof r.reason === 'string' && r.reason.length > 0)).toBe(true);
  });
});
