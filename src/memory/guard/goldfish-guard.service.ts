import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { ApiError } from '../../common/errors/api-error';
import { ContactMessagesRepository, MessageFields, OccasionKey, OccasionRow } from './contact-messages.repository';
import { GuardDecisionsRepository } from './guard-decisions.repository';
import { GuardFactsRepository } from './guard-facts.repository';
import { assertValidRequest, resolvePolicy } from './guard-policy';
import { DroppedAsk, DueMessage, GuardDecision, GuardPolicy, GuardRequest, MessageState, SkipReason } from './guard.types';
import { askOnlySkipReason, judgeAsks } from './rules/asks';
import { judgeFrequencyCap } from './rules/frequency-cap';
import { nextAllowedInstant, parseQuietHours, zoneOrUtc } from './rules/quiet-hours';
import { ContactFacts, judgeReachability } from './rules/reachability';
import { leastRecentVariant } from './rules/variant';

type Outcome = Omit<GuardDecision, 'decisionId'>;

/**
 * The goldfish guard: every outgoing message passes here and gets send, defer (until when) or skip
 * (why). The checks run in this order, and the first that refuses decides:
 *
 * 1. `erased`, `opted_out` / `no_consent`, `no_address`, `bounced` — facts about the person and the
 *    channel, true whatever the message; the law and deliverability come before anything else.
 * 2. `duplicate_occasion` (or `not_yet_due` for a deferral whose time has not come) — a replay is
 *    reported as a replay, not as the duplicate content or the cap it would also trip.
 * 3. `known_answer` / `asked_recently` — an ask-only message with nothing left to ask; otherwise
 *    the questions to drop are listed and the message goes on.
 * 4. `duplicate_content`, then `frequency_cap` — the cap last among refusals, so it is only reported
 *    for a message that would otherwise have gone (and counts only messages that really go).
 * 5. quiet hours — a deferral, never a refusal; it runs after every refusal so nothing is parked at
 *    night only to be refused in the morning (the morning re-submission runs all checks again).
 * 6. the claim — the last write, so a skip never consumes the occasion.
 *
 * Decisions about one contact are serialised by a lock on the contact row (exact caps and content
 * windows); the occasion itself is protected by the primary key, not by that lock.
 */
