import { randomUUID } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { buildReportCampaign, ReportCampaign, ReportPerson } from '../fixtures/report-campaign';
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
  let people: ReportCampaign['people'];

  beforeAll(async () => {
    database = await isolatedDatabase('reports');
    t = await createTestApp({ DATABASE_URL: database.url });
    ({ campaignId, people } = await buildReportCampaign(t));
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
    const path = async (name: ReportPerson) => (await t.http.get(`/reports/campaigns/${campaignId}/recipients/${people[name]}`).set(t.auth('viewer')).expect(200)).body;
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
