import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../../audit/audit.service';
import { SignedTokens, TokenClaims } from '../../common/signed-tokens';
import { CHANNELS, ConsentChannel } from '../../contacts/consent-event.entity';
import { ConsentService } from '../../contacts/consent.service';
import type { ConsentSetDto } from '../../contacts/dto/contact-input.dto';
import { UNSUBSCRIBE_CONSENT_SOURCE } from '../../memory/guard/guard.types';
import { PreferenceKey } from '../../memory/preferences/preference-key.entity';
import { labelFor } from '../../memory/preferences/preference-rules';
import { PreferencesService } from '../../memory/preferences/preferences.service';
import { loadLinkedContact, UUID, verifyLink } from '../public-link';
import { PublicPages } from '../public-pages.service';
import { WEB_FORM_ACTOR } from '../web-form-actor';
import { unsubscribeTexts } from './unsubscribe-texts';

export const UNSUBSCRIBE_PAGE = 'unsubscribe';
const PREFERENCES_LINK_HOURS = 24;
/** What the consent record says the person agreed to, per way of unsubscribing. */
const ONE_CLICK_TEXT = 'List-Unsubscribe=One-Click (RFC 8058)';
const PAGE_TEXT = 'unsubscribe page';

export interface Choice {
  id: string;
  value: string;
  label: string;
  checked: boolean;
}

export interface UnsubscribePage {
  locale: string;
  context: Record<string, unknown>;
}

/**
 * Unsubscribing: a consent revocation per channel (append-only, source "unsubscribe"), and
 * per topic a new `topics` statement without the topic. The one-click POST acts on the link's own
 * channel alone; the page lets the person choose channels and topics, and never acts on a GET.
 */
