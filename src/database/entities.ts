import { AuditEntry } from '../audit/audit-entry.entity';
import { ApiKey } from '../auth/api-key.entity';
import { ConsentEvent } from '../contacts/consent-event.entity';
import { Contact } from '../contacts/contact.entity';
import { ImportJob, ImportRowError } from '../contacts/import/import-job.entity';

/** Every entity, listed once for the data source. */
export const entities = [ApiKey, AuditEntry, Contact, ConsentEvent, ImportJob, ImportRowError];
