import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DateTime } from 'luxon';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../../audit/audit.service';
import { Actor } from '../../auth/actor';
import { ApiError } from '../../common/errors/api-error';
import { ProductConsumptionDto } from './dto/product-consumption.dto';
import { DueReplenishment, PairEstimate, PredictionView, ReplenishmentRepository } from './replenishment.repository';
import { estimatePairs } from './run-out-model';

/** Reminders go out this many days before the predicted run-out unless a campaign says otherwise. */
export const DEFAULT_REMINDER_LEAD_DAYS = 3;

/** Contacts per statement when a product default changes and everyone who bought it is recomputed. */
const RECOMPUTE_CHUNK = 1_000;

/**
 * The rice jar: predicted run-out per contact and product, rewritten inside the transaction that
 * records a purchase, so a purchase in between moves the date before any reminder can go out.
 */
@Injectable()
export class ReplenishmentService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly predictions: ReplenishmentRepository,
    private readonly audit: AuditService,
  ) {}

  /**
   * Rewrites the predictions of these contacts (for every product, or one) from their purchase lines.
   * (Recording a purchase does the same through DerivedMemoryListener, in fewer statements.)
   */
  async recomputeContacts(tx: EntityManager, contactIds: string[], onlyProduct: string | null = null): Promise<PairEstimate[]> {
    const ids = [...new Set(contactIds)];
    if (ids.length === 0) return [];
    await this.predictions.lockContacts(tx, ids);
    const { pairs, rates } = await this.predictions.purchasesAndRates(tx, ids, onlyProduct);
    const estimates = estimatePairs(pairs, rates);
    await this.predictions.replace(tx, ids, onlyProduct, estimates, new Date());
    return estimates;
  }

  async forContact(contactId: string): Promise<PredictionView[]> {
    if (!(await this.predictions.isLiveContact(this.db.manager, contactId))) throw ApiError.notFound('Contact', contactId);
    return this.predictions.ofContact(this.db.manager, contactId);
  }

  /**
   * For campaigns: every live contact and product whose reminder day — run-out minus `leadDays` —
   * falls between `from` and `to` (calendar days, inclusive, UTC). Someone who bought again since
   * has a later run-out already and drops out of the window.
   */
  dueBetween(from: Date | string, to: Date | string, leadDays = DEFAULT_REMINDER_LEAD_DAYS): Promise<DueReplenishment[]> {
    return this.predictions.due(this.db.manager, calendarDay(from), calendarDay(to), leadDays);
  }

  /** Sets a product's default daily consumption and re-predicts everyone who bought it, in one transaction. */
  setProductConsumption(productKey: string, dto: ProductConsumptionDto, actor: Actor) {
    return this.db.transaction(async (tx) => {
      const saved = await this.predictions.saveDefault(tx, productKey, dto.dailyConsumption, dto.unit ?? null, actor.label);
      const buyers = await this.predictions.contactsWhoBought(tx, productKey);
      let predictions = 0;
      for (let i = 0; i < buyers.length; i += RECOMPUTE_CHUNK) {
        predictions += (await this.recomputeContacts(tx, buyers.slice(i, i + RECOMPUTE_CHUNK), productKey)).length;
      }
      await this.audit.record(tx, actor, 'product.consumption', 'product', productKey, { fields: ['dailyConsumption', 'unit'] });
      return { ...saved, predictions };
    });
  }
}

function calendarDay(value: Date | string): string {
  const day = typeof value === 'string' ? DateTime.fromISO(value, { zone: 'utc' }) : DateTime.fromJSDate(value, { zone: 'utc' });
  if (!day.isValid) throw ApiError.validation([{ field: 'date', problem: `${String(value)} is not a date` }]);
  return day.toISODate() as string;
}
