import { Injectable, OnModuleInit } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { InteractionHooks, InteractionListener, ListenerLocks } from '../interactions/interaction-hooks';
import { estimatePairs } from '../replenishment/run-out-model';
import { deriveValues } from './contact-value.derive';
import { DerivedMemoryRepository } from './derived-memory.repository';
import { valueCalendar } from './value-rules';

/**
 * Keeps a contact's derived memory — value, classes and signals (as ValueService.recomputeContacts)
 * and run-out predictions (as ReplenishmentService.recomputeContacts) — current inside the
 * transaction that records its interactions, so a purchase is reflected the moment it is stored.
 * Both follow the same interactions, so they lock, read and write together: three statements per
 * recording instead of six, and two when the statement that records one interaction takes the
 * locks (the busiest write of the API).
 */
@Injectable()
export class DerivedMemoryListener implements OnModuleInit, InteractionListener {
  constructor(
    private readonly hooks: InteractionHooks,
    private readonly derived: DerivedMemoryRepository,
  ) {}

  onModuleInit(): void {
    this.hooks.register(this);
  }

  locks(ids: string): ListenerLocks {
    return this.derived.locks(ids);
  }

  async onInteractionsRecorded(tx: EntityManager, contactIds: string[], locked = false): Promise<void> {
    const ids = [...new Set(contactIds)];
    if (ids.length === 0) return;
    const now = new Date();
    const calendar = valueCalendar(now);
    if (!locked) await this.derived.lock(tx, ids);
    const { value, pairs, rates } = await this.derived.read(tx, ids, calendar);
    const { derived, changes } = deriveValues(value, calendar);
    await this.derived.write(tx, ids, derived, changes, estimatePairs(pairs, rates), now);
  }
}
