import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../src/campaigns/calendar/clock';
import { CampaignScheduler } from '../../src/campaigns/campaign-scheduler.service';
import { DeliveryWorker } from '../../src/delivery/delivery-worker';
import { OutboxRepository } from '../../src/delivery/outbox.repository';
import { contactInput } from '../factories/contact.factory';
import { insertEmailAudience, middayZone } from '../support/audience.factory';
import { createTestApp, TestApp } from '../support/test-app';

/**
 * The campaign lifecycle over HTTP with an injected clock: a broadcast at 10:00 in each recipient's
 * own zone, a dry run that shows every decision and changes nothing, cancel, the anniversary and
 * value-change triggers, and the state machine's refusals.
 */
describe('campaign lifecycle', () => {
  let t: TestApp;
  const clock = new ManualClock('2027-04-01T00:00:00Z');
  const consent = { email: { granted: true, text: 'News by e-mail', source: 'dealer' } };

  beforeAll(async () => {
    t = await createTestApp({ OUTBOX_DIR: mkdtempSync(join(tmpdir(), 'tidings-lifecycle-')), SMTP_URL: undefined }, { clock });
  });
  afterAll(async () => {
    await t.close();
    delete process.env.OUTBOX_DIR;
  });

  const tagged = () => `life-${randomBytes(3).toString('hex')}`;
  async function contact(fields: Record<string, unknown>): Promise<string> {
    const { body } = await t.http.post('/contacts').set(t.auth('marketer')).send(contactInput({ consent, ...fields })).expect(201);
    return body.id;
  }
  async function campaign(body: Record<string, unknown>): Promise<string> {
    const { body: created } = await t.http.post('/campaigns').set(t.auth('marketer')).send({ templateKey: 'welcome', channels: ['email'], ...body }).expect(201);
    return created.id;
  }
  async function outbox(campaignId: string) {
    const rows: Array<{ contact_id: string; due_at: Date; state: string; reason: string | null; occasion_key: string }> = await t.db.query(
      `SELECT contact_id, due_at, state, reason, occasion_key FROM outbox_messages WHERE campaign_id = $1`,
      [campaignId],
    );
    return new Map(rows.map((r) => [r.contact_id, r]));
  }

  it('sends a broadcast at 10:00 in each recipient’s own time zone', async () => {
    clock.set('2027-04-09T12:00:00Z');
    const tag = tagged();
    const shanghai = await contact({ tags: [tag], timeZone: 'Asia/Shanghai' });
    const angeles = await contact({ tags: [tag], timeZone: 'America/Los_Angeles' });
    const nowhere = await contact({ tags: [tag], timeZone: null });
    const id = await campaign({
      name: `spring ${tag}`,
      kind: 'broadcast',
      audience: { field: 'tags', op: 'has', value: tag },
      schedule: { type: 'local', date: '2027-04-10', time: '10:00', fallbackTimeZone: 'Europe/Berlin' },
    });
    const started = await t.http.post(`/campaigns/${id}/start`).set(t.auth('marketer')).expect(200);
    expect(started.body.status).toBe('scheduled'); // Kiribati's 10:00 on the 10th is still ahead

    clock.set('2027-04-09T20:00:00Z'); // 10:00 on the 10th has come in UTC+14
    await t.app.get(CampaignScheduler).tick(clock.now());
    const rows = await outbox(id);
    expect(new Date(rows.get(shanghai)!.due_at).toISOString()).toBe('2027-04-10T02:00:00.000Z');
    expect(new Date(rows.get(angeles)!.due_at).toISOString()).toBe('2027-04-10T17:00:00.000Z');
    expect(new Date(rows.get(nowhere)!.due_at).toISOString()).toBe('2027-04-10T08:00:00.000Z'); // the fallback zone

    const worker = t.app.get(DeliveryWorker);
    clock.set('2027-04-10T02:00:00Z');
    expect((await worker.runOnce({ campaignIds: [id] })).results.sent).toBe(1);
    clock.set('2027-04-10T17:00:00Z');
    expect((await worker.runOnce({ campaignIds: [id] })).results.sent).toBe(2);
    const { body } = await t.http.get(`/campaigns/${id}`).set(t.auth('viewer')).expect(200);
    expect(body).toMatchObject({ status: 'completed', progress: { sent: 3, total: 3 } });
  });

  it('dry-runs a campaign: every recipient’s decision and reason, with nothing claimed, recorded or sent', async () => {
    clock.set('2027-04-12T04:00:00Z'); // noon in Shanghai
    const tag = tagged();
    const reachable = await contact({ tags: [tag], timeZone: 'Asia/Shanghai' });
    const optedOut = await contact({ tags: [tag], timeZone: 'Asia/Shanghai', consent: { email: { granted: false, source: 'unsubscribe link' } } });
    const asleep = await contact({ tags: [tag], timeZone: 'America/Los_Angeles' }); // 21:00 there: quiet hours
    const id = await campaign({ name: `dry ${tag}`, kind: 'broadcast', audience: { field: 'tags', op: 'has', value: tag } });
    const { body } = await t.http.get(`/campaigns/${id}/dry-run`).set(t.auth('viewer')).expect(200);
    const byContact = new Map(body.recipients.map((r: { contactId: string }) => [r.contactId, r]));
    expect(body.audience).toBe(3);
    expect(byContact.get(reachable)).toMatchObject({ decision: 'send', reason: 'clear', channel: 'email' });
    expect(byContact.get(optedOut)).toMatchObject({ decision: 'skip', reason: 'opted_out' });
    expect(byContact.get(asleep)).toMatchObject({ decision: 'defer', reason: 'quiet_hours' });
    const traces: Array<{ n: number }> = await t.db.query(
      `SELECT (SELECT count(*) FROM guard_decisions WHERE campaign_id = $1) + (SELECT count(*) FROM contact_messages WHERE campaign_id = $1)
            + (SELECT count(*) FROM outbox_messages WHERE campaign_id = $2) + (SELECT count(*) FROM messages WHERE campaign_id = $1) AS n`,
      [id, id],
    );
    expect(Number(traces[0].n)).toBe(0);
  });

  it('cancels a running campaign: what had not gone is closed as cancelled, and it cannot be started again', async () => {
    clock.set('2027-04-20T04:00:00Z');
    const tag = tagged();
    for (let i = 0; i < 3; i++) await contact({ tags: [tag], timeZone: 'Asia/Shanghai' });
    const id = await campaign({ name: `cancel ${tag}`, kind: 'broadcast', audience: { field: 'tags', op: 'has', value: tag } });
    await t.http.post(`/campaigns/${id}/start`).set(t.auth('marketer')).expect(200);
    const { body } = await t.http.post(`/campaigns/${id}/cancel`).set(t.auth('marketer')).expect(200);
    expect(body).toMatchObject({ status: 'cancelled', progress: { skipped: 3, pending: 0 } });
    expect([...(await outbox(id)).values()].every((r) => r.reason === 'cancelled')).toBe(true);
    const again = await t.http.post(`/campaigns/${id}/start`).set(t.auth('marketer')).expect(409);
    expect(again.body.error).toBe('CAMPAIGN_STATE');
    expect((await t.app.get(DeliveryWorker).runOnce({ campaignIds: [id] })).claimed).toBe(0);
  });

  it('celebrates the anniversary of a date attribute, and wins back a customer whose visits fell from heavy to light', async () => {
    clock.set('2027-05-01T00:00:00Z');
    const tag = tagged();
    const owner = await contact({ tags: [tag], timeZone: 'Europe/Berlin', attributes: { car_purchase_date: '2019-05-03' } });
    const anniversary = await campaign({ name: `car ${tag}`, kind: 'trigger', audience: { field: 'tags', op: 'has', value: tag }, trigger: { type: 'anniversary', attribute: 'car_purchase_date', name: 'car-purchase' } });
    await t.http.post(`/campaigns/${anniversary}/start`).set(t.auth('marketer')).expect(200);
    clock.set('2027-05-04T00:00:00Z');
    await t.app.get(CampaignScheduler).evaluateTrigger(anniversary, clock.now());
    const row = (await outbox(anniversary)).get(owner)!;
    expect(row.occasion_key).toBe('anniversary:car-purchase:2027');
    expect(new Date(row.due_at).toISOString()).toBe('2027-05-03T07:00:00.000Z');

    const winBack = await campaign({ name: `win back ${tag}`, kind: 'trigger', audience: { field: 'tags', op: 'has', value: tag }, trigger: { type: 'value_signal', dimension: 'frequency_class', fromValue: 'heavy', toValue: 'light' } });
    await t.http.post(`/campaigns/${winBack}/start`).set(t.auth('marketer')).expect(200);
    const [signal] = await t.db.query(
      `INSERT INTO value_signals (contact_id, dimension, from_value, to_value, detected_at) VALUES ($1, 'frequency_class', 'heavy', 'light', $2) RETURNING id`,
      [owner, new Date('2027-05-04T00:00:00Z')],
    );
    clock.set('2027-05-04T01:00:00Z');
    await t.app.get(CampaignScheduler).evaluateTrigger(winBack, clock.now());
    expect((await outbox(winBack)).get(owner)?.occasion_key).toBe(`signal:frequency_class:${signal.id}`);
  });

  it('drains a broadcast of several batches with the worker’s loops: every recipient once, the campaign completed', async () => {
    clock.set('2027-05-10T10:00:00Z');
    const tag = tagged();
    const recipients = 250; // more than two of the worker's batches (WORKER_BATCH_SIZE 100)
    await insertEmailAudience(t, recipients, tag, middayZone(clock.now()));
    const id = await campaign({ name: `drain ${tag}`, kind: 'broadcast', audience: { field: 'tags', op: 'has', value: tag } });
    await t.http.post(`/campaigns/${id}/start`).set(t.auth('marketer')).expect(200);

    const drained = await t.app.get(DeliveryWorker).drain({ campaignIds: [id] });
    expect(drained.results).toMatchObject({ sent: recipients, failed: 0, retry: 0, lost_lease: 0 });
    expect(drained.claims).toBeGreaterThanOrEqual(3);
    const [messages] = await t.db.query(
      `SELECT count(*)::int AS messages, count(DISTINCT contact_id)::int AS recipients, count(*) FILTER (WHERE status = 'sent')::int AS sent FROM messages WHERE campaign_id = $1`,
      [id],
    );
    expect(messages).toEqual({ messages: recipients, recipients, sent: recipients });
    const { body } = await t.http.get(`/campaigns/${id}`).set(t.auth('viewer')).expect(200);
    expect(body).toMatchObject({ status: 'completed', progress: { sent: recipients, total: recipients } });
  });

  it('keeps a live batch with its worker however far another worker’s clock runs ahead; a lease run out on the database’s clock is taken over', async () => {
    clock.set('2027-05-11T10:00:00Z');
    const tag = tagged();
    await insertEmailAudience(t, 3, tag, middayZone(clock.now()));
    const id = await campaign({ name: `lease ${tag}`, kind: 'broadcast', audience: { field: 'tags', op: 'has', value: tag } });
    await t.http.post(`/campaigns/${id}/start`).set(t.auth('marketer')).expect(200);
    const repository = t.app.get(OutboxRepository);
    const held = await repository.claim('live-worker', [id], clock.now(), 60, 10);
    expect(held).toHaveLength(3);

    // A worker whose business clock (a test's, or a host's that drifted) is a year ahead sweeps for dead workers.
    await repository.recoverExpiredLeases(new Date('2028-05-11T10:00:00Z'));
    expect([...(await outbox(id)).values()].map((r) => r.state)).toEqual(['processing', 'processing', 'processing']);

    // The live worker stops renewing: once the database's clock passes the lease, the rows go back to the queue.
    await t.db.query(`UPDATE outbox_messages SET lease_until = now() - interval '1 second' WHERE campaign_id = $1`, [id]);
    await repository.recoverExpiredLeases(clock.now());
    expect([...(await outbox(id)).values()].map((r) => r.state)).toEqual(['pending', 'pending', 'pending']);
    const drained = await t.app.get(DeliveryWorker).drain({ campaignIds: [id] });
    expect(drained.results).toMatchObject({ sent: 3, lost_lease: 0 });
  });

  it('refuses what the lifecycle does not allow, and bad schedules, naming the field', async () => {
    const id = await campaign({ name: 'draft only', kind: 'broadcast' });
    expect((await t.http.post(`/campaigns/${id}/resume`).set(t.auth('marketer')).expect(409)).body.error).toBe('CAMPAIGN_STATE');
    const bad = await t.http
      .post('/campaigns')
      .set(t.auth('marketer'))
      .send({ name: 'bad', kind: 'broadcast', templateKey: 'welcome', channels: ['email'], schedule: { type: 'local', date: '2027-13-01', time: '10:00', fallbackTimeZone: 'Mars/Olympus' }, guardPolicy: { capPerWindow: 0 } })
      .expect(400);
    expect(bad.body.details).toEqual(
      expect.arrayContaining([
        { field: 'schedule.date', problem: 'must be a date YYYY-MM-DD' },
        { field: 'schedule.fallbackTimeZone', problem: 'must be an IANA time zone such as Asia/Shanghai' },
        expect.objectContaining({ field: 'guardPolicy.capPerWindow' }),
      ]),
    );
    await t.http.post('/campaigns').set(t.auth('viewer')).send({ name: 'x', kind: 'broadcast', templateKey: 'welcome', channels: ['email'] }).expect(403);
  });
});
