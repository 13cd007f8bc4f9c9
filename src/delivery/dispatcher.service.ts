import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { CampaignDefinition } from '../campaigns/campaign.types';
import type { ChannelKind, SendOutcome } from '../channels/channel.types';
import { DirectMailService } from '../channels/direct-mail/direct-mail.service';
import { MessagesService } from '../channels/messages/messages.service';
import { OutboundSender } from '../channels/outbound/outbound-sender';
import { GoldfishGuard } from '../memory/guard/goldfish-guard.service';
import { RenderContext, RenderContextService } from '../memory/render-context/render-context.service';
import type { RenderedContent } from '../templates/templates.service';
import { MessagePreparer } from './message-preparer';
import { ClaimedMessage, OutboxRepository } from './outbox.repository';
import { RateLimiter } from './rate-limiter';
import { RecipientFacts, RecipientFactsRepository } from './recipient-facts.repository';
import { nextAttemptAt, RetryPolicy, DEFAULT_RETRY_POLICY } from './retry-policy';

export type DispatchResult = 'sent' | 'failed' | 'dead' | 'retry' | 'skipped' | 'deferred' | 'lost_lease';

export interface DispatchOptions {
  owner: string;
  now: Date;
  concurrency: number;
  limiters: Partial<Record<ChannelKind, RateLimiter>>;
  retry?: RetryPolicy;
}

interface Prepared {
  row: ClaimedMessage;
  campaign: CampaignDefinition;
  facts: RecipientFacts;
  channel: ChannelKind;
  rendered: RenderedContent;
  /** The messages row written with the claim (e-mail and SMS; print batches write their own). */
  messageId?: string;
}

/**
 * Takes claimed outbox rows through the pipeline, in the order the house style draws it:
 * channel choice → render → goldfish guard → channel → record. The guard's claim and the row's move
 * to 'sending' share one transaction; the provider's answer and the row's final state are written
 * the moment the answer arrives, so the window in which a crash leaves a message unrecorded is one
 * provider round trip.
 */
@Injectable()
export class Dispatcher {
  private readonly logger = new Logger(Dispatcher.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly outbox: OutboxRepository,
    private readonly recipients: RecipientFactsRepository,
    private readonly contexts: RenderContextService,
    private readonly preparer: MessagePreparer,
    private readonly guard: GoldfishGuard,
    private readonly sender: OutboundSender,
    private readonly messages: MessagesService,
    private readonly directMail: DirectMailService,
  ) {}

