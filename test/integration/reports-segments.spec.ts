import { randomUUID } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { createContact } from './goldfish-guard-helpers';
import { reportRecords } from './reports-records';
import { createTestApp, TestApp } from '../support/test-app';
import { isolatedDatabase } from '../support/test-database';

const MARCH = new Date('2027-03-02T09:00:00Z');
const APRIL = new Date('2027-04-01T09:00:00Z');
const after = (at: Date, minutes: number) => new Date(at.getTime() + minutes * 60_000);

/**
 * Segment reports (issue 8) over records whose every number is known: what the campaigns aimed at
 * each segment achieved, and what each segment's members are worth now. The CSVs hold the same numbers.
 */
describe('segment reports', () => {
  let t: TestApp;
  let database: Awaited<ReturnType<typeof isolatedDatabase>>;
  let records: ReturnType<typeof reportRecords>;
  const segment: Record<string, string> = {};
  const campaign: Record<string, string> = {};
  const people: Record<string, string> = {};

  beforeAll(async () => {
    database = await isolatedDatabase('reports_segments');
    t = await createTestApp({ DATABASE_URL: database.url });
    records = reportRecords(t);
    segment.vip = await records.segment('VIP owners', 'vip');
    segment.regular = await records.segment('Regulars', 'regular');
    segment.dormant = await records.segment('Dormant', 'dormant');
    for (const [name, tag] of [['ann', 'vip'], ['bob', 'vip'], ['cat', 'vip'], ['dan', 'regular'], ['eve', 'regular'], ['fay', 'other']]) {
      people[name] = await createContact(t, { tags: [tag] });
    }
    campaign.vipEmail = await records.campaign('VIP e-mail', { segmentId: segment.vip });
    campaign.vipSms = await records.campaign('VIP SMS', { segmentId: segment.vip });
    campaign.regular = await records.campaign('Regulars e-mail', { segmentId: segment.regular });
    campaign.inline = await records.campaign('Inline audience');

    // VIP e-mail (due in March): Ann delivered, opened twice (and a scanner), clicked; Bob delivered, then unsubscribed; Cat skipped.
    const annEmail = await records.sent(campaign.vipEmail, people.ann, 'email', 'delivered', MARCH, MARCH);
    await records.event(annEmail, 'opened', after(MARCH, 0), true);
    await records.event(annEmail, 'opened', after(MARCH, 5));
    await records.event(annEmail, 'opened', after(MARCH, 9));
    await records.event(annEmail, 'clicked', after(MARCH, 10));
    await records.sent(campaign.vipEmail, people.bob, 'email', 'delivered', MARCH, MARCH);
    await records.unsubscribe(people.bob, 'email', after(MARCH, 60));
    await records.outbox(campaign.vipEmail, people.cat, { state: 'skipped', channel: 'email', reason: 'frequency_cap', dueAt: MARCH });
    // VIP SMS (due in April): Ann delivered and replied; Bob's was refused.
    const annSms = await records.sent(campaign.vipSms, people.ann, 'sms', 'delivered', APRIL, APRIL);
    await records.reply(people.ann, annSms, 'sms', after(APRIL, 3));
    await records.sent(campaign.vipSms, people.bob, 'sms', 'failed', APRIL, APRIL);
    // Regulars (March): Dan's was sent but never confirmed, and only a bot opened it; Eve's delivered and opened.
    const dan = await records.sent(campaign.regular, people.dan, 'email', 'sent', MARCH, MARCH);
    await records.event(dan, 'opened', after(MARCH, 1), true);
    const eve = await records.sent(campaign.regular, people.eve, 'email', 'delivered', MARCH, MARCH);
    await records.event(eve, 'opened', after(MARCH, 30));
    // A campaign with its own audience rule targets no saved segment.
    await records.sent(campaign.inline, people.fay, 'email', 'delivered', MARCH, MARCH);
  });
  afterAll(async () => {
    await t.close();
    await database.drop();
  });

  const VIP_EMAIL = { audience: 3, materialised: 3, sent: 2, delivered: 2, openedUnique: 1, clickedUnique: 1, unsubscribed: 1, replied: 0 };
  const VIP_SMS = { audience: 2, materialised: 2, sent: 1, delivered: 1, openedUnique: 0, clickedUnique: 0, unsubscribed: 0, replied: 1 };
  const REGULAR = { audience: 2, materialised: 2, sent: 2, delivered: 1, openedUnique: 1, clickedUnique: 0, unsubscribed: 0, replied: 0 };
  const NOTHING = { audience: 0, materialised: 0, sent: 0, delivered: 0, openedUnique: 0, clickedUnique: 0, unsubscribed: 0, replied: 0 };

  it('adds up the campaigns that targeted each segment, with rates and what they are shares of', async () => {
    const { body } = await t.http.get('/reports/segments').set(t.auth('viewer')).expect(200);
    expect(body.rateBases).toMatchObject({ delivered: 'sent', unsubscribed: 'sent', sent: 'materialised' });
    expect(body.segments.map((s: { segmentName: string }) => s.segmentName)).toEqual(['Regulars', 'VIP owners']);
    const vip = body.segments[1];
    // Ann and Bob were in both VIP campaigns: the segment's audience counts each person once.
    expect(vip).toMatchObject({ segmentId: segment.vip, audience: 3, materialised: 5, sent: 3, delivered: 3, openedUnique: 1, clickedUnique: 1, unsubscribed: 1, replied: 1 });
    expect(vip.rates).toEqual({ sent: 0.6, delivered: 1, opened: 0.3333, clicked: 0.3333, clickedOfOpened: 1, unsubscribed: 0.3333, replied: 0.3333 });
    expect(vip.campaigns).toEqual([
      { id: campaign.vipEmail, name: 'VIP e-mail', status: 'draft', ...VIP_EMAIL, rates: expect.objectContaining({ sent: 0.6667, opened: 0.5, unsubscribed: 0.5 }) },
      { id: campaign.vipSms, name: 'VIP SMS', status: 'draft', ...VIP_SMS, rates: expect.objectContaining({ sent: 0.5, replied: 1 }) },
    ]);
    expect(body.segments[0]).toMatchObject({ segmentId: segment.regular, ...REGULAR, rates: { delivered: 0.5, opened: 0.5 } });
  });

  it('filters by channel and by when the occasions were due', async () => {
    const sms = (await t.http.get('/reports/segments').query({ channel: 'sms' }).set(t.auth('viewer')).expect(200)).body;
    expect(sms.segments[1]).toMatchObject({ segmentName: 'VIP owners', ...VIP_SMS });
    expect(sms.segments[1].campaigns[0]).toMatchObject({ name: 'VIP e-mail', ...NOTHING });
    expect(sms.segments[0]).toMatchObject({ segmentName: 'Regulars', ...NOTHING, rates: { sent: null, delivered: null } });
    const march = (await t.http.get('/reports/segments').query({ from: '2027-03-01T00:00:00Z', until: '2027-03-15T00:00:00Z' }).set(t.auth('viewer')).expect(200)).body;
    expect(march.segments[1]).toMatchObject({ segmentName: 'VIP owners', ...VIP_EMAIL });
    const bad = await t.http.get('/reports/segments').query({ from: '2027-04-01T00:00:00Z', until: '2027-03-01T00:00:00Z' }).set(t.auth('viewer')).expect(400);
    expect(bad.body.details).toEqual([{ field: 'from', problem: 'from must be before until' }]);
    const badChannel = await t.http.get('/reports/segments').query({ channel: 'fax' }).set(t.auth('viewer')).expect(400);
    expect(JSON.stringify(badChannel.body.details)).toContain('channel');
  });

  it('shows one segment, 404 for one that does not exist, and the same numbers as CSV', async () => {
    const one = (await t.http.get(`/reports/segments/${segment.vip}`).set(t.auth('viewer')).expect(200)).body;
    expect(one.segment).toMatchObject({ segmentName: 'VIP owners', audience: 3, sent: 3 });
    await t.http.get(`/reports/segments/${randomUUID()}`).set(t.auth('viewer')).expect(404);
    // A segment no campaign targeted has no performance to show.
    await t.http.get(`/reports/segments/${segment.dormant}`).set(t.auth('viewer')).expect(404);

    const res = await t.http.get('/reports/segments').query({ format: 'csv' }).set(t.auth('viewer')).expect(200);
    expect(res.headers['content-type']).toContain('text/csv');
    const rows: Array<Record<string, string>> = parse(res.text, { columns: true });
    const json = (await t.http.get('/reports/segments').set(t.auth('viewer')).expect(200)).body;
    const expected = json.segments.flatMap((s: Record<string, unknown> & { campaigns: Array<Record<string, unknown>> }) => [
      { ...s, campaignId: 'all' },
      ...s.campaigns.map((c) => ({ ...c, segmentId: s.segmentId, campaignId: c.id })),
    ]);
    expect(rows).toHaveLength(expected.length);
    rows.forEach((row, i) => {
      expect(row.segmentId).toBe(expected[i].segmentId);
      expect(row.campaignId).toBe(expected[i].campaignId);
      for (const key of Object.keys(VIP_EMAIL)) expect(Number(row[key])).toBe(expected[i][key]);
      expect(row.sentRate === '' ? null : Number(row.sentRate)).toBe(expected[i].rates.sent);
    });
    expect(rows.find((r) => r.segmentName === 'VIP owners' && r.campaignId === 'all')).toMatchObject({ audience: '3', materialised: '5', sent: '3', unsubscribed: '1', replied: '1' });
  });

  it("counts only a campaign-scoped key's campaigns", async () => {
    const key = (await t.http.post('/api-keys').set(t.auth('admin')).send({ name: 'SMS agency', role: 'viewer', campaignIds: [campaign.vipSms] }).expect(201)).body.key;
    const scoped = { Authorization: `Bearer ${key}` };
    const { body } = await t.http.get('/reports/segments').set(scoped).expect(200);
    expect(body.segments).toEqual([expect.objectContaining({ segmentName: 'VIP owners', ...VIP_SMS, campaigns: [expect.objectContaining({ id: campaign.vipSms, ...VIP_SMS })] })]);
    await t.http.get(`/reports/segments/${segment.regular}`).set(scoped).expect(404);
    await t.http.get('/reports/value/segments').set(scoped).expect(403);
  });

  describe('lifetime value by segment', () => {
    beforeAll(async () => {
      const value = (name: string, abc: string, frequency: string, ltv: number) =>
        t.db.query(`INSERT INTO contact_value (contact_id, abc_class, frequency_class, lifetime_value) VALUES ($1, $2, $3, $4)`, [people[name], abc, frequency, ltv]);
      const signal = (name: string, from: string, to: string, at: string) =>
        t.db.query(`INSERT INTO value_signals (contact_id, dimension, from_value, to_value, detected_at) VALUES ($1, 'frequency_class', $2, $3, $4)`, [people[name], from, to, at]);
      await value('ann', 'A', 'light', 5000);
      await value('bob', 'B', 'heavy', 1000);
      // Cat has no value yet. Ann went heavy → medium → light within the window: a mover.
      await signal('ann', 'heavy', 'medium', '2027-02-01T00:00:00Z');
      await signal('ann', 'medium', 'light', '2027-02-20T00:00:00Z');
      await value('dan', 'C', 'lapsed', 100);
      await value('eve', 'A', 'light', 3000);
      await value('fay', 'A', 'heavy', 9000);
      // Dan left heavy before the window; Eve within it.
      await signal('dan', 'heavy', 'light', '2026-06-01T00:00:00Z');
      await signal('eve', 'heavy', 'light', '2027-01-10T00:00:00Z');
    });

    it('shows members now, their lifetime value, ABC classes and heavy → light movers per segment', async () => {
      const { body } = await t.http.get('/reports/value/segments').query({ months: 6, until: '2027-03-01T00:00:00Z' }).set(t.auth('viewer')).expect(200);
      expect(body.segments.map((s: { segmentName: string }) => s.segmentName)).toEqual(['Dormant', 'Regulars', 'VIP owners']);
      const [dormant, regular, vip] = body.segments;
      expect(vip).toEqual({
        segmentId: segment.vip, segmentName: 'VIP owners', members: 3, valued: 2,
        lifetimeValue: { total: '6000.00', mean: '3000.00', median: '3000.00' },
        abc: { A: { contacts: 1, share: 0.3333, lifetimeValue: '5000.00' }, B: { contacts: 1, share: 0.3333, lifetimeValue: '1000.00' }, C: { contacts: 0, share: 0, lifetimeValue: '0.00' }, unclassified: 1 },
        heavyToLight: 1,
      });
      expect(regular).toMatchObject({ members: 2, valued: 2, lifetimeValue: { total: '3100.00', mean: '1550.00', median: '1550.00' }, abc: { A: { contacts: 1, share: 0.5 }, C: { contacts: 1, share: 0.5 } }, heavyToLight: 1 });
      expect(dormant).toMatchObject({ members: 0, valued: 0, lifetimeValue: { total: '0.00', mean: null, median: null }, abc: { A: { contacts: 0, share: null } }, heavyToLight: 0 });

      const csv = await t.http.get('/reports/value/segments').query({ months: 6, until: '2027-03-01T00:00:00Z', format: 'csv' }).set(t.auth('viewer')).expect(200);
      const rows: Array<Record<string, string>> = parse(csv.text, { columns: true });
      expect(rows.map((r) => [r.segmentName, r.members, r.valued, r.totalLifetimeValue, r.meanLifetimeValue, r.medianLifetimeValue, r.abcA, r.abcAShare, r.unclassified, r.heavyToLight])).toEqual([
        ['Dormant', '0', '0', '0.00', '', '', '0', '', '0', '0'],
        ['Regulars', '2', '2', '3100.00', '1550.00', '1550.00', '1', '0.5', '0', '1'],
        ['VIP owners', '3', '2', '6000.00', '3000.00', '3000.00', '1', '0.3333', '1', '1'],
      ]);
    });
  });

  it('exports fatigue, channel mix and the value overview as CSV with the JSON numbers', async () => {
    const query = { weeks: 6, until: '2027-04-05T00:00:00Z', timeZone: 'UTC' };
    const fatigue = (await t.http.get('/reports/fatigue').query(query).set(t.auth('viewer')).expect(200)).body;
    const fatigueCsv: Array<Record<string, string>> = parse((await t.http.get('/reports/fatigue').query({ ...query, format: 'csv' }).set(t.auth('viewer')).expect(200)).text, { columns: true });
    expect(fatigueCsv.map((r) => [r['week (UTC)'], Number(r.contacts), Number(r.messages)])).toEqual(fatigue.rows.map((r: { week: string; contacts: number; messages: number }) => [r.week, r.contacts, r.messages]));
    // Sent in March: Ann, Bob, Dan, Eve, Fay by e-mail; in April Ann by SMS (Bob's was refused).
    expect(fatigue.rows.map((r: { week: string; messages: number }) => [r.week, r.messages])).toEqual([['2027-03-01', 5], ['2027-03-29', 1]]);
    const value = (await t.http.get('/reports/value').set(t.auth('viewer')).expect(200)).body;
    const valueCsv: Array<Record<string, string>> = parse((await t.http.get('/reports/value').query({ format: 'csv' }).set(t.auth('viewer')).expect(200)).text, { columns: true });
    const abcA = valueCsv.find((r) => r.part === 'now' && r.dimension === 'abc_class' && r.value === 'A');
    expect(abcA).toMatchObject({ contacts: '3', lifetimeValue: '17000.00' });
    expect(value.distribution).toContainEqual({ dimension: 'abc_class', value: 'A', contacts: 3, lifetimeValue: '17000.00' });
  });
});