@Injectable()
export class UnsubscribeService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly tokens: SignedTokens,
    private readonly consent: ConsentService,
    private readonly preferences: PreferencesService,
    private readonly audit: AuditService,
    private readonly pages: PublicPages,
  ) {}

  /**
   * RFC 8058 one-click. Silent about the outcome: a valid, invalid, expired or repeated token all
   * end the same way for the caller, so the endpoint tells a prober nothing.
   */
  async oneClick(token: string): Promise<void> {
    const check = this.tokens.verify(token, 'unsubscribe');
    if (!check.ok || !UUID.test(check.claims.contactId)) return;
    const channel = linkChannel(check.claims);
    await this.db.transaction(async (tx) => {
      const rows: unknown[] = await tx.query(`SELECT 1 FROM contacts WHERE id = $1 AND deleted_at IS NULL AND erased_at IS NULL FOR UPDATE`, [check.claims.contactId]);
      if (rows.length === 0) return;
      await this.revoke(tx, check.claims.contactId, [channel], ONE_CLICK_TEXT);
    });
  }

  async page(token: string): Promise<UnsubscribePage> {
    const claims = verifyLink(this.tokens, token, 'unsubscribe');
    const contact = await loadLinkedContact(this.db.manager, claims.contactId);
    const locale = this.pages.resolveLocale(UNSUBSCRIBE_PAGE, contact.locale);
    return { locale, context: await this.pageContext(this.db.manager, claims, locale) };
  }

  /** The confirmation form: the channels and topics the person ticked. */
  async confirm(token: string, body: Record<string, string | string[] | undefined>): Promise<UnsubscribePage> {
    const claims = verifyLink(this.tokens, token, 'unsubscribe');
    const chosenChannels = many(body.channel).filter((c): c is ConsentChannel => (CHANNELS as readonly string[]).includes(c));
    const chosenTopics = many(body.topic);
    const done = await this.db.transaction(async (tx) => {
      const contact = await loadLinkedContact(tx, claims.contactId, true);
      const locale = this.pages.resolveLocale(UNSUBSCRIBE_PAGE, contact.locale);
      const texts = unsubscribeTexts(locale);
      const revoked = await this.revoke(tx, claims.contactId, chosenChannels, PAGE_TEXT);
      const topicsKey = await tx.getRepository(PreferenceKey).findOne({ where: { key: 'topics' } });
      const stopped: string[] = [];
      if (topicsKey?.allowedValues && !topicsKey.archivedAt) {
        const current = (await this.preferences.current(claims.contactId, tx)).values.topics;
        const had = Array.isArray(current) ? current : topicsKey.allowedValues;
        const leaving = chosenTopics.filter((t) => had.includes(t) && topicsKey.allowedValues!.includes(t));
        if (leaving.length > 0) {
          await this.preferences.record(
            tx,
            claims.contactId,
            [{ key: 'topics', value: had.filter((t) => !leaving.includes(t)), source: 'web_form', note: UNSUBSCRIBE_CONSENT_SOURCE }],
            WEB_FORM_ACTOR,
          );
          stopped.push(...leaving.map((t) => labelFor(topicsKey, t, locale)));
        }
      }
      return { locale, channels: revoked.map((c) => texts.channels[c]), topics: stopped };
    });
    return {
      locale: done.locale,
      context: {
        ...(await this.pageContext(this.db.manager, claims, done.locale)),
        done: true,
        stoppedChannels: done.channels,
        stoppedTopics: done.topics,
        nothingChanged: done.channels.length === 0 && done.topics.length === 0,
      },
    };
  }

  /** Revokes consent on each channel not already revoked; answers the channels that changed. */
  private async revoke(tx: EntityManager, contactId: string, channels: ConsentChannel[], text: string): Promise<ConsentChannel[]> {
    const current = (await this.consent.current(tx, [contactId])).get(contactId) ?? {};
    const set: ConsentSetDto = {};
    const changed = channels.filter((c) => current[c]?.granted !== false);
    for (const channel of changed) set[channel] = { granted: false, source: UNSUBSCRIBE_CONSENT_SOURCE, text };
    if (changed.length === 0) return [];
    await this.consent.append(tx, contactId, set, WEB_FORM_ACTOR, UNSUBSCRIBE_CONSENT_SOURCE);
    await this.audit.record(tx, WEB_FORM_ACTOR, 'contact.consent', 'contact', contactId, { channels: changed, source: UNSUBSCRIBE_CONSENT_SOURCE, how: text });
    return changed;
  }

  private async pageContext(db: EntityManager, claims: TokenClaims, locale: string): Promise<Record<string, unknown>> {
    const texts = unsubscribeTexts(locale);
    const linkChannelName = linkChannel(claims);
    const consent = (await this.consent.current(db, [claims.contactId])).get(claims.contactId) ?? {};
    const channels: Choice[] = CHANNELS.filter((c) => consent[c]?.granted !== false).map((c) => ({
      id: `channel-${c}`,
      value: c,
      label: texts.channels[c],
      checked: c === linkChannelName,
    }));
    const topicsKey = await db.getRepository(PreferenceKey).findOne({ where: { key: 'topics' } });
    const current = (await this.preferences.current(claims.contactId, db)).values.topics;
    const topics: Choice[] =
      topicsKey?.allowedValues && !topicsKey.archivedAt
        ? (Array.isArray(current) ? current : topicsKey.allowedValues)
            .filter((t) => topicsKey.allowedValues!.includes(t))
            .map((t) => ({ id: `topic-${t.replace(/[^a-z0-9-]/gi, '-')}`, value: t, label: labelFor(topicsKey, t, locale), checked: false }))
        : [];
    const preferencesToken = this.tokens.sign({
      purpose: 'preferences',
      contactId: claims.contactId,
      expiresAt: new Date(Date.now() + PREFERENCES_LINK_HOURS * 3_600_000),
    });
    return {
      title: texts.title,
      linkChannel: texts.channels[linkChannelName],
      channels,
      topics,
      alreadyUnsubscribed: consent[linkChannelName]?.granted === false,
      preferencesPath: `../preferences/${preferencesToken}`,
    };
  }
}

/** The channel the link was made for; links without one predate per-channel links and mean e-mail. */
function linkChannel(claims: TokenClaims): ConsentChannel {
  const ch = claims.data?.ch;
  return ch === 'sms' || ch === 'mail' ? ch : 'email';
}

function many(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}
