import type { PostalAddress } from '../../../contacts/contact.entity';
import { GuardChannel, SkipReason, UNSUBSCRIBE_CONSENT_SOURCE } from '../guard.types';

export interface ContactFacts {
  id: string;
  email: string | null;
  phone: string | null;
  address: PostalAddress | null;
  timeZone: string | null;
  deletedAt: Date | null;
  erasedAt: Date | null;
}

export interface ChannelFacts {
  /** The latest consent event on the channel, or null when none was ever recorded. */
  consent: 'granted' | 'revoked' | null;
  /** Where that latest event came from (an unsubscribe link makes the skip `unsubscribed`). */
  consentSource?: string | null;
  /** A permanent bounce on the channel for the address we hold now. */
  hardBounce: boolean;
}

export interface Refusal {
  reason: SkipReason;
  details: Record<string, unknown>;
}

/**
 * Whether the person can be reached on the channel at all. These reasons say nothing about the
 * message, so they run first: an erased person is not even considered further, consent is the law,
 * and an address we do not have or that bounces cannot carry anything.
 */
export function judgeReachability(contact: ContactFacts, channel: GuardChannel, facts: ChannelFacts, optInChannels: readonly GuardChannel[]): Refusal | null {
  if (contact.erasedAt || contact.deletedAt) {
    return { reason: 'erased', details: { erased: contact.erasedAt !== null, deleted: contact.deletedAt !== null } };
  }
  if (facts.consent === 'revoked') return { reason: facts.consentSource === UNSUBSCRIBE_CONSENT_SOURCE ? 'unsubscribed' : 'opted_out', details: { channel } };
  if (facts.consent === null && optInChannels.includes(channel)) return { reason: 'no_consent', details: { channel } };
  if (!hasAddress(contact, channel)) return { reason: 'no_address', details: { channel } };
  if (facts.hardBounce) return { reason: 'bounced', details: { channel } };
  return null;
}

export function hasAddress(contact: Pick<ContactFacts, 'email' | 'phone' | 'address'>, channel: GuardChannel): boolean {
  switch (channel) {
    case 'email':
      return Boolean(contact.email);
    case 'sms':
      return Boolean(contact.phone);
    case 'mail':
      // A card needs at least a street and a city to reach anyone; a country alone does not.
      return Boolean(contact.address && contact.address.country && contact.address.street && contact.address.city);
  }
}

/** The address a bounce on this channel would name; printed mail has no single-text address. */
export function channelAddress(contact: Pick<ContactFacts, 'email' | 'phone'>, channel: GuardChannel): string | null {
  if (channel === 'email') return contact.email?.toLowerCase() ?? null;
  if (channel === 'sms') return contact.phone;
  return null;
}
