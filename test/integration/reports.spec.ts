import { randomUUID } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { createContact } from './goldfish-guard-helpers';
import { createTestApp, TestApp } from '../support/test-app';

/**
 * Issue 8's campaign report over a campaign whose every outcome is known because the test wrote the
 * records delivery and tracking write: each number of the funnel, per channel and variant, and the
 * CSV, must be exactly those; time buckets follow local midnight; one contact's path explains itself.
 */
describe('campaign reports', () => {
  let t: TestApp;
  let campaignId: string;
  const people: Record<string, string> = {};

  const SENT = {
    // Shanghai 23:30 on 1 March, Los Angeles 07:30 on 1 March.
    a: new Date('2027-03-01T15:30:00Z'),
    // Shanghai 00:30 on 2 March, Los Angeles 08:30 on 1 March.
    b: new Date('2027-03-01T16:30:00Z'),
    // Shanghai 15:30 on 2 March, Los Angeles 23:30 on 1 March.
    c: new Date('2027-03-02T07:30:00Z'),
    // Shanghai 16:30 on 2 March, Los Angeles 00:30 on 2 March.
    d: new Date('2027-03-02T08:30:00Z'),
  };

  async function outbox(contactId: string, row: { state: string; channel?: string; variant?: string; reason?: string; messageId?: string; attempts?: number; lastError?: string; nextAttemptAt?: Date }) {
    await t.db.query(
      `INSERT INTO outbox_messages (campaign_id, contact_id, occasion_key, due_at, state, channel, variant, reason, message_id, attempts, last_error, next_attempt_at)
       VALUES ($1, $2, 'broadcast', '2027-03-01T00:00:00Z', $3, $4, $5, $6, $7, $8, $9, coalesce($10, '-infinity'::timestamptz))`,
      [campaignId, contactId, row.state, row.channel ?? null, row.variant ?? null, row.reason ?? null, row.messageId ?? null, row.attempts ?? 1, row.lastError ?? null, row.nextAttemptAt ?? null],
    );
  }

  async function message(contactId: string, channel: string, variant: string, status: string, sentAt: Date | null): Promise<string> {
    const id = randomUUID();
    const rank = { sending: 0, sent: 2, delivered: 3, failed: 3, bounced: 3, read: 4 }[status];
    await t.db.query(
      `INSERT INTO messages (id, channel, provider, contact_id, campaign_id, occasion_key, recipient, variant, status, status_rank, sent_at)
       VALUES ($1, $2, 'test', $3, $4, 'broadcast', 'someone', $5, $6, $7, $8)`,
      [id, channel, contactId, campaignId, variant, status, rank, sentAt],
    );
    return id;
  }

  async function event(messageId: string, status: 'opened' | 'clicked', at: Date, bot = false) {
    await t.db.query(
      `INSERT INTO message_events (message_id, status, provider_status, applied, occurred_at, payload) VALUES ($1, $2, 'tracking', false, $3, $4)`,
      [messageId, status, at, JSON.stringify({ bot, ...(bot ? { botReason: 'HEAD request' } : {}) })],
    );
  }

  beforeAll(async () => {
    t = await createTestApp();
    const { body } = await t.http
      .post('/campaigns')
      .set(t.auth('marketer'))
      .send({ name: 'Spring report', kind: 'broadcast', templateKey: 'birthday', channels: ['email', 'sms'], audience: { field: 'tags', op: 'has', value: 'nobody' } })
      .expect(201);
    campaignId = body.id;
    for (const name of ['ann', 'bob', 'cat', 'dan', 'eve', 'fay', 'gus', 'hal', 'ida', 'jon', 'kim', 'lee', 'max', 'ned']) people[name] = await createContact(t);

    const later = (at: Date, minutes: number) => new Date(at.getTime() + minutes * 60_000);
    // e-mail, variant a: Ann delivered, opened twice and clicked (and a scanner's hit); Cat refused.
    const ann = await message(people.ann, 'email', 'a', 'delivered', SENT.a);
    await outbox(people.ann, { state: 'sent', channel: 'email', variant: 'a', reason: 'delivered_to_provider', messageId: ann });
    await event(ann, 'opened', later(SENT.a, 0), true);
    await event(ann, 'opened', later(SENT.a, 5));
    await event(ann, 'opened', later(SENT.a, 50));
    await event(ann, 'clicked', later(SENT.a, 51));
    const cat = await message(people.cat, 'email', 'a', 'failed', null);
    await outbox(people.cat, { state: 'failed', channel: 'email', variant: 'a', reason: 'provider_permanent', messageId: cat, lastError: '550: mailbox unavailable' });
    // e-mail, variant b: Bob sent, only a bot opened it, then he unsubscribed; Ned bounced.
    const bob = await message(people.bob, 'email', 'b', 'sent', SENT.b);
    await outbox(people.bob, { state: 'sent', channel: 'email', variant: 'b', reason: 'delivered_to_provider', messageId: bob });
    await event(bob, 'opened', later(SENT.b, 0), true);
    await t.db.query(
      `INSERT INTO contact_consent_events (contact_id, channel, status, source, recorded_by, recorded_at) VALUES ($1, 'email', 'revoked', 'unsubscribe', 'test', $2)`,
      [people.bob, later(SENT.b, 60)],
    );
    const ned = await message(people.ned, 'email', 'b', 'bounced', SENT.d);
    await outbox(people.ned, { state: 'sent', channel: 'email', variant: 'b', reason: 'delivered_to_provider', messageId: ned });
    // SMS: Dan delivered and replied; Eve dead-lettered after five attempts.
    const dan = await message(people.dan, 'sms', 'default', 'delivered', SENT.c);
    await outbox(people.dan, { state: 'sent', channel: 'sms', variant: 'default', reason: 'delivered_to_provider', messageId: dan });
    await t.db.query(
      `INSERT INTO interactions (contact_id, event_id, kind, occurred_at, recorded_by, channel, message_id) VALUES ($1, $2, 'message_replied', $3, 'test', 'sms', $4)`,
      [people.dan, `reply-${dan}`, later(SENT.c, 3), dan],
    );
    await outbox(people.eve, { state: 'dead', channel: 'sms', variant: 'default', reason: 'attempts_exhausted', attempts: 5, lastError: '503: try later' });
    // Skipped, each for its own reason, and one deferred to the morning.
    await outbox(people.fay, { state: 'skipped', reason: 'opted_out' });
    await outbox(people.gus, { state: 'skipped', channel: 'email', reason: 'unsubscribed' });
    await outbox(people.hal, { state: 'skipped', channel: 'email', reason: 'frequency_cap' });
    await outbox(people.ida, { state: 'skipped', channel: 'sms', reason: 'duplicate_occasion' });
    await outbox(people.jon, { state: 'skipped', channel: 'email', reason: 'known_answer' });
    await outbox(people.kim, { state: 'skipped', reason: 'no_address' });
    await outbox(people.lee, { state: 'skipped', reason: 'no_consented_channel' });
    await outbox(people.max, { state: 'pending', channel: 'email', reason: 'deferred:quiet_hours', nextAttemptAt: new Date('2027-03-02T00:00:00Z') });
  });
  afterAll(() => t.close());

  it('counts every outcome per channel and variant, with the reasons, and totals them', async () => {
    const { body } = await t.http.get(`/reports/campaigns/${campaignId}`).set(t.auth('viewer')).expect(200);
    const line = (channel: string, variant: string) => body.lines.find((l: { channel: string; variant: string }) => l.channel === channel && l.variant === variant);
    expect(body.lines.map((l: { channel: string; variant: string }) => `${l.channel}/${l.variant}`)).toEqual(['(none)/(none)', 'email/(none)', 'email/a', 'email/b', 'sms/(none)', 'sms/default']);
    expect(line('email', 'a')).toMatchObject({
      materialised: 2, sent: 1, delivered: 1, failed: 1, bounced: 0, openedUnique: 1, openedTotal: 2, clickedUnique: 1, clickedTotal: 1, unsubscribed: 0,
      reasons: { failed: { provider_permanent: 1 } },
      rates: { sent: 0.5, delivered: 1, opened: 1, clicked: 1 },
    });
    expect(line('email', 'b')).toMatchObject({ materialised: 2, sent: 2, delivered: 0, bounced: 1, openedUnique: 0, openedTotal: 0, unsubscribed: 1, rates: { unsubscribed: 0.5 } });
    expect(line('sms', 'default')).toMatchObject({ materialised: 2, sent: 1, delivered: 1, replied: 1, deadLettered: 1, reasons: { dead: { attempts_exhausted: 1 } } });
    expect(line('email', '(none)')).toMatchObject({
      skipped: 3, deferred: 1, reasons: { skipped: { unsubscribed: 1, frequency_cap: 1, known_answer: 1 }, deferred: { quiet_hours: 1 } },
    });
    expect(line('sms', '(none)')).toMatchObject({ skipped: 1, reasons: { skipped: { duplicate_occasion: 1 } } });
    expect(line('(none)', '(none)')).toMatchObject({ skipped: 3, reasons: { skipped: { opted_out: 1, no_address: 1, no_consented_channel: 1 } } });
    expect(body.total).toMatchObject({
      audience: 14, materialised: 14, sent: 4, delivered: 2, bounced: 1, failed: 1, deadLettered: 1, skipped: 7, deferred: 1, waiting: 0,
      openedUnique: 1, openedTotal: 2, clickedUnique: 1, clickedTotal: 1, replied: 1, unsubscribed: 1,
      rates: { sent: 0.2857, opened: 0.25 },
    });

    // The same numbers as a spreadsheet.
    const csv = await t.http.get(`/reports/campaigns/${campaignId}?format=csv`).set(t.auth('viewer')).expect(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const rows: Array<Record<string, string>> = parse(csv.text, { columns: true });
    const all = rows.find((r) => r.channel === 'all')!;
    for (const key of ['materialised', 'sent', 'delivered', 'bounced', 'failed', 'deadLettered', 'skipped', 'deferred', 'openedUnique', 'openedTotal', 'clickedUnique', 'replied', 'unsubscribed']) {
      expect(Number(all[key])).toBe(body.total[key]);
    }
    expect(Number(rows.find((r) => r.channel === 'email' && r.variant === 'a')!['failed:provider_permanent'])).toBe(1);
    expect(Number(all['skipped:opted_out'])).toBe(1);
    expect(Number(all['deferred:quiet_hours'])).toBe(1);
  });

  it('splits the same sends at local midnight in Shanghai and in Los Angeles', async () => {
    const days = async (timeZone: string) =>
      (await t.http.get(`/reports/campaigns/${campaignId}/timeline`).query({ bucket: 'day', timeZone }).set(t.auth('viewer')).expect(200)).body.buckets.map(
        (b: { bucket: string; sent: number }) => [b.bucket, b.sent],
      );
    expect(await days('Asia/Shanghai')).toEqual([['2027-03-01T00:00', 1], ['2027-03-02T00:00', 3]]);
    expect(await days('America/Los_Angeles')).toEqual([['2027-03-01T00:00', 3], ['2027-03-02T00:00', 1]]);
    const { body } = await t.http.get(`/reports/campaigns/${campaignId}/timeline`).query({ bucket: 'hour', timeZone: 'Asia/Shanghai' }).set(t.auth('viewer')).expect(200);
    // Human opens and clicks only: the scanner's open in Ann's first minute is not there.
    expect(body.buckets.find((b: { bucket: string }) => b.bucket === '2027-03-01T23:00')).toMatchObject({ sent: 1, opened: 1, clicked: 0 });
    expect(body.buckets.find((b: { bucket: string }) => b.bucket === '2027-03-02T00:00')).toMatchObject({ sent: 1, opened: 1, clicked: 1 });
    const bad = await t.http.get(`/reports/campaigns/${campaignId}/timeline`).query({ timeZone: 'Mars/Olympus' }).set(t.auth('viewer')).expect(400);
    expect(JSON.stringify(bad.body)).toContain('timeZone');
  });

  it("explains one contact's path: skipped, deferred, delivered", async () => {
    const path = async (name: string) => (await t.http.get(`/reports/campaigns/${campaignId}/recipients/${people[name]}`).set(t.auth('viewer')).expect(200)).body;
    expect((await path('hal')).occasions[0].explanation).toBe('not sent: frequency_cap');
    expect((await path('max')).occasions[0].explanation).toBe('deferred (quiet_hours) until 2027-03-02T00:00:00.000Z');
    const ann = (await path('ann')).occasions[0];
    expect(ann.explanation).toBe('sent by email (variant a)');
    expect(ann.messages[0]).toMatchObject({ status: 'delivered', events: [{ status: 'opened', bot: true }, { status: 'opened', bot: false }, { status: 'opened', bot: false }, { status: 'clicked', bot: false }] });
    await t.http.get(`/reports/campaigns/${campaignId}/recipients/${randomUUID()}`).set(t.auth('viewer')).expect(404);
    await t.http.get(`/reports/campaigns/${randomUUID()}`).set(t.auth('viewer')).expect(404);
    await t.http.get(`/reports/campaigns/${campaignId}`).expect(401);
  });
});
