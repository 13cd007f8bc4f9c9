import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { KeyDefinition } from '../../memory/preferences/preference-rules';

export interface TopicsKey extends KeyDefinition {
  allowedValues: string[];
}

export interface PendingRequest {
  givenName: string | null;
  phone: string | null;
  locale: string;
  topics: string[];
  consentText: string;
}

/** A sign-up request joined with the contact it belongs to, as the confirmation needs them. */
export interface RequestWithContact extends PendingRequest {
  contactId: string;
  confirmedAt: Date | null;
  status: 'pending' | 'active';
  email: string | null;
  contactPhone: string | null;
  contactGivenName: string | null;
  contactLocale: string | null;
  gone: boolean;
}

/** The throttle's claim: what confirmation_sent_at became and what it was (exact, as text), to undo a failed send. */
export interface ConfirmationClaim {
  claimedAt: string;
  previous: string | null;
}

@Injectable()
export class SignupRepository {
  /** The registry's `topics` key, or null when it is missing or archived (the form then asks no topics). */
  async topicsKey(db: EntityManager): Promise<TopicsKey | null> {
    const rows: Array<{ value_type: KeyDefinition['valueType']; allowed_values: string[] | null; value_labels: KeyDefinition['valueLabels'] }> = await db.query(
      `SELECT value_type, allowed_values, value_labels FROM preference_keys WHERE key = 'topics' AND archived_at IS NULL`,
    );
    const row = rows[0];
    if (!row || row.value_type !== 'list' || !row.allowed_values) return null;
    return { valueType: row.value_type, allowedValues: row.allowed_values, valueLabels: row.value_labels };
  }

  /** The live contact holding this address (e-mail is unique among live contacts), locked for this transaction. */
  async lockLiveContactByEmail(tx: EntityManager, email: string): Promise<{ id: string; status: 'pending' | 'active' } | null> {
    const rows: Array<{ id: string; status: 'pending' | 'active' }> = await tx.query(
      `SELECT id, status FROM contacts WHERE lower(email) = $1 AND deleted_at IS NULL FOR UPDATE`,
      [email],
    );
    return rows[0] ?? null;
  }

  /**
   * A new pending contact, or null when a concurrent sign-up for the same address created one
   * first (the unique index decides; the caller then reads that one).
   */
  async insertPendingContact(tx: EntityManager, contact: { email: string; givenName: string; locale: string }): Promise<string | null> {
    const rows: Array<{ id: string }> = await tx.query(
      `INSERT INTO contacts (email, given_name, locale, status) VALUES ($1, $2, $3, 'pending')
       ON CONFLICT (lower(email)) WHERE deleted_at IS NULL DO NOTHING
       RETURNING id`,
      [contact.email, contact.givenName, contact.locale],
    );
    return rows[0]?.id ?? null;
  }

  /** Records the latest request for the contact; a new request after a confirmed one needs confirming again. */
  async upsertRequest(tx: EntityManager, contactId: string, request: PendingRequest): Promise<void> {
    await tx.query(
      `INSERT INTO signup_requests (contact_id, given_name, phone, locale, topics, consent_text)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6)
       ON CONFLICT (contact_id) DO UPDATE
          SET given_name = EXCLUDED.given_name, phone = EXCLUDED.phone, locale = EXCLUDED.locale, topics = EXCLUDED.topics,
              consent_text = EXCLUDED.consent_text, request_count = signup_requests.request_count + 1,
              last_requested_at = now(), confirmed_at = NULL`,
      [contactId, request.givenName, request.phone, request.locale, JSON.stringify(request.topics), request.consentText],
    );
  }

  /**
   * Moves confirmation_sent_at to now when the last confirmation is older than `minIntervalSeconds`
   * (or there was none). The row is locked by the upsert before it, so of any number of concurrent
   * sign-ups, in any number of processes, exactly one sees the condition true per interval.
   */
  async claimConfirmation(tx: EntityManager, contactId: string, minIntervalSeconds: number): Promise<ConfirmationClaim | null> {
    const rows: Array<{ claimed_at: string; previous: string | null }> = await tx.query(
      `UPDATE signup_requests r SET confirmation_sent_at = now()
         FROM (SELECT confirmation_sent_at AS previous FROM signup_requests WHERE contact_id = $1) p
        WHERE r.contact_id = $1
          AND (r.confirmation_sent_at IS NULL OR r.confirmation_sent_at <= now() - make_interval(secs => $2))
       RETURNING r.confirmation_sent_at::text AS claimed_at, p.previous::text AS previous`,
      [contactId, minIntervalSeconds],
    );
    const row = Array.isArray(rows[0]) ? (rows[0] as unknown as typeof rows)[0] : rows[0];
    return row ? { claimedAt: row.claimed_at, previous: row.previous } : null;
  }

