import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { Actor } from '../auth/actor';
import { ApiError } from '../common/errors/api-error';
import { PersonalDataTable } from './personal-data';
import { PersonalDataRegistry } from './personal-data.registry';
import { PersonalDataRepository } from './personal-data.repository';
import { SuppressedKind, SuppressionService } from './suppression.service';

export interface TableErasure {
  /** deleted: the rows are gone; scrubbed: the rows stay with their personal columns overwritten. */
  outcome: 'deleted' | 'scrubbed';
  rows: number;
  /** The table had no declared rule, so the safety net deleted its rows. */
  undeclared?: true;
}

export interface ErasureSummary {
  contactId: string;
  /** The first erasure's time; a repeated call keeps it. */
  erasedAt: Date;
  alreadyErased: boolean;
  /** Which identifiers were added to the suppression list (their kinds, never their values). */
  suppressed: SuppressedKind[];
  tables: Record<string, TableErasure>;
}

/**
 * The right to erasure, in one transaction: suppress, then erase table by table, then audit.
 *
 * Erasing again is allowed and answers 200: a client whose first call timed out can simply retry,
 * and the repeat sweeps anything a late writer attached to the contact since. `alreadyErased`
 * tells the two apart; the end state is the same.
 */
@Injectable()
export class ContactErasureService {
  private readonly logger = new Logger('ContactErasure');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly registry: PersonalDataRegistry,
    private readonly repository: PersonalDataRepository,
    private readonly suppression: SuppressionService,
    private readonly audit: AuditService,
  ) {}

  erase(contactId: string, actor: Actor, within?: EntityManager): Promise<ErasureSummary> {
    if (!within) return this.db.transaction((tx) => this.erase(contactId, actor, tx));
    return this.eraseIn(within, contactId, actor);
  }

  private async eraseIn(tx: EntityManager, contactId: string, actor: Actor): Promise<ErasureSummary> {
    // The lock makes a concurrent PATCH wait and then find the contact gone.
    const contact = await this.repository.findContact(tx, contactId, true);
    if (!contact) throw ApiError.notFound('Contact', contactId);

    // Hashes first, while the identifiers still exist: afterwards nothing could recompute them.
    const identifiers = { email: contact.email, phone: contact.phone, externalId: contact.external_id };
    await this.suppression.suppress(tx, identifiers, 'erasure');

    const tables: Record<string, TableErasure> = {};
    for (const table of this.registry.declared()) tables[table.table] = await this.eraseTable(tx, table, contactId);
    for (const table of await this.registry.undeclared(tx)) {
      // Deleting is the safe side for the person; the integration suite keeps this from ever running.
      this.logger.warn(`${table.table} has a contact_id column but no declared erasure rule; its rows were deleted`);
      tables[table.table] = { ...(await this.eraseTable(tx, table, contactId)), undeclared: true };
    }

    const rows = Object.fromEntries(Object.entries(tables).map(([name, t]) => [name, t.rows]));
    await this.audit.record(tx, actor, 'contact.erase', 'contact', contactId, { rows, repeat: contact.erased_at !== null });
    return {
      contactId,
      erasedAt: await this.repository.erasedAt(tx, contactId),
      alreadyErased: contact.erased_at !== null,
      suppressed: this.suppression.hashesOf(identifiers).map((h) => h.kind),
      tables,
    };
  }

  private async eraseTable(tx: EntityManager, table: PersonalDataTable, contactId: string): Promise<TableErasure> {
    const { erasure } = table;
    switch (erasure.rule) {
      case 'delete':
        return { outcome: 'deleted', rows: await this.repository.deleteRows(tx, table, contactId) };
      case 'scrub':
        return { outcome: 'scrubbed', rows: await this.repository.updateRows(tx, table, erasure.set, contactId) };
      case 'custom':
        return { outcome: 'scrubbed', rows: await erasure.run(tx, contactId) };
    }
  }
}
