import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel, SMS_CHANNEL, SmsMessage } from '../../src/channels/channel.types';
import { MessagesService } from '../../src/channels/messages/messages.service';
import { SmsSender } from '../../src/channels/sms/sms-sender.service';
import { contactInput } from '../factories/contact.factory';
import { createTestApp, TestApp } from '../support/test-app';
import { accountSid, messageSid, TwilioFake } from '../support/twilio-fake';

/**
 * The SMS channel end to end: the real `twilio` client posts to a local server speaking Twilio's
 * Messages API; that server plays Twilio's side of the webhooks (status callbacks, customers' texts)
 * with real signatures, against the app's public routes.
 */
const PUBLIC_BASE_URL = 'https://tidings.test';
const STATUS_URL = `${PUBLIC_BASE_URL}/channels/sms/twilio/status`;
const INBOUND_URL = `${PUBLIC_BASE_URL}/channels/sms/twilio/inbound`;
const FROM = '+15005550006';
const SMS_VARIABLES = ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM', 'TWILIO_API_BASE_URL', 'PUBLIC_BASE_URL', 'OUTBOX_DIR'];

/** A mainland mobile number nobody else in the run uses. */
function uniquePhone(): string {
  return `+86139${String(randomBytes(4).readUInt32BE() % 1e8).padStart(8, '0')}`;
}

