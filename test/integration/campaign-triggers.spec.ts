import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { ManualClock } from '../../src/campaigns/calendar/clock';
import { CampaignScheduler } from '../../src/campaigns/campaign-scheduler.service';
import { DeliveryWorker } from '../../src/delivery/delivery-worker';
import { contactInput } from '../factories/contact.factory';
import { purchaseInput } from '../factories/memory.factory';
import { createTestApp, TestApp } from '../support/test-app';

/**
 * Care triggers through the real pipeline with an injected clock: the scheduler writes each
 * occasion at the contact's own local time (across daylight-saving changes and lunar dates), the
 * worker sends nothing before that instant, and a prediction that moved cancels its reminder.
 */
describe('care triggers', () => {
  let t: TestApp;
  const clock = new ManualClock('2027-01-01T00:00:00Z');
  const emailConsent = { email: { granted: true, text: 'Care messages by e-mail', source: 'dealer' } };

  beforeAll(async () => {
    t = await createTestApp({ OUTBOX_DIR: mkdtempSync(join(tmpdir(), 'tidings-triggers-')), SMTP_URL: undefined }, { clock });
  });
  afterAll(async () => {
    await t.close();
    delete process.env.OUTBOX_DIR;
  });

  async function contact(fields: Record<string, unknown>): Promise<string> {
    const { body } = await t.http.post('/contacts').set(t.auth('marketer')).send(contactInput({ consent: emailConsent, ...fields })).expect(201);
    return body.id;
  }

  async function triggerCampaign(trigger: Record<string, unknown>, tag: string, templateKey = 'birthday'): Promise<string> {
    const { body } = await t.http
      .post('/campaigns')
      .set(t.auth('marketer'))
      .send({ name: `trigger ${tag}`, kind: 'trigger', audience: { field: 'tags', op: 'has', value: tag }, templateKey, channels: ['email'], trigger, careExempt: true })
      .expect(201);
    await t.http.post(`/campaigns/${body.id}/start`).set(t.auth('marketer')).expect(200);
    return body.id;
  }

  /** Moves the clock to `to` in `stepHours` steps, letting the scheduler evaluate each window. */
  async function runClockTo(campaignId: string, to: string, stepHours = 6): Promise<void> {
    const scheduler = t.app.get(CampaignScheduler);
    while (clock.now().getTime() < new Date(to).getTime()) {
      clock.set(new Date(Math.min(clock.now().getTime() + stepHours * 3_600_000, new Date(to).getTime())));
      await scheduler.evaluateTrigger(campaignId, clock.now());
    }
  }

  async function rows(campaignId: string) {
    const found: Array<{ contact_id: string; occasion_key: string; due_at: Date; state: string; reason: string | null; details: Record<string, unknown> }> =
      await t.db.query(`SELECT contact_id, occasion_key, due_at, state, reason, details FROM outbox_messages WHERE campaign_id = $1 ORDER BY due_at`, [campaignId]);
    return found;
  }

  it('greets at 09:00 on each contact’s own clock, on the days daylight saving starts and ends', async () => {
    clock.set('2027-03-01T00:00:00Z');
    const tag = `dst-${randomBytes(3).toString('hex')}`;
    const people = {
      laSpring: await contact({ tags: [tag], timeZone: 'America/Los_Angeles', birthday: '1980-03-14', locale: 'en' }),
      shanghai: await contact({ tags: [tag], timeZone: 'Asia/Shanghai', birthday: '1981-03-14', locale: 'zh-CN' }),
      berlinSpring: await contact({ tags: [tag], timeZone: 'Europe/Berlin', birthday: '1982-03-28', locale: 'en' }),
      berlinAutumn: await contact({ tags: [tag], timeZone: 'Europe/Berlin', birthday: '1983-10-31', locale: 'en' }),
      laAutumn: await contact({ tags: [tag], timeZone: 'America/Los_Angeles', birthday: '1984-11-07', locale: 'en' }),
    };
    const campaignId = await triggerCampaign({ type: 'birthday', localTime: '09:00' }, tag);
    await runClockTo(campaignId, '2027-11-10T00:00:00Z', 24);
    const due = new Map((await rows(campaignId)).map((r) => [r.contact_id, new Date(r.due_at).toISOString()]));
    expect(due.get(people.laSpring)).toBe('2027-03-14T16:00:00.000Z'); // PDT, the first day of it
    expect(due.get(people.shanghai)).toBe('2027-03-14T01:00:00.000Z');
    expect(due.get(people.berlinSpring)).toBe('2027-03-28T07:00:00.000Z'); // CEST from 02:00 that night
    expect(due.get(people.berlinAutumn)).toBe('2027-10-31T08:00:00.000Z'); // back to CET
    expect(due.get(people.laAutumn)).toBe('2027-11-07T17:00:00.000Z'); // back to PST
    expect(due.size).toBe(5);
  });

  it('sends nothing before the local 09:00 and the greeting at it', async () => {
    clock.set('2027-06-01T00:00:00Z');
    const tag = `nine-${randomBytes(3).toString('hex')}`;
    const id = await contact({ tags: [tag], timeZone: 'America/Los_Angeles', birthday: '1990-06-02', locale: 'en' });
    const campaignId = await triggerCampaign({ type: 'birthday', localTime: '09:00' }, tag);
    const worker = t.app.get(DeliveryWorker);
    await runClockTo(campaignId, '2027-06-02T15:59:00Z', 4);
    expect((await worker.runOnce({ campaignIds: [campaignId] })).claimed).toBe(0);
    clock.set('2027-06-02T16:00:00Z'); // 09:00 PDT
    const round = await worker.runOnce({ campaignIds: [campaignId] });
    expect(round.results.sent).toBe(1);
    const [row] = await rows(campaignId);
    expect(row).toMatchObject({ contact_id: id, occasion_key: 'birthday:2027', state: 'sent' });
    expect(row.details.age).toBe(37);
  });

  it('greets twins who share birthday and zone once each, and an elder brother born the same day with his own age', async () => {
    clock.set('2027-07-01T00:00:00Z');
    const tag = `twins-${randomBytes(3).toString('hex')}`;
    const twins = [
      await contact({ tags: [tag], timeZone: 'Asia/Shanghai', birthday: '1995-07-02', locale: 'zh-CN' }),
      await contact({ tags: [tag], timeZone: 'Asia/Shanghai', birthday: '1995-07-02', locale: 'zh-CN' }),
    ];
    const brother = await contact({ tags: [tag], timeZone: 'Asia/Shanghai', birthday: '1990-07-02', locale: 'zh-CN' });
    const cousin = await contact({ tags: [tag], timeZone: 'America/Los_Angeles', birthday: '1995-07-02', locale: 'en' });
    const campaignId = await triggerCampaign({ type: 'birthday', localTime: '09:00' }, tag);
    await runClockTo(campaignId, '2027-07-02T12:00:00Z', 12);
    const found = await rows(campaignId);
    // Shanghai's 09:00 on 2 July is 01:00 UTC; Los Angeles' comes after the clock stopped.
    expect(found.map((r) => r.contact_id).sort()).toEqual([...twins, brother].sort());
    expect(new Set(found.map((r) => new Date(r.due_at).toISOString()))).toEqual(new Set(['2027-07-02T01:00:00.000Z']));
    const ageOf = new Map(found.map((r) => [r.contact_id, r.details.age]));
    expect([ageOf.get(twins[0]), ageOf.get(twins[1]), ageOf.get(brother)]).toEqual([32, 32, 37]);
    await runClockTo(campaignId, '2027-07-03T00:00:00Z', 12);
    expect((await rows(campaignId)).find((r) => r.contact_id === cousin)?.due_at.toISOString()).toBe('2027-07-02T16:00:00.000Z');
  });

  it('keeps a lunar birthday on its lunar date: 八月十五 is 15 September in 2027', async () => {
    clock.set('2027-09-01T00:00:00Z');
    const tag = `lunar-${randomBytes(3).toString('hex')}`;
    const id = await contact({ tags: [tag], timeZone: 'Asia/Shanghai', birthday: '1975-03-02', lunarBirthdayMonth: 8, lunarBirthdayDay: 15, locale: 'zh-CN' });
    await t.http.post(`/contacts/${id}/preferences`).set(t.auth('marketer')).send({ preferences: [{ key: 'birthday_calendar', value: 'lunar', source: 'web_form' }] }).expect(201);
    const campaignId = await triggerCampaign({ type: 'birthday', localTime: '09:00' }, tag);
    await runClockTo(campaignId, '2027-09-20T00:00:00Z', 24);
    const found = await rows(campaignId);
    expect(found).toHaveLength(1);
    expect(new Date(found[0].due_at).toISOString()).toBe('2027-09-15T01:00:00.000Z');
    expect(found[0].details).toMatchObject({ calendar: 'lunar', date: '2027-09-15' });
  });

  it('greets everyone for Mid-Autumn at their local morning', async () => {
    clock.set('2027-09-10T00:00:00Z');
    const tag = `festival-${randomBytes(3).toString('hex')}`;
    const shanghai = await contact({ tags: [tag], timeZone: 'Asia/Shanghai', locale: 'zh-CN' });
    const berlin = await contact({ tags: [tag], timeZone: 'Europe/Berlin', locale: 'en' });
    const festival = await triggerCampaign({ type: 'holiday', calendars: ['chinese'], only: ['mid-autumn'], localTime: '09:00' }, tag, 'welcome');
    await runClockTo(festival, '2027-09-17T00:00:00Z');
    const greetings = new Map((await rows(festival)).map((r) => [r.contact_id, r]));
    expect(greetings.get(shanghai)?.occasion_key).toBe('mid-autumn:2027');
    expect(new Date(greetings.get(shanghai)!.due_at).toISOString()).toBe('2027-09-15T01:00:00.000Z');
    expect(new Date(greetings.get(berlin)!.due_at).toISOString()).toBe('2027-09-15T07:00:00.000Z');

  });

  it('follows up three days after a service visit, at 10:00 local', async () => {
    // Interactions cannot be dated in the future, so this one runs on today's real dates.
    const visitAt = new Date(Date.now() - 3_600_000);
    clock.set(new Date(visitAt.getTime() - 60_000));
    const tag = `visit-${randomBytes(3).toString('hex')}`;
    const berlin = await contact({ tags: [tag], timeZone: 'Europe/Berlin', locale: 'en' });
    const visit = await t.http
      .post(`/contacts/${berlin}/interactions`)
      .set(t.auth('marketer'))
      .send({ eventId: `visit-${randomBytes(4).toString('hex')}`, kind: 'service_visit', occurredAt: visitAt.toISOString(), summary: 'Oil change' })
      .expect(201);
    const followUp = await triggerCampaign({ type: 'follow_up', event: 'service_visit', afterDays: 3, localTime: '10:00' }, tag, 'welcome');
    await runClockTo(followUp, new Date(visitAt.getTime() + 5 * 86_400_000).toISOString());
    const [row] = await rows(followUp);
    expect(row.occasion_key).toBe(`follow-up:service_visit:${visit.body.id}`);
    const expected = DateTime.fromJSDate(visitAt, { zone: 'Europe/Berlin' }).startOf('day').plus({ days: 3 }).set({ hour: 10 });
    expect(new Date(row.due_at).toISOString()).toBe(expected.toUTC().toISO());
  });

  it('reminds before the rice runs out, and a purchase in between moves the reminder', async () => {
    // Purchases an exact number of days before this moment: a fixed time of day would lie in the future before it (the API refuses that).
    const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000 - 60_000).toISOString();
    clock.set(new Date());
    const tag = `rice-${randomBytes(3).toString('hex')}`;
    const id = await contact({ tags: [tag], timeZone: 'Asia/Shanghai', locale: 'zh-CN' });
    const buyRice = (occurredAt: string) =>
      t.http
        .post(`/contacts/${id}/interactions`)
        .set(t.auth('marketer'))
        .send(purchaseInput({ occurredAt, items: [{ productKey: 'rice-10kg', name: 'Rice 10 kg', quantity: 1, unit: 'bag', unitPrice: 80 }] }))
        .expect(201);
    for (const days of [70, 40, 10]) await buyRice(daysAgo(days));
    const prediction = async () =>
      ((await t.http.get(`/contacts/${id}/replenishment`).set(t.auth('viewer')).expect(200)).body as Array<{ productKey: string; runOutOn: string }>).find((p: { productKey: string }) => p.productKey === 'rice-10kg');
    const first = (await prediction())!;
    expect(first).toBeTruthy();
    const campaignId = await triggerCampaign({ type: 'replenishment', daysBefore: 3, localTime: '09:00' }, tag, 'welcome');
    // Evaluate up to two days before the reminder: its row is written, due at 09:00 three days before run-out.
    const reminderDay = new Date(`${first.runOutOn}T01:00:00Z`).getTime() - 3 * 86_400_000;
    await runClockTo(campaignId, new Date(reminderDay + 60_000).toISOString(), 24);
    const written = await rows(campaignId);
    expect(written.map((r) => r.occasion_key)).toEqual([`replenish:rice-10kg:${first.runOutOn}`]);

    // The household buys a sack before the reminder goes: the reminder is cancelled, not sent.
    await buyRice(daysAgo(0));
    expect((await prediction())!.runOutOn).not.toBe(first.runOutOn);
    await t.app.get(DeliveryWorker).runOnce({ campaignIds: [campaignId] });
    const [stale] = await rows(campaignId);
    expect(stale).toMatchObject({ state: 'skipped', reason: 'superseded' });
  });

  it('refuses a campaign with a bad trigger or a missing template, naming the field', async () => {
    const bad = await t.http
      .post('/campaigns')
      .set(t.auth('marketer'))
      .send({ name: 'bad', kind: 'trigger', templateKey: 'birthday', channels: ['email'], trigger: { type: 'birthday', localTime: '25:00' } })
      .expect(400);
    expect(bad.body.details).toEqual([{ field: 'trigger.localTime', problem: 'must be a local time HH:MM' }]);
    const missing = await t.http
      .post('/campaigns')
      .set(t.auth('marketer'))
      .send({ name: 'missing', kind: 'broadcast', templateKey: 'no-such-template', channels: ['email', 'sms'] })
      .expect(400);
    expect(missing.body.details[0]).toMatchObject({ field: 'templateKey' });
    const { body } = await t.http.get('/campaigns?limit=200').set(t.auth('viewer')).expect(200);
    expect(body.map((c: { name: string }) => c.name)).not.toContain('missing');
  });
});
