import { randomUUID } from 'node:crypto';
import type { TestApp } from '../support/test-app';
import { contactInput } from './contact.factory';

/** Creates a contact through the API and returns its id. */
export async function createContact(t: TestApp, overrides: Record<string, unknown> = {}): Promise<string> {
  const { body } = await t.http.post('/contacts').set(t.auth('marketer')).send(contactInput(overrides)).expect(201);
  return body.id as string;
}

/** Live contacts straight into the table, for tests that need hundreds of them quickly. */
export async function insertContacts(t: TestApp, count: number, locale = 'en'): Promise<string[]> {
  const rows: Array<{ id: string }> = await t.db.query(
    `INSERT INTO contacts (given_name, family_name, locale, time_zone)
     SELECT 'Guest', 'No. ' || g, $2, 'Asia/Shanghai' FROM generate_series(1, $1::int) g RETURNING id`,
    [count, locale],
  );
  return rows.map((r) => r.id);
}

/** A unique client event id; `prefix` groups the events of one test for counting. */
export function eventId(prefix = 'evt'): string {
  return `${prefix}-${randomUUID()}`;
}

/** A valid purchase body for POST /contacts/:id/interactions. */
export function purchaseInput(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    eventId: eventId('purchase'),
    kind: 'purchase',
    occurredAt: new Date(Date.now() - 86_400_000).toISOString(),
    currency: 'CNY',
    items: [
      { productKey: 'rice-5kg', name: 'Northeast rice 5 kg', quantity: 2, unit: 'bag', unitPrice: 45.5 },
      { productKey: 'tea-longjing', name: 'Longjing tea 250 g', quantity: 1, unit: 'box', unitPrice: 12 },
    ],
    ...overrides,
  };
}

/** Hours before now as an ISO timestamp. */
export function hoursAgo(hours: number): string {
  return new Date(Date.now() - hours * 3_600_000).toISOString();
}
