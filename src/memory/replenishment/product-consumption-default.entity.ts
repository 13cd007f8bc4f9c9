import { Column, Entity, PrimaryColumn } from 'typeorm';

/** How much of a product a household typically uses per day: the prediction for a first purchase. */
@Entity('product_consumption_defaults')
export class ProductConsumptionDefault {
  @PrimaryColumn('text')
  productKey: string;

  @Column('numeric', { precision: 14, scale: 6 })
  dailyConsumption: string;

  @Column('text', { nullable: true })
  unit: string | null;

  @Column('timestamptz')
  updatedAt: Date;

  @Column('text')
  updatedBy: string;
}
