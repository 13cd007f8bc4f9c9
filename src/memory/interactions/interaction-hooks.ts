import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

/** Something kept current from interactions (customer value, run-out predictions…). */
export interface InteractionListener {
  /** Runs inside the transaction that recorded the interactions, so derived data never lags behind. */
  onInteractionsRecorded(tx: EntityManager, contactIds: string[]): Promise<void>;
}

/**
 * Lets derived-memory modules follow new interactions without the interactions module knowing them.
 * Listeners register themselves in onModuleInit.
 */
@Injectable()
export class InteractionHooks {
  private readonly listeners: InteractionListener[] = [];

  register(listener: InteractionListener): void {
    this.listeners.push(listener);
  }

  async run(tx: EntityManager, contactIds: string[]): Promise<void> {
    const unique = [...new Set(contactIds)];
    for (const listener of this.listeners) await listener.onInteractionsRecorded(tx, unique);
  }
}