  /** Hands the slot back after a send that certainly did not deliver, unless a newer claim took it meanwhile. */
  async releaseConfirmation(db: EntityManager, contactId: string, claim: ConfirmationClaim): Promise<void> {
    await db.query(
      `UPDATE signup_requests SET confirmation_sent_at = $3::timestamptz WHERE contact_id = $1 AND confirmation_sent_at = $2::timestamptz`,
      [contactId, claim.claimedAt, claim.previous],
    );
  }

  /**
   * The request and its contact; with `lock`, both held until the transaction ends, the contact
   * first, in the same order a sign-up takes them, so a confirmation and a sign-up never deadlock.
   */
  async readRequest(tx: EntityManager, contactId: string, lock: boolean): Promise<RequestWithContact | null> {
    if (lock) await tx.query(`SELECT 1 FROM contacts WHERE id = $1 FOR UPDATE`, [contactId]);
    const rows: Array<{
      contact_id: string; given_name: string | null; phone: string | null; locale: string; topics: string[]; consent_text: string;
      confirmed_at: Date | null; status: 'pending' | 'active'; email: string | null; contact_phone: string | null;
      contact_given_name: string | null; contact_locale: string | null; gone: boolean;
    }> = await tx.query(
      `SELECT r.contact_id, r.given_name, r.phone, r.locale, r.topics, r.consent_text, r.confirmed_at,
              c.status, c.email, c.phone AS contact_phone, c.given_name AS contact_given_name, c.locale AS contact_locale,
              (c.deleted_at IS NOT NULL OR c.erased_at IS NOT NULL) AS gone
         FROM signup_requests r JOIN contacts c ON c.id = r.contact_id
        WHERE r.contact_id = $1
        ${lock ? 'FOR UPDATE OF r' : ''}`,
      [contactId],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      contactId: row.contact_id, givenName: row.given_name, phone: row.phone, locale: row.locale, topics: row.topics,
      consentText: row.consent_text, confirmedAt: row.confirmed_at, status: row.status, email: row.email,
      contactPhone: row.contact_phone, contactGivenName: row.contact_given_name, contactLocale: row.contact_locale, gone: row.gone,
    };
  }

  /**
   * The contact becomes active. A contact the sign-up created takes the confirmed name and locale;
   * one that was already active keeps everything it had and only gains what was empty.
   */
  async activate(tx: EntityManager, request: RequestWithContact): Promise<string[]> {
    const wasPending = request.status === 'pending';
    const changes: Record<string, unknown> = {};
    if (wasPending) changes.status = 'active';
    if (request.givenName && (wasPending ? request.givenName !== request.contactGivenName : request.contactGivenName === null)) changes.given_name = request.givenName;
    if (!request.contactLocale || (wasPending && request.locale !== request.contactLocale)) changes.locale = request.locale;
    const columns = Object.keys(changes);
    if (columns.length > 0) {
      await tx.query(
        `UPDATE contacts SET ${columns.map((c, i) => `${c} = $${i + 2}`).join(', ')}, updated_at = now() WHERE id = $1`,
        [request.contactId, ...columns.map((c) => changes[c])],
      );
    }
    return columns;
  }

  /**
   * Gives the contact the phone number from the form when it has none and no other live contact
   * holds it. A savepoint keeps a concurrent taker of the same number (unique index) from failing
   * the whole confirmation: the number is then simply not stored.
   */
  async fillPhone(tx: EntityManager, contactId: string, phone: string): Promise<boolean> {
    await tx.query('SAVEPOINT signup_phone');
    try {
      const result: unknown = await tx.query(
        `UPDATE contacts SET phone = $2, updated_at = now()
          WHERE id = $1 AND phone IS NULL
            AND NOT EXISTS (SELECT 1 FROM contacts o WHERE o.phone = $2 AND o.deleted_at IS NULL)`,
        [contactId, phone],
      );
      await tx.query('RELEASE SAVEPOINT signup_phone');
      return Array.isArray(result) && result[1] === 1;
    } catch {
      await tx.query('ROLLBACK TO SAVEPOINT signup_phone');
      return false;
    }
  }

  async markConfirmed(tx: EntityManager, contactId: string): Promise<void> {
    await tx.query(`UPDATE signup_requests SET confirmed_at = now() WHERE contact_id = $1`, [contactId]);
  }
}
