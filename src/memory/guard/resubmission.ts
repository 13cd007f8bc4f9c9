import { DueMessage, GuardPolicy, GuardRequest } from './guard.types';

/**
 * The request that submits a deferred message again. What the row does not keep — whether the
 * message only asks, and a per-campaign policy — comes from the campaign, passed in `campaign`.
 */
export function resubmissionOf(due: DueMessage, now: Date, campaign: { askOnly?: boolean; policy?: Partial<GuardPolicy> } = {}): GuardRequest {
  return {
    contactId: due.contactId,
    campaignId: due.campaignId,
    occasionKey: due.occasionKey,
    channel: due.channel,
    now,
    templateKey: due.templateKey ?? undefined,
    variant: due.variant ?? undefined,
    fingerprint: due.fingerprint ?? undefined,
    asks: due.asks,
    careExempt: due.careExempt,
    ...campaign,
  };
}
