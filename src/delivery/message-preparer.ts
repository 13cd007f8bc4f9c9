import { Injectable } from '@nestjs/common';
import type { CampaignDefinition } from '../campaigns/campaign.types';
import type { ChannelKind } from '../channels/channel.types';
import { OutboundSender } from '../channels/outbound/outbound-sender';
import { GoldfishGuard } from '../memory/guard/goldfish-guard.service';
import type { GuardRequest } from '../memory/guard/guard.types';
import { contentFingerprint } from '../memory/guard/rules/fingerprint';
import type { RenderContext } from '../memory/render-context/render-context.service';
import { RenderedContent, TemplatesService } from '../templates/templates.service';
import { chooseChannel, NoChannelReason } from './channel-choice';
import type { RecipientFacts } from './recipient-facts.repository';

/** One recipient's occasion, as the outbox (or a dry run) holds it. */
export interface OccasionRef {
  contactId: string;
  occasionKey: string;
  details: Record<string, unknown>;
}

/** A rendered message with the one-click unsubscribe link its body holds, for the List-Unsubscribe header too. */
export interface RenderedMessage {
  rendered: RenderedContent;
  unsubscribeUrl: string | null;
}

export type Preparation =
  | ({ ready: true; channel: ChannelKind; guardRequest: GuardRequest } & RenderedMessage)
  | { ready: false; reason: NoChannelReason | 'erased'; details: Record<string, unknown> };

/**
 * Everything before the guard's verdict: which channel, which variant, the rendered message and the
 * question put to the guard. Shared by the dispatcher and the dry run, so a dry run shows exactly
 * what a real run would decide.
 */
@Injectable()
export class MessagePreparer {
  private readonly variantCache = new Map<string, { at: number; variants: string[] }>();

  constructor(
    private readonly templates: TemplatesService,
    private readonly guard: GoldfishGuard,
    private readonly sender: OutboundSender,
  ) {}

  async prepare(occasion: OccasionRef, campaign: CampaignDefinition, facts: RecipientFacts | undefined, context: RenderContext | undefined, now: Date): Promise<Preparation> {
    if (!facts || !context) return { ready: false, reason: 'erased', details: {} };
    const choice = chooseChannel(facts, campaign.channels, campaign.preferContactChannel, campaign.guardPolicy.optInChannels);
    if (choice.channel === null) return { ready: false, reason: choice.reason, details: { tried: choice.tried } };
    const channel = choice.channel;
    const variants = await this.variants(campaign.templateKey, channel, context.locale);
    const variant = variants.length > 1 ? await this.guard.pickVariant(occasion.contactId, campaign.templateKey, variants) : (variants[0] ?? null);
    const { rendered, unsubscribeUrl } = await this.render(campaign, channel, variant, context, occasion, now);
    return {
      ready: true,
      channel,
      rendered,
      unsubscribeUrl,
      guardRequest: {
        contactId: occasion.contactId,
        campaignId: campaign.id,
        occasionKey: occasion.occasionKey,
        channel,
        now,
        templateKey: campaign.templateKey,
        variant: rendered.variant,
        // A text part made from the HTML adds no words: left out, the fingerprint stays what it was before templates had one.
        fingerprint: contentFingerprint([rendered.subject, rendered.html, rendered.textFromHtml ? undefined : rendered.text].filter(Boolean).join('\n')),
        careExempt: campaign.careExempt,
        policy: campaign.guardPolicy,
      },
    };
  }

  /**
   * The link is signed once and used twice, in the body and in the List-Unsubscribe header: signing
   * was 1.7% of the worker's CPU when each of them had its own.
   */
  async render(campaign: CampaignDefinition, channel: ChannelKind, variant: string | null, context: RenderContext, occasion: OccasionRef, now: Date): Promise<RenderedMessage> {
    const unsubscribeUrl = channel === 'email' ? this.sender.unsubscribeUrl(occasion.contactId, 'email') : null;
    const rendered = await this.templates.render({
      key: campaign.templateKey,
      channel,
      locale: context.locale,
      ...(variant ? { variant } : {}),
      context,
      extra: {
        now,
        occasion: { key: occasion.occasionKey, ...occasion.details },
        campaign: { id: campaign.id, name: campaign.name },
        ...(unsubscribeUrl ? { unsubscribeUrl } : {}),
        preferencesUrl: this.sender.preferencesUrl(occasion.contactId),
        // Facts a trigger computed (the new age on a birthday) are offered at the root too.
        ...(typeof occasion.details.age === 'number' ? { age: occasion.details.age } : {}),
      },
    });
    return { rendered, unsubscribeUrl };
  }

  private async variants(templateKey: string, channel: ChannelKind, locale: string): Promise<string[]> {
    const key = `${templateKey}\u0000${channel}\u0000${locale}`;
    const cached = this.variantCache.get(key);
    // A short memory: a newly published variant joins the rotation within a minute.
    if (cached && performance.now() - cached.at < 60_000) return cached.variants;
    const variants = await this.templates.variants(templateKey, channel, locale);
    this.variantCache.set(key, { at: performance.now(), variants });
    return variants;
  }
}
