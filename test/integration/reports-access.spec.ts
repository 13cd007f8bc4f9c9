import { randomUUID } from 'node:crypto';
import { ApiKeysService } from '../../src/auth/api-keys.service';
import { createContact } from './goldfish-guard-helpers';
import { reportRecords } from './reports-records';
import { createTestApp, TestApp } from '../support/test-app';
import { isolatedDatabase } from '../support/test-database';

/**
 * Who may read which report (issue 8): a viewer key reads reports; a key limited to some campaigns
 * reads only those campaigns' records — another campaign answers exactly as one that does not exist —
 * its cross-campaign reports count only its campaigns, and reports about the whole base are closed to it.
 */
describe('report access', () => {
  let t: TestApp;
  let database: Awaited<ReturnType<typeof isolatedDatabase>>;
  let records: ReturnType<typeof reportRecords>;
  let ours: string;
  let theirs: string;
  const people: Record<string, string> = {};
  const messages: Record<string, string> = {};
  let scopedViewer: { Authorization: string };
  let scopedMarketer: { Authorization: string };

  const SENT = new Date('2027-03-02T09:00:00Z');
  const weekQuery = { weeks: 1, until: '2027-03-08T00:00:00Z', timeZone: 'UTC' };

  function createKey(body: Record<string, unknown>) {
    return t.http.post('/api-keys').set(t.auth('admin')).send(body);
  }

  beforeAll(async () => {
    database = await isolatedDatabase('reports_access');
    t = await createTestApp({ DATABASE_URL: database.url });
    records = reportRecords(t);
    ours = await records.campaign('Our spring greeting');
    theirs = await records.campaign('Their spring greeting');
    for (const name of ['ann', 'bob', 'cat']) people[name] = await createContact(t);
    // Ours: Ann by e-mail, Bob by SMS. Theirs: Ann again by e-mail, Cat by e-mail (and Cat only there).
    messages.oursAnn = await records.sent(ours, people.ann, 'email', 'delivered', SENT);
    messages.oursBob = await records.sent(ours, people.bob, 'sms', 'delivered', SENT);
    messages.theirsAnn = await records.sent(theirs, people.ann, 'email', 'delivered', SENT);
    messages.theirsCat = await records.sent(theirs, people.cat, 'email', 'delivered', SENT);
    await records.event(messages.theirsCat, 'opened', new Date('2027-03-02T10:00:00Z'));

    const viewer = await createKey({ name: 'our agency (read)', role: 'viewer', campaignIds: [ours] }).expect(201);
    expect(viewer.body.apiKey.campaignIds).toEqual([ours]);
    scopedViewer = { Authorization: `Bearer ${viewer.body.key}` };
    const marketer = await createKey({ name: 'our agency (run)', role: 'marketer', campaignIds: [ours] }).expect(201);
    scopedMarketer = { Authorization: `Bearer ${marketer.body.key}` };
  });
  afterAll(async () => {
    await t.close();
    await database.drop();
  });

  it('needs a key for every report', async () => {
    for (const path of [`/reports/campaigns/${ours}`, `/reports/campaigns/${ours}/timeline`, `/reports/fatigue`, '/reports/channel-mix', '/reports/value', '/reports/segments', '/reports/value/segments']) {
      const res = await t.http.get(path).expect(401);
      expect(res.body.error).toBe('UNAUTHENTICATED');
    }
  });

  it('lets an unscoped viewer read every campaign and count all of them across campaigns', async () => {
    for (const id of [ours, theirs]) {
      const { body } = await t.http.get(`/reports/campaigns/${id}`).set(t.auth('viewer')).expect(200);
      expect(body.total).toMatchObject({ materialised: 2, sent: 2, delivered: 2 });
    }
    await t.http.get(`/reports/campaigns/${theirs}/recipients/${people.cat}`).set(t.auth('viewer')).expect(200);
    const fatigue = (await t.http.get('/reports/fatigue').query(weekQuery).set(t.auth('viewer')).expect(200)).body;
    expect(fatigue.rows).toEqual([{ week: '2027-03-01', contacts: 3, messages: 4, perContact: 1.33, mostToOne: 2, once: 2, twice: 1, threeTimes: 0, fourOrMore: 0 }]);
    const mix = (await t.http.get('/reports/channel-mix').query(weekQuery).set(t.auth('viewer')).expect(200)).body;
    expect(mix.rows).toEqual([{ week: '2027-03-01', email: 3, sms: 1, mail: 0 }]);
    await t.http.get('/reports/value').set(t.auth('viewer')).expect(200);
    const campaigns = (await t.http.get('/campaigns').set(t.auth('viewer')).expect(200)).body;
    expect(campaigns.map((c: { id: string }) => c.id).sort()).toEqual([ours, theirs].sort());
  });

  it("gives a scoped viewer its campaign's reports", async () => {
    const funnel = (await t.http.get(`/reports/campaigns/${ours}`).set(scopedViewer).expect(200)).body;
    expect(funnel.total).toMatchObject({ audience: 2, materialised: 2, sent: 2, delivered: 2, openedUnique: 0 });
    const csv = await t.http.get(`/reports/campaigns/${ours}`).query({ format: 'csv' }).set(scopedViewer).expect(200);
    expect(csv.text.split('\n')[0]).toContain('materialised');
    await t.http.get(`/reports/campaigns/${ours}/timeline`).set(scopedViewer).expect(200);
    const path = (await t.http.get(`/reports/campaigns/${ours}/recipients/${people.bob}`).set(scopedViewer).expect(200)).body;
    expect(path.occasions[0].explanation).toBe('sent by sms (variant default)');
  });

  it("answers a scoped viewer about another campaign exactly as about one that does not exist", async () => {
    const missing = randomUUID();
    const notFound = async (path: (id: string) => string, query: Record<string, string> = {}) => {
      const other = await t.http.get(path(theirs)).query(query).set(scopedViewer).expect(404);
      const none = await t.http.get(path(missing)).query(query).set(scopedViewer).expect(404);
      expect(other.body).toEqual({ ...none.body, message: none.body.message.replace(missing, theirs) });
      expect(JSON.stringify(other.body)).not.toContain('Their spring greeting');
    };
    await notFound((id) => `/reports/campaigns/${id}`);
    await notFound((id) => `/reports/campaigns/${id}`, { format: 'csv' });
    await notFound((id) => `/reports/campaigns/${id}/timeline`);
    await notFound((id) => `/reports/campaigns/${id}/recipients/${people.cat}`);
    await notFound((id) => `/campaigns/${id}`);
    await notFound((id) => `/campaigns/${id}/recipients`);
    await notFound((id) => `/campaigns/${id}/tracking`);
    // A contact who was not in our campaign has no path there, even though another campaign reached her.
    await t.http.get(`/reports/campaigns/${ours}/recipients/${people.cat}`).set(scopedViewer).expect(404);
    // Another campaign's message, and the list of campaigns, show only ours.
    await t.http.get(`/messages/${messages.theirsCat}`).set(scopedViewer).expect(404);
    await t.http.get(`/messages/${messages.oursAnn}`).set(scopedViewer).expect(200);
    const campaigns = (await t.http.get('/campaigns').set(scopedViewer).expect(200)).body;
    expect(campaigns.map((c: { id: string }) => c.id)).toEqual([ours]);
  });

  it("counts only the scoped key's campaigns in cross-campaign reports", async () => {
    const fatigue = (await t.http.get('/reports/fatigue').query(weekQuery).set(scopedViewer).expect(200)).body;
    expect(fatigue.rows).toEqual([{ week: '2027-03-01', contacts: 2, messages: 2, perContact: 1, mostToOne: 1, once: 2, twice: 0, threeTimes: 0, fourOrMore: 0 }]);
    const mix = (await t.http.get('/reports/channel-mix').query(weekQuery).set(scopedViewer).expect(200)).body;
    expect(mix.rows).toEqual([{ week: '2027-03-01', email: 1, sms: 1, mail: 0 }]);
    const mixCsv = await t.http.get('/reports/channel-mix').query({ ...weekQuery, format: 'csv' }).set(scopedViewer).expect(200);
    expect(mixCsv.text.trim().split('\n')).toEqual(['week (UTC),email,sms,mail', '2027-03-01,1,1,0']);
  });

  it('closes reports about the whole customer base, and the rest of the API, to a scoped key', async () => {
    for (const path of ['/reports/value', '/reports/value/segments', '/contacts', `/contacts/${people.cat}`, '/segments']) {
      const res = await t.http.get(path).set(scopedViewer).expect(403);
      expect(res.body.error).toBe('FORBIDDEN');
    }
  });

  it('keeps role checks for scoped keys, and lets a scoped marketer act only on its campaigns', async () => {
    await t.http.post(`/campaigns/${ours}/cancel`).set(scopedViewer).expect(403);
    await t.http.post('/contacts').set(scopedViewer).send({ givenName: 'X' }).expect(403);
    await t.http.post(`/campaigns/${theirs}/cancel`).set(scopedMarketer).expect(404);
    await t.http.post('/campaigns').set(scopedMarketer).send({ name: 'x', kind: 'broadcast', templateKey: 'birthday', channels: ['email'] }).expect(403);
    const theirsNow = (await t.http.get(`/campaigns/${theirs}`).set(t.auth('viewer')).expect(200)).body;
    expect(theirsNow.status).toBe('draft');
  });

  it('validates campaign scopes when a key is created', async () => {
    const unknown = randomUUID();
    const res = await createKey({ name: 'x', role: 'viewer', campaignIds: [ours, unknown] }).expect(400);
    expect(res.body.details).toEqual([{ field: 'campaignIds[1]', problem: 'no campaign has this id' }]);
    const admin = await createKey({ name: 'x', role: 'admin', campaignIds: [ours] }).expect(400);
    expect(admin.body.details[0].field).toBe('campaignIds');
    const empty = await createKey({ name: 'x', role: 'viewer', campaignIds: [] }).expect(400);
    expect(JSON.stringify(empty.body.details)).toContain('campaignIds');
    const malformed = await createKey({ name: 'x', role: 'viewer', campaignIds: ['not-an-id'] }).expect(400);
    expect(JSON.stringify(malformed.body.details)).toContain('campaignIds');
    // Nothing was created by the refused requests.
    const keys = (await t.http.get('/api-keys').set(t.auth('admin')).expect(200)).body;
    expect(keys.filter((k: { name: string }) => k.name === 'x')).toEqual([]);
    expect(keys.find((k: { name: string }) => k.name === 'our agency (read)').campaignIds).toEqual([ours]);
    expect(keys.find((k: { name: string }) => k.name === 'test viewer').campaignIds).toBeNull();
  });

  it('turns a key id into its actor while the key lives (for dashboard sessions)', async () => {
    const created = await createKey({ name: 'session key', role: 'viewer', campaignIds: [ours] }).expect(201);
    const keys = t.app.get(ApiKeysService);
    expect(await keys.actorForKey(created.body.apiKey.id)).toEqual({ keyId: created.body.apiKey.id, label: 'api-key:session key', role: 'viewer', campaignScope: [ours] });
    await t.http.delete(`/api-keys/${created.body.apiKey.id}`).set(t.auth('admin')).expect(200);
    expect(await keys.actorForKey(created.body.apiKey.id)).toBeNull();
    expect(await keys.actorForKey(randomUUID())).toBeNull();
    expect(await keys.actorForKey('not-an-id')).toBeNull();
  });
});
