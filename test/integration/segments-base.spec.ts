import { createHash, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { SegmentsService } from '../../src/segments/segments.service';
import { TestApp } from '../support/test-app';
import { createIsolatedTestApp } from './memory-value-support';

/** 10,000 by default; SEGMENT_BASE_SIZE=100000 measures a larger base (the assertions are the same). */
const SIZE = Number(process.env.SEGMENT_BASE_SIZE ?? 10_000);
const NOW = new Date('2031-06-30T12:00:00Z');
/** Names this run's contacts and events, should the database be shared with other test files. */
const RUN = `segbase-${randomUUID().slice(0, 8)}`;
const PREFIX = `${RUN}-`;

/**
 * The constructed base: every property of customer g (1…SIZE) is drawn from md5("<salt>:<g>"),
 * computed the same way by PostgreSQL (to build the base in bulk) and by JavaScript (to know the
 * answer), so properties are independent of each other and the expected set is found by a plain
 * filter over the specification, never by the SQL under test.
 */
function pick(g: number, salt: string, modulo: number): number {
  return parseInt(createHash('md5').update(`${salt}:${g}`).digest('hex').slice(0, 8), 16) % modulo;
}
const pickSql = (salt: string, modulo: number) => `(('x' || substr(md5('${salt}:' || g), 1, 8))::bit(32)::bigint % ${modulo})`;

const CARS = ['X5', 'X3', 'i4', 'Mini'];

interface Customer {
  g: number;
  live: boolean;
  car: string;
  /** The mileage as a number, or null when it is stored as 'n/a'. */
  mileage: number | null;
  drink: string | null;
  /** Days before NOW of the oil change (never, when null); one after NOW for some does not count. */
  oilChangeDaysAgo: number | null;
  visitDaysAgo: number | null;
  /** The RFM recency digit (1 without a contact_value row) and the ABC class (null without one). */
  rfmRecency: number;
  abc: string | null;
  emailConsent: 'granted' | 'revoked' | 'none';
}

function customer(g: number): Customer {
  const drink = pick(g, 'drink', 7);
  const consent = pick(g, 'consent', 4);
  const computed = pick(g, 'cv', 10) !== 0;
  return {
    g,
    live: pick(g, 'deleted', 50) !== 0 && pick(g, 'erased', 100) !== 0,
    car: CARS[pick(g, 'car', 4)],
    mileage: pick(g, 'mform', 10) === 9 ? null : pick(g, 'mileage', 50_000),
    // 1 tea; 2 coffee; 3 coffee said by the customer beats a newer inferred tea; 4 tea withdrawn;
    // 5 tea expiring after NOW; 6 tea expired before NOW; 0 nothing.
    drink: [null, 'tea', 'coffee', 'coffee', null, 'tea', null][drink],
    oilChangeDaysAgo: pick(g, 'oil', 3) === 0 ? pick(g, 'oildays', 150) : null,
    visitDaysAgo: pick(g, 'visit', 2) === 0 ? pick(g, 'visitdays', 120) : null,
    rfmRecency: computed ? 1 + pick(g, 'r', 5) : 1,
    abc: computed ? ['A', 'B', 'C'][pick(g, 'abc', 3)] : null,
    // 0 none; 1 granted; 2 granted then revoked; 3 revoked then granted.
    emailConsent: (['none', 'granted', 'revoked', 'granted'] as const)[consent],
  };
}

/** One drink statement for each customer `where` selects. */
async function drinkStatements(
  t: TestApp, base: string, where: string, value: string | null, source: string, authority: number, statedDaysAgo: number, expiresInDays: number | null = null,
): Promise<void> {
  await t.db.query(
    `INSERT INTO preference_statements (contact_id, key, value, source, authority, recorded_by, stated_at, expires_at)
     SELECT b.id, 'drink', $1::jsonb, $2, $3, 'test', $4::timestamptz - $5::int * interval '1 day', $4::timestamptz + $6::int * interval '1 day'
       FROM ${base} WHERE ${where}`,
    [value === null ? null : JSON.stringify(value), source, authority, NOW, statedDaysAgo, expiresInDays],
  );
}

async function buildBase(t: TestApp): Promise<void> {
  const q = (sql: string, params: unknown[] = []) => t.db.query(sql, params);
  await q(
    `INSERT INTO contacts (external_id, given_name, family_name, tags, attributes, deleted_at, erased_at)
     SELECT '${PREFIX}' || g, 'Guest', 'No. ' || g, ARRAY['${RUN}'],
            jsonb_build_object(
              'car', (ARRAY['X5', 'X3', 'i4', 'Mini'])[${pickSql('car', 4)} + 1],
              'mileage', CASE WHEN ${pickSql('mform', 10)} < 5 THEN to_jsonb(${pickSql('mileage', 50_000)})
                              WHEN ${pickSql('mform', 10)} < 9 THEN to_jsonb(${pickSql('mileage', 50_000)}::text)
                              ELSE to_jsonb('n/a'::text) END),
            CASE WHEN ${pickSql('deleted', 50)} = 0 OR ${pickSql('erased', 100)} = 0 THEN $2::timestamptz END,
            CASE WHEN ${pickSql('erased', 100)} = 0 THEN $2::timestamptz END
       FROM generate_series(1, $1::int) g`,
    [SIZE, NOW],
  );
  const base = `(SELECT id, substr(external_id, ${PREFIX.length + 1})::int AS g FROM contacts WHERE external_id LIKE '${PREFIX}%') b`;
  const at = (sql: string) => sql.replaceAll('|| g', '|| b.g');
  const drink = (n: number) => `${at(pickSql('drink', 7))} = ${n}`;
  await drinkStatements(t, base, drink(1), 'tea', 'web_form', 4, 30);
  await drinkStatements(t, base, drink(2), 'coffee', 'web_form', 4, 30);
  await drinkStatements(t, base, drink(3), 'coffee', 'customer_told_staff', 4, 60);
  await drinkStatements(t, base, drink(3), 'tea', 'inferred', 1, 5);
  await drinkStatements(t, base, drink(4), 'tea', 'staff', 3, 60);
  await drinkStatements(t, base, drink(4), null, 'web_form', 4, 10);
  await drinkStatements(t, base, drink(5), 'tea', 'staff', 3, 60, 10);
  await drinkStatements(t, base, drink(6), 'tea', 'staff', 3, 60, -1);

  // Oil changes (some after NOW, which must not count), tyres as noise, service visits.
  await q(
    `INSERT INTO interactions (contact_id, event_id, kind, occurred_at, recorded_by)
     SELECT b.id, '${PREFIX}oil-' || b.g, 'purchase', $1::timestamptz - ${at(pickSql('oildays', 150))} * interval '24 hours', 'test'
       FROM ${base} WHERE ${at(pickSql('oil', 3))} = 0
     UNION ALL
     SELECT b.id, '${PREFIX}oil-future-' || b.g, 'purchase', $1::timestamptz + interval '3 days', 'test'
       FROM ${base} WHERE ${at(pickSql('future', 5))} = 0
     UNION ALL
     SELECT b.id, '${PREFIX}tyres-' || b.g, 'purchase', $1::timestamptz - ${at(pickSql('tyredays', 60))} * interval '24 hours', 'test'
       FROM ${base} WHERE ${at(pickSql('tyres', 3))} = 0
     UNION ALL
     SELECT b.id, '${PREFIX}visit-' || b.g, 'service_visit', $1::timestamptz - ${at(pickSql('visitdays', 120))} * interval '24 hours', 'test'
       FROM ${base} WHERE ${at(pickSql('visit', 2))} = 0`,
    [NOW],
  );
  await q(
    `INSERT INTO purchase_lines (interaction_id, line_no, contact_id, product_key, quantity, occurred_at)
     SELECT i.id, 1, i.contact_id, CASE WHEN i.event_id LIKE '${PREFIX}tyres-%' THEN 'tyres' ELSE 'oil-change' END, 1, i.occurred_at
       FROM interactions i WHERE i.kind = 'purchase' AND (i.event_id LIKE '${PREFIX}oil-%' OR i.event_id LIKE '${PREFIX}tyres-%')`,
  );
  await q(
    `INSERT INTO contact_value (contact_id, rfm_score, abc_class, loyalty_stage)
     SELECT b.id, (1 + ${at(pickSql('r', 5))})::text || '33', (ARRAY['A', 'B', 'C'])[${at(pickSql('abc', 3))} + 1], 'regular'
       FROM ${base} WHERE ${at(pickSql('cv', 10))} <> 0`,
  );
  const consent = (values: number[], status: string, daysAgo: number) =>
    q(
      `INSERT INTO contact_consent_events (contact_id, channel, status, source, recorded_at, recorded_by)
       SELECT b.id, 'email', $1, 'test', $2::timestamptz - $3::int * interval '1 day', 'test'
         FROM ${base} WHERE ${at(pickSql('consent', 4))} = ANY ($4::int[])`,
      [status, NOW, daysAgo, values],
    );
  await consent([1, 2], 'granted', 300);
  await consent([2], 'revoked', 10);
  await consent([3], 'revoked', 300);
  await consent([3], 'granted', 10);
  await q(`ANALYZE`);
}

/** Only this run's contacts: the base is alone in its database on a local server, but may share one elsewhere. */
const scoped = (rule: unknown) => ({ all: [{ field: 'tags', op: 'has', value: RUN }, rule] });

const MIXED_RULE = {
  all: [
    { attribute: 'car', op: 'in', value: ['X5', 'X3'] },
    { attribute: 'mileage', type: 'number', op: 'gte', value: 20_000 },
    { preference: 'drink', op: 'eq', value: 'tea' },
    { any: [{ event: 'purchase', product: 'oil-change', within_days: 90 }, { metric: 'rfm_recency', op: 'gte', value: 4 }] },
    { event: 'service_visit', none_within_days: 60 },
    { not: { metric: 'abc_class', op: 'eq', value: 'C' } },
    { consent: 'email', status: 'granted' },
  ],
};

/** The same conditions, as a plain filter over the specification. */
const EXPECTED_CONDITIONS: Array<(c: Customer) => boolean> = [
  (c) => c.car === 'X5' || c.car === 'X3',
  (c) => c.mileage !== null && c.mileage >= 20_000,
  (c) => c.drink === 'tea',
  (c) => (c.oilChangeDaysAgo !== null && c.oilChangeDaysAgo < 90) || c.rfmRecency >= 4,
  (c) => !(c.visitDaysAgo !== null && c.visitDaysAgo < 60),
  (c) => c.abc !== 'C',
  (c) => c.emailConsent === 'granted',
];

describe(`a mixed segment on a constructed base of ${SIZE} contacts`, () => {
  let t: TestApp;
  let segments: SegmentsService;
  const spec = Array.from({ length: SIZE }, (_, i) => customer(i + 1));

  const selected = async (rule: unknown): Promise<number[]> => {
    const { sql, params } = await segments.compile(scoped(rule), NOW);
    const rows: Array<{ external_id: string }> = await t.db.query(`SELECT external_id FROM contacts WHERE id IN (${sql})`, params);
    return rows.map((r) => Number(r.external_id.slice(PREFIX.length))).sort((a, b) => a - b);
  };
  const expected = (conditions: Array<(c: Customer) => boolean>) => spec.filter((c) => c.live && conditions.every((f) => f(c))).map((c) => c.g);

  beforeAll(async () => {
    t = await createIsolatedTestApp('segments_base');
    segments = t.app.get(SegmentsService);
    const started = performance.now();
    await buildBase(t);
    process.stderr.write(`segments base: ${SIZE} contacts built in ${Math.round(performance.now() - started)} ms\n`);
  }, 600_000);
  afterAll(() => t.close());

  it('returns exactly the expected set for a rule mixing attribute, preference, event, RFM, ABC and consent conditions', async () => {
    const want = expected(EXPECTED_CONDITIONS);
    // The base must make the rule meaningful: enough matches, and deleted contacts that would match.
    expect(want.length).toBeGreaterThan(SIZE / 200);
    expect(spec.filter((c) => !c.live && EXPECTED_CONDITIONS.every((f) => f(c))).length).toBeGreaterThan(0);
    expect(await selected(MIXED_RULE)).toEqual(want);
  });

  it('returns the expected set for each condition of the rule on its own, and for its complement', async () => {
    for (const [i, condition] of MIXED_RULE.all.entries()) {
      expect({ i, got: await selected(condition) }).toEqual({ i, got: expected([EXPECTED_CONDITIONS[i]]) });
    }
    expect(await selected({ not: MIXED_RULE })).toEqual(expected([(c) => !EXPECTED_CONDITIONS.every((f) => f(c))]));
  });

  it('counts in one statement, and the audience embeds in an INSERT … SELECT after the caller\'s parameters', async () => {
    const want = expected(EXPECTED_CONDITIONS).length;
    const timings: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      expect(await segments.count(scoped(MIXED_RULE), NOW)).toBe(want);
      timings.push(performance.now() - started);
    }
    timings.sort((a, b) => a - b);
    process.stderr.write(`segments base: count of the mixed rule on ${SIZE} contacts: median ${timings[2].toFixed(1)} ms, best ${timings[0].toFixed(1)} ms (${want} match)\n`);

    const { sql, params } = await segments.compile(scoped(MIXED_RULE), NOW);
    expect(sql).not.toContain(';');
    const plans: Array<{ 'QUERY PLAN': unknown[] }> = await t.db.query(`EXPLAIN (FORMAT JSON) ${sql}`, params);
    expect(plans).toHaveLength(1);
    expect(plans[0]['QUERY PLAN']).toHaveLength(1);
    const analyzed: Array<{ 'QUERY PLAN': Array<{ Plan: { 'Actual Rows': number }; 'Execution Time': number }> }> = await t.db.transaction(async (tx) => {
      await tx.query(`SET LOCAL jit = off`);
      return tx.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`, params);
    });
    expect(analyzed[0]['QUERY PLAN'][0].Plan['Actual Rows']).toBe(want);
    process.stderr.write(`segments base: EXPLAIN ANALYZE execution time ${analyzed[0]['QUERY PLAN'][0]['Execution Time'].toFixed(1)} ms\n`);

    const audience = await segments.audienceSql(scoped(MIXED_RULE), 2, NOW);
    const inserted = await t.db.transaction(async (tx) => {
      await tx.query(`CREATE TEMP TABLE audience_probe (contact_id uuid PRIMARY KEY, campaign text, occasion text) ON COMMIT DROP`);
      await tx.query(
        `INSERT INTO audience_probe (contact_id, campaign, occasion) SELECT c.id, $1, $2 FROM contacts c WHERE ${audience.where}`,
        ['tea-tasting', 'tasting:2031', ...audience.params],
      );
      return tx.query(`SELECT count(*)::int AS n, count(DISTINCT campaign || occasion)::int AS kinds FROM audience_probe`);
    });
    expect(inserted).toEqual([{ n: want, kinds: 1 }]);
  });
});
