import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The rice seller's knowledge of a product: how much of it a household typically uses per day.
 * Used to predict the run-out of a customer who has bought the product only once.
 */
export class CreateProductConsumptionDefaults1764892800000 implements MigrationInterface {
  name = 'CreateProductConsumptionDefaults1764892800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE product_consumption_defaults (
        product_key text PRIMARY KEY CHECK (length(product_key) BETWEEN 1 AND 200),
        daily_consumption numeric(14, 6) NOT NULL CHECK (daily_consumption > 0),
        unit text,
        updated_at timestamptz NOT NULL DEFAULT now(),
        updated_by text NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE product_consumption_defaults`);
  }
}
