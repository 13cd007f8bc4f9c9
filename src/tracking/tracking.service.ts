import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { Actor } from '../auth/actor';
import { SignedTokens } from '../common/signed-tokens';
import { InteractionHooks } from '../memory/interactions/interaction-hooks';
import { toInteractionRecord } from '../memory/interactions/interaction-rules';
import { InteractionsRepository } from '../memory/interactions/interactions.repository';
import { classifyHit, TrackingHitKind } from './bot-signals';
import { expandUuid } from './compact-uuid';
import { TrackedMessage, TrackingRepository } from './tracking.repository';

/** What the request looked like; nothing else about the visitor is kept. */
export interface HitRequest {
  method: string;
  userAgent: string | undefined;
}

export type ClickResult = { kind: 'redirect'; url: string } | { kind: 'not_found' } | { kind: 'expired' };

/** Who records opens and clicks in the memory and the audit log. */
const TRACKING_ACTOR: Actor = { keyId: null, label: 'tracking', role: 'system' };
const LINK_ID = /^[A-Za-z0-9_-]{16}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Enough of a user agent to see later why a hit was judged a machine. */
const USER_AGENT_KEPT = 200;

/**
 * Opens and clicks arriving through the public tracking routes. A token is checked before anything
 * is read; a click redirects only to the URL stored for the link its token names, on the message
 * its token names, sent to the contact its token names — otherwise nothing is recorded and the
 * answer is "not found". Each hit becomes a message_events row; a person's first open of a message
 * and first click of each link also become an interaction in the customer's memory.
 */
@Injectable()
export class TrackingService {
  private readonly logger = new Logger(TrackingService.name);
  private readonly interactions = new InteractionsRepository();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly tokens: SignedTokens,
    private readonly repository: TrackingRepository,
    private readonly hooks: InteractionHooks,
    private readonly audit: AuditService,
  ) {}

  async click(token: string, request: HitRequest, now = new Date()): Promise<ClickResult> {
    const target = this.read(token, 'click', now);
    if (target.kind !== 'ok') return target;
    const message = await this.repository.messageFor(target.messageId, target.contactId, target.linkId);
    if (!message || message.url === null) return { kind: 'not_found' };
    await this.recordSafely('click', message, target.contactId, target.linkId, request, now);
    return { kind: 'redirect', url: message.url };
  }

  /** Records an open if the token is good; the caller answers with the pixel either way. */
  async open(token: string, request: HitRequest, now = new Date()): Promise<void> {
    const target = this.read(token, 'open', now);
    if (target.kind !== 'ok') return;
    const message = await this.repository.messageFor(target.messageId, target.contactId, null);
    if (!message) return;
    await this.recordSafely('open', message, target.contactId, null, request, now);
  }

  /** Opens and clicks of one campaign, people and machines apart. */
  campaignCounts(campaignId: string) {
    return this.repository.campaignCounts(campaignId);
  }

  /** The token's contact, message and link, checked for signature, purpose, expiry and shape. */
  private read(token: string, kind: TrackingHitKind, now: Date): { kind: 'ok'; contactId: string; messageId: string; linkId: string | null } | { kind: 'not_found' } | { kind: 'expired' } {
    const check = this.tokens.verify(token, 'tracking', now);
    if (!check.ok) return { kind: check.reason === 'expired' ? 'expired' : 'not_found' };
    const { contactId, data } = check.claims;
    const messageId = expandUuid(data?.m ?? '');
    const linkId = data?.l ?? null;
    // A click token names a link, an open token does not: neither works in the other's place.
    if (messageId === null || !UUID.test(contactId)) return { kind: 'not_found' };
    if ((kind === 'click') !== (linkId !== null) || (linkId !== null && !LINK_ID.test(linkId))) return { kind: 'not_found' };
    return { kind: 'ok', contactId, messageId, linkId };
  }

  /** The visitor gets the redirect or the pixel even if the record cannot be written. */
  private async recordSafely(kind: TrackingHitKind, message: TrackedMessage, contactId: string, linkId: string | null, request: HitRequest, now: Date): Promise<void> {
    try {
      await this.record(kind, message, contactId, linkId, request, now);
    } catch (error) {
      this.logger.error(`Could not record a ${kind} of message ${message.id}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private async record(kind: TrackingHitKind, message: TrackedMessage, contactId: string, linkId: string | null, request: HitRequest, now: Date): Promise<void> {
    // Someone erased or deleted has left the memory for good: the link still works, nothing is kept.
    if (!message.contactLive) return;
    const verdict = classifyHit({ kind, method: request.method, userAgent: request.userAgent, sentAt: message.sentAt ? new Date(message.sentAt) : null, now });
    const status = kind === 'open' ? 'opened' : 'clicked';
    const payload = (unique: boolean) => ({
      source: 'tracking',
      ...(linkId ? { linkId } : {}),
      unique,
      bot: verdict.bot,
      ...(verdict.bot ? { botReason: verdict.reason } : {}),
      ...(request.userAgent ? { userAgent: request.userAgent.slice(0, USER_AGENT_KEPT) } : {}),
    });
    if (verdict.bot) {
      await this.repository.insertEvent(this.db.manager, { messageId: message.id, status, movesToRead: false, occurredAt: now, payload: payload(false) });
      return;
    }
    await this.db.transaction(async (tx) => {
      if (!(await this.repository.lockLiveContact(tx, contactId))) return;
      const unique = await this.remember(tx, kind, message, contactId, linkId, now);
      await this.repository.insertEvent(tx, { messageId: message.id, status, movesToRead: true, occurredAt: now, payload: payload(unique) });
    });
  }

  /**
   * A person's first open of a message, or first click of one link in it, as an interaction; the
   * event id makes it once only, even for two hits at the same instant. True when this hit was first.
   */
  private async remember(tx: EntityManager, kind: TrackingHitKind, message: TrackedMessage, contactId: string, linkId: string | null, now: Date): Promise<boolean> {
    const { record, problems } = toInteractionRecord(
      {
        eventId: kind === 'open' ? `tracking:open:${message.id}` : `tracking:click:${message.id}:${linkId}`,
        kind: kind === 'open' ? 'message_opened' : 'message_clicked',
        channel: 'email',
        messageId: message.id,
        occurredAt: now.toISOString(),
        details: {
          source: 'tracking',
          ...(message.campaignId ? { campaignId: message.campaignId } : {}),
          ...(kind === 'click' ? { linkId, url: message.url } : {}),
        },
      },
      contactId,
      now.getTime(),
    );
    if (problems.length > 0) throw new Error(`Tracking interaction is not valid: ${problems.map((p) => p.problem).join('; ')}`);
    const [inserted] = await this.interactions.insertNew(tx, [record], TRACKING_ACTOR.label);
    if (!inserted) return false;
    await this.hooks.run(tx, [contactId]);
    await this.audit.record(tx, TRACKING_ACTOR, 'interaction.record', 'contact', contactId, { interactionId: inserted.id, kind: record.kind, eventId: record.eventId });
    return true;
  }
}
