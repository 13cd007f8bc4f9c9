import { Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { SignedTokens } from '../common/signed-tokens';
import { AppConfig, publicBaseUrl } from '../config/app-config';
import { compactUuid } from './compact-uuid';
import { escapeAttribute, insertBeforeBodyEnd, mentionsOtherUrls, rewriteLinks } from './html-link-rewriter';
import { TrackedLink, TrackingRepository } from './tracking.repository';

/** How long the links in a sent e-mail keep working: mail is read late, and kept. */
export const TRACKING_LINK_DAYS = 400;

/** Links known to be stored, remembered per process; past this many the memory starts again. */
const KNOWN_LINKS_LIMIT = 50_000;

export interface TrackedEmail {
  messageId: string;
  contactId: string;
  campaignId: string | null;
}

/**
 * Send-time side of open and click tracking. Each http(s) link in the HTML becomes
 * `${PUBLIC_BASE_URL}/t/c/<token>`, where the signed token names the contact, the message and the
 * link (a hash of campaign and URL); an open pixel `/t/o/<token>.gif` is added. The link's URL is
 * stored once per campaign and URL, and remembered here, so a campaign's steady state makes no
 * database round trip for tracking at all.
 *
 * Links into Tidings' own public surface (anything under PUBLIC_BASE_URL: unsubscribe, preference
 * centre) are left alone: they carry their own signed tokens, and a redirect would only add a hop.
 */
@Injectable()
export class EmailTracking {
  private readonly logger = new Logger(EmailTracking.name);
  private readonly baseUrl: string;
  /** `${campaignId}\n${url}` → link id, for links already in tracked_links. */
  private readonly stored = new Map<string, string>();

  constructor(
    private readonly tokens: SignedTokens,
    private readonly repository: TrackingRepository,
    config: AppConfig,
  ) {
    this.baseUrl = publicBaseUrl(config);
  }

  /**
   * The HTML with tracked links and the open pixel. Tracking never stops a message: if the links
   * cannot be stored, the message goes out as rendered, untracked (and a warning is logged).
   */
  async track(html: string, email: TrackedEmail, now = new Date()): Promise<string> {
    try {
      const { rewritten, unstored } = this.rewrite(html, email, now);
      if (unstored.length > 0) await this.store(unstored);
      return rewritten;
    } catch (error) {
      this.logger.warn(`Message ${email.messageId} goes out untracked: ${error instanceof Error ? error.message : String(error)}`);
      return html;
    }
  }

  private rewrite(html: string, email: TrackedEmail, now: Date): { rewritten: string; unstored: TrackedLink[] } {
    const claims = { purpose: 'tracking' as const, contactId: email.contactId, expiresAt: new Date(now.getTime() + TRACKING_LINK_DAYS * 86_400_000) };
    const m = compactUuid(email.messageId);
    const own = `${this.baseUrl}/`;
    const tokenOfLink = new Map<string, string>();
    const unstored: TrackedLink[] = [];

    const pixel = `<img src="${escapeAttribute(`${this.baseUrl}/t/o/${this.tokens.sign({ ...claims, data: { m } })}.gif`)}" width="1" height="1" alt="" style="border:0">`;
    // Most care messages link only to our own pages: then there is nothing to parse.
    if (!mentionsOtherUrls(html, own)) return { rewritten: insertBeforeBodyEnd(html, pixel), unstored };

    const rewritten = rewriteLinks(
      html,
      (url) => {
        if (url.startsWith(own) || url.length > 4096) return null;
        const key = `${email.campaignId ?? ''}\n${url}`;
        let linkId = this.stored.get(key);
        if (linkId === undefined) {
          linkId = linkIdOf(email.campaignId, url);
          if (!unstored.some((link) => link.id === linkId)) unstored.push({ id: linkId, campaignId: email.campaignId, url });
        }
        let token = tokenOfLink.get(linkId);
        if (token === undefined) {
          token = this.tokens.sign({ ...claims, data: { m, l: linkId } });
          tokenOfLink.set(linkId, token);
        }
        return `${this.baseUrl}/t/c/${token}`;
      },
      pixel,
    );

    return { rewritten, unstored };
  }

  /** Written before the message leaves, so no click can arrive for a link we do not know. */
  private async store(links: TrackedLink[]): Promise<void> {
    await this.repository.insertLinks(links);
    if (this.stored.size + links.length > KNOWN_LINKS_LIMIT) this.stored.clear();
    for (const link of links) this.stored.set(`${link.campaignId ?? ''}\n${link.url}`, link.id);
  }
}

/**
 * 96 bits of SHA-256 over campaign and URL: the same link in the same campaign always gets the same
 * id, in every worker process, without asking the database; a collision is not a practical concern.
 */
export function linkIdOf(campaignId: string | null, url: string): string {
  return createHash('sha256').update(`${campaignId ?? ''}\n${url}`).digest().subarray(0, 12).toString('base64url');
}
