import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

/** Locks a listener takes before it reads, as parts of a WITH (see InteractionListener.locks). */
export interface ListenerLocks {
  /** Data-modifying statements without RETURNING: PostgreSQL runs them whether or not they are referenced. */
  statements: string[];
  /** Queries: whoever folds them in must make each one run (a query nothing references is skipped). */
  queries: string[];
}

/** Something kept current from interactions (customer value, run-out predictions…). */
export interface InteractionListener {
  /**
   * Runs inside the transaction that recorded the interactions, so derived data never lags behind.
   * `locked`: the statement that recorded them already took this listener's `locks`.
   */
  onInteractionsRecorded(tx: EntityManager, contactIds: string[], locked?: boolean): Promise<void>;
  /**
   * The locks onInteractionsRecorded would take first, for the contacts of `ids` (a uuid[]
   * expression), so that the statement recording one interaction can take them itself: a round
   * trip fewer on the API's busiest write. The statement after it sees what the previous holder of
   * the locks committed, as it does when the listener locks on its own. That transaction runs
   * nothing but the listeners after it before it commits.
   */
  locks?(ids: string): ListenerLocks;
}

/**
 * Lets derived-memory modules follow new interactions without the interactions module knowing them.
 * Listeners register themselves in onModuleInit.
 */
@Injectable()
export class InteractionHooks {
  private readonly listeners: InteractionListener[] = [];
  private readonly locksByIds = new Map<string, ListenerLocks>();

  register(listener: InteractionListener): void {
    this.listeners.push(listener);
    this.locksByIds.clear();
  }

  /** Every listener's locks; the same object for the same `ids` until a listener registers (statement texts stay fixed). */
  locks(ids: string): ListenerLocks {
    let locks = this.locksByIds.get(ids);
    if (!locks) {
      const parts = this.listeners.map((listener) => listener.locks?.(ids) ?? { statements: [], queries: [] });
      locks = { statements: parts.flatMap((p) => p.statements), queries: parts.flatMap((p) => p.queries) };
      this.locksByIds.set(ids, locks);
    }
    return locks;
  }

  /** `locked`: the recording statement took every listener's `locks` for these contacts. */
  async run(tx: EntityManager, contactIds: string[], locked = false): Promise<void> {
    const unique = [...new Set(contactIds)];
    for (const listener of this.listeners) await listener.onInteractionsRecorded(tx, unique, locked && listener.locks !== undefined);
  }
}
