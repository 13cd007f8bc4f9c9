import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { ApiError } from '../common/errors/api-error';
import { PersonalDataRegistry } from './personal-data.registry';
import { PersonalDataRepository } from './personal-data.repository';

export interface ContactExport {
  contactId: string;
  exportedAt: Date;
  /** Set when the contact was erased; the tables then show what is left, which is nothing personal. */
  erasedAt: Date | null;
  /** Rows as stored, by table: contacts, contact_consent_events, audit_log and every table with a contact_id. */
  tables: Record<string, unknown[]>;
}

/** Everything held about one contact (a data-subject access request), soft-deleted or not. */
@Injectable()
export class ContactExportService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly registry: PersonalDataRegistry,
    private readonly repository: PersonalDataRepository,
  ) {}

  /** One snapshot for all tables, so a change landing mid-export cannot make the document disagree with itself. */
  export(contactId: string, within?: EntityManager): Promise<ContactExport> {
    if (!within) return this.db.transaction('REPEATABLE READ', (tx) => this.export(contactId, tx));
    return this.collect(within, contactId);
  }

  private async collect(tx: EntityManager, contactId: string): Promise<ContactExport> {
    const contact = await this.repository.findContact(tx, contactId, false);
    if (!contact) throw ApiError.notFound('Contact', contactId);
    // Erasure order is children first; a reader wants the contact first, so the export reverses it.
    // Undeclared tables are exported too: a table someone forgot to declare is still data we hold.
    const sources = [...this.registry.declared().reverse(), ...(await this.registry.undeclared(tx))];
    const tables: Record<string, unknown[]> = {};
    for (const source of sources) tables[source.table] = await this.repository.rowsOf(tx, source, contactId);
    return { contactId, exportedAt: new Date(), erasedAt: contact.erased_at, tables };
  }
}
