import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { AuditService } from '../../audit/audit.service';
import { Actor } from '../../auth/actor';
import { AbcOutcome, AbcRepository } from './abc.repository';
import { deriveValues, ValueChange } from './contact-value.derive';
import { ValueRepository } from './value.repository';
import { valueCalendar } from './value-rules';

/** Contacts per transaction in the base-wide run: big enough for set-based SQL, small enough to hold few locks. */
export const BASE_BATCH_SIZE = 5_000;

/**
 * PostgreSQL advisory lock key of the base-wide run (ASCII "TDVL"). Held for the whole run so only
 * one instance (daily timer or endpoint) recomputes the base at a time.
 */
export const BASE_RECOMPUTE_LOCK = 0x5444564c;

export interface BaseRecomputeSummary {
  asOf: Date;
  contacts: number;
  abc: AbcOutcome['classes'];
  signals: Record<ValueChange['dimension'], number>;
  durationMs: number;
}

/**
 * Keeps each contact's derived value current: per contact inside the transaction that records its
 * interactions (through DerivedMemoryListener), and base-wide (ABC, plus everything that moves with
 * the calendar such as recency and a heavy customer turning light) in a daily run.
 */
@Injectable()
export class ValueService {
  private readonly logger = new Logger('ValueService');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly values: ValueRepository,
    private readonly abc: AbcRepository,
    private readonly audit: AuditService,
  ) {}

  /**
   * Recomputes the figures, classes and stage of these contacts as of `now` within `tx`, and appends
   * a value signal for each class or stage that changed. The ABC class is left as the last base-wide
   * run set it: it depends on everyone else's revenue. Returns the changes signalled. (Recording an
   * interaction does the same through DerivedMemoryListener, in fewer statements.)
   */
  async recomputeContacts(tx: EntityManager, contactIds: string[], now: Date): Promise<ValueChange[]> {
    const ids = [...new Set(contactIds)];
    if (ids.length === 0) return [];
    await this.values.lockRows(tx, ids);
    const calendar = valueCalendar(now);
    const { derived, changes } = deriveValues(await this.values.facts(tx, ids, calendar), calendar);
    await this.values.save(tx, derived, changes, now);
    return changes;
  }

  /**
   * The base-wide run as of `now`: ABC classes in one statement, then every live contact's figures in
   * batches. Waits while another run holds the lock. Running it twice for the same `now` changes
   * nothing and signals nothing the second time.
   */
  async recomputeBase(now: Date): Promise<BaseRecomputeSummary> {
    return (await this.withBaseLock(true, (runner) => this.runBase(runner, now)))!;
  }

  /** Like recomputeBase, but returns null at once when another run holds the lock (the daily timer of a second instance). */
  tryRecomputeBase(now: Date): Promise<BaseRecomputeSummary | null> {
    return this.withBaseLock(false, (runner) => this.runBase(runner, now));
  }

  /** The endpoint's run: as of the current time, recorded in the audit log with who asked. */
  async recomputeBaseAsRequested(actor: Actor): Promise<BaseRecomputeSummary> {
    const summary = await this.recomputeBase(new Date());
    const { contacts, signals, durationMs } = summary;
    await this.db.transaction((tx) => this.audit.record(tx, actor, 'value.recompute', 'contact_value', null, { contacts, signals, durationMs }));
    return summary;
  }

  private async withBaseLock<T>(wait: boolean, work: (runner: QueryRunner) => Promise<T>): Promise<T | null> {
    const runner = this.db.createQueryRunner();
    await runner.connect();
    try {
      if (wait) {
        await runner.query(`SELECT pg_advisory_lock($1)`, [BASE_RECOMPUTE_LOCK]);
      } else {
        const [{ locked }]: Array<{ locked: boolean }> = await runner.query(`SELECT pg_try_advisory_lock($1) AS locked`, [BASE_RECOMPUTE_LOCK]);
        if (!locked) return null;
      }
      try {
        return await work(runner);
      } finally {
        await runner.query(`SELECT pg_advisory_unlock($1)`, [BASE_RECOMPUTE_LOCK]);
      }
    } finally {
      await runner.release();
    }
  }

  private async runBase(runner: QueryRunner, now: Date): Promise<BaseRecomputeSummary> {
    const started = performance.now();
    const abc = await retryOnDeadlock(() => this.abc.classify(runner.manager, now, valueCalendar(now).yearAgo));
    const signals = { abc_class: abc.signals, frequency_class: 0, loyalty_stage: 0 };
    let contacts = 0;
    let after: string | null = null;
    for (;;) {
      const ids = await this.values.liveContactIdsAfter(runner.manager, after, BASE_BATCH_SIZE);
      if (ids.length === 0) break;
      await runner.startTransaction();
      try {
        for (const change of await this.recomputeContacts(runner.manager, ids, now)) signals[change.dimension]++;
        await runner.commitTransaction();
      } catch (error) {
        await runner.rollbackTransaction();
        throw error;
      }
      contacts += ids.length;
      after = ids[ids.length - 1];
    }
    const durationMs = Math.round(performance.now() - started);
    this.logger.log(`base recomputed as of ${now.toISOString()}: ${contacts} contacts in ${durationMs} ms`);
    return { asOf: now, contacts, abc: abc.classes, signals, durationMs };
  }
}

/**
 * The ABC statement updates the rows whose class changed in no particular order, while a recording
 * transaction may hold some of them; PostgreSQL then aborts one side with a deadlock. The statement
 * is idempotent, so it is simply tried again.
 */
async function retryOnDeadlock<T>(work: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const code = (error as { driverError?: { code?: string } }).driverError?.code;
      if (code !== '40P01' || attempt >= attempts) throw error;
    }
  }
}
