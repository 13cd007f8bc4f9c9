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
   * Reads the contact and holds it until the transaction ends, so decisions about one person are
   * made one at a time: the frequency cap and the content window count what the previous decision
   * wrote. NO KEY UPDATE does not block rows elsewhere that merely reference the contact.
   */
  async lockContact(tx: EntityManager, contactId: string): Promise<ContactFacts | null> {
    const rows: Array<{
      id: string; email: string | null; phone: string | null; address: PostalAddress | null;
      time_zone: string | null; deleted_at: Date | null; erased_at: Date | null;
    }> = await tx.query(
      `SELECT id, email, phone, address, time_zone, deleted_at, erased_at FROM contacts WHERE id = $1 FOR NO KEY UPDATE`,
      [contactId],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      id: row.id, email: row.email, phone: row.phone, address: row.address,
      timeZone: row.time_zone, deletedAt: row.deleted_at, erasedAt: row.erased_at,
    };
  }

  /**
   * The latest consent event on the channel and whether the address we hold now bounced for good.
   * A bounce that names another address (the contact has changed it since) no longer counts.
   */
  async channelFacts(tx: EntityManager, contact: ContactFacts, channel: GuardChannel): Promise<ChannelFacts> {
    const address = channelAddress(contact, channel);
    const rows: Array<{ consent: 'granted' | 'revoked' | null; hard_bounce: boolean }> = await tx.query(
      `SELECT
         (SELECT status FROM contact_consent_events
           WHERE contact_id = $1 AND channel = $2
           ORDER BY recorded_at DESC, id DESC LIMIT 1) AS consent,
         EXISTS (SELECT 1 FROM interactions
                  WHERE contact_id = $1 AND kind = 'message_bounced' AND channel = $2 AND $2 IN ('email', 'sms')
                    AND details->>'permanent' = 'true'
                    AND (coalesce(details->>'address', details->>'email', details->>'phone') IS NULL
                         OR lower(coalesce(details->>'address', details->>'email', details->>'phone')) = lower($3::text))
         ) AS hard_bounce`,
      [contact.id, channel, address],
    );
    return { consent: rows[0].consent, hardBounce: rows[0].hard_bounce };
  }

  /** The contact's own quiet hours (the raw text of the current statement), if they stated any. */
  async statedQuietHours(tx: EntityManager, contactId: string): Promise<string | null> {
    const rows: Array<{ value: string | null }> = await tx.query(
      `SELECT value #>> '{}' AS value FROM current_preferences WHERE contact_id = $1 AND key = 'quiet_hours'`,
      [contactId],
    );
    return rows[0]?.value ?? null;
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