describe('SMS through Twilio', () => {
  let t: TestApp;
  let fake: TwilioFake;
  let sender: SmsSender;
  const sid = accountSid();
  const authToken = randomBytes(16).toString('hex');

  beforeAll(async () => {
    // Twilio signs for the public URL; a reverse proxy would carry the request to the app's port.
    fake = await new TwilioFake(sid, authToken, (url) => url.replace(PUBLIC_BASE_URL, t.baseUrl)).start();
    t = await createTestApp({
      TWILIO_ACCOUNT_SID: sid,
      TWILIO_AUTH_TOKEN: authToken,
      TWILIO_FROM: FROM,
      TWILIO_API_BASE_URL: fake.url,
      PUBLIC_BASE_URL,
    });
    sender = t.app.get(SmsSender);
  });
  afterAll(async () => {
    await t.close();
    await fake.stop();
    for (const name of SMS_VARIABLES) delete process.env[name];
  });

  async function newContact(overrides: Record<string, unknown> = {}): Promise<{ id: string; phone: string }> {
    const phone = uniquePhone();
    const { body } = await t.http
      .post('/contacts')
      .set(t.auth('marketer'))
      .send(contactInput({ phone, consent: { sms: { granted: true, text: 'Text me about my car', source: 'service desk' } }, ...overrides }))
      .expect(201);
    return { id: body.id, phone };
  }

  async function smsConsent(contactId: string) {
    const { body } = await t.http.get(`/contacts/${contactId}`).set(t.auth('viewer')).expect(200);
    return body.consent.sms;
  }

  async function memory(contactId: string) {
    const { body } = await t.http.get(`/contacts/${contactId}/memory`).set(t.auth('viewer')).expect(200);
    return body.interactions.items as Array<{ kind: string; summary: string | null; details: Record<string, unknown>; messageId: string; eventId: string }>;
  }

  async function eventCount(messageId: string): Promise<number> {
    const rows: Array<{ n: number }> = await t.db.query(`SELECT count(*)::int AS n FROM message_events WHERE message_id = $1`, [messageId]);
    return rows[0].n;
  }

  describe('sending', () => {
    it('posts To, From, Body and the status callback with basic auth, and records the SID, encoding and segments', async () => {
      const contact = await newContact();
      const result = await sender.send({ to: contact.phone, body: 'Hello Wei, your X5 is ready for pick-up.', contactId: contact.id });

      expect(result.outcome).toMatchObject({ status: 'sent', details: { encoding: 'GSM-7', segments: 1, characters: 40 } });
      const [created] = fake.messagesTo(contact.phone);
      expect(result.outcome.status === 'sent' && result.outcome.providerMessageId).toBe(created.sid);
      expect(created.sid).toMatch(/^SM[0-9a-f]{32}$/);
      const request = fake.requests.find((r) => r.form.To === contact.phone)!;
      expect(request).toMatchObject({
        method: 'POST',
        path: `/2010-04-01/Accounts/${sid}/Messages.json`,
        auth: { username: sid, password: authToken },
        form: { To: contact.phone, From: FROM, Body: 'Hello Wei, your X5 is ready for pick-up.', StatusCallback: `${STATUS_URL}?m=${result.messageId}` },
      });

      const { body: message } = await t.http.get(`/messages/${result.messageId}`).set(t.auth('viewer')).expect(200);
      expect(message).toMatchObject({
        channel: 'sms', provider: 'twilio', status: 'sent', providerMessageId: created.sid, recipient: contact.phone, contactId: contact.id,
        details: { encoding: 'GSM-7', segments: 1, twilioStatus: 'queued', twilioSegments: 1 },
      });
    });

    it('counts a 71-character Chinese text as UCS-2 in two segments, as Twilio does', async () => {
      const contact = await newContact();
      const text = '李先生您好，感谢您一直以来对我们的信任与支持。您的爱车保养预约已确认，时间为本周六上午十点，地点在浦东店。如需改期请回复本短信，祝您周末愉快！';
      expect([...text].length).toBe(71);
      const result = await sender.send({ to: contact.phone, body: text, contactId: contact.id });
      expect(result.outcome).toMatchObject({ status: 'sent', details: { encoding: 'UCS-2', segments: 2, characters: 71, twilioSegments: 2 } });
      expect(fake.messagesTo(contact.phone)[0].body).toBe(text);
    });

    it('works through the bare adapter too (begin → send → recordOutcome)', async () => {
      const channel = t.app.get<MessageChannel<SmsMessage>>(SMS_CHANNEL);
      const messages = t.app.get(MessagesService);
      const to = uniquePhone();
      const id = await messages.begin({ channel: 'sms', provider: channel.provider, recipient: to, purpose: 'test' });
      const outcome = await channel.send({ messageId: id, to, body: 'Birthday greetings 🎂' });
      await messages.recordOutcome(id, outcome);
      expect(channel.provider).toBe('twilio');
      expect(outcome).toMatchObject({ status: 'sent', details: { encoding: 'UCS-2', segments: 1, characters: 20 } });
      expect((await messages.find(id))!.status).toBe('sent');
    });

    it('marks the number opted out when Twilio answers 21610, and the contact loses SMS consent', async () => {
      const contact = await newContact();
      fake.respondTo(contact.phone, { kind: 'error', status: 400, code: 21610 });
      const result = await sender.send({ to: contact.phone, body: 'Your tyres are due for a change.', contactId: contact.id });

      expect(result.outcome).toMatchObject({ status: 'permanent', code: '21610' });
      const { body: message } = await t.http.get(`/messages/${result.messageId}`).set(t.auth('viewer')).expect(200);
      expect(message).toMatchObject({ status: 'failed', errorKind: 'permanent', errorCode: '21610' });
      expect(await smsConsent(contact.id)).toMatchObject({ granted: false, source: 'sms_provider_opt_out' });

      // The next refusal confirms what is known: no second consent event.
      await sender.send({ to: contact.phone, body: 'Second try', contactId: contact.id });
      const history = await t.http.get(`/contacts/${contact.id}/consent-history`).set(t.auth('viewer')).expect(200);
      expect(history.body.filter((e: { channel: string }) => e.channel === 'sms').map((e: { status: string }) => e.status)).toEqual(['granted', 'revoked']);
    });

    it('tells permanent refusals from ones worth retrying', async () => {
      const cases: Array<[number, number, string, string]> = [
        [400, 21211, 'permanent', '21211'],
        [429, 20429, 'transient', '20429'],
        [500, 20500, 'transient', '20500'],
        [503, 20503, 'transient', '20503'],
      ];
      for (const [status, code, kind, expectedCode] of cases) {
        const contact = await newContact();
        fake.respondTo(contact.phone, { kind: 'error', status, code });
        const result = await sender.send({ to: contact.phone, body: 'Hello', contactId: contact.id });
        expect(result.outcome).toMatchObject({ status: kind, code: expectedCode });
        // Only an opt-out touches consent.
        expect(await smsConsent(contact.id)).toMatchObject({ granted: true });
      }
    });

    it('refuses a number that is not E.164 without calling Twilio', async () => {
      const before = fake.requests.length;
      const result = await sender.send({ to: '13800000000', body: 'Hello' });
      expect(result.outcome).toMatchObject({ status: 'permanent', code: 'INVALID_NUMBER' });
      expect(fake.requests.length).toBe(before);
    });
  });

  describe('status callbacks', () => {
    async function sentMessage() {
      const contact = await newContact();
      const result = await sender.send({ to: contact.phone, body: 'Your car has been washed.', contactId: contact.id });
      if (result.outcome.status !== 'sent') throw new Error('send failed');
      return { contact, messageId: result.messageId, sid: result.outcome.providerMessageId };
    }

    it('moves the message forward on signed callbacks, never backwards, and remembers the delivery once', async () => {
      const { contact, messageId, sid } = await sentMessage();
      expect((await fake.sendStatus(sid, 'sent')).status).toBe(200);
      expect((await fake.sendStatus(sid, 'delivered')).status).toBe(200);
      // Replayed, and a late "sent" after "delivered".
      expect((await fake.sendStatus(sid, 'delivered')).status).toBe(200);
      expect((await fake.sendStatus(sid, 'sent')).status).toBe(200);

      const { body } = await t.http.get(`/messages/${messageId}`).set(t.auth('viewer')).expect(200);
      expect(body.status).toBe('delivered');
      expect(body.events.map((e: { status: string; providerStatus: string; applied: boolean }) => [e.status, e.applied])).toEqual([
        ['sent', false], // the send itself already recorded 'sent'
        ['delivered', true],
        ['delivered', false],
        ['sent', false],
      ]);
      expect(body.events[1]).toMatchObject({ providerStatus: 'delivered', payload: { MessageSid: sid, MessageStatus: 'delivered' } });

      const delivered = (await memory(contact.id)).filter((i) => i.kind === 'message_delivered');
      expect(delivered).toEqual([
        expect.objectContaining({ messageId, eventId: `twilio:${sid}:delivered`, details: expect.objectContaining({ providerMessageId: sid }) }),
      ]);
    });

    it('answers 403 to a forged signature and 400 to a missing one, writing nothing', async () => {
      const { messageId, sid } = await sentMessage();
      const forged = await fake.sendStatus(sid, 'delivered', { signature: 'forged' });
      expect(forged.status).toBe(403);
      expect(JSON.parse(forged.body)).toMatchObject({ error: 'SIGNATURE_INVALID', details: [{ field: 'X-Twilio-Signature' }] });
      const missing = await fake.sendStatus(sid, 'failed', { signature: 'missing', errorCode: 30005 });
      expect(missing.status).toBe(400);
      expect(JSON.parse(missing.body)).toMatchObject({ error: 'SIGNATURE_MISSING', details: [{ field: 'X-Twilio-Signature' }] });

      expect(await eventCount(messageId)).toBe(0);
      const { body } = await t.http.get(`/messages/${messageId}`).set(t.auth('viewer')).expect(200);
      expect(body.status).toBe('sent');
    });

    it('refuses a signature made for other parameters (a tampered status)', async () => {
      const { messageId, sid } = await sentMessage();
      const params = { MessageSid: sid, MessageStatus: 'sent', AccountSid: sid };
      const { getExpectedTwilioSignature } = await import('twilio');
      const signature = getExpectedTwilioSignature(authToken, STATUS_URL, params);
      const response = await fetch(`${t.baseUrl}/channels/sms/twilio/status`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': signature },
        body: new URLSearchParams({ ...params, MessageStatus: 'failed' }).toString(),
      });
      expect(response.status).toBe(403);
      expect(await eventCount(messageId)).toBe(0);
    });

    it('remembers a bounce for good when the number cannot take SMS', async () => {
      const { contact, messageId, sid } = await sentMessage();
      expect((await fake.sendStatus(sid, 'undelivered', { errorCode: 30005 })).status).toBe(200);
      const { body } = await t.http.get(`/messages/${messageId}`).set(t.auth('viewer')).expect(200);
      expect(body).toMatchObject({ status: 'undelivered', errorCode: '30005' });
      const bounced = (await memory(contact.id)).filter((i) => i.kind === 'message_bounced');
      expect(bounced).toEqual([expect.objectContaining({ messageId, details: expect.objectContaining({ permanent: true, errorCode: '30005', phone: contact.phone }) })]);
      // A later "failed" is out of order (same rank): no second bounce in memory.
      await fake.sendStatus(sid, 'failed', { errorCode: 30008 });
      expect((await memory(contact.id)).filter((i) => i.kind === 'message_bounced')).toHaveLength(1);
    });

    it('keeps a passing failure as a bounce that is not permanent', async () => {
      const { contact, sid } = await sentMessage();
      await fake.sendStatus(sid, 'failed', { errorCode: 30003 });
      const [bounce] = (await memory(contact.id)).filter((i) => i.kind === 'message_bounced');
      expect(bounce.details).toMatchObject({ permanent: false, errorCode: '30003' });
    });

    it('answers 200 for a SID it does not know, so Twilio stops retrying, and stores nothing', async () => {
      const unknown = messageSid();
      const response = await fake.post(STATUS_URL, { AccountSid: sid, MessageSid: unknown, MessageStatus: 'delivered', To: uniquePhone(), From: FROM });
      expect(response.status).toBe(200);
      const rows: unknown[] = await t.db.query(`SELECT 1 FROM message_events WHERE payload->>'MessageSid' = $1`, [unknown]);
      expect(rows).toHaveLength(0);
    });

    it('finds its message by our id when Twilio calls back before the SID is recorded', async () => {
      const phone = uniquePhone();
      const messageId = await t.app.get(MessagesService).begin({ channel: 'sms', provider: 'twilio', recipient: phone, purpose: 'test' });
      const early = messageSid();
      const params = { AccountSid: sid, MessageSid: early, MessageStatus: 'sent', To: phone, From: FROM };
      expect((await fake.post(`${STATUS_URL}?m=${messageId}`, params)).status).toBe(200);
      const { body } = await t.http.get(`/messages/${messageId}`).set(t.auth('viewer')).expect(200);
      expect(body).toMatchObject({ status: 'sent', providerMessageId: early });
      expect(body.events).toEqual([expect.objectContaining({ status: 'sent', applied: true })]);
      // Our id cannot take a message that already has another SID.
      const other = messageSid();
      await fake.post(`${STATUS_URL}?m=${messageId}`, { ...params, MessageSid: other, MessageStatus: 'delivered' });
      expect((await t.http.get(`/messages/${messageId}`).set(t.auth('viewer')).expect(200)).body).toMatchObject({ status: 'sent', providerMessageId: early });
    });

    it('names the field of a signed but malformed callback', async () => {
      const response = await fake.post(STATUS_URL, { AccountSid: sid, MessageStatus: 'delivered' });
      expect(response.status).toBe(400);
      expect(JSON.parse(response.body)).toMatchObject({ error: 'VALIDATION_FAILED', details: [{ field: 'MessageSid' }] });
    });

    it('refuses an oversized form in the API error shape', async () => {
      const response = await fake.post(STATUS_URL, { MessageSid: messageSid(), MessageStatus: 'sent', Padding: 'x'.repeat(70_000) });
      expect(response.status).toBe(413);
      expect(JSON.parse(response.body)).toMatchObject({ error: 'PAYLOAD_TOO_LARGE' });
    });
  });

  describe('texts from customers', () => {
    it('STOP revokes SMS consent and START restores it; both replies are in the memory', async () => {
      const contact = await newContact({ locale: 'en-US' });
      await sender.send({ to: contact.phone, body: 'Your service is booked for Saturday.', contactId: contact.id });

      const stop = await fake.sendInbound(INBOUND_URL, { from: contact.phone, body: 'STOP' });
      expect(stop.status).toBe(200);
      expect(stop.contentType).toMatch(/^text\/xml/);
      expect(stop.body).toMatch(/<Response><Message>You will receive no more text messages from us\. Reply START to receive them again\.<\/Message><\/Response>$/);
      expect(await smsConsent(contact.id)).toMatchObject({ granted: false, source: 'sms_reply', text: 'STOP' });

      const start = await fake.sendInbound(INBOUND_URL, { from: contact.phone, body: ' start ' });
      expect(start.body).toContain('<Message>You will receive our text messages again.');
      expect(await smsConsent(contact.id)).toMatchObject({ granted: true, source: 'sms_reply', text: 'start' });

      const replies = (await memory(contact.id)).filter((i) => i.kind === 'message_replied');
      expect(replies.map((r) => [r.summary, r.details.keyword, r.details.source])).toEqual([
        ['start', 'opt_in', 'sms_reply'],
        ['STOP', 'opt_out', 'sms_reply'],
      ]);
      // The replies name the message they answer.
      const { body: sent } = await t.http.get(`/contacts/${contact.id}/memory`).set(t.auth('viewer')).expect(200);
      const lastSms: Array<{ id: string }> = await t.db.query(`SELECT id FROM messages WHERE contact_id = $1`, [contact.id]);
      expect(sent.interactions.items.filter((i: { kind: string }) => i.kind === 'message_replied').map((i: { messageId: string }) => i.messageId)).toEqual([lastSms[0].id, lastSms[0].id]);
    });

    it('退订 revokes consent and is answered in Chinese', async () => {
      const contact = await newContact();
      const reply = await fake.sendInbound(INBOUND_URL, { from: contact.phone, body: '退订' });
      expect(reply.body).toContain('<Message>您已退订');
      expect(await smsConsent(contact.id)).toMatchObject({ granted: false, source: 'sms_reply', text: '退订' });
    });

    it('a repeated STOP is harmless: one consent change, and a replayed webhook stores nothing twice', async () => {
      const contact = await newContact();
      const first = await fake.sendInbound(INBOUND_URL, { from: contact.phone, body: 'STOP' });
      await fake.sendInbound(INBOUND_URL, { from: contact.phone, body: 'STOP', sid: first.sid });
      await fake.sendInbound(INBOUND_URL, { from: contact.phone, body: 'STOP' });
      const history = await t.http.get(`/contacts/${contact.id}/consent-history`).set(t.auth('viewer')).expect(200);
      expect(history.body.filter((e: { channel: string }) => e.channel === 'sms').map((e: { status: string }) => e.status)).toEqual(['granted', 'revoked']);
      // Two texts were sent (the replayed webhook is the same text): two replies in the memory.
      expect((await memory(contact.id)).filter((i) => i.kind === 'message_replied')).toHaveLength(2);
    });

    it('HELP answers with the help text and changes nothing', async () => {
      const contact = await newContact({ locale: 'en-GB' });
      const help = await fake.sendInbound(INBOUND_URL, { from: contact.phone, body: 'help' });
      expect(help.body).toContain('<Message>Tidings customer care: reply STOP to stop text messages, START to receive them again.</Message>');
      expect(await smsConsent(contact.id)).toMatchObject({ granted: true, source: 'service desk' });
    });

    it('keeps any other text as a reply and answers with an empty TwiML response', async () => {
      const contact = await newContact();
      const text = 'Saturday <10am> works & thanks "a lot"';
      const reply = await fake.sendInbound(INBOUND_URL, { from: contact.phone, body: text });
      expect(reply.body).toMatch(/<Response\/>$/);
      const [replied] = (await memory(contact.id)).filter((i) => i.kind === 'message_replied');
      expect(replied).toMatchObject({ summary: text, details: { keyword: null, source: 'sms_reply', inReplyTo: null } });
      expect(await smsConsent(contact.id)).toMatchObject({ granted: true });
    });

    it('refuses a forged STOP and leaves consent as it was', async () => {
      const contact = await newContact();
      const forged = await fake.sendInbound(INBOUND_URL, { from: contact.phone, body: 'STOP' }, { signature: 'forged' });
      expect(forged.status).toBe(403);
      const missing = await fake.sendInbound(INBOUND_URL, { from: contact.phone, body: 'STOP' }, { signature: 'missing' });
      expect(missing.status).toBe(400);
      expect(await smsConsent(contact.id)).toMatchObject({ granted: true, source: 'service desk' });
      expect((await memory(contact.id)).filter((i) => i.kind === 'message_replied')).toHaveLength(0);
    });

    it('answers a STOP from an unknown number without storing anything', async () => {
      const reply = await fake.sendInbound(INBOUND_URL, { from: uniquePhone(), body: 'STOP' });
      expect(reply.status).toBe(200);
      expect(reply.body).toContain('<Message>');
    });
  });
});

