import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { OutboundSender } from '../../channels/outbound/outbound-sender';
import { SignedTokens } from '../../common/signed-tokens';
import { AppConfig, publicBaseUrl } from '../../config/app-config';
import { RenderContextService } from '../../memory/render-context/render-context.service';
import { TemplatesService } from '../../templates/templates.service';
import { ConfirmationClaim, SignupRepository } from './signup.repository';

/** How long a confirmation link works: long enough for a mailbox read on the weekend. */
export const CONFIRMATION_LINK_DAYS = 7;

export interface ConfirmationToSend {
  contactId: string;
  email: string;
  locale: string;
  claim: ConfirmationClaim;
}

/**
 * Sends the double opt-in e-mail after the sign-up's transaction has committed, outside the
 * visitor's request: the page answers in the same time whether or not a mail goes out, so its
 * timing does not tell whether an address is known. A send that certainly failed (SMTP 4xx/5xx)
 * hands the hour's slot back so the next sign-up can try again; an ambiguous one keeps it, since
 * the mail may have arrived.
 */
@Injectable()
export class SignupConfirmationMailer implements OnApplicationShutdown {
  private readonly logger = new Logger(SignupConfirmationMailer.name);
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly templates: TemplatesService,
    private readonly contexts: RenderContextService,
    private readonly sender: OutboundSender,
    private readonly tokens: SignedTokens,
    private readonly repository: SignupRepository,
    private readonly config: AppConfig,
  ) {}

  /** Starts the send and returns at once. */
  dispatch(confirmation: ConfirmationToSend): void {
    const sending: Promise<void> = this.send(confirmation)
      .catch((error: unknown) => this.logger.error(`confirmation e-mail for contact ${confirmation.contactId} failed: ${error instanceof Error ? error.stack : String(error)}`))
      .finally(() => this.inFlight.delete(sending));
    this.inFlight.add(sending);
  }

  /** Resolves when every confirmation started so far has been handed over (tests; shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.idle();
  }

  confirmUrl(contactId: string, now = new Date()): string {
    const token = this.tokens.sign({
      purpose: 'confirm-signup',
      contactId,
      expiresAt: new Date(now.getTime() + CONFIRMATION_LINK_DAYS * 86_400_000),
    });
    return `${publicBaseUrl(this.config)}/signup/confirm/${token}`;
  }

  private async send(confirmation: ConfirmationToSend): Promise<void> {
    const { contactId, email, locale, claim } = confirmation;
    try {
      const context = await this.contexts.build(contactId, locale);
      if (!context) throw new Error('the contact disappeared before its confirmation was sent');
      const rendered = await this.templates.render({
        key: 'confirm-signup',
        channel: 'email',
        locale,
        context,
        extra: { confirmUrl: this.confirmUrl(contactId), linkDays: CONFIRMATION_LINK_DAYS },
      });
      const { outcome } = await this.sender.sendEmail({ to: email, contactId, purpose: 'transactional', rendered });
      if (outcome.status === 'transient' || outcome.status === 'permanent') {
        await this.repository.releaseConfirmation(this.db.manager, contactId, claim);
      }
    } catch (error) {
      // Nothing reached the provider: the next sign-up may try again at once.
      await this.repository.releaseConfirmation(this.db.manager, contactId, claim);
      throw error;
    }
  }
}
