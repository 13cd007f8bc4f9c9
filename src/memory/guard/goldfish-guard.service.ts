import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { ApiError } from '../../common/errors/api-error';
import { ContactMessagesRepository, MessageFields, OccasionKey, occasionId, OccasionRow, SameContent } from './contact-messages.repository';
import { GuardDecisionsRepository } from './guard-decisions.repository';
import { GuardFactsRepository } from './guard-facts.repository';
import { assertValidRequest, resolvePolicy } from './guard-policy';
import { DroppedAsk, DueMessage, GuardDecision, GuardPolicy, GuardRequest, MessageState, SkipReason } from './guard.types';
import { AskFacts, askOnlySkipReason, judgeAsks } from './rules/asks';
import { judgeFrequencyCap } from './rules/frequency-cap';
import { nextAllowedInstant, parseQuietHours, zoneOrUtc } from './rules/quiet-hours';
import { ChannelFacts, ContactFacts, judgeReachability } from './rules/reachability';
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
    return (await this.evaluateManyIn(tx, [request]))[0];
  }

  /**
   * Decides a batch inside the caller's transaction, with a handful of statements for the whole
   * batch rather than a dozen per message: a worker's claimed batch is judged at once. The answer
   * for each request is exactly what deciding them one by one in this order would give: a contact
   * with several requests has them judged in rounds, each round seeing the claims of the last.
   */
  async evaluateManyIn(tx: EntityManager, requests: readonly GuardRequest[]): Promise<GuardDecision[]> {
    for (const request of requests) assertValidRequest(request);
    // Every contact of the batch is locked up front, in id order: two workers locking overlapping
    // batches round by round could otherwise each hold what the other's next round needs.
    const contacts = await this.facts.lockContacts(tx, [...new Set(requests.map((r) => r.contactId))]);
    const missing = requests.find((r) => !contacts.has(r.contactId));
    if (missing) throw ApiError.notFound('Contact', missing.contactId);
    const decisions = new Array<GuardDecision>(requests.length);
    for (const round of rounds(requests)) {
      const decided = await this.decideRound(tx, round.map((i) => requests[i]), contacts);
      round.forEach((index, j) => (decisions[index] = decided[j]));
    }
    return decisions;
  }

  /** One request per contact: every fact is read for the round at once, then each is judged, then written. */
  private async decideRound(tx: EntityManager, requests: readonly GuardRequest[], contacts: ReadonlyMap<string, ContactFacts>): Promise<GuardDecision[]> {
    const asked = requests.map((request) => ({ request, policy: resolvePolicy(request.policy), contact: contacts.get(request.contactId)!, key: keyOf(request) }));
    const daysBefore = (now: Date, days: number) => new Date(now.getTime() - days * DAY_MS);
    // One connection serves a transaction: the reads go one after another.
    const occasions = await this.messages.findOccasions(tx, asked.map((a) => a.key));
    const channels = await this.facts.channelFacts(tx, asked.map((a) => ({ contact: a.contact, channel: a.request.channel })));
    const sameContent = await this.messages.sameContent(
      tx,
      asked.filter((a) => a.request.fingerprint).map((a) => ({ contactId: a.contact.id, fingerprint: a.request.fingerprint!, since: daysBefore(a.request.now, a.policy.contentWindowDays) })),
    );
    const claimTimes = await this.messages.claimTimes(
      tx,
      asked.filter((a) => !a.request.careExempt).map((a) => ({ contactId: a.contact.id, channel: a.request.channel, since: daysBefore(a.request.now, a.policy.capWindowDays) })),
    );
    const quietHours = await this.facts.statedQuietHours(tx, asked.map((a) => a.contact.id));

    const plans: Plan[] = [];
    for (const a of asked) {
      const asks = a.request.asks ?? [];
      const askFacts = asks.length > 0 ? await this.facts.askFacts(tx, a.contact.id, asks, a.request.now) : undefined;
      plans.push(
        judge({
          ...a,
          occasion: occasions.get(occasionId(a.key)) ?? null,
          channel: channels.get(a.contact.id)!,
          askFacts,
          sameContent: sameContent.get(a.contact.id) ?? null,
          claimTimes: claimTimes.get(a.contact.id) ?? [],
          statedQuietHours: quietHours.get(a.contact.id) ?? null,
        }),
      );
    }

    const claimed = await this.messages.claim(tx, plans.flatMap((p) => (p.kind === 'claim' ? [{ key: p.key, fields: p.fields, at: p.at }] : [])));
    const deferred = await this.messages.defer(tx, plans.flatMap((p) => (p.kind === 'defer' ? [{ key: p.key, fields: p.fields, notBefore: p.outcome.deferUntil! }] : [])));
    const outcomes: Outcome[] = [];
    for (const plan of plans) {
      if (plan.kind === 'skip') {
        outcomes.push(await this.skipped(tx, plan));
        continue;
      }
      if (plan.kind === 'decided') {
        outcomes.push(plan.outcome);
        continue;
      }
      // The occasion was taken between our read and our write: someone else's message is on it.
      const messageId = (plan.kind === 'claim' ? claimed : deferred).get(occasionId(plan.key));
      outcomes.push(messageId ? { ...plan.outcome, messageId } : await this.skipped(tx, { kind: 'skip', key: plan.key, occasion: null, reason: 'duplicate_occasion', details: { lostRace: true }, dropAsks: [] }));
    }

    const ids = await this.decisions.record(
      tx,
      outcomes.map((outcome, i) => ({
        ...asked[i].key,
        channel: asked[i].request.channel,
        decision: outcome.decision,
        reason: outcome.reason,
        deferUntil: outcome.deferUntil,
        messageId: outcome.messageId,
        details: { ...outcome.details, ...(outcome.dropAsks.length > 0 ? { dropAsks: outcome.dropAsks } : {}) },
        decidedAt: asked[i].request.now,
      })),
    );
    return outcomes.map((outcome, i) => ({ ...outcome, decisionId: ids[i] }));
  }

  /**
   * A skip leaves the occasion open. A deferred message that is now refused is removed rather than
   * left to come due again and again; the skip decision records what happened to it.
   */
  private async skipped(tx: EntityManager, plan: Extract<Plan, { kind: 'skip' }>): Promise<Outcome> {
    let extra: Record<string, unknown> = {};
    if (plan.occasion?.state === 'deferred' && plan.reason !== 'duplicate_occasion' && (await this.messages.releaseDeferred(tx, plan.key))) {
      extra = { releasedDeferred: plan.occasion.id };
    }
    return { decision: 'skip', reason: plan.reason, deferUntil: null, messageId: plan.messageId ?? null, dropAsks: plan.dropAsks, details: { ...plan.details, ...extra } };
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

const DAY_MS = 86_400_000;

/** What judging one request decided, before the writes that carry it out. */
type Plan =
  | { kind: 'skip'; key: OccasionKey; occasion: OccasionRow | null; reason: SkipReason; details: Record<string, unknown>; dropAsks: DroppedAsk[]; messageId?: string }
  | { kind: 'decided'; outcome: Outcome }
  | { kind: 'claim' | 'defer'; key: OccasionKey; fields: MessageFields; at: Date; outcome: Outcome };

interface Judged {
  request: GuardRequest;
  policy: GuardPolicy;
  contact: ContactFacts;
  key: OccasionKey;
  occasion: OccasionRow | null;
  channel: ChannelFacts;
  askFacts: AskFacts | undefined;
  sameContent: SameContent | null;
  claimTimes: Date[];
  statedQuietHours: string | null;
}

/** The checks in the order the class comment gives; the first that refuses decides. Pure: the facts were read before. */
function judge(j: Judged): Plan {
  const { request, policy, contact, key, occasion } = j;
  const { now, channel } = request;
  const skip = (reason: SkipReason, details: Record<string, unknown>, dropAsks: DroppedAsk[] = [], messageId?: string): Plan => ({ kind: 'skip', key, occasion, reason, details, dropAsks, messageId });

  const refusal = judgeReachability(contact, channel, j.channel, policy.optInChannels);
  if (refusal) return skip(refusal.reason, refusal.details);

  if (occasion && occasion.state !== 'deferred') return skip('duplicate_occasion', { existingState: occasion.state }, [], occasion.id);
  if (occasion?.notBefore && occasion.notBefore > now) {
    return { kind: 'decided', outcome: { decision: 'defer', reason: 'not_yet_due', deferUntil: occasion.notBefore, messageId: occasion.id, dropAsks: [], details: {} } };
  }

  const asks = request.asks ?? [];
  const verdict = judgeAsks(asks, j.askFacts ?? { askable: new Set(), answered: new Set(), askedRecently: new Set() });
  const askOnlyReason = request.askOnly ? askOnlySkipReason(verdict) : null;
  if (askOnlyReason) return skip(askOnlyReason, {}, verdict.drop);

  if (request.fingerprint && j.sameContent) {
    return skip('duplicate_content', { sameAs: j.sameContent, contentWindowDays: policy.contentWindowDays }, verdict.drop);
  }
  if (!request.careExempt) {
    const cap = judgeFrequencyCap(now, j.claimTimes, policy.capPerWindow, policy.capWindowDays);
    if (!cap.allowed) {
      return skip('frequency_cap', { capPerWindow: policy.capPerWindow, capWindowDays: policy.capWindowDays, windowFreesAt: cap.freesAt }, verdict.drop);
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
  const stated = parseQuietHours(j.statedQuietHours);
  const zone = zoneOrUtc(contact.timeZone);
  const allowedAt = nextAllowedInstant(now, stated ?? parseQuietHours(policy.quietHours)!, zone);
  if (allowedAt > now) {
    // A deferred row keeps every question asked for: they are judged again when it comes due.
    const details = { quietHours: stated ? 'contact' : 'policy', timeZone: zone.name };
    return {
      kind: 'defer', key, fields: { ...fields, asks: [...new Set(asks)] }, at: now,
      outcome: { decision: 'defer', reason: 'quiet_hours', deferUntil: allowedAt, messageId: null, dropAsks: verdict.drop, details },
    };
  }
  return {
    kind: 'claim', key, fields, at: now,
    outcome: { decision: 'send', reason: 'clear', deferUntil: null, messageId: null, dropAsks: verdict.drop, details: occasion ? { wasDeferredUntil: occasion.notBefore } : {} },
  };
}

function keyOf(request: GuardRequest): OccasionKey {
  return { contactId: request.contactId, campaignId: request.campaignId, occasionKey: request.occasionKey };
}

/** Request indexes in rounds: a contact's first request in the first round, its second in the second… */
function rounds(requests: readonly GuardRequest[]): number[][] {
  const seen = new Map<string, number>();
  const result: number[][] = [];
  requests.forEach((request, index) => {
    const round = seen.get(request.contactId) ?? 0;
    seen.set(request.contactId, round + 1);
    (result[round] ??= []).push(index);
  });
  return result;
}

function notClaimed(messageId: string, state: MessageState): ApiError {
  return new ApiError(HttpStatus.CONFLICT, 'MESSAGE_NOT_CLAIMED', `Message ${messageId} is ${state}, not claimed.`);
}