/**
 * Segment performance where adding up per campaign could go wrong: a contact reached by two
 * campaigns of one segment and by a campaign of another, members who left the segment after the
 * sends, a key limited to some of a segment's campaigns. Each campaign's line is its funnel's total.
 */
describe('segment performance across overlapping campaigns and segments', () => {
  let t: TestApp;
  let database: Awaited<ReturnType<typeof isolatedDatabase>>;
  const segment: Record<string, string> = {};
  const campaign: Record<string, string> = {};
  const people: Record<string, string> = {};

  beforeAll(async () => {
    database = await isolatedDatabase('reports_segments_overlap');
    t = await createTestApp({ DATABASE_URL: database.url });
    const records = reportRecords(t);
    segment.owners = await records.segment('Owners', 'owner');
    segment.newsletter = await records.segment('Newsletter', 'news');
    for (const [name, tags] of [['pia', ['owner', 'news']], ['quinn', ['owner']], ['tom', ['owner']], ['rex', ['news']]] as const) {
      people[name] = await createContact(t, { tags });
    }
    campaign.spring = await records.campaign('Owners spring', { segmentId: segment.owners });
    campaign.autumn = await records.campaign('Owners autumn', { segmentId: segment.owners });
    campaign.news = await records.campaign('Newsletter April', { segmentId: segment.newsletter });

    // Spring (e-mail, March): Pia delivered, then she unsubscribed from e-mail; Quinn delivered, opened and clicked.
    await records.sent(campaign.spring, people.pia, 'email', 'delivered', MARCH, MARCH);
    await records.unsubscribe(people.pia, 'email', after(MARCH, 60));
    const quinn = await records.sent(campaign.spring, people.quinn, 'email', 'delivered', MARCH, MARCH);
    await records.event(quinn, 'opened', after(MARCH, 5));
    await records.event(quinn, 'clicked', after(MARCH, 6));
    // Autumn (SMS, April): Pia delivered and replied (her e-mail unsubscribe does not touch SMS); Tom skipped.
    const piaSms = await records.sent(campaign.autumn, people.pia, 'sms', 'delivered', APRIL, APRIL);
    await records.reply(people.pia, piaSms, 'sms', after(APRIL, 2));
    await records.outbox(campaign.autumn, people.tom, { state: 'skipped', channel: 'sms', reason: 'frequency_cap', dueAt: APRIL });
    // Newsletter (e-mail, April): Pia read it (sent after she unsubscribed: not an unsubscribe it caused); Rex's only a bot opened.
    await records.sent(campaign.news, people.pia, 'email', 'read', APRIL, APRIL);
    const rex = await records.sent(campaign.news, people.rex, 'email', 'sent', APRIL, APRIL);
    await records.event(rex, 'opened', after(APRIL, 1), true);

    // Quinn has left the segment since, and Sam joined it after the sends: the report is about whom the campaigns reached.
    await t.db.query(`UPDATE contacts SET tags = ARRAY['former'] WHERE id = $1`, [people.quinn]);
    await createContact(t, { tags: ['owner'] });
  });
  afterAll(async () => {
    await t.close();
    await database.drop();
  });

  const SPRING = { audience: 2, materialised: 2, sent: 2, delivered: 2, openedUnique: 1, clickedUnique: 1, unsubscribed: 1, replied: 0 };
  const AUTUMN = { audience: 2, materialised: 2, sent: 1, delivered: 1, openedUnique: 0, clickedUnique: 0, unsubscribed: 0, replied: 1 };
  const NEWS = { audience: 2, materialised: 2, sent: 2, delivered: 1, openedUnique: 0, clickedUnique: 0, unsubscribed: 0, replied: 0 };

  it("counts a contact once in each segment whose campaigns reached her, and each campaign's line as its funnel does", async () => {
    const { body } = await t.http.get('/reports/segments').set(t.auth('viewer')).expect(200);
    expect(body.segments.map((s: { segmentName: string }) => s.segmentName)).toEqual(['Newsletter', 'Owners']);
    const [newsletter, owners] = body.segments;
    // Pia, Quinn and Tom: Pia had both Owners campaigns; Quinn counts though she is no longer an owner.
    expect(owners).toMatchObject({ audience: 3, materialised: 4, sent: 3, delivered: 3, openedUnique: 1, clickedUnique: 1, unsubscribed: 1, replied: 1 });
    expect(owners.campaigns).toEqual([
      expect.objectContaining({ id: campaign.spring, ...SPRING }),
      expect.objectContaining({ id: campaign.autumn, ...AUTUMN }),
    ]);
    // Pia is in the Newsletter's audience as well as the Owners'.
    expect(newsletter).toMatchObject({ ...NEWS, campaigns: [expect.objectContaining({ id: campaign.news, ...NEWS })] });

    for (const line of [...owners.campaigns, ...newsletter.campaigns]) {
      const funnel = (await t.http.get(`/reports/campaigns/${line.id}`).set(t.auth('viewer')).expect(200)).body;
      for (const key of Object.keys(SPRING)) expect([line.name, key, line[key]]).toEqual([line.name, key, funnel.total[key]]);
    }
  });

  it("counts a scoped key's campaigns only, its audience too", async () => {
    const key = (await t.http.post('/api-keys').set(t.auth('admin')).send({ name: 'Autumn and news agency', role: 'viewer', campaignIds: [campaign.autumn, campaign.news] }).expect(201)).body.key;
    const { body } = await t.http.get('/reports/segments').set({ Authorization: `Bearer ${key}` }).expect(200);
    expect(body.segments).toEqual([
      expect.objectContaining({ segmentName: 'Newsletter', ...NEWS }),
      expect.objectContaining({ segmentName: 'Owners', ...AUTUMN, campaigns: [expect.objectContaining({ id: campaign.autumn, ...AUTUMN })] }),
    ]);
  });

  it('narrows the audience with the filters: only those reached in the window or on the channel', async () => {
    const sms = (await t.http.get(`/reports/segments/${segment.owners}`).query({ channel: 'sms' }).set(t.auth('viewer')).expect(200)).body.segment;
    expect(sms).toMatchObject(AUTUMN);
    const march = (await t.http.get(`/reports/segments/${segment.owners}`).query({ until: '2027-03-15T00:00:00Z' }).set(t.auth('viewer')).expect(200)).body.segment;
    expect(march).toMatchObject(SPRING);
    expect(march.campaigns[1]).toMatchObject({ id: campaign.autumn, audience: 0, materialised: 0 });
  });
});
