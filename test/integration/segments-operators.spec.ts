import { randomUUID } from 'node:crypto';
import { SegmentsService } from '../../src/segments/segments.service';
import { createTestApp, TestApp } from '../support/test-app';

const NOW = new Date('2031-06-30T12:00:00Z');
const DAY = 86_400_000;
const daysBefore = (days: number, from = NOW) => new Date(from.getTime() - days * DAY);

/**
 * Each operator family on three live contacts (Ann, Bob, Cy) with known properties, plus a deleted
 * and an erased contact that would match most rules. Every rule is scoped to this file's own tag, so
 * other test files writing contacts at the same time do not change the answers.
 */
describe('segment conditions, one family at a time', () => {
  let t: TestApp;
  let segments: SegmentsService;
  const run = `seg-ops-${randomUUID().slice(0, 8)}`;
  const sizeKey = `seg_size_${randomUUID().slice(0, 8).replace(/-/g, '')}`;
  const ids: Record<string, string> = {};

  /** The names of the live contacts of this file that `rule` selects, as of `now`. */
  async function names(rule: unknown, now = NOW): Promise<string[]> {
    const { sql, params } = await segments.compile({ all: [{ field: 'tags', op: 'has', value: run }, rule] }, now);
    const rows: Array<{ given_name: string }> = await t.db.query(`SELECT given_name FROM contacts WHERE id IN (${sql}) ORDER BY given_name`, params);
    return rows.map((r) => r.given_name);
  }

  async function contact(name: string, row: Record<string, unknown>): Promise<string> {
    const [{ id }]: Array<{ id: string }> = await t.db.query(
      `INSERT INTO contacts (external_id, given_name, family_name, email, locale, time_zone, address, birthday, tags, attributes, created_at, deleted_at, erased_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
      [
        `${run}-${name}`, name, row.family ?? null, row.email ?? null, row.locale ?? null, row.timeZone ?? null,
        row.address === undefined ? null : JSON.stringify(row.address), row.birthday ?? null, [run, ...((row.tags as string[]) ?? [])],
        JSON.stringify(row.attributes ?? {}), row.createdAt ?? NOW, row.deletedAt ?? null, row.erasedAt ?? null,
      ],
    );
    ids[name] = id;
    return id;
  }

  async function interaction(contactId: string, kind: string, at: Date, products: string[] = []): Promise<void> {
    const [{ id }]: Array<{ id: string }> = await t.db.query(
      `INSERT INTO interactions (contact_id, event_id, kind, occurred_at, recorded_by) VALUES ($1, $2, $3, $4, 'test') RETURNING id`,
      [contactId, `${run}-${randomUUID()}`, kind, at],
    );
    for (const [i, product] of products.entries()) {
      await t.db.query(
        `INSERT INTO purchase_lines (interaction_id, line_no, contact_id, product_key, quantity, occurred_at) VALUES ($1, $2, $3, $4, 1, $5)`,
        [id, i + 1, contactId, product, at],
      );
    }
  }

  async function statement(contactId: string, key: string, value: unknown, source: string, authority: number, statedAt: Date, expiresAt: Date | null = null) {
    await t.db.query(
      `INSERT INTO preference_statements (contact_id, key, value, source, authority, recorded_by, stated_at, expires_at)
       VALUES ($1, $2, $3::jsonb, $4, $5, 'test', $6, $7)`,
      [contactId, key, value === null ? null : JSON.stringify(value), source, authority, statedAt, expiresAt],
    );
  }

  async function consent(contactId: string, channel: string, status: string, at: Date) {
    await t.db.query(
      `INSERT INTO contact_consent_events (contact_id, channel, status, source, recorded_at, recorded_by) VALUES ($1, $2, $3, 'test', $4, 'test')`,
      [contactId, channel, status, at],
    );
  }

  beforeAll(async () => {
    t = await createTestApp();
    segments = t.app.get(SegmentsService);
    await t.db.query(
      `INSERT INTO preference_keys (key, value_type, questions, description) VALUES ($1, 'number', '{"en":"Shoe size?","zh-CN":"鞋码？"}', 'test')`,
      [sizeKey],
    );

    const ann = await contact('Ann', {
      family: 'Lee', email: `Ann.Lee.${run}@Example.com`, locale: 'zh-CN', timeZone: 'Asia/Shanghai', address: { country: 'CN', city: 'Shanghai' },
      birthday: '1980-05-17', tags: ['vip', 'bmw'], createdAt: daysBefore(10),
      attributes: { car: 'X5', mileage: 25000, delivered_on: '2024-03-10', trial: true },
    });
    const bob = await contact('Bob', {
      family: 'Miller', email: `bob.${run}@example.org`, locale: 'en', timeZone: 'Europe/Berlin', address: { country: 'DE', city: 'Berlin' },
      birthday: '1975-12-01', tags: ['bmw'], createdAt: daysBefore(400),
      attributes: { car: 'X3', mileage: ' 18000 ', delivered_on: '2023-11-02T10:00:00Z', trial: 'FALSE' },
    });
    const cy = await contact('Cy', { createdAt: daysBefore(2), attributes: { car: 'i4', mileage: 'unknown', delivered_on: 'soon' } });
    // Would match nearly everything, and must never appear.
    for (const [name, gone] of [['Dee', { deletedAt: daysBefore(1) }], ['Eve', { deletedAt: daysBefore(1), erasedAt: daysBefore(1) }]] as const) {
      const id = await contact(name, {
        family: 'Lee', locale: 'zh-CN', address: { country: 'CN', city: 'Shanghai' }, birthday: '1980-05-17', tags: ['vip', 'bmw'],
        attributes: { car: 'X5', mileage: 99999, trial: true }, createdAt: daysBefore(3), ...gone,
      });
      await interaction(id, 'purchase', daysBefore(5), ['oil-change']);
      await statement(id, 'drink', 'tea', 'web_form', 4, daysBefore(5));
      await consent(id, 'email', 'granted', daysBefore(5));
      await t.db.query(`INSERT INTO contact_value (contact_id, abc_class, rfm_score, loyalty_stage) VALUES ($1, 'A', '555', 'loyal')`, [id]);
    }

    // Ann: the customer's own word (tea) outranks a later inference (coffee). Bob withdrew his
    // answer. Cy's juice expired yesterday.
    await statement(ann, 'drink', 'tea', 'customer_told_staff', 4, daysBefore(30));
    await statement(ann, 'drink', 'coffee', 'inferred', 1, daysBefore(3));
    await statement(bob, 'drink', 'tea', 'staff', 3, daysBefore(30));
    await statement(bob, 'drink', null, 'web_form', 4, daysBefore(10));
    await statement(cy, 'drink', 'juice', 'import', 2, daysBefore(30), daysBefore(1));
    await statement(cy, 'topics', ['care', 'news'], 'web_form', 4, daysBefore(30));
    await statement(ann, sizeKey, 42, 'web_form', 4, daysBefore(30));
    await statement(bob, sizeKey, 39.5, 'web_form', 4, daysBefore(30));

    await t.db.query(
      `INSERT INTO contact_value (contact_id, last_visit_at, frequency_12m, monetary_12m, rfm_score, abc_class, loyalty_stage, frequency_class)
       VALUES ($1, $3, 12, 2500, '545', 'A', 'loyal', 'medium'), ($2, $4, 2, 150.5, '322', 'C', 'regular', 'light')`,
      [ann, bob, daysBefore(10), daysBefore(100)],
    );

    await interaction(ann, 'purchase', daysBefore(20), ['oil-change', 'wipers']);
    await interaction(ann, 'purchase', daysBefore(50), ['oil-change']);
    await interaction(ann, 'purchase', daysBefore(200), ['tyres']);
    await interaction(ann, 'service_visit', daysBefore(10));
    await interaction(bob, 'purchase', daysBefore(100), ['oil-change']);
    await interaction(bob, 'purchase', new Date(NOW.getTime() + DAY), ['tyres']); // after `now`: not yet
    await interaction(bob, 'service_visit', daysBefore(70));
    await interaction(bob, 'call', daysBefore(30)); // exactly on the edge of a 30-day window

    await consent(ann, 'email', 'granted', daysBefore(300));
    await consent(ann, 'email', 'revoked', daysBefore(20));
    await consent(ann, 'sms', 'granted', daysBefore(20));
    await consent(bob, 'email', 'revoked', daysBefore(300));
    await consent(bob, 'email', 'granted', daysBefore(200));
  });
  afterAll(() => t.close());

  it('compares contact text fields without regard to case, and takes wildcards literally', async () => {
    expect(await names({ field: 'locale', op: 'eq', value: 'ZH-cn' })).toEqual(['Ann']);
    expect(await names({ field: 'locale', op: 'neq', value: 'zh-CN' })).toEqual(['Bob', 'Cy']);
    expect(await names({ field: 'locale', op: 'in', value: ['EN', 'fr'] })).toEqual(['Bob']);
    expect(await names({ field: 'locale', op: 'not_in', value: ['en', 'fr'] })).toEqual(['Ann', 'Cy']);
    expect(await names({ field: 'email', op: 'contains', value: 'LEE.' })).toEqual(['Ann']);
    expect(await names({ field: 'email', op: 'contains', value: '%' })).toEqual([]);
    expect(await names({ field: 'email', op: 'contains', value: '_' })).toEqual([]);
    expect(await names({ field: 'given_name', op: 'starts_with', value: 'b' })).toEqual(['Bob']);
    expect(await names({ field: 'family_name', op: 'not_exists' })).toEqual(['Cy']);
    expect(await names({ field: 'email', op: 'exists' })).toEqual(['Ann', 'Bob']);
    expect(await names({ field: 'country', op: 'eq', value: 'de' })).toEqual(['Bob']);
    expect(await names({ field: 'city', op: 'contains', value: 'shang' })).toEqual(['Ann']);
    expect(await names({ field: 'time_zone', op: 'starts_with', value: 'Europe/' })).toEqual(['Bob']);
    expect(await names({ field: 'external_id', op: 'eq', value: `${run}-Cy` })).toEqual(['Cy']);
  });

  it('compares dates and instants, relative ones from the given now', async () => {
    expect(await names({ field: 'birthday', op: 'lt', value: '1978-01-01' })).toEqual(['Bob']);
    expect(await names({ field: 'birthday', op: 'eq', value: '1980-05-17' })).toEqual(['Ann']);
    expect(await names({ field: 'birthday', op: 'between', value: ['1975-12-01', '1980-05-17'] })).toEqual(['Ann', 'Bob']);
    expect(await names({ field: 'birthday', op: 'not_exists' })).toEqual(['Cy']);
    expect(await names({ field: 'created_at', op: 'within_days', value: 30 })).toEqual(['Ann', 'Cy']);
    expect(await names({ field: 'created_at', op: 'older_than_days', value: 365 })).toEqual(['Bob']);
    expect(await names({ field: 'created_at', op: 'gt', value: daysBefore(5).toISOString() })).toEqual(['Cy']);
    expect(await names({ field: 'created_at', op: 'lte', value: '2030-06-01' })).toEqual(['Bob']);
    // A year later nobody is new.
    expect(await names({ field: 'created_at', op: 'within_days', value: 30 }, new Date(NOW.getTime() + 365 * DAY))).toEqual([]);
  });

  it('matches tags exactly', async () => {
    expect(await names({ field: 'tags', op: 'has', value: 'vip' })).toEqual(['Ann']);
    expect(await names({ field: 'tags', op: 'has', value: 'VIP' })).toEqual([]);
    expect(await names({ field: 'tags', op: 'has_any', value: ['vip', 'bmw'] })).toEqual(['Ann', 'Bob']);
    expect(await names({ field: 'tags', op: 'has_all', value: ['vip', 'bmw'] })).toEqual(['Ann']);
    expect(await names({ not: { field: 'tags', op: 'has', value: 'bmw' } })).toEqual(['Cy']);
  });

  it('reads custom attributes as the type the rule names, skipping values that are not of it', async () => {
    expect(await names({ attribute: 'car', op: 'eq', value: 'x5' })).toEqual(['Ann']);
    expect(await names({ attribute: 'car', op: 'in', value: ['X3', 'i4'] })).toEqual(['Bob', 'Cy']);
    expect(await names({ attribute: 'mileage', op: 'gte', value: 20000 })).toEqual(['Ann']);
    // " 18000 " is a number written as text (as a CSV import leaves it); "unknown" is no number.
    expect(await names({ attribute: 'mileage', type: 'number', op: 'lt', value: 20000 })).toEqual(['Bob']);
    expect(await names({ attribute: 'mileage', type: 'number', op: 'between', value: [18000, 25000] })).toEqual(['Ann', 'Bob']);
    expect(await names({ not: { attribute: 'mileage', op: 'gte', value: 20000 } })).toEqual(['Bob', 'Cy']);
    expect(await names({ attribute: 'mileage', op: 'eq', value: 'unknown' })).toEqual(['Cy']);
    expect(await names({ attribute: 'delivered_on', type: 'date', op: 'between', value: ['2023-01-01', '2023-12-31'] })).toEqual(['Bob']);
    expect(await names({ attribute: 'delivered_on', type: 'date', op: 'gt', value: '2024-01-01' })).toEqual(['Ann']);
    expect(await names({ attribute: 'trial', op: 'eq', value: true })).toEqual(['Ann']);
    expect(await names({ attribute: 'trial', op: 'eq', value: false })).toEqual(['Bob']);
    expect(await names({ attribute: 'car', op: 'exists' })).toEqual(['Ann', 'Bob', 'Cy']);
    expect(await names({ attribute: 'trial', op: 'not_exists' })).toEqual(['Cy']);
    expect(await names({ attribute: 'mileage', type: 'number', op: 'exists' })).toEqual(['Ann', 'Bob']);
  });

  it('reads the current preference: authority first, withdrawals and expiry measured at now', async () => {
    expect(await names({ preference: 'drink', op: 'eq', value: 'tea' })).toEqual(['Ann']);
    expect(await names({ preference: 'drink', op: 'eq', value: 'coffee' })).toEqual([]);
    expect(await names({ preference: 'drink', op: 'exists' })).toEqual(['Ann']);
    expect(await names({ preference: 'drink', op: 'not_exists' })).toEqual(['Bob', 'Cy']);
    expect(await names({ preference: 'drink', op: 'neq', value: 'tea' })).toEqual(['Bob', 'Cy']);
    expect(await names({ preference: 'drink', op: 'in', value: ['juice', 'water'] })).toEqual([]);
    // Two days earlier Cy's juice had not expired yet.
    expect(await names({ preference: 'drink', op: 'in', value: ['juice', 'tea'] }, daysBefore(2))).toEqual(['Ann', 'Cy']);
    expect(await names({ preference: 'topics', op: 'has', value: 'care' })).toEqual(['Cy']);
    expect(await names({ preference: 'topics', op: 'has_any', value: ['offers', 'news'] })).toEqual(['Cy']);
    expect(await names({ preference: 'topics', op: 'has_all', value: ['care', 'offers'] })).toEqual([]);
    expect(await names({ preference: sizeKey, op: 'gt', value: 40 })).toEqual(['Ann']);
    expect(await names({ preference: sizeKey, op: 'between', value: [39, 40] })).toEqual(['Bob']);
  });

  it('reads derived value; a contact never computed counts as one who bought nothing', async () => {
    expect(await names({ metric: 'abc_class', op: 'eq', value: 'A' })).toEqual(['Ann']);
    expect(await names({ metric: 'abc_class', op: 'neq', value: 'A' })).toEqual(['Bob', 'Cy']);
    expect(await names({ metric: 'abc_class', op: 'not_exists' })).toEqual(['Cy']);
    expect(await names({ metric: 'monetary_12m', op: 'lt', value: 200 })).toEqual(['Bob', 'Cy']);
    expect(await names({ metric: 'frequency_12m', op: 'gte', value: 12 })).toEqual(['Ann']);
    expect(await names({ metric: 'loyalty_stage', op: 'eq', value: 'potential' })).toEqual(['Cy']);
    expect(await names({ metric: 'loyalty_stage', op: 'in', value: ['loyal', 'regular'] })).toEqual(['Ann', 'Bob']);
    expect(await names({ metric: 'frequency_class', op: 'eq', value: 'light' })).toEqual(['Bob']);
    expect(await names({ metric: 'rfm_score', op: 'in', value: ['545', '111'] })).toEqual(['Ann', 'Cy']);
    expect(await names({ metric: 'rfm_recency', op: 'gte', value: 3 })).toEqual(['Ann', 'Bob']);
    expect(await names({ metric: 'rfm_monetary', op: 'eq', value: 1 })).toEqual(['Cy']);
    expect(await names({ metric: 'recency_days', op: 'between', value: [5, 50] })).toEqual(['Ann']);
    expect(await names({ metric: 'recency_days', op: 'gt', value: 90 })).toEqual(['Bob']);
    // Thirty days later Ann has been away for 40 days.
    expect(await names({ metric: 'recency_days', op: 'gt', value: 35 }, new Date(NOW.getTime() + 30 * DAY))).toEqual(['Ann', 'Bob']);
    expect(await names({ metric: 'last_visit_at', op: 'within_days', value: 30 })).toEqual(['Ann']);
  });

  it('finds events in a window before now, by product, and counts them', async () => {
    expect(await names({ event: 'purchase', product: 'oil-change', within_days: 90 })).toEqual(['Ann']);
    expect(await names({ event: 'purchase', product: 'oil-change', within_days: 120 })).toEqual(['Ann', 'Bob']);
    expect(await names({ event: 'purchase', product: ['tyres', 'snow-chains'] })).toEqual(['Ann']);
    expect(await names({ event: 'purchase', count: { op: 'gte', value: 3 } })).toEqual(['Ann']);
    expect(await names({ event: 'purchase', count: { op: 'between', value: [1, 1] } })).toEqual(['Bob']);
    expect(await names({ event: 'purchase', count: { op: 'eq', value: 0 } })).toEqual(['Cy']);
    expect(await names({ event: 'purchase', product: 'oil-change', within_days: 90, count: { op: 'gte', value: 2 } })).toEqual(['Ann']);
    expect(await names({ event: 'service_visit', none_within_days: 60 })).toEqual(['Bob', 'Cy']);
    expect(await names({ event: 'call', within_days: 30 })).toEqual([]);
    expect(await names({ event: 'call', within_days: 31 })).toEqual(['Bob']);
    // The day after, Bob's tyres have been bought.
    expect(await names({ event: 'purchase', product: 'tyres', within_days: 7 }, new Date(NOW.getTime() + 2 * DAY))).toEqual(['Bob']);
  });

  it('takes the latest consent event per channel', async () => {
    expect(await names({ consent: 'email', status: 'granted' })).toEqual(['Bob']);
    expect(await names({ consent: 'email', status: 'revoked' })).toEqual(['Ann']);
    expect(await names({ consent: 'email', status: 'none' })).toEqual(['Cy']);
    expect(await names({ consent: 'sms', status: 'granted' })).toEqual(['Ann']);
    expect(await names({ not: { consent: 'email', status: 'granted' } })).toEqual(['Ann', 'Cy']);
  });

  it('combines with all, any and not; not is always the exact rest', async () => {
    const rules: unknown[] = [
      { any: [{ field: 'locale', op: 'eq', value: 'en' }, { preference: 'drink', op: 'eq', value: 'tea' }] },
      { all: [{ field: 'tags', op: 'has', value: 'bmw' }, { not: { metric: 'abc_class', op: 'eq', value: 'A' } }] },
      { field: 'locale', op: 'eq', value: 'en' },
      { attribute: 'mileage', type: 'number', op: 'gt', value: 1 },
      { preference: sizeKey, op: 'lt', value: 40 },
      { metric: 'lifetime_value', op: 'gt', value: 0 },
      { field: 'birthday', op: 'gt', value: '1900-01-01' },
    ];
    expect(await names(rules[0])).toEqual(['Ann', 'Bob']);
    expect(await names(rules[1])).toEqual(['Bob']);
    for (const rule of rules) {
      const yes = await names(rule);
      const no = await names({ not: rule });
      expect([...yes, ...no].sort()).toEqual(['Ann', 'Bob', 'Cy']);
    }
    expect(await names({ all: [] })).toEqual(['Ann', 'Bob', 'Cy']);
  });

  it('treats hostile values as data', async () => {
    const hostile = ["'; DROP TABLE contacts; --", "x' OR '1'='1", '$1', '\\', "') OR TRUE --"];
    for (const value of hostile) {
      expect(await names({ field: 'given_name', op: 'eq', value })).toEqual([]);
      expect(await names({ field: 'given_name', op: 'contains', value })).toEqual([]);
      expect(await names({ attribute: value, op: 'exists' })).toEqual([]);
      expect(await names({ attribute: 'car', op: 'in', value: [value, 'X5'] })).toEqual(['Ann']);
      expect(await names({ event: 'purchase', product: value })).toEqual([]);
      expect(await names({ field: 'tags', op: 'has_any', value: [value] })).toEqual([]);
    }
    expect(await names({ field: 'given_name', op: 'exists' })).toEqual(['Ann', 'Bob', 'Cy']);
  });
});
