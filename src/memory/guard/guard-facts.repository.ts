import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { PostalAddress } from '../../contacts/contact.entity';
import { GuardChannel } from './guard.types';
import { AskFacts } from './rules/asks';
import { channelAddress, ChannelFacts, ContactFacts } from './rules/reachability';

/** What the guard reads about a person: the contact row, consent, bounces and stated preferences. */
@Injectable()
export class GuardFactsRepository {
  /**
   * Reads the contacts and holds them until the transaction ends, so decisions about one person are
   * made one at a time: the frequency cap and the content window count what the previous decision
   * wrote. Locked in id order, so two workers locking overlapping batches cannot deadlock. NO KEY
   * UPDATE does not block rows elsewhere that merely reference the contact.
   */
  async lockContacts(tx: EntityManager, contactIds: readonly string[]): Promise<Map<string, ContactFacts>> {
    const rows: Array<{
      id: string; email: string | null; phone: string | null; address: PostalAddress | null;
      time_zone: string | null; deleted_at: Date | null; erased_at: Date | null;
    }> = await tx.query(
      `SELECT id, email, phone, address, time_zone, deleted_at, erased_at FROM contacts WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE`,
      [[...contactIds]],
    );
    return new Map(
      rows.map((row) => [
        row.id,
        { id: row.id, email: row.email, phone: row.phone, address: row.address, timeZone: row.time_zone, deletedAt: row.deleted_at, erasedAt: row.erased_at },
      ]),
    );
  }

  /**
   * Per contact, for the channel asked about: the latest consent event and whether the address we
   * hold now bounced for good. A bounce that names another address (the contact has changed it
   * since) no longer counts.
   */
  async channelFacts(tx: EntityManager, asked: ReadonlyArray<{ contact: ContactFacts; channel: GuardChannel }>): Promise<Map<string, ChannelFacts>> {
    const rows: Array<{ contact_id: string; consent: 'granted' | 'revoked' | null; consent_source: string | null; hard_bounce: boolean }> = await tx.query(
      `SELECT r.contact_id, latest.status AS consent, latest.source AS consent_source,
         EXISTS (SELECT 1 FROM interactions i
                  WHERE i.contact_id = r.contact_id AND i.kind = 'message_bounced' AND i.channel = r.channel AND r.channel IN ('email', 'sms')
                    AND i.details->>'permanent' = 'true'
                    AND (coalesce(i.details->>'address', i.details->>'email', i.details->>'phone') IS NULL
                         OR lower(coalesce(i.details->>'address', i.details->>'email', i.details->>'phone')) = lower(r.address))
         ) AS hard_bounce
         FROM unnest($1::uuid[], $2::text[], $3::text[]) AS r(contact_id, channel, address)
         LEFT JOIN LATERAL (SELECT e.status, e.source FROM contact_consent_events e
                             WHERE e.contact_id = r.contact_id AND e.channel = r.channel
                             ORDER BY e.recorded_at DESC, e.id DESC LIMIT 1) latest ON true`,
      [asked.map((a) => a.contact.id), asked.map((a) => a.channel), asked.map((a) => channelAddress(a.contact, a.channel))],
    );
    return new Map(rows.map((r) => [r.contact_id, { consent: r.consent, consentSource: r.consent_source, hardBounce: r.hard_bounce }]));
  }

  /** The contacts' own quiet hours (the raw text of the current statement), for those who stated any. */
  async statedQuietHours(tx: EntityManager, contactIds: readonly string[]): Promise<Map<string, string>> {
    const rows: Array<{ contact_id: string; value: string | null }> = await tx.query(
      `SELECT contact_id, value #>> '{}' AS value FROM current_preferences WHERE contact_id = ANY($1::uuid[]) AND key = 'quiet_hours'`,
      [[...contactIds]],
    );
    return new Map(rows.filter((r) => r.value !== null).map((r) => [r.contact_id, r.value!]));
  }

  /**
   * For each asked key: whether it can be asked at all, whether the contact answered it, and whether
   * one of our messages asked it within the key's cool-down before `now` (a message claimed
   * after `now`, by a caller whose clock runs ahead, counts too: the safe side is not to ask).
   */
  async askFacts(tx: EntityManager, contactId: string, keys: readonly string[], now: Date): Promise<AskFacts> {
    const facts = { askable: new Set<string>(), answered: new Set<string>(), askedRecently: new Set<string>() };
    if (keys.length === 0) return facts;
    const rows: Array<{ key: string; answered: boolean; asked_recently: boolean }> = await tx.query(
      `SELECT k.key,
              EXISTS (SELECT 1 FROM current_preferences p WHERE p.contact_id = $1 AND p.key = k.key) AS answered,
              EXISTS (SELECT 1 FROM contact_messages m
                       WHERE m.contact_id = $1 AND m.state IN ('claimed', 'sent') AND m.asks @> ARRAY[k.key]
                         AND m.claimed_at > $3::timestamptz - make_interval(days => k.ask_cooldown_days)) AS asked_recently
         FROM preference_keys k
        WHERE k.key = ANY($2::text[]) AND k.archived_at IS NULL`,
      [contactId, [...keys], now],
    );
    for (const row of rows) {
      facts.askable.add(row.key);
      if (row.answered) facts.answered.add(row.key);
      if (row.asked_recently) facts.askedRecently.add(row.key);
    }
    return facts;
  }
}
