import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AuditService } from '../../audit/audit.service';
import { Actor } from '../../auth/actor';
import { InteractionInputDto } from '../../memory/interactions/dto/interaction-input.dto';
import { InteractionHooks } from '../../memory/interactions/interaction-hooks';
import { toInteractionRecord } from '../../memory/interactions/interaction-rules';
import { InteractionsRepository } from '../../memory/interactions/interactions.repository';

/**
 * Records an SMS event in the customer's memory inside the caller's transaction, so a reply and the
 * consent change it causes are stored together or not at all. InteractionsService opens its own
 * transaction; until it offers one that joins the caller's, this uses the same rules, repository
 * (stateless) and hooks it does. Idempotent by eventId: a repeat stores nothing.
 */
@Injectable()
export class SmsMemory {
  private readonly interactions = new InteractionsRepository();

  constructor(
    private readonly hooks: InteractionHooks,
    private readonly audit: AuditService,
  ) {}

  async recordIn(tx: EntityManager, contactId: string, input: InteractionInputDto, actor: Actor): Promise<boolean> {
    const { record, problems } = toInteractionRecord(input, contactId, Date.now());
    if (problems.length > 0) throw new Error(`SMS interaction is not valid: ${problems.map((p) => p.problem).join('; ')}`);
    const [inserted] = await this.interactions.insertNew(tx, [record], actor.label);
    if (!inserted) return false;
    await this.hooks.run(tx, [contactId]);
    await this.audit.record(tx, actor, 'interaction.record', 'contact', contactId, { interactionId: inserted.id, kind: record.kind, eventId: record.eventId });
    return true;
  }
}
