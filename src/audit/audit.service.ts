import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { Actor } from '../auth/actor';
import { AuditEntry } from './audit-entry.entity';

@Injectable()
export class AuditService {
  /** Written inside the caller's transaction, so a change and its audit row land together. */
  async record(
    tx: EntityManager,
    actor: Actor,
    action: string,
    entityType: string,
    entityId: string | null,
    changes: Record<string, unknown>,
  ): Promise<void> {
    const entry: QueryDeepPartialEntity<AuditEntry> = { actorKeyId: actor.keyId, actorLabel: actor.label, action, entityType, entityId, changes: changes as object };
    await tx.insert(AuditEntry, entry);
  }
}
