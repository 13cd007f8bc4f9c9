import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { PostalAddress } from '../../contacts/contact.entity';

export interface ContactRow {
  id: string;
  givenName: string | null;
  familyName: string | null;
  formOfAddress: string | null;
  locale: string | null;
  timeZone: string | null;
  birthday: string | null;
  lunarBirthdayMonth: number | null;
  lunarBirthdayDay: number | null;
  lunarBirthdayLeap: boolean;
  address: PostalAddress | null;
  attributes: Record<string, unknown>;
}

/** The derived value of a customer (filled by the value module), as templates see it. */
export interface ValueSummary {
  abcClass: 'A' | 'B' | 'C' | null;
  loyaltyStage: string | null;
  frequencyClass: string | null;
  rfmScore: string | null;
  recencyDays: number | null;
  frequency12m: number;
  monetary12m: number;
  monetaryTotal: number;
  lifetimeValue: number | null;
  firstPurchaseAt: Date | null;
  lastPurchaseAt: Date | null;
  lastVisitAt: Date | null;
  computedAt: Date;
}

/** Plain SQL over tables other modules own: contacts and contact_value are read, never written. */
@Injectable()
export class RenderContextRepository {
  contacts(db: EntityManager, ids: string[]): Promise<ContactRow[]> {
    return db.query(
      `SELECT id, given_name AS "givenName", family_name AS "familyName", form_of_address AS "formOfAddress", locale,
              time_zone AS "timeZone", to_char(birthday, 'YYYY-MM-DD') AS birthday, lunar_birthday_month AS "lunarBirthdayMonth",
              lunar_birthday_day AS "lunarBirthdayDay", lunar_birthday_leap AS "lunarBirthdayLeap", address, attributes
         FROM contacts WHERE id = ANY($1::uuid[]) AND deleted_at IS NULL`,
      [ids],
    );
  }

  values(db: EntityManager, ids: string[]): Promise<Array<ValueSummary & { contactId: string }>> {
    return db.query(
      `SELECT contact_id AS "contactId", abc_class AS "abcClass", loyalty_stage AS "loyaltyStage", frequency_class AS "frequencyClass",
              rfm_score AS "rfmScore", recency_days AS "recencyDays", frequency_12m AS "frequency12m",
              monetary_12m::float8 AS "monetary12m", monetary_total::float8 AS "monetaryTotal", lifetime_value::float8 AS "lifetimeValue",
              first_purchase_at AS "firstPurchaseAt", last_purchase_at AS "lastPurchaseAt", last_visit_at AS "lastVisitAt",
              computed_at AS "computedAt"
         FROM contact_value WHERE contact_id = ANY($1::uuid[])`,
      [ids],
    );
  }
}
