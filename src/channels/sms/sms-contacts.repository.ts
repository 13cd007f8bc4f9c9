import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

export interface SmsContact {
  id: string;
  locale: string | null;
}

/** The contacts and messages an SMS webhook is about, found by phone number. */
@Injectable()
export class SmsContactsRepository {
  /**
   * The live contacts holding this number (the unique index allows one), locked so that a STOP and
   * a START arriving together are applied one after the other, never interleaved.
   */
  lockLiveByPhone(tx: EntityManager, phone: string): Promise<SmsContact[]> {
    return tx.query(`SELECT id, locale FROM contacts WHERE phone = $1 AND deleted_at IS NULL ORDER BY id FOR NO KEY UPDATE`, [phone]);
  }

  /** Our latest SMS to the contact at this number: what a reply most likely answers. */
  async latestSmsTo(tx: EntityManager, contactId: string, phone: string): Promise<string | null> {
    const rows: Array<{ id: string }> = await tx.query(
      `SELECT id FROM messages WHERE contact_id = $1 AND channel = 'sms' AND recipient = $2 ORDER BY created_at DESC, id DESC LIMIT 1`,
      [contactId, phone],
    );
    return rows[0]?.id ?? null;
  }
}
