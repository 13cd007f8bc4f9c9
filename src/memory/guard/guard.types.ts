import type { ConsentChannel } from '../../contacts/consent-event.entity';

export type GuardChannel = ConsentChannel;

/** What the guard tells the sender. `defer` always carries the instant to try again. */
export type GuardVerdict = 'send' | 'defer' | 'skip';

/**
 * Every machine-readable reason a decision can carry, in the order the checks run
 * (see GoldfishGuard for why that order).
 */
export const SKIP_REASONS = [
  'erased',
  'no_consent',
  'opted_out',
  'unsubscribed',
  'no_address',
  'bounced',
  'duplicate_occasion',
  'known_answer',
  'asked_recently',
  'duplicate_content',
  'frequency_cap',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** The consent source of a revocation made through a message's unsubscribe link: its skips say `unsubscribed`. */
export const UNSUBSCRIBE_CONSENT_SOURCE = 'unsubscribe';

/** `quiet_hours`: the contact's local night; `not_yet_due`: an earlier deferral has not come due. */
export type DeferReason = 'quiet_hours' | 'not_yet_due';
export type SendReason = 'clear';
export type GuardReason = SkipReason | DeferReason | SendReason;

/** Why a question is left out of a message. */
export type DropAskReason = 'known_answer' | 'asked_recently' | 'unknown_key';

export interface DroppedAsk {
  key: string;
  reason: DropAskReason;
}

export interface GuardPolicy {
  /** At most this many messages per contact and channel within `capWindowDays` (care-exempt ones excepted). */
  capPerWindow: number;
  capWindowDays: number;
  /** The same content (fingerprint) never reaches a contact twice within this many days. */
  contentWindowDays: number;
  /** Local hours without messages when the contact stated none, `HH:MM-HH:MM`, may cross midnight. */
  quietHours: string;
  /** Channels that need a recorded grant; on the others only a revocation stops a message. */
  optInChannels: GuardChannel[];
}

export interface GuardRequest {
  contactId: string;
  campaignId: string;
  /** What makes this message unique for the contact within the campaign, e.g. `birthday:2027`. */
  occasionKey: string;
  channel: GuardChannel;
  /** The instant of the decision; everything time-related is measured from it, never from the clock. */
  now: Date;
  templateKey?: string;
  variant?: string;
  /** `contentFingerprint(rendered)`: sha-256 hex of the message with whitespace normalised. */
  fingerprint?: string;
  /** Preference keys the message asks about. */
  asks?: string[];
  /** The message exists only to ask: when every question is dropped, nothing is sent. */
  askOnly?: boolean;
  /** A care message the campaign exempts from the frequency cap (it still counts towards it). */
  careExempt?: boolean;
  policy?: Partial<GuardPolicy>;
}

export interface GuardDecision {
  decision: GuardVerdict;
  reason: GuardReason;
  /** Set for `defer`: when to submit the message again (`dueDeferred` lists it from then on). */
  deferUntil: Date | null;
  /** The contact_messages row: the claimed message for `send`, the waiting one for `defer`. */
  messageId: string | null;
  /** Questions the renderer must leave out. */
  dropAsks: DroppedAsk[];
  details: Record<string, unknown>;
  /** The guard_decisions row that records this decision. */
  decisionId: string;
}

/** A deferred message whose time has come, with what the scheduler needs to submit it again. */
export interface DueMessage {
  messageId: string;
  contactId: string;
  campaignId: string;
  occasionKey: string;
  channel: GuardChannel;
  notBefore: Date;
  templateKey: string | null;
  variant: string | null;
  fingerprint: string | null;
  asks: string[];
  careExempt: boolean;
}

export type MessageState = 'deferred' | 'claimed' | 'sent' | 'failed';
