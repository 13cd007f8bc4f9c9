import type { TestApp } from './test-app';

/**
 * `count` contacts tagged `tag`, each with its own e-mail address and e-mail consent, written in
 * two statements (contacts, then consent events) so a 20,000-recipient campaign is built in seconds.
 */
export async function insertEmailAudience(t: TestApp, count: number, tag: string, timeZone = middayZone()): Promise<string[]> {
  const rows: Array<{ id: string }> = await t.db.query(
    `INSERT INTO contacts (given_name, family_name, form_of_address, email, locale, time_zone, tags)
     SELECT 'Guest', 'No. ' || g, 'Guest ' || g, $2 || '-' || g || '@example.test', 'en', $3, ARRAY[$2]
       FROM generate_series(1, $1::int) g RETURNING id`,
    [count, tag, timeZone],
  );
  await t.db.query(
    `INSERT INTO contact_consent_events (contact_id, channel, status, source, consent_text, recorded_by)
     SELECT id, 'email', 'granted', 'import', 'News by e-mail', 'test' FROM contacts WHERE $1 = ANY(tags)`,
    [tag],
  );
  return rows.map((r) => r.id);
}

/** The address insertEmailAudience gave the n-th contact. */
export function audienceAddress(tag: string, n: number): string {
  return `${tag}-${n}@example.test`;
}

/**
 * A fixed-offset zone where it is about noon now, so a test sending "now" is never held back by
 * the goldfish guard's quiet hours (21:00–08:00 local), whenever the suite runs. Etc/GMT signs are
 * inverted: Etc/GMT-8 is UTC+8.
 */
export function middayZone(now = new Date()): string {
  let offset = 12 - now.getUTCHours();
  if (offset > 14) offset -= 24;
  if (offset < -12) offset += 24;
  return offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}
