import type { ChannelKind } from '../channels/channel.types';
import { hasAddress } from '../memory/guard/rules/reachability';
import type { RecipientFacts } from './recipient-facts.repository';

export type NoChannelReason = 'opted_out' | 'unsubscribed' | 'no_address' | 'no_consented_channel';

export type ChannelChoice = { channel: ChannelKind; why: 'preferred' | 'fallback' } | { channel: null; reason: NoChannelReason; tried: ChannelKind[] };

/**
 * The channel for one recipient: the one they prefer, when the campaign offers it and they can be
 * reached on it; else the campaign's first reachable channel in its own order. "Reachable" is the
 * part of the guard's check that does not depend on the message: consent (opt-in for e-mail and SMS,
 * opt-out for printed mail) and an address. The guard checks again, with bounces, when it decides.
 */
export function chooseChannel(
  facts: RecipientFacts,
  campaignChannels: readonly ChannelKind[],
  preferContactChannel: boolean,
  optInChannels: readonly ChannelKind[] = ['email', 'sms'],
): ChannelChoice {
  const reachable = (channel: ChannelKind) => {
    const consent = facts.consent[channel];
    if (consent === 'revoked') return false;
    if (consent === undefined && optInChannels.includes(channel)) return false;
    return hasAddress(facts, channel);
  };
  const preferred = facts.preferredChannel;
  if (preferContactChannel && preferred && campaignChannels.includes(preferred) && reachable(preferred)) {
    return { channel: preferred, why: 'preferred' };
  }
  const fallback = campaignChannels.find(reachable);
  if (fallback) return { channel: fallback, why: 'fallback' };
  // Say why as precisely as the facts allow: the report tells "opted out" from "we have no address".
  const addressed = campaignChannels.filter((channel) => hasAddress(facts, channel));
  const optedOut = addressed.length > 0 && addressed.every((channel) => facts.consent[channel] === 'revoked');
  // Every way out closed through our own unsubscribe links: the report says so in those words.
  const unsubscribed = optedOut && addressed.every((channel) => facts.unsubscribed?.includes(channel));
  const reason: NoChannelReason =
    addressed.length === 0 ? 'no_address' : unsubscribed ? 'unsubscribed' : optedOut ? 'opted_out' : 'no_consented_channel';
  return { channel: null, reason, tried: [...campaignChannels] };
}