@Injectable()
export class GoldfishGuard {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly facts: GuardFactsRepository,
    private readonly messages: ContactMessagesRepository,
    private readonly decisions: GuardDecisionsRepository,
  ) {}

  /** Decides in a transaction of its own. */
  async evaluate(request: GuardRequest): Promise<GuardDecision> {
    assertValidRequest(request);
    return this.db.transaction((tx) => this.evaluateIn(tx, request));
  }

  /**
   * Decides inside the caller's transaction (e.g. with the outbox write): if it rolls back, the
   * decision and the claim vanish together and the occasion is still open.
   */
  async evaluateIn(tx: EntityManager, request: GuardRequest): Promise<GuardDecision> {
    assertValidRequest(request);
    const policy = resolvePolicy(request.policy);
    const contact = await this.facts.lockContact(tx, request.contactId);
    if (!contact) throw ApiError.notFound('Contact', request.contactId);
    const key: OccasionKey = { contactId: contact.id, campaignId: request.campaignId, occasionKey: request.occasionKey };
    const occasion = await this.messages.findOccasion(tx, key);
    const outcome = await this.judge(tx, request, policy, contact, key, occasion);
    const decisionId = await this.decisions.record(tx, {
      ...key,
      channel: request.channel,
      decision: outcome.decision,
      reason: outcome.reason,
      deferUntil: outcome.deferUntil,
      messageId: outcome.messageId,
      details: { ...outcome.details, ...(outcome.dropAsks.length > 0 ? { dropAsks: outcome.dropAsks } : {}) },
      decidedAt: request.now,
    });
    return { ...outcome, decisionId };
  }

  private async judge(tx: EntityManager, request: GuardRequest, policy: GuardPolicy, contact: ContactFacts, key: OccasionKey, occasion: OccasionRow | null): Promise<Outcome> {
    const { now, channel } = request;
    const refusal = judgeReachability(contact, channel, await this.facts.channelFacts(tx, contact, channel), policy.optInChannels);
    if (refusal) return this.skip(tx, key, occasion, refusal.reason, refusal.details);

    if (occasion && occasion.state !== 'deferred') {
      return this.skip(tx, key, occasion, 'duplicate_occasion', { existingState: occasion.state }, [], occasion.id);
    }
    if (occasion?.notBefore && occasion.notBefore > now) {
      return { decision: 'defer', reason: 'not_yet_due', deferUntil: occasion.notBefore, messageId: occasion.id, dropAsks: [], details: {} };
    }

    const asks = request.asks ?? [];
    const verdict = judgeAsks(asks, await this.facts.askFacts(tx, contact.id, asks, now));
    const askOnlyReason = request.askOnly ? askOnlySkipReason(verdict) : null;
    if (askOnlyReason) return this.skip(tx, key, occasion, askOnlyReason, {}, verdict.drop);

    if (request.fingerprint) {
      const same = await this.messages.sameContent(tx, contact.id, request.fingerprint, now, policy.contentWindowDays);
      if (same) return this.skip(tx, key, occasion, 'duplicate_content', { sameAs: same, contentWindowDays: policy.contentWindowDays }, verdict.drop);
    }
    if (!request.careExempt) {
      const claimed = await this.messages.claimTimes(tx, contact.id, channel, now, policy.capWindowDays);
      const cap = judgeFrequencyCap(now, claimed, policy.capPerWindow, policy.capWindowDays);
      if (!cap.allowed) {
        const details = { capPerWindow: policy.capPerWindow, capWindowDays: policy.capWindowDays, windowFreesAt: cap.freesAt };
        return this.skip(tx, key, occasion, 'frequency_cap', details, verdict.drop);
      }
    }

    const fields: MessageFields = {
      channel,
      templateKey: request.templateKey ?? null,
      variant: request.variant ?? null,
      fingerprint: request.fingerprint ?? null,
      asks: verdict.keep,
      careExempt: request.careExempt === true,
    };
    const stated = parseQuietHours(await this.facts.statedQuietHours(tx, contact.id));
    const zone = zoneOrUtc(contact.timeZone);
    const allowedAt = nextAllowedInstant(now, stated ?? parseQuietHours(policy.quietHours)!, zone);
    if (allowedAt > now) {
      // A deferred row keeps every question asked for: they are judged again when it comes due.
      const messageId = await this.messages.defer(tx, key, { ...fields, asks: [...new Set(asks)] }, allowedAt);
      if (!messageId) return this.skip(tx, key, occasion, 'duplicate_occasion', { lostRace: true });
      const details = { quietHours: stated ? 'contact' : 'policy', timeZone: zone.name };
      return { decision: 'defer', reason: 'quiet_hours', deferUntil: allowedAt, messageId, dropAsks: verdict.drop, details };
    }

    const messageId = await this.messages.claim(tx, key, fields, now);
    if (!messageId) return this.skip(tx, key, occasion, 'duplicate_occasion', { lostRace: true });
    return { decision: 'send', reason: 'clear', deferUntil: null, messageId, dropAsks: verdict.drop, details: occasion ? { wasDeferredUntil: occasion.notBefore } : {} };
  }

  /**
   * A skip leaves the occasion open. A deferred message that is now refused is removed rather than
   * left to come due again and again; the skip decision records what happened to it.
   */
  private async skip(tx: EntityManager, key: OccasionKey, occasion: OccasionRow | null, reason: SkipReason, details: Record<string, unknown>, dropAsks: DroppedAsk[] = [], messageId: string | null = null): Promise<Outcome> {
    let extra: Record<string, unknown> = {};
    if (occasion?.state === 'deferred' && reason !== 'duplicate_occasion' && (await this.messages.releaseDeferred(tx, key))) {
      extra = { releasedDeferred: occasion.id };
    }
    return { decision: 'skip', reason, deferUntil: null, messageId: messageId ?? null, dropAsks, details: { ...details, ...extra } };
  }

  /** The sender delivered the claimed message. Repeating it is harmless (delivery reports arrive twice). */
  markSent(messageId: string, at: Date = new Date()): Promise<{ messageId: string; state: MessageState }> {
    return this.db.transaction(async (tx) => {
      const state = await this.lockedState(tx, messageId);
      if (state === 'sent') return { messageId, state };
      if (state !== 'claimed') throw notClaimed(messageId, state);
      await this.messages.markSent(tx, messageId, at);
      return { messageId, state: 'sent' as const };
    });
  }

  /**
   * The sender could not deliver. Permanent: the message is 'failed' and the occasion stays closed
   * (no second message for it, but it no longer counts towards the cap or the content window).
   * Transient: nothing reopens — the claim stands so the delivery layer retries this same message
   * under its retry policy and reports markSent or, when it gives up, a permanent failure. Reopening
   * would let a second, separately decided message through after a failure that was only
   * "transient" from our side (a timeout after the provider accepted), the two-cards failure.
   */
  markFailed(messageId: string, permanent: boolean): Promise<{ messageId: string; state: MessageState }> {
    return this.db.transaction(async (tx) => {
      const state = await this.lockedState(tx, messageId);
      if (permanent && state === 'failed') return { messageId, state };
      if (state !== 'claimed') throw notClaimed(messageId, state);
      if (!permanent) return { messageId, state };
      await this.messages.markFailed(tx, messageId);
      return { messageId, state: 'failed' as const };
    });
  }

  /** The variant of the template this contact saw least recently (never seen first, ties in the given order). */
  async pickVariant(contactId: string, templateKey: string, variants: string[]): Promise<string> {
    const distinct = [...new Set(variants)];
    if (distinct.length === 0) throw ApiError.validation([{ field: 'variants', problem: 'must list at least one variant' }]);
    const lastSeen = await this.messages.variantsLastSeen(this.db.manager, contactId, templateKey, distinct);
    return leastRecentVariant(distinct, lastSeen);
  }

  /** Deferred messages whose time has come, oldest first, for the scheduler to submit again. */
  async dueDeferred(now: Date, limit = 100): Promise<DueMessage[]> {
    return this.messages.due(this.db.manager, now, Math.max(1, Math.min(limit, 10_000)));
  }

  private async lockedState(tx: EntityManager, messageId: string): Promise<MessageState> {
    const state = await this.messages.lockState(tx, messageId);
    if (state === null) throw ApiError.notFound('Message', messageId);
    return state;
  }
}

function notClaimed(messageId: string, state: MessageState): ApiError {
  return new ApiError(HttpStatus.CONFLICT, 'MESSAGE_NOT_CLAIMED', `Message ${messageId} is ${state}, not claimed.`);
}
