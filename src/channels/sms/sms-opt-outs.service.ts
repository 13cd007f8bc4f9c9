import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../../audit/audit.service';
import { Actor } from '../../auth/actor';
import { ConsentService } from '../../contacts/consent.service';
import type { SendOutcome } from '../channel.types';
import { SmsContactsRepository } from './sms-contacts.repository';
import { TWILIO_OPTED_OUT } from './twilio/twilio-errors';

/** Who records what came in through Twilio: consent events and interactions name it. */
export const TWILIO_ACTOR: Actor = { keyId: null, label: 'twilio', role: 'system' };

/** Consent source when Twilio refuses a number because its owner opted out with the carrier or Twilio. */
export const PROVIDER_OPT_OUT_SOURCE = 'sms_provider_opt_out';

/**
 * SMS consent changes that come from the phone rather than from staff: a STOP/START reply, or
 * Twilio's word that the number has opted out (error 21610).
 */
@Injectable()
export class SmsOptOuts {
  private readonly logger = new Logger('SmsOptOuts');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly contacts: SmsContactsRepository,
    private readonly consent: ConsentService,
    private readonly audit: AuditService,
  ) {}

  /**
   * What a send outcome means beyond the message itself; call it after recording the outcome.
   * A 21610 refusal means every later SMS to the number would be refused too, so the number is
   * marked opted out where the goldfish guard looks: the contact's SMS consent.
   */
  async applySendOutcome(to: string, outcome: SendOutcome): Promise<void> {
    if (outcome.status === 'permanent' && outcome.code === TWILIO_OPTED_OUT) await this.markOptedOut(to, outcome.error);
  }

  /** Revokes SMS consent for the live contacts holding this number; returns their ids. */
  async markOptedOut(phone: string, reason: string): Promise<string[]> {
    const changed = await this.db.transaction(async (tx) => {
      const holders = await this.contacts.lockLiveByPhone(tx, phone);
      const current = await this.consent.current(tx, holders.map((c) => c.id));
      const ids: string[] = [];
      for (const contact of holders) {
        // Already revoked (by a STOP reply, staff, …): the provider only confirms it.
        if (current.get(contact.id)?.sms?.granted === false) continue;
        if (await this.setIn(tx, contact.id, false, PROVIDER_OPT_OUT_SOURCE, `Twilio error ${TWILIO_OPTED_OUT}: ${reason}`.slice(0, 2000))) ids.push(contact.id);
      }
      return ids;
    });
    if (changed.length > 0) this.logger.log(`SMS consent revoked for ${changed.length} contact(s): Twilio reports the number opted out`);
    return changed;
  }

  /** Appends an SMS consent event unless it repeats the current one; audited in the same transaction. */
  async setIn(tx: EntityManager, contactId: string, granted: boolean, source: string, text: string, actor: Actor = TWILIO_ACTOR): Promise<boolean> {
    const appended = await this.consent.append(tx, contactId, { sms: { granted, source, text } }, actor, source);
    if (appended > 0) await this.audit.record(tx, actor, 'contact.consent', 'contact', contactId, { channels: ['sms'], granted, source });
    return appended > 0;
  }
}
