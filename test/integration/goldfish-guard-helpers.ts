import { DataSource } from 'typeorm';
import { GoldfishGuard } from '../../src/memory/guard/goldfish-guard.service';
import { GuardRequest } from '../../src/memory/guard/guard.types';
import { contactInput } from '../factories/contact.factory';
import { TestApp } from '../support/test-app';

/** Noon in Shanghai on the owner's birthday: outside every default quiet window. */
export const SHANGHAI_NOON = new Date('2027-05-17T04:00:00Z');

export const days = (n: number) => n * 86_400_000;
export const later = (from: Date, ms: number) => new Date(from.getTime() + ms);

/** A contact through the API, with e-mail and SMS consent granted unless `consent` says otherwise. */
export async function createContact(t: TestApp, overrides: Record<string, unknown> = {}, consent?: Record<string, { granted: boolean }>): Promise<string> {
  const body = contactInput({ consent: consent ?? { email: { granted: true }, sms: { granted: true } }, ...overrides });
  const res = await t.http.post('/contacts').set(t.auth('marketer')).send(body).expect(201);
  return res.body.id as string;
}

/** What the customer told us through the web form (the preferences module's table, written directly). */
export async function statePreference(db: DataSource, contactId: string, key: string, value: unknown): Promise<void> {
  await db.query(
    `INSERT INTO preference_statements (contact_id, key, value, source, authority, recorded_by, stated_at)
     VALUES ($1, $2, $3::jsonb, 'web_form', 4, 'test', now())`,
    [contactId, key, JSON.stringify(value)],
  );
}

export async function recordBounce(db: DataSource, contactId: string, channel: string, details: Record<string, unknown>): Promise<void> {
  await db.query(
    `INSERT INTO interactions (contact_id, event_id, kind, occurred_at, recorded_by, channel, details)
     VALUES ($1, gen_random_uuid()::text, 'message_bounced', now(), 'test', $2, $3::jsonb)`,
    [contactId, channel, JSON.stringify(details)],
  );
}

export function birthday(contactId: string, overrides: Partial<GuardRequest> = {}): GuardRequest {
  return { contactId, campaignId: 'birthday', occasionKey: 'birthday:2027', channel: 'email', now: SHANGHAI_NOON, ...overrides };
}

export async function messageRow(db: DataSource, contactId: string, campaignId: string, occasionKey: string) {
  const rows = await db.query(
    `SELECT id, state, not_before, asks, variant, fingerprint, care_exempt, claimed_at, sent_at FROM contact_messages
      WHERE contact_id = $1 AND campaign_id = $2 AND occasion_key = $3`,
    [contactId, campaignId, occasionKey],
  );
  return rows[0] as { id: string; state: string; not_before: Date | null; asks: string[]; variant: string | null; claimed_at: Date | null; sent_at: Date | null } | undefined;
}

export async function decisionsOf(db: DataSource, contactId: string): Promise<Array<{ decision: string; reason: string; occasion_key: string; message_id: string | null }>> {
  return db.query(`SELECT decision, reason, occasion_key, message_id, defer_until, details FROM guard_decisions WHERE contact_id = $1 ORDER BY id`, [contactId]);
}

export function guardOf(t: TestApp): GoldfishGuard {
  return t.app.get(GoldfishGuard);
}
