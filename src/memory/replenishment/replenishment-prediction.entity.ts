import { Column, Entity, PrimaryColumn } from 'typeorm';

/** When one contact is expected to run out of one product; rewritten whenever they buy it again. */
@Entity('replenishment_predictions')
export class ReplenishmentPrediction {
  @PrimaryColumn('uuid')
  contactId: string;

  @PrimaryColumn('text')
  productKey: string;

  /** The UTC calendar day. */
  @Column('date')
  runOutOn: string;

  /** Product units per day. */
  @Column('numeric', { precision: 14, scale: 6 })
  dailyConsumption: string;

  @Column('integer')
  purchasesUsed: number;

  @Column('timestamptz')
  lastPurchaseAt: Date;

  @Column('timestamptz')
  computedAt: Date;
}
