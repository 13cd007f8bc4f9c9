import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { ChannelKind } from '../channels/channel.types';
import type { PostalAddress } from '../contacts/contact.entity';
import { UNSUBSCRIBE_CONSENT_SOURCE } from '../memory/guard/guard.types';

export interface RecipientFacts {
  contactId: string;
  givenName: string | null;
  familyName: string | null;
  email: string | null;
  phone: string | null;
  address: PostalAddress | null;
  locale: string | null;
  /** The latest consent event per channel (absent: never recorded). */
  consent: Partial<Record<ChannelKind, 'granted' | 'revoked'>>;
  /** Channels whose latest consent event is a revocation through an unsubscribe link. */
  unsubscribed: ChannelKind[];
  preferredChannel: ChannelKind | null;
}

/** What the dispatcher needs to address a batch of recipients, in one query for the whole batch. */
@Injectable()
export class RecipientFactsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async load(contactIds: string[]): Promise<Map<string, RecipientFacts>> {
    const rows: Array<{
      id: string; given_name: string | null; family_name: string | null; email: string | null; phone: string | null;
      address: PostalAddress | null; locale: string | null; consent: Record<string, 'granted' | 'revoked'> | null; unsubscribed: ChannelKind[] | null;
      preferred: string | null;
    }> = await this.db.query(
      `SELECT c.id, c.given_name, c.family_name, c.email, c.phone, c.address, c.locale,
              (SELECT jsonb_object_agg(channel, status) FROM (
                 SELECT DISTINCT ON (e.channel) e.channel, e.status FROM contact_consent_events e
                  WHERE e.contact_id = c.id ORDER BY e.channel, e.recorded_at DESC, e.id DESC) latest) AS consent,
              (SELECT array_agg(channel) FROM (
                 SELECT DISTINCT ON (e.channel) e.channel, e.status, e.source FROM contact_consent_events e
                  WHERE e.contact_id = c.id ORDER BY e.channel, e.recorded_at DESC, e.id DESC) latest
                WHERE status = 'revoked' AND source = $2) AS unsubscribed,
              (SELECT p.value #>> '{}' FROM current_preferences p WHERE p.contact_id = c.id AND p.key = 'preferred_channel') AS preferred
         FROM contacts c WHERE c.id = ANY($1::uuid[])`,
      [contactIds, UNSUBSCRIBE_CONSENT_SOURCE],
    );
    return new Map(
      rows.map((r) => [
        r.id,
        {
          contactId: r.id,
          givenName: r.given_name,
          familyName: r.family_name,
          email: r.email,
          phone: r.phone,
          address: r.address,
          locale: r.locale,
          consent: (r.consent ?? {}) as RecipientFacts['consent'],
          unsubscribed: r.unsubscribed ?? [],
          preferredChannel: r.preferred === 'email' || r.preferred === 'sms' || r.preferred === 'mail' ? r.preferred : null,
        },
      ]),
    );
  }
}