describe('SMS without Twilio (file outbox)', () => {
  let t: TestApp;
  const outbox = mkdtempSync(join(tmpdir(), 'tidings-sms-outbox-'));

  beforeAll(async () => {
    t = await createTestApp({ TWILIO_ACCOUNT_SID: undefined, TWILIO_AUTH_TOKEN: undefined, TWILIO_FROM: undefined, TWILIO_API_BASE_URL: undefined, OUTBOX_DIR: outbox });
  });
  afterAll(async () => {
    await t.close();
    for (const name of SMS_VARIABLES) delete process.env[name];
  });

  it('writes one JSON line per message to sms.jsonl', async () => {
    const sender = t.app.get(SmsSender);
    const first = await sender.send({ to: '+8613912345678', body: '生日快乐！' });
    const second = await sender.send({ to: '+12025550123', body: 'Happy birthday, Anna!' });
    expect(first).toMatchObject({ provider: 'file', outcome: { status: 'sent', providerMessageId: `file-${first.messageId}` } });

    const lines = readFileSync(join(outbox, 'sms.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([
      { messageId: first.messageId, to: '+8613912345678', body: '生日快乐！', encoding: 'UCS-2', segments: 1, at: expect.any(String) },
      { messageId: second.messageId, to: '+12025550123', body: 'Happy birthday, Anna!', encoding: 'GSM-7', segments: 1, at: expect.any(String) },
    ]);
    const { body } = await t.http.get(`/messages/${second.messageId}`).set(t.auth('viewer')).expect(200);
    expect(body).toMatchObject({ provider: 'file', status: 'sent', providerMessageId: `file-${second.messageId}` });
  });

  it('keeps every line whole under concurrent sends', async () => {
    const sender = t.app.get(SmsSender);
    const before = readFileSync(join(outbox, 'sms.jsonl'), 'utf8').split('\n').filter(Boolean).length;
    await Promise.all(Array.from({ length: 50 }, (_, i) => sender.send({ to: '+12025550123', body: `Reminder ${i} ${'x'.repeat(300)}` })));
    const lines = readFileSync(join(outbox, 'sms.jsonl'), 'utf8').split('\n').filter(Boolean);
    expect(lines.length - before).toBe(50);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('answers 404 on the Twilio webhooks', async () => {
    await t.http.post('/channels/sms/twilio/status').type('form').send({ MessageSid: messageSid(), MessageStatus: 'delivered' }).expect(404);
    await t.http.post('/channels/sms/twilio/inbound').type('form').send({ From: '+12025550123', Body: 'STOP' }).expect(404);
  });
});
