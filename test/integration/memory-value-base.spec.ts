import { ValueService } from '../../src/memory/value/value.service';
import { TestApp } from '../support/test-app';
import { createIsolatedTestApp } from './memory-value-support';

const CUSTOMERS = 10_000;
const NOW = new Date('2031-06-30T12:00:00Z');
const YEAR_AGO = new Date('2030-06-30T12:00:00Z');

/**
 * The constructed base, in cents. Customer g (1…10,000) spends floor(1,000,000 / g) in the trailing
 * year (a Zipf-like 80/20 curve with equal revenues from g ≈ 1,000 on, so tie groups sit on both the
 * 80 % and the 95 % lines), split into two purchases; every 7th customer bought nothing this year.
 * Noise the classification must ignore: a big purchase 13 months ago and one exactly at now − 12
 * months (outside the window), one after `now`, a service visit with an amount, and a deleted
 * contact with the largest revenue of all. One purchase exactly at `now` counts.
 */
function revenueCents(g: number): number {
  return (g % 7 === 0 ? 0 : Math.floor(1_000_000 / g) * 100) + (g % 1000 === 2 ? 300 : 0);
}

/** Never bought up to `now`: no purchase this year, none 13 months ago, none on the window's edge. */
function isPotential(g: number): boolean {
  return g % 7 === 0 && g % 500 !== 5 && g % 1000 !== 1 && g % 1000 !== 2;
}

/** The expected classes computed independently of the SQL: sort, group equal revenues, walk the cumulative share. */
function expectedClasses(): { classes: Map<number, 'A' | 'B' | 'C'>; crossing: { at80: number[]; at95: number[] } } {
  const customers = Array.from({ length: CUSTOMERS }, (_, i) => ({ g: i + 1, revenue: revenueCents(i + 1) }));
  const total = customers.reduce((sum, c) => sum + c.revenue, 0);
  customers.sort((a, b) => b.revenue - a.revenue);
  const classes = new Map<number, 'A' | 'B' | 'C'>();
  const crossing = { at80: [] as number[], at95: [] as number[] };
  let before = 0;
  for (let i = 0; i < customers.length; ) {
    let j = i;
    while (j < customers.length && customers[j].revenue === customers[i].revenue) j++;
    const revenue = customers[i].revenue;
    const cls = revenue <= 0 ? 'C' : before * 100 < total * 80 ? 'A' : before * 100 < total * 95 ? 'B' : 'C';
    for (let k = i; k < j; k++) classes.set(customers[k].g, cls);
    const after = before + revenue * (j - i);
    const group = customers.slice(i, j).map((c) => c.g);
    if (before * 100 < total * 80 && after * 100 >= total * 80) crossing.at80 = group;
    if (before * 100 < total * 95 && after * 100 >= total * 95) crossing.at95 = group;
    before = after;
    i = j;
  }
  return { classes, crossing };
}

