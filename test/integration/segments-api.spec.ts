import { randomUUID } from 'node:crypto';
import { createTestApp, TestApp } from '../support/test-app';

/** Nests `leaf` inside `levels` all-groups. */
function nested(levels: number, leaf: unknown): unknown {
  let rule = leaf;
  for (let i = 0; i < levels; i++) rule = { all: [rule] };
  return rule;
}

describe('segments API', () => {
  let t: TestApp;
  const run = `seg-api-${randomUUID().slice(0, 8)}`;
  const mine = { field: 'tags', op: 'has', value: run };
  const contactIds: string[] = [];

  beforeAll(async () => {
    t = await createTestApp();
    // 30 contacts of this file: every third one drinks tea, every second one is in Berlin; one deleted.
    const rows: Array<{ id: string }> = await t.db.query(
      `INSERT INTO contacts (external_id, given_name, family_name, locale, address, tags, deleted_at)
       SELECT $1 || '-' || g, 'Guest', 'No. ' || g, CASE WHEN g % 2 = 0 THEN 'de-DE' ELSE 'en' END,
              CASE WHEN g % 2 = 0 THEN '{"country":"DE","city":"Berlin"}'::jsonb END, ARRAY[$1], CASE WHEN g = 30 THEN now() END
         FROM generate_series(1, 30) g ORDER BY g RETURNING id`,
      [run],
    );
    contactIds.push(...rows.map((r) => r.id));
    await t.db.query(
      `INSERT INTO preference_statements (contact_id, key, value, source, authority, recorded_by, stated_at)
       SELECT id, 'drink', '"tea"', 'web_form', 4, 'test', now() FROM unnest($1::uuid[]) WITH ORDINALITY AS x(id, g) WHERE g % 3 = 0`,
      [contactIds],
    );
  });
  afterAll(() => t.close());

  const teaInBerlin = () => ({
    all: [mine, { field: 'city', op: 'eq', value: 'Berlin' }, { preference: 'drink', op: 'eq', value: 'tea' }],
  });

  it('previews a rule: the count and a sample of the people it reaches', async () => {
    // Multiples of 6 from 1 to 29 (30 is deleted): 6, 12, 18, 24.
    const { body } = await t.http.post('/segments/preview').set(t.auth('viewer')).send({ rule: teaInBerlin(), sampleSize: 3 }).expect(200);
    expect(body.count).toBe(4);
    expect(body.sample).toHaveLength(3);
    for (const person of body.sample) {
      expect(person).toMatchObject({ givenName: 'Guest', familyName: expect.stringMatching(/^No\. (6|12|18|24)$/), locale: 'de-DE' });
      expect(Object.keys(person).sort()).toEqual(['email', 'externalId', 'familyName', 'givenName', 'id', 'locale', 'phone', 'tags', 'timeZone']);
    }
    const all = await t.http.post('/segments/preview').set(t.auth('viewer')).send({ rule: teaInBerlin(), sampleSize: 100 }).expect(200);
    expect(all.body.sample.map((p: { familyName: string }) => p.familyName).sort()).toEqual(['No. 12', 'No. 18', 'No. 24', 'No. 6']);
    const countOnly = await t.http.post('/segments/preview').set(t.auth('viewer')).send({ rule: teaInBerlin(), sampleSize: 0 }).expect(200);
    expect(countOnly.body).toMatchObject({ count: 4, sample: [] });
  });

  it('measures relative times from asOf', async () => {
    const recent = { all: [mine, { field: 'created_at', op: 'within_days', value: 1 }] };
    expect((await t.http.post('/segments/preview').set(t.auth('viewer')).send({ rule: recent }).expect(200)).body.count).toBe(29);
    const later = await t.http.post('/segments/preview').set(t.auth('viewer')).send({ rule: recent, asOf: new Date(Date.now() + 3 * 86_400_000).toISOString() }).expect(200);
    expect(later.body.count).toBe(0);
    const bad = await t.http.post('/segments/preview').set(t.auth('viewer')).send({ rule: recent, asOf: '2027-05-01T09:00:00' }).expect(400);
    expect(bad.body.details).toEqual([{ field: 'asOf', problem: expect.stringContaining('with its offset') }]);
  });

  it('answers an invalid rule with a 400 that names the bad node', async () => {
    const cases: Array<[unknown, string, RegExp]> = [
      [{ all: [mine, { field: 'salary', op: 'gt', value: 1 }] }, 'rule.all[1].field', /unknown field 'salary'/],
      [{ all: [mine, { any: [{ field: 'tags', op: 'gt', value: 'a' }] }] }, 'rule.all[1].any[0].op', /op 'gt' is not allowed for field 'tags'/],
      [{ all: [mine, { metric: 'monetary_12m', op: 'gte', value: 'lots' }] }, 'rule.all[1].value', /must be a number/],
      [{ all: [mine, { event: 'purchase', within_days: 'ninety' }] }, 'rule.all[1].within_days', /whole number of days/],
      [{ all: [mine, { preference: 'favourite_colour', op: 'exists' }] }, 'rule.all[1].preference', /unknown preference key/],
      [nested(6, mine), 'rule' + '.all[0]'.repeat(6), /nested more than 6 levels deep/],
      [{ any: Array.from({ length: 201 }, () => mine) }, 'rule.any[199]', /more than 200 nodes/],
      [{ all: [mine], where: '1=1' }, 'rule.where', /unknown key/],
      ['everyone', 'rule', /a rule must be an object/],
    ];
    for (const [rule, field, problem] of cases) {
      const { body } = await t.http.post('/segments/preview').set(t.auth('viewer')).send({ rule }).expect(400);
      expect(body).toMatchObject({ error: 'VALIDATION_FAILED', details: [{ field, problem: expect.stringMatching(problem) }] });
    }
    const missing = await t.http.post('/segments/preview').set(t.auth('viewer')).send({}).expect(400);
    expect(missing.body.details).toEqual([{ field: 'rule', problem: 'rule is required' }]);
  });

  it('refuses names that are not in the catalog and keeps hostile values as data', async () => {
    for (const name of ['locale; DROP TABLE contacts; --', 'c.id) OR (1=1', 'constructor']) {
      const { body } = await t.http.post('/segments/preview').set(t.auth('viewer')).send({ rule: { all: [mine, { field: name, op: 'exists' }] } }).expect(400);
      expect(body.details[0].field).toBe('rule.all[1].field');
    }
    const hostile = "Berlin' OR '1'='1'; DROP TABLE segments; --";
    const { body } = await t.http.post('/segments/preview').set(t.auth('viewer')).send({
      rule: { all: [mine, { any: [{ field: 'city', op: 'eq', value: hostile }, { attribute: hostile, op: 'exists' }, { field: 'city', op: 'contains', value: hostile }] }] },
    }).expect(200);
    expect(body.count).toBe(0);
    const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM contacts WHERE tags @> ARRAY[$1]`, [run]);
    expect(n).toBe(30);
    await t.http.get('/segments').set(t.auth('viewer')).expect(200);
  });

  it('saves, lists, changes and archives segments, each change audited', async () => {
    const name = `Tea in Berlin ${run}`;
    const created = await t.http.post('/segments').set(t.auth('marketer')).send({ name, description: 'For the tea tasting', rule: teaInBerlin() }).expect(201);
    const id = created.body.id as string;
    expect(created.body).toMatchObject({ name, description: 'For the tea tasting', rule: teaInBerlin(), createdBy: 'api-key:test marketer', archivedAt: null });

    const dup = await t.http.post('/segments').set(t.auth('marketer')).send({ name: name.toUpperCase(), rule: { all: [mine] } }).expect(409);
    expect(dup.body).toMatchObject({ error: 'SEGMENT_NAME_TAKEN', details: [{ field: 'name' }] });
    const invalid = await t.http.post('/segments').set(t.auth('marketer')).send({ name: `${name} 2`, rule: { all: [{ field: 'tags', op: 'eq', value: 'x' }] } }).expect(400);
    expect(invalid.body.details[0].field).toBe('rule.all[0].op');
    await t.http.post('/segments').set(t.auth('viewer')).send({ name: `${name} 3`, rule: { all: [mine] } }).expect(403);

    expect((await t.http.get(`/segments/${id}`).set(t.auth('viewer')).expect(200)).body).toMatchObject({ id, name });
    expect((await t.http.get(`/segments/${id}/preview?sampleSize=2`).set(t.auth('viewer')).expect(200)).body).toMatchObject({ count: 4, sample: expect.any(Array) });

    const wider = { all: [mine, { field: 'city', op: 'eq', value: 'Berlin' }] };
    const badPatch = await t.http.patch(`/segments/${id}`).set(t.auth('marketer')).send({ rule: { all: [mine, { field: 'city', op: 'gt', value: 1 }] } }).expect(400);
    expect(badPatch.body.details[0].field).toBe('rule.all[1].op');
    const patched = await t.http.patch(`/segments/${id}`).set(t.auth('marketer')).send({ rule: wider, description: null }).expect(200);
    expect(patched.body).toMatchObject({ rule: wider, description: null });
    expect((await t.http.get(`/segments/${id}/preview`).set(t.auth('viewer')).expect(200)).body.count).toBe(14);
    await t.http.patch(`/segments/${id}`).set(t.auth('marketer')).send({ rule: wider }).expect(200); // no change, no audit row

    const second = await t.http.post('/segments').set(t.auth('marketer')).send({ name: `${name} (copy)`, rule: { all: [mine] } }).expect(201);
    const listed: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: Array<{ id: string }>; nextCursor: string | null } } = await t.http
        .get('/segments').query({ limit: 1, ...(cursor ? { cursor } : {}) }).set(t.auth('viewer')).expect(200);
      listed.push(...page.body.items.map((s) => s.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(listed).toEqual(expect.arrayContaining([id, second.body.id]));
    expect(new Set(listed).size).toBe(listed.length);

    await t.http.delete(`/segments/${id}`).set(t.auth('marketer')).expect(204);
    await t.http.delete(`/segments/${id}`).set(t.auth('marketer')).expect(404);
    await t.http.patch(`/segments/${id}`).set(t.auth('marketer')).send({ name: 'x' }).expect(404);
    expect((await t.http.get(`/segments/${id}`).set(t.auth('viewer')).expect(200)).body.archivedAt).not.toBeNull();
    const live = await t.http.get('/segments').query({ limit: 200 }).set(t.auth('viewer')).expect(200);
    expect(live.body.items.map((s: { id: string }) => s.id)).not.toContain(id);
    const withArchived = await t.http.get('/segments').query({ limit: 200, includeArchived: true }).set(t.auth('viewer')).expect(200);
    expect(withArchived.body.items.map((s: { id: string }) => s.id)).toContain(id);
    // The name is free again once archived.
    await t.http.post('/segments').set(t.auth('marketer')).send({ name, rule: { all: [mine] } }).expect(201);

    const audit: Array<{ action: string; changes: Record<string, unknown> }> = await t.db.query(
      `SELECT action, changes FROM audit_log WHERE entity_type = 'segment' AND entity_id = $1 ORDER BY id`,
      [id],
    );
    expect(audit).toEqual([
      { action: 'segment.create', changes: { name } },
      { action: 'segment.update', changes: { fields: ['description', 'rule'] } },
      { action: 'segment.archive', changes: {} },
    ]);
  });

  it('answers 404 for an unknown segment and 400 for a malformed id', async () => {
    await t.http.get(`/segments/${randomUUID()}`).set(t.auth('viewer')).expect(404);
    await t.http.get(`/segments/${randomUUID()}/preview`).set(t.auth('viewer')).expect(404);
    await t.http.get('/segments/not-a-uuid').set(t.auth('viewer')).expect(400);
  });
});
