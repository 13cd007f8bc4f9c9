import { randomUUID } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { createContact } from './goldfish-guard-helpers';
import { createTestApp, TestApp } from '../support/test-app';
import { isolatedDatabase } from '../support/test-database';

/**
 * Issue 8's campaign report over a campaign whose every outcome is known because the test wrote the
 * records delivery and tracking write: each number of the funnel, per channel and variant, and the
 * CSV, must be exactly those; time buckets follow local midnight; one contact's path explains itself.
 */
describe('campaign reports', () => {
  let t: TestApp;
  // A database of its own: the cross-campaign and customer-value reports count everything there is.
  let database: Awaited<ReturnType<typeof isolatedDatabase>>;
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
    database = await isolatedDatabase('reports');
    t = await createTestApp({ DATABASE_URL: database.url });
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
  afterAll(async () => {
    await t.close();
    await database.drop();
  });

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

  it('shows contact fatigue and the channel mix per local week, across campaigns', async () => {
    // Ann gets a second message that week from another campaign.
    await t.db.query(
      `INSERT INTO messages (channel, provider, contact_id, campaign_id, occasion_key, recipient, status, status_rank, sent_at)
       VALUES ('sms', 'test', $1, 'another', 'x', 'someone', 'sent', 2, '2027-03-03T09:00:00Z')`,
      [people.ann],
    );
    const query = { weeks: 1, until: '2027-03-08T00:00:00Z', timeZone: 'UTC' };
    const fatigue = (await t.http.get('/reports/fatigue').query(query).set(t.auth('viewer')).expect(200)).body;
    expect(fatigue.rows).toEqual([{ week: '2027-03-01', contacts: 4, messages: 5, perContact: 1.25, mostToOne: 2, once: 3, twice: 1, threeTimes: 0, fourOrMore: 0 }]);
    const mix = (await t.http.get('/reports/channel-mix').query(query).set(t.auth('viewer')).expect(200)).body;
    expect(mix.rows).toEqual([{ week: '2027-03-01', email: 3, sms: 2, mail: 0 }]);
    const bad = await t.http.get('/reports/fatigue').query({ weeks: 0 }).set(t.auth('viewer')).expect(400);
    expect(JSON.stringify(bad.body)).toContain('weeks');
  });

  it('shows the value classes with lifetime value and their moves per month (heavy to light among them)', async () => {
    const value = async (contactId: string, abc: string, stage: string, frequency: string, ltv: number) =>
      t.db.query(
        `INSERT INTO contact_value (contact_id, abc_class, loyalty_stage, frequency_class, lifetime_value) VALUES ($1, $2, $3, $4, $5)`,
        [contactId, abc, stage, frequency, ltv],
      );
    await value(people.ann, 'A', 'loyal', 'heavy', 5000);
    await value(people.bob, 'A', 'regular', 'light', 3000);
    await value(people.cat, 'C', 'new', 'light', 100);
    const signal = (contactId: string, dimension: string, from: string | null, to: string, at: string) =>
      t.db.query(`INSERT INTO value_signals (contact_id, dimension, from_value, to_value, detected_at) VALUES ($1, $2, $3, $4, $5)`, [contactId, dimension, from, to, at]);
    await signal(people.bob, 'frequency_class', 'heavy', 'light', '2027-02-10T00:00:00Z');
    await signal(people.cat, 'frequency_class', 'heavy', 'light', '2027-02-20T00:00:00Z');
    await signal(people.ann, 'abc_class', 'B', 'A', '2027-01-15T00:00:00Z');
    // 31 January 20:00 in Los Angeles is already February in UTC: the month follows the zone asked for.
    await signal(people.ann, 'loyalty_stage', 'regular', 'loyal', '2027-02-01T04:00:00Z');

    const { body } = await t.http.get('/reports/value').query({ months: 2, until: '2027-03-01T00:00:00Z', timeZone: 'America/Los_Angeles' }).set(t.auth('viewer')).expect(200);
    expect(body.distribution).toEqual(expect.arrayContaining([
      { dimension: 'abc_class', value: 'A', contacts: 2, lifetimeValue: '8000.00' },
      { dimension: 'abc_class', value: 'C', contacts: 1, lifetimeValue: '100.00' },
      { dimension: 'frequency_class', value: 'light', contacts: 2, lifetimeValue: '3100.00' },
    ]));
    expect(body.movements).toEqual([
      { month: '2027-01', dimension: 'abc_class', from: 'B', to: 'A', contacts: 1 },
      { month: '2027-01', dimension: 'loyalty_stage', from: 'regular', to: 'loyal', contacts: 1 },
      { month: '2027-02', dimension: 'frequency_class', from: 'heavy', to: 'light', contacts: 2 },
    ]);
  });
});