describe('customer value across the base (ABC)', () => {
  let t: TestApp;
  let value: ValueService;

  // Recomputing 10,000 customers takes 20–60 s on this 2-core machine when the crash suite runs beside it.
  beforeAll(async () => {
    t = await createIsolatedTestApp('value_base');
    value = t.app.get(ValueService);
    await t.db.query(
      `INSERT INTO contacts (external_id, given_name) SELECT 'abc-' || g, 'Customer ' || g FROM generate_series(1, $1::int) g`,
      [CUSTOMERS],
    );
    await t.db.query(
      `INSERT INTO interactions (contact_id, event_id, kind, occurred_at, recorded_by, amount, currency)
       SELECT c.id, 'abc-' || s.g || '-' || p.n, 'purchase', $1::timestamptz - make_interval(days => (s.g * p.n) % 300 + 1), 'test',
              CASE p.n WHEN 1 THEN floor(1000000 / s.g / 2) ELSE floor(1000000 / s.g) - floor(1000000 / s.g / 2) END, 'CNY'
         FROM generate_series(1, $2::int) s(g)
         JOIN contacts c ON c.external_id = 'abc-' || s.g
         CROSS JOIN generate_series(1, 2) p(n)
        WHERE s.g % 7 <> 0`,
      [NOW, CUSTOMERS],
    );
    await t.db.query(
      `INSERT INTO interactions (contact_id, event_id, kind, occurred_at, recorded_by, amount, currency)
       SELECT c.id, 'abc-noise-' || s.g || '-' || x.tag, x.kind, x.at, 'test', x.amount, 'CNY'
         FROM generate_series(1, $1::int) s(g)
         JOIN contacts c ON c.external_id = 'abc-' || s.g
         CROSS JOIN LATERAL (VALUES
           ('old', 'purchase', $2::timestamptz - interval '13 months', 500000::numeric, s.g % 500 = 5),
           ('edge', 'purchase', $3::timestamptz, 500000, s.g % 1000 = 1),
           ('future', 'purchase', $2::timestamptz + interval '1 day', 500000, s.g % 1000 = 7),
           ('visit', 'service_visit', $2::timestamptz - interval '3 days', 500000, s.g % 997 = 3),
           ('now', 'purchase', $2::timestamptz, 3, s.g % 1000 = 2)
         ) AS x(tag, kind, at, amount, applies)
        WHERE x.applies`,
      [CUSTOMERS, NOW, YEAR_AGO],
    );
    const [deleted]: Array<{ id: string }> = await t.db.query(
      `INSERT INTO contacts (external_id, given_name, deleted_at) VALUES ('abc-deleted', 'Gone', $1) RETURNING id`,
      [NOW],
    );
    await t.db.query(
      `INSERT INTO interactions (contact_id, event_id, kind, occurred_at, recorded_by, amount) VALUES ($1, 'abc-deleted-1', 'purchase', $2, 'test', 9000000)`,
      [deleted.id, NOW],
    );
  }, 300_000);
  afterAll(() => t.close());

  it('classes the 10,000 customers exactly as the 80/20 rule says, ties and boundary customers included', async () => {
    const summary = await value.recomputeBase(NOW);
    expect(summary.contacts).toBe(CUSTOMERS);

    const rows: Array<{ external_id: string; abc_class: string }> = await t.db.query(
      `SELECT c.external_id, v.abc_class FROM contacts c JOIN contact_value v ON v.contact_id = c.id WHERE c.deleted_at IS NULL`,
    );
    const actual = new Map(rows.map((r) => [Number(r.external_id.slice(4)), r.abc_class]));
    const { classes: expected, crossing } = expectedClasses();
    const setOf = (source: Map<number, string>, cls: string) => [...source].filter(([, c]) => c === cls).map(([g]) => g).sort((a, b) => a - b);
    for (const cls of ['A', 'B', 'C']) expect(setOf(actual, cls)).toEqual(setOf(expected, cls));

    // The construction really puts a group of equal revenues across each line, and that group is
    // wholly A (at 80 %) or wholly B (at 95 %).
    expect(crossing.at80.length).toBeGreaterThanOrEqual(2);
    expect(crossing.at95.length).toBeGreaterThanOrEqual(2);
    expect(crossing.at80.map((g) => actual.get(g))).toEqual(crossing.at80.map(() => 'A'));
    expect(crossing.at95.map((g) => actual.get(g))).toEqual(crossing.at95.map(() => 'B'));
    const a = setOf(expected, 'A');
    expect(summary.abc.A.customers).toBe(a.length);
    expect(summary.signals.abc_class).toBe(setOf(expected, 'A').length + setOf(expected, 'B').length);
  }, 300_000);

  it('reports the distribution with revenue shares of about 80 / 15 / 5', async () => {
    const { body } = await t.http.get('/memory/value/distribution').set(t.auth('viewer')).expect(200);
    expect(body.customers).toBe(CUSTOMERS);
    expect(body.abc.A.revenueShare).toBeGreaterThanOrEqual(0.8);
    expect(body.abc.A.revenueShare + body.abc.B.revenueShare).toBeGreaterThanOrEqual(0.95);
    const counts = (o: Record<string, number>) => Object.values(o).reduce((s, n) => s + n, 0);
    expect(counts(body.loyaltyStages)).toBe(CUSTOMERS);
    expect(counts(body.frequencyClasses)).toBe(CUSTOMERS);
    const potential = Array.from({ length: CUSTOMERS }, (_, i) => i + 1).filter(isPotential).length;
    expect(body.loyaltyStages.potential).toBe(potential);
  }, 300_000);

  it('adds no signal when the same base is recomputed again', async () => {
    const [{ before }] = await t.db.query(`SELECT count(*)::int AS before FROM value_signals`);
    const again = await value.recomputeBase(NOW);
    expect(again.signals).toEqual({ abc_class: 0, frequency_class: 0, loyalty_stage: 0 });
    const [{ after }] = await t.db.query(`SELECT count(*)::int AS after FROM value_signals`);
    expect(after).toBe(before);
  }, 300_000);
});
