import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Actor } from '../auth/actor';
import { CHANNELS, ConsentChannel, ConsentEvent } from './consent-event.entity';
import { ConsentSetDto } from './dto/contact-input.dto';

export interface CurrentConsent {
  granted: boolean;
  source: string;
  text: string | null;
  recordedAt: Date;
}

export type ConsentView = Partial<Record<ConsentChannel, CurrentConsent>>;

/** A channel's latest consent event as read from the database. */
export interface LatestConsentRow {
  channel: ConsentChannel;
  status: string;
  source: string;
  consent_text: string | null;
  /** A Date from a column, or ISO text from a JSON aggregate. */
  recorded_at: Date | string;
}

export function consentViewOf(rows: LatestConsentRow[]): ConsentView {
  const view: ConsentView = {};
  for (const row of rows) {
    view[row.channel] = { granted: row.status === 'granted', source: row.source, text: row.consent_text, recordedAt: new Date(row.recorded_at) };
  }
  return view;
}

@Injectable()
export class ConsentService {
  /** Appends one event per channel whose state changes; repeating the current state writes nothing. */
  async append(tx: EntityManager, contactId: string, set: ConsentSetDto | undefined, actor: Actor, defaultSource: string): Promise<number> {
    if (!set) return 0;
    const current = (await this.current(tx, [contactId])).get(contactId) ?? {};
    let appended = 0;
    for (const channel of CHANNELS) {
      const input = set[channel];
      if (!input) continue;
      const before = current[channel];
      const source = input.source ?? defaultSource;
      if (before && before.granted === input.granted && before.text === (input.text ?? null) && before.source === source) continue;
      await tx.insert(ConsentEvent, {
        contactId,
        channel,
        status: input.granted ? 'granted' : 'revoked',
        source,
        consentText: input.text ?? null,
        recordedBy: actor.label,
      });
      appended++;
    }
    return appended;
  }

  async current(tx: EntityManager, contactIds: string[]): Promise<Map<string, ConsentView>> {
    const result = new Map<string, ConsentView>();
    if (contactIds.length === 0) return result;
    const rows: Array<LatestConsentRow & { contact_id: string }> =
      await tx.query(
        `SELECT DISTINCT ON (contact_id, channel) contact_id, channel, status, source, consent_text, recorded_at
           FROM contact_consent_events
          WHERE contact_id = ANY($1::uuid[])
          ORDER BY contact_id, channel, recorded_at DESC, id DESC`,
        [contactIds],
      );
    const byContact = new Map<string, LatestConsentRow[]>();
    for (const row of rows) byContact.set(row.contact_id, [...(byContact.get(row.contact_id) ?? []), row]);
    for (const [contactId, latest] of byContact) result.set(contactId, consentViewOf(latest));
    return result;
  }

  history(tx: EntityManager, contactId: string): Promise<ConsentEvent[]> {
    return tx.getRepository(ConsentEvent).find({ where: { contactId }, order: { recordedAt: 'ASC', id: 'ASC' } });
  }
}
