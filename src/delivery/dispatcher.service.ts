import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { setImmediate as pauseForIo } from 'node:timers/promises';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { CampaignDefinition } from '../campaigns/campaign.types';
import type { ChannelKind, SendOutcome } from '../channels/channel.types';
import { DirectMailService } from '../channels/direct-mail/direct-mail.service';
import { MessagesService } from '../channels/messages/messages.service';
import { OutboundSender } from '../channels/outbound/outbound-sender';
import { GoldfishGuard } from '../memory/guard/goldfish-guard.service';
import type { GuardRequest } from '../memory/guard/guard.types';
import { RenderContext, RenderContextService } from '../memory/render-context/render-context.service';
import type { RenderedContent } from '../templates/templates.service';
import { MessagePreparer } from './message-preparer';
import { ClaimedMessage, OutboxRepository } from './outbox.repository';
import { RateLimiter } from './rate-limiter';
import { RecipientFacts, RecipientFactsRepository } from './recipient-facts.repository';
import { nextAttemptAt, RetryPolicy, DEFAULT_RETRY_POLICY } from './retry-policy';

/** Longest stretch of preparing (rendering) before the I/O of messages in flight gets its turn. */
const PAUSE_EVERY_MS = 2;

export type DispatchResult = 'sent' | 'failed' | 'dead' | 'retry' | 'skipped' | 'deferred' | 'lost_lease';

export interface DispatchOptions {
  owner: string;
  now: Date;
  concurrency: number;
  limiters: Partial<Record<ChannelKind, RateLimiter>>;
  retry?: RetryPolicy;
}

/** A new row ready for the guard: the prepared message and the question put to the guard. */
interface Judged {
  prepared: Prepared;
  guardRequest: GuardRequest;
}

interface Prepared {
  row: ClaimedMessage;
  campaign: CampaignDefinition;
  facts: RecipientFacts;
  channel: ChannelKind;
  rendered: RenderedContent;
  /** Signed once for the body, used again for the List-Unsubscribe header (e-mail only). */
  unsubscribeUrl: string | null;
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

