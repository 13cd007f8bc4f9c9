import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { AbcClass, FrequencyClass, LoyaltyStage } from './value-rules';

/** The derived value of one contact, kept current by ValueService. Money is exact decimal text. */
@Entity('contact_value')
export class ContactValue {
  @PrimaryColumn('uuid')
  contactId: string;

  @Column('timestamptz', { nullable: true })
  firstPurchaseAt: Date | null;

  @Column('timestamptz', { nullable: true })
  lastPurchaseAt: Date | null;

  /** The last purchase or service visit. */
  @Column('timestamptz', { nullable: true })
  lastVisitAt: Date | null;

  @Column('integer', { nullable: true })
  recencyDays: number | null;

  /** Purchases and service visits in the trailing 12 months. */
  @Column('integer', { name: 'frequency_12m' })
  frequency12m: number;

  @Column('numeric', { name: 'monetary_12m', precision: 14, scale: 2 })
  monetary12m: string;

  @Column('numeric', { precision: 14, scale: 2 })
  monetaryTotal: string;

  @Column('text', { nullable: true })
  rfmScore: string | null;

  @Column('char', { length: 1, nullable: true })
  abcClass: AbcClass | null;

  @Column('text', { nullable: true })
  loyaltyStage: LoyaltyStage | null;

  @Column('text', { nullable: true })
  frequencyClass: FrequencyClass | null;

  @Column('numeric', { precision: 14, scale: 2, nullable: true })
  lifetimeValue: string | null;

  @Column('timestamptz')
  computedAt: Date;
}
