import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One product in a purchase; run-out predictions read these per product. */
@Entity('purchase_lines')
export class PurchaseLine {
  @PrimaryColumn('uuid')
  interactionId: string;

  @PrimaryColumn('smallint')
  lineNo: number;

  @Column('uuid')
  contactId: string;

  @Column('text')
  productKey: string;

  @Column('text', { nullable: true })
  productName: string | null;

  @Column('numeric', { precision: 12, scale: 3 })
  quantity: string;

  @Column('text', { nullable: true })
  unit: string | null;

  @Column('numeric', { precision: 14, scale: 2, nullable: true })
  unitPrice: string | null;

  /** Copied from the purchase so per-product history needs no join. */
  @Column('timestamptz')
  occurredAt: Date;
}
