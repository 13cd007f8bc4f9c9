import { ErrorDetail } from '../../common/errors/api-error';
import type { InteractionInputDto } from './dto/interaction-input.dto';

export const INTERACTION_KINDS = [
  'purchase', 'service_visit', 'complaint', 'call', 'note', 'open_topic',
  'message_sent', 'message_delivered', 'message_opened', 'message_clicked', 'message_replied', 'message_bounced',
] as const;
export type InteractionKind = (typeof INTERACTION_KINDS)[number];

export const CHANNELS = ['email', 'sms', 'mail', 'phone', 'in_person', 'web', 'app', 'chat'] as const;
/** The channels we send messages on; message_* events must name one. */
const MESSAGE_CHANNELS: readonly string[] = ['email', 'sms', 'mail'];

export const MAX_BATCH = 1000;
/** How far ahead of our clock an occurredAt may be before it is a mistake rather than skew. */
const CLOCK_SKEW_MS = 5 * 60_000;
const EARLIEST = Date.UTC(1970, 0, 1);

const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));
const WITH_AMOUNT: ReadonlySet<InteractionKind> = new Set(['purchase', 'service_visit']);
const NEEDS_SUMMARY: ReadonlySet<InteractionKind> = new Set(['open_topic', 'note', 'complaint']);

export function isMessageKind(kind: InteractionKind): boolean {
  return kind.startsWith('message_');
}

export interface PurchaseLineRecord {
  lineNo: number;
  productKey: string;
  name: string | null;
  quantity: number;
  unit: string | null;
  unitPrice: number | null;
}

/** An interaction ready to store: defaults applied, amounts computed. */
export interface InteractionRecord {
  contactId: string;
  eventId: string;
  kind: InteractionKind;
  occurredAt: Date;
  /** False when the client left occurredAt out: a replay then matches whatever time was stored. */
  occurredAtGiven: boolean;
  channel: string | null;
  amount: number | null;
  currency: string | null;
  summary: string | null;
  details: Record<string, unknown>;
  messageId: string | null;
  items: PurchaseLineRecord[];
}

/** The kind-dependent rules the DTO cannot express. Field names start with `at` (e.g. `items[3]`). */
export function toInteractionRecord(
  input: InteractionInputDto,
  contactId: string,
  now: number,
  at = '',
): { record: InteractionRecord; problems: ErrorDetail[] } {
  const field = (name: string) => (at ? `${at}.${name}` : name);
  const problems: ErrorDetail[] = [];
  const problem = (name: string, text: string) => problems.push({ field: field(name), problem: `${field(name)} ${text}` });
  const kind = input.kind;
  const occurredAt = input.occurredAt ? new Date(input.occurredAt) : new Date(now);
  if (occurredAt.getTime() > now + CLOCK_SKEW_MS) problem('occurredAt', 'must not be in the future');
  if (occurredAt.getTime() < EARLIEST) problem('occurredAt', 'must not be before 1970');

  const lines = input.items ?? [];
  if (kind === 'purchase') {
    if (lines.length === 0 && input.amount === undefined) problem('items', 'or amount is required for a purchase');
  } else if (lines.length > 0) {
    problem('items', 'is only for purchases');
  }
  if (!WITH_AMOUNT.has(kind) && input.amount !== undefined) problem('amount', 'is only for purchases and service visits');
  const priced = input.amount !== undefined || lines.some((l) => l.unitPrice !== undefined);
  if (input.currency !== undefined && !CURRENCIES.has(input.currency)) problem('currency', 'must be an ISO 4217 code such as CNY, EUR or USD');
  if (priced && input.currency === undefined) problem('currency', 'is required with an amount or unit prices');
  if (!priced && input.currency !== undefined) problem('currency', 'is only given with an amount or unit prices');

  if (isMessageKind(kind)) {
    if (!input.channel || !MESSAGE_CHANNELS.includes(input.channel)) problem('channel', `must be one of ${MESSAGE_CHANNELS.join(', ')} for ${kind}`);
    if (!input.messageId) problem('messageId', `is required for ${kind}`);
  } else if (input.messageId !== undefined) {
    problem('messageId', 'is only for message_* events');
  }
  if (NEEDS_SUMMARY.has(kind) && !input.summary?.trim()) {
    problem('summary', kind === 'open_topic' ? 'is required: it is the topic to raise next time' : `is required for a ${kind}`);
  }

  const record: InteractionRecord = {
    contactId,
    eventId: input.eventId,
    kind,
    occurredAt,
    occurredAtGiven: input.occurredAt !== undefined,
    channel: input.channel ?? null,
    amount: input.amount ?? (kind === 'purchase' ? sumOfLines(lines) : null),
    currency: input.currency ?? null,
    summary: input.summary ?? null,
    details: input.details ?? {},
    messageId: input.messageId ?? null,
    items: lines.map((l, i) => ({
      lineNo: i + 1,
      productKey: l.productKey,
      name: l.name ?? null,
      quantity: l.quantity,
      unit: l.unit ?? null,
      unitPrice: l.unitPrice ?? null,
    })),
  };
  return { record, problems };
}

/** The total of priced lines in exact integer arithmetic (cents × thousandths), or null if any line has no price. */
function sumOfLines(lines: NonNullable<InteractionInputDto['items']>): number | null {
  if (lines.length === 0 || lines.some((l) => l.unitPrice === undefined)) return null;
  const total = lines.reduce((sum, l) => sum + Math.round(l.quantity * 1000) * Math.round(l.unitPrice! * 100), 0);
  return Math.round(total / 1000) / 100;
}

/** An interaction as stored, in the shape the comparison needs. */
export type StoredInteraction = Omit<InteractionRecord, 'occurredAtGiven'> & { id: string };

/**
 * The fields in which a re-sent event differs from the stored one. Empty means a true replay;
 * anything else means the client reused an eventId for something else.
 */
export function replayDifferences(stored: StoredInteraction, incoming: InteractionRecord): string[] {
  const differs: string[] = [];
  const same = (a: unknown, b: unknown) => canonicalJson(a) === canonicalJson(b);
  if (stored.contactId !== incoming.contactId) differs.push('contactId');
  if (stored.kind !== incoming.kind) differs.push('kind');
  if (incoming.occurredAtGiven && stored.occurredAt.getTime() !== incoming.occurredAt.getTime()) differs.push('occurredAt');
  for (const name of ['channel', 'amount', 'currency', 'summary', 'details', 'messageId'] as const) {
    if (!same(stored[name], incoming[name])) differs.push(name);
  }
  if (!same(stored.items, incoming.items)) differs.push('items');
  return differs;
}

/** JSON with object keys sorted, so jsonb's reordering of keys does not count as a difference. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