  /**
   * A claimed batch in three steps: prepare each new row (channel, variant, render), let the guard
   * judge them all in one transaction that also moves the cleared rows to 'sending' and records their
   * messages, then send with `concurrency` hand-overs in flight. Rows the guard cleared before (a
   * retry, a crash recovery) skip the guard and go straight to sending.
   */
  async dispatch(rows: ClaimedMessage[], campaigns: Map<string, CampaignDefinition>, options: DispatchOptions): Promise<Record<DispatchResult, number>> {
    const tally: Record<DispatchResult, number> = { sent: 0, failed: 0, dead: 0, retry: 0, skipped: 0, deferred: 0, lost_lease: 0 };
    if (rows.length === 0) return tally;
    const contactIds = rows.map((r) => r.contactId);
    const [facts, contexts] = await Promise.all([this.recipients.load(contactIds), this.contexts.buildMany(contactIds)]);
    const count = (result: DispatchResult | 'printing') => {
      if (result !== 'printing') tally[result]++;
    };
    // A bug or an outage on our side (database, template) is a transient failure of the row, never
    // a reason to stop the batch or to lose the row.
    const failed = async (row: ClaimedMessage, error: unknown) => {
      this.logger.error(`outbox row ${row.id}: ${error instanceof Error ? error.stack : String(error)}`);
      return this.retryOrGiveUp(row, campaigns.get(row.campaignId), options, { status: 'transient', error: error instanceof Error ? error.message : String(error) }, null);
    };

    const toSend: Array<() => Promise<DispatchResult | 'printing'>> = [];
    const toJudge: Judged[] = [];
    // Printed letters wait for the rest of the batch: one print file per occasion, not one per card.
    const letters: Prepared[] = [];
    // Rendering a batch awaits nothing but settled promises, so without a pause it would hold the
    // event loop for the whole batch while the other loop's connections to the provider sit idle.
    let lastPause = performance.now();
    for (const row of rows) {
      if (performance.now() - lastPause >= PAUSE_EVERY_MS) {
        await pauseForIo();
        lastPause = performance.now();
      }
      const campaign = campaigns.get(row.campaignId);
      try {
        if (!campaign) count('lost_lease');
        else if (row.guardMessageId && row.channel) toSend.push(() => this.resume(row, campaign, facts.get(row.contactId), contexts.get(row.contactId), options, letters));
        else {
          const judged = await this.prepare(row, campaign, facts.get(row.contactId), contexts.get(row.contactId), options);
          if ('result' in judged) count(judged.result);
          else toJudge.push(judged);
        }
      } catch (error) {
        count(await failed(row, error));
      }
    }

    try {
      for (const cleared of await this.judge(toJudge, options, count)) toSend.push(() => this.deliverOrQueue(cleared, options, letters));
    } catch (error) {
      for (const { prepared } of toJudge) count(await failed(prepared.row, error));
    }

    let next = 0;
    const sender = async () => {
      while (next < toSend.length) {
        const index = next++;
        try {
          count(await toSend[index]());
        } catch (error) {
          this.logger.error(`delivery failed unexpectedly: ${error instanceof Error ? error.stack : String(error)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, toSend.length)) }, sender));
    for (const result of await this.print(letters, options)) count(result);
    return tally;
  }

  /** A retry or a crash recovery: the guard cleared this message before; asking again would answer "duplicate occasion" about its own claim. */
  private async resume(
    row: ClaimedMessage,
    campaign: CampaignDefinition,
    facts: RecipientFacts | undefined,
    context: RenderContext | undefined,
    options: DispatchOptions,
    letters: Prepared[],
  ): Promise<DispatchResult | 'printing'> {
    try {
      if (!facts || !context) return await this.skip(row, options.owner, 'erased', row.channel);
      const { rendered, unsubscribeUrl } = await this.preparer.render(campaign, row.channel!, row.variant, context, row, options.now);
      if (!(await this.outbox.resumeSending(row.id, options.owner))) return 'lost_lease';
      // After a crash the message's record is still open: the resend completes it rather than adding a second.
      const messageId = row.channel === 'mail' ? null : await this.outbox.openMessage(row.messageId);
      return await this.deliverOrQueue({ row, campaign, facts, channel: row.channel!, rendered, unsubscribeUrl, ...(messageId ? { messageId } : {}) }, options, letters);
    } catch (error) {
      this.logger.error(`outbox row ${row.id}: ${error instanceof Error ? error.stack : String(error)}`);
      return this.retryOrGiveUp(row, campaign, options, { status: 'transient', error: error instanceof Error ? error.message : String(error) }, null);
    }
  }

  /** Everything before the guard: a superseded reminder or a recipient without a way to reach them ends here. */
  private async prepare(
    row: ClaimedMessage,
    campaign: CampaignDefinition,
    facts: RecipientFacts | undefined,
    context: RenderContext | undefined,
    options: DispatchOptions,
  ): Promise<Judged | { result: DispatchResult }> {
    const superseded = await this.supersededReason(row);
    if (superseded) return { result: await this.skip(row, options.owner, superseded, null, { occasion: row.details }) };
    const prepared = await this.preparer.prepare(row, campaign, facts, context, options.now);
    if (!prepared.ready || !facts) {
      return { result: await this.skip(row, options.owner, prepared.ready ? 'erased' : prepared.reason, null, prepared.ready ? {} : prepared.details) };
    }
    const { channel, rendered, unsubscribeUrl, guardRequest } = prepared;
    return { prepared: { row, campaign, facts, channel, rendered, unsubscribeUrl }, guardRequest };
  }

  /**
   * The guard's verdicts for the batch, in one transaction with their consequences: skipped and
   * deferred rows leave the lease, cleared rows move to 'sending' with their message on record — a
   * crash from here on leaves a 'sending' row for the recovery to close, never a message nobody knows about.
   */
  private async judge(judged: Judged[], options: DispatchOptions, count: (result: DispatchResult) => void): Promise<Prepared[]> {
    if (judged.length === 0) return [];
    const { owner, now } = options;
    const { results, cleared } = await this.db.transaction(async (tx) => {
      const decisions = await this.guard.evaluateManyIn(tx, judged.map((j) => j.guardRequest));
      const results: DispatchResult[] = [];
      const sending: Prepared[] = [];
      for (const [i, decision] of decisions.entries()) {
        const { row, channel } = judged[i].prepared;
        if (decision.decision === 'skip') {
          const finished = await this.outbox.finish(tx, row.id, owner, 'skipped', { reason: decision.reason, channel, details: { guardDecisionId: decision.decisionId } });
          results.push(finished ? 'skipped' : 'lost_lease');
        } else if (decision.decision === 'defer') {
          await this.outbox.refundAttempt(tx, row.id);
          const moved = await this.outbox.reschedule(tx, row.id, owner, decision.deferUntil ?? now, { reason: `deferred:${decision.reason}`, channel });
          results.push(moved ? 'deferred' : 'lost_lease');
        } else {
          const p = judged[i].prepared;
          sending.push({ ...p, row: { ...row, channel, variant: p.rendered.variant, guardMessageId: decision.messageId! } });
        }
      }
      // Print batches record their own messages; e-mail and SMS get theirs now, noted on the outbox row.
      for (const p of sending) if (p.channel !== 'mail') p.messageId = randomUUID();
      const moved = await this.outbox.markSending(
        tx,
        owner,
        sending.map((p) => ({ id: p.row.id, channel: p.channel, variant: p.row.variant, guardMessageId: p.row.guardMessageId!, messageId: p.messageId ?? null })),
      );
      const cleared = sending.filter((p) => moved.has(p.row.id));
      results.push(...sending.filter((p) => !moved.has(p.row.id)).map(() => 'lost_lease' as const));
      const recorded = cleared.filter((p) => p.messageId);
      await this.messages.beginMany(
        recorded.map((p) => ({ ...this.sender.newMessage(this.requestOf(p.row, p.campaign, p.facts, p.channel, p.rendered), p.channel as 'email' | 'sms'), id: p.messageId })),
        tx,
      );
      return { results, cleared };
    });
    results.forEach(count);
    return cleared;
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
    const request = { ...this.requestOf(p.row, p.campaign, p.facts, p.channel, p.rendered), unsubscribeUrl: p.unsubscribeUrl };
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