  async dispatch(rows: ClaimedMessage[], campaigns: Map<string, CampaignDefinition>, options: DispatchOptions): Promise<Record<DispatchResult, number>> {
    const tally: Record<DispatchResult, number> = { sent: 0, failed: 0, dead: 0, retry: 0, skipped: 0, deferred: 0, lost_lease: 0 };
    if (rows.length === 0) return tally;
    const contactIds = rows.map((r) => r.contactId);
    const [facts, contexts] = await Promise.all([this.recipients.load(contactIds), this.contexts.buildMany(contactIds)]);
    // Printed letters wait for the rest of the batch: one print file per occasion, not one per card.
    const letters: Prepared[] = [];
    let next = 0;
    const worker = async () => {
      while (next < rows.length) {
        const row = rows[next++];
        const campaign = campaigns.get(row.campaignId);
        let result: DispatchResult | 'printing';
        try {
          result = campaign ? await this.one(row, campaign, facts.get(row.contactId), contexts.get(row.contactId), options, letters) : 'lost_lease';
        } catch (error) {
          // A bug or an outage on our side (database, template) is a transient failure of this row,
          // never a reason to stop the batch or to lose the row.
          this.logger.error(`outbox row ${row.id}: ${error instanceof Error ? error.stack : String(error)}`);
          result = await this.retryOrGiveUp(row, campaign, options, { status: 'transient', error: error instanceof Error ? error.message : String(error) }, null);
        }
        if (result !== 'printing') tally[result]++;
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, rows.length)) }, worker));
    for (const result of await this.print(letters, options)) tally[result]++;
    return tally;
  }

  private async one(
    row: ClaimedMessage,
    campaign: CampaignDefinition,
    facts: RecipientFacts | undefined,
    context: RenderContext | undefined,
    options: DispatchOptions,
    letters: Prepared[],
  ): Promise<DispatchResult | 'printing'> {
    const { owner, now } = options;
    if (row.guardMessageId && row.channel) {
      // A retry or a crash recovery: the guard cleared this message before; asking again would
      // answer "duplicate occasion" about the message's own claim.
      if (!facts || !context) return this.skip(row, owner, 'erased', row.channel);
      const rendered = await this.preparer.render(campaign, row.channel, row.variant, context, row, now);
      if (!(await this.outbox.resumeSending(row.id, owner))) return 'lost_lease';
      return this.deliverOrQueue({ row, campaign, facts, channel: row.channel, rendered }, options, letters);
    }

    const superseded = await this.supersededReason(row);
    if (superseded) return this.skip(row, owner, superseded, null, { occasion: row.details });
    const prepared = await this.preparer.prepare(row, campaign, facts, context, now);
    if (!prepared.ready || !facts) return this.skip(row, owner, prepared.ready ? 'erased' : prepared.reason, null, prepared.ready ? {} : prepared.details);
    const { channel, rendered } = prepared;

    const verdict = await this.db.transaction(async (tx) => {
      const decision = await this.guard.evaluateIn(tx, prepared.guardRequest);
      if (decision.decision === 'skip') {
        return (await this.outbox.finish(tx, row.id, owner, 'skipped', { reason: decision.reason, channel, details: { guardDecisionId: decision.decisionId } }))
          ? ('skipped' as const)
          : ('lost_lease' as const);
      }
      if (decision.decision === 'defer') {
        await this.outbox.refundAttempt(tx, row.id);
        return (await this.outbox.reschedule(tx, row.id, owner, decision.deferUntil ?? now, { reason: `deferred:${decision.reason}`, channel }))
          ? ('deferred' as const)
          : ('lost_lease' as const);
      }
      const guardMessageId = decision.messageId!;
      if (!(await this.outbox.markSending(tx, row.id, owner, { channel, variant: rendered.variant, guardMessageId }))) return 'lost_lease' as const;
      // The message is on record from the moment it is cleared: a crash from here on leaves a
      // 'sending' row for the recovery to close, never a message nobody knows about.
      const messageId = channel === 'mail' ? undefined : await this.messages.begin(this.sender.newMessage(this.requestOf(row, campaign, facts, channel, rendered), channel), tx);
      return { guardMessageId, messageId };
    });
    if (typeof verdict === 'string') return verdict;
    const cleared = { ...row, channel, variant: rendered.variant, guardMessageId: verdict.guardMessageId };
    return this.deliverOrQueue({ row: cleared, campaign, facts, channel, rendered, messageId: verdict.messageId }, options, letters);
  }

  private async deliverOrQueue(p: Prepared, options: DispatchOptions, letters: Prepared[]): Promise<DispatchResult | 'printing'> {
    // After a crash the provider's answer may have been recorded but not the row's end: then it is done.
    if (p.row.details.recoveredAfterCrash) {
      const sent = await this.sentMessageOf(p.row, p.campaign.id);
      if (sent) return this.finishSent(p.row, options, sent);
    }
    if (p.channel !== 'mail') return this.deliver(p, options);
    letters.push(p);
    return 'printing';
  }

  /**
   * One print batch per campaign and occasion among the letters of this claim. The batch and a
   * 'sent' message per letter are recorded together by the direct-mail module; the rows follow.
   */
  private async print(letters: Prepared[], options: DispatchOptions): Promise<DispatchResult[]> {
    const groups = new Map<string, Prepared[]>();
    for (const letter of letters) {
      const key = `${letter.campaign.id}\u0000${letter.row.occasionKey}`;
      groups.set(key, [...(groups.get(key) ?? []), letter]);
    }
    const results: DispatchResult[] = [];
    for (const group of groups.values()) {
      const { campaign, row } = group[0];
      const bodies = new Map(group.map((l) => [l.row.contactId, l.rendered.text ?? '']));
      let batchId: string;
      try {
        const batch = await this.directMail.createBatch(
          {
            contactIds: group.map((l) => l.row.contactId),
            format: campaign.printOptions.format ?? 'a4',
            kind: campaign.printOptions.kind ?? 'letter',
            campaignId: campaign.id,
            occasionKey: row.occasionKey,
            templateKey: campaign.templateKey,
            asOf: options.now,
          },
          async (recipient) => bodies.get(recipient.contactId) ?? '',
        );
        batchId = batch.id;
      } catch (error) {
        const outcome = { status: 'transient' as const, error: error instanceof Error ? error.message : String(error) };
        for (const letter of group) results.push(await this.retryOrGiveUp(letter.row, campaign, options, outcome, null));
        continue;
      }
      const messages: Array<{ id: string; contact_id: string }> = await this.db.query(`SELECT id, contact_id FROM messages WHERE batch_id = $1`, [batchId]);
      const messageOf = new Map(messages.map((m) => [m.contact_id, m.id]));
      for (const letter of group) {
        const messageId = messageOf.get(letter.row.contactId);
        results.push(
          messageId
            ? await this.finishSent(letter.row, options, messageId, { batchId })
            : await this.giveUp(letter.row, options.owner, { status: 'permanent', error: 'left out of the print batch (see the batch for why)' }, null, 'failed'),
        );
      }
    }
    return results;
  }

  private async finishSent(row: ClaimedMessage, options: DispatchOptions, messageId: string, details: Record<string, unknown> = {}): Promise<DispatchResult> {
    const finished = await this.db.transaction((tx) =>
      this.outbox.finish(tx, row.id, options.owner, 'sent', { messageId, reason: 'delivered_to_provider', details: { ...details, worker: options.owner } }),
    );
    const guardMessageId = row.guardMessageId ?? (await this.guardMessageOf(row.id));
    if (finished && guardMessageId) await this.guard.markSent(guardMessageId, options.now);
    return finished ? 'sent' : 'lost_lease';
  }

  private async sentMessageOf(row: ClaimedMessage, campaignId: string): Promise<string | null> {
    const rows: Array<{ id: string }> = await this.db.query(
      `SELECT id FROM messages WHERE campaign_id = $1 AND contact_id = $2 AND occasion_key = $3 AND status_rank >= 2 AND status <> 'failed'
        ORDER BY created_at DESC LIMIT 1`,
      [campaignId, row.contactId, row.occasionKey],
    );
    return rows[0]?.id ?? null;
  }

  private async deliver(p: Prepared, options: DispatchOptions): Promise<DispatchResult> {
    await options.limiters[p.channel]?.take();
    const request = this.requestOf(p.row, p.campaign, p.facts, p.channel, p.rendered);
    if (!request.to) return this.giveUp(p.row, options.owner, { status: 'permanent', error: `no ${p.channel} address any more` }, null, 'failed');
    let finished = false;
    // The provider's "sent", the message record, the outbox row and the guard's claim are written
    // in one statement the moment the answer arrives: the smallest window the channel allows.
    const record = async (messageId: string, outcome: SendOutcome) => {
      if (outcome.status === 'sent') {
        finished = await this.outbox.completeSent({ outboxId: p.row.id, owner: options.owner, messageId, outcome, guardMessageId: p.row.guardMessageId, at: options.now });
      } else {
        await this.messages.recordOutcome(messageId, outcome);
      }
    };
    const send = p.channel === 'email' ? this.sender.sendEmail.bind(this.sender) : this.sender.sendSms.bind(this.sender);
    const { outcome, messageId } = await send({ ...request, messageId: p.messageId, idempotencyKey: p.row.guardMessageId, record });
    if (outcome.status === 'sent') return finished ? 'sent' : 'lost_lease';
    if (outcome.status === 'permanent') return this.giveUp(p.row, options.owner, outcome, messageId, 'failed');
    return this.retryOrGiveUp(p.row, p.campaign, options, outcome, messageId);
  }

  private requestOf(row: ClaimedMessage, campaign: CampaignDefinition, facts: RecipientFacts, channel: ChannelKind, rendered: RenderedContent) {
    return {
      to: (channel === 'email' ? facts.email : channel === 'sms' ? facts.phone : '') ?? '',
      toName: [facts.givenName, facts.familyName].filter(Boolean).join(' ') || null,
      contactId: row.contactId,
      campaignId: campaign.id,
      occasionKey: row.occasionKey,
      purpose: 'campaign' as const,
      rendered,
      headers: { 'X-Tidings-Campaign': campaign.id },
    };
  }

  private async retryOrGiveUp(
    row: ClaimedMessage,
    campaign: CampaignDefinition | undefined,
    options: DispatchOptions,
    outcome: Exclude<SendOutcome, { status: 'sent' }>,
    messageId: string | null,
  ): Promise<DispatchResult> {
    const maxAttempts = campaign?.maxAttempts ?? 5;
    if (row.attempts >= maxAttempts) return this.giveUp(row, options.owner, outcome, messageId, 'dead');
    const at = nextAttemptAt(options.now, row.attempts, options.retry ?? DEFAULT_RETRY_POLICY);
    const moved = await this.db.transaction((tx) =>
      this.outbox.reschedule(tx, row.id, options.owner, at, { reason: `retry:${outcome.status}`, error: describe(outcome), messageId }),
    );
    return moved ? 'retry' : 'lost_lease';
  }

  private async giveUp(
    row: ClaimedMessage,
    owner: string,
    outcome: Exclude<SendOutcome, { status: 'sent' }>,
    messageId: string | null,
    state: 'failed' | 'dead',
  ): Promise<DispatchResult> {
    const finished = await this.db.transaction((tx) =>
      this.outbox.finish(tx, row.id, owner, state, { reason: state === 'dead' ? 'attempts_exhausted' : `provider_${outcome.status}`, error: describe(outcome), messageId }),
    );
    const guardMessageId = row.guardMessageId ?? (await this.guardMessageOf(row.id));
    if (finished && guardMessageId) await this.guard.markFailed(guardMessageId, true);
    return finished ? state : 'lost_lease';
  }

  private async skip(row: ClaimedMessage, owner: string, reason: string, channel: ChannelKind | null, details: Record<string, unknown> = {}): Promise<DispatchResult> {
    const finished = await this.db.transaction((tx) => this.outbox.finish(tx, row.id, owner, 'skipped', { reason, channel, details }));
    return finished ? 'skipped' : 'lost_lease';
  }

  /**
   * A reminder computed from a prediction is only due while the prediction still says so: a
   * purchase in between moves the run-out date (and the new date makes its own reminder), so the
   * rice seller does not knock on the door of a household that just bought a sack.
   */
  private async supersededReason(row: ClaimedMessage): Promise<string | null> {
    if (row.details.kind !== 'replenishment') return null;
    const rows: Array<{ run_out_on: string }> = await this.db.query(
      `SELECT to_char(run_out_on, 'YYYY-MM-DD') AS run_out_on FROM replenishment_predictions WHERE contact_id = $1 AND product_key = $2`,
      [row.contactId, row.details.productKey],
    );
    return rows[0]?.run_out_on === row.details.runOutOn ? null : 'superseded';
  }

  private async guardMessageOf(outboxId: string): Promise<string | null> {
    const rows: Array<{ guard_message_id: string | null }> = await this.db.query(`SELECT guard_message_id FROM outbox_messages WHERE id = $1`, [outboxId]);
    return rows[0]?.guard_message_id ?? null;
  }
}

function describe(outcome: Exclude<SendOutcome, { status: 'sent' }>): string {
  return outcome.code ? `${outcome.code}: ${outcome.error}` : outcome.error;
}
