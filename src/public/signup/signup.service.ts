import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../../audit/audit.service';
import { Actor } from '../../auth/actor';
import { SignedTokens } from '../../common/signed-tokens';
import { AppConfig } from '../../config/app-config';
import { ConsentService } from '../../contacts/consent.service';
import { labelFor } from '../../memory/preferences/preference-rules';
import { PreferencesService } from '../../memory/preferences/preferences.service';
import { SuppressionService } from '../../privacy/suppression.service';
import { checkSignupForm, SignupFormValues, SignupRequest } from './signup-form';
import { ConfirmationToSend, SignupConfirmationMailer } from './signup-confirmation.mailer';
import { CONSENT_TEXT, FieldProblem, problemText, SIGNUP_LOCALES, SignupField, SignupLocale } from './signup-texts';
import { SignupRepository, TopicsKey } from './signup.repository';

/** At most one confirmation e-mail per address in this time, however often the form is sent. */
export const CONFIRMATION_INTERVAL_SECONDS = 3600;

/** Who writes what a sign-up records: shown as `recorded_by` on statements and consent, and in the audit log. */
export const WEB_FORM_ACTOR: Actor = { keyId: null, label: 'web form', role: 'system' };

/** The consent event's source: the channel the person used and how it was verified. */
export const SIGNUP_CONSENT_SOURCE = 'web form (double opt-in)';

export interface TopicOption {
  value: string;
  label: string;
  checked: boolean;
  /** A stable element id for the checkbox and its label. */
  id: string;
}

/** What the sign-up page template renders. */
export interface SignupFormModel {
  locale: SignupLocale;
  values: Omit<SignupFormValues, 'topics'>;
  topics: TopicOption[];
  consentText: string;
  /** field → message, for the message beside each field. */
  errors: Partial<Record<SignupField, string>>;
  /** In form order, for the summary at the top that links to each field. */
  errorList: Array<{ field: SignupField; message: string }>;
}

export type SignupOutcome = { accepted: true; locale: SignupLocale } | { accepted: false; form: SignupFormModel };

export type ConfirmationCheck =
  | { ok: true; contactId: string; locale: SignupLocale; alreadyConfirmed: boolean; topics: string[]; consentText: string }
  | { ok: false; status: 403 | 410 };

const FIELD_ORDER: SignupField[] = ['name', 'email', 'phone', 'topics', 'consent'];

/**
 * Sign-up with double opt-in. The form creates (or finds) the contact as `pending` and keeps what
 * the visitor chose in a signup request; nothing is applied to the archive, and the contact is in
 * no audience, until the person confirms from the link mailed to them. The visitor sees the same
 * answer whatever happened behind it — new, known, suppressed or throttled — so the form tells
 * nobody which addresses we hold.
 */
@Injectable()
export class SignupService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly repository: SignupRepository,
    private readonly mailer: SignupConfirmationMailer,
    private readonly suppression: SuppressionService,
    private readonly consent: ConsentService,
    private readonly preferences: PreferencesService,
    private readonly audit: AuditService,
    private readonly tokens: SignedTokens,
    private readonly config: AppConfig,
  ) {}

  /** One of the form's languages for a requested locale (?locale= or Accept-Language): zh-* → zh-CN, else en. */
  static localeFor(requested: string | null | undefined): SignupLocale {
    const wanted = (requested ?? '').trim().toLowerCase();
    return (SIGNUP_LOCALES.find((l) => l.toLowerCase() === wanted) ?? (wanted.split('-')[0] === 'zh' ? 'zh-CN' : 'en'));
  }

  async emptyForm(locale: SignupLocale): Promise<SignupFormModel> {
    return this.formModel(locale, await this.repository.topicsKey(this.db.manager), { name: '', email: '', phone: '', topics: [], consent: false }, []);
  }

  async submit(body: unknown, locale: SignupLocale): Promise<SignupOutcome> {
    const topicsKey = await this.repository.topicsKey(this.db.manager);
    const checked = checkSignupForm(body, topicsKey?.allowedValues ?? [], this.config.DEFAULT_PHONE_REGION);
    if (!checked.ok) return { accepted: false, form: this.formModel(locale, topicsKey, checked.values, checked.problems) };
    const confirmation = await this.db.transaction((tx) => this.record(tx, checked.request, locale));
    if (confirmation) this.mailer.dispatch(confirmation);
    return { accepted: true, locale };
  }

  /**
   * The sign-up's one transaction: find or create the pending contact, keep the request, and claim
   * this hour's confirmation e-mail. Returns what to send, or null when nothing should be sent.
   */
  private async record(tx: EntityManager, request: SignupRequest, locale: SignupLocale): Promise<ConfirmationToSend | null> {
    // An erased person asked never to be added again: nothing is written and nothing is sent.
    if ((await this.suppression.suppressedKinds(tx, { email: request.email, phone: request.phone })).length > 0) return null;
    let contact = await this.repository.lockLiveContactByEmail(tx, request.email);
    let created = false;
    if (!contact) {
      const id = await this.repository.insertPendingContact(tx, { email: request.email, givenName: request.name, locale });
      // null: a concurrent sign-up for the same address committed its contact first; use that one.
      contact = id ? { id, status: 'pending' } : await this.repository.lockLiveContactByEmail(tx, request.email);
      created = id !== null;
      if (!contact) return null;
    }
    // A known contact's own record is not touched here: the request waits for the person's confirmation.
    await this.repository.upsertRequest(tx, contact.id, {
      givenName: request.name,
      phone: request.phone,
      locale,
      topics: request.topics,
      consentText: CONSENT_TEXT[locale],
    });
    const claim = await this.repository.claimConfirmation(tx, contact.id, CONFIRMATION_INTERVAL_SECONDS);
    // Field names only, as everywhere in the audit log: the values live in the request.
    await this.audit.record(tx, WEB_FORM_ACTOR, 'contact.signup', 'contact', contact.id, {
      created,
      fields: ['givenName', 'email', ...(request.phone ? ['phone'] : []), ...(request.topics.length ? ['topics'] : [])],
      confirmationSent: claim !== null,
    });
    return claim ? { contactId: contact.id, email: request.email, locale, claim } : null;
  }

  /** Reads a confirmation link without changing anything (the GET a mail scanner may make). */
  async checkConfirmation(token: string): Promise<ConfirmationCheck> {
    const verified = this.tokens.verify(token, 'confirm-signup');
    if (!verified.ok) return { ok: false, status: verified.reason === 'expired' ? 410 : 403 };
    return this.db.transaction(async (tx) => {
      const request = await this.repository.readRequest(tx, verified.claims.contactId, false);
      if (!request || request.gone || !request.email) return { ok: false, status: 410 } as const;
      return {
        ok: true,
        contactId: request.contactId,
        locale: SignupService.localeFor(request.locale),
        alreadyConfirmed: request.confirmedAt !== null,
        topics: request.topics,
        consentText: request.consentText,
      };
    });
  }

  /**
   * Confirms in one transaction: the contact becomes active, e-mail consent is appended with the
   * exact wording shown on the form, and the chosen topics are stated through the memory layer as
   * the customer's own word (source web_form). Confirming twice changes nothing the second time.
   */
  async confirm(token: string): Promise<ConfirmationCheck> {
    const verified = this.tokens.verify(token, 'confirm-signup');
    if (!verified.ok) return { ok: false, status: verified.reason === 'expired' ? 410 : 403 };
    return this.db.transaction(async (tx) => {
      const request = await this.repository.readRequest(tx, verified.claims.contactId, true);
      if (!request || request.gone || !request.email) return { ok: false, status: 410 } as const;
      const answer = {
        ok: true,
        contactId: request.contactId,
        locale: SignupService.localeFor(request.locale),
        topics: request.topics,
        consentText: request.consentText,
      } as const;
      if (request.confirmedAt !== null) return { ...answer, alreadyConfirmed: true };

      const changed = await this.repository.activate(tx, request);
      if (request.phone && !request.contactPhone && (await this.suppression.suppressedKinds(tx, { phone: request.phone })).length === 0) {
        if (await this.repository.fillPhone(tx, request.contactId, request.phone)) changed.push('phone');
      }
      await this.consent.append(
        tx,
        request.contactId,
        { email: { granted: true, text: request.consentText, source: SIGNUP_CONSENT_SOURCE } },
        WEB_FORM_ACTOR,
        SIGNUP_CONSENT_SOURCE,
      );
      if (request.topics.length > 0) {
        await this.preferences.record(tx, request.contactId, [{ key: 'topics', value: request.topics, source: 'web_form' }], WEB_FORM_ACTOR);
      }
      await this.repository.markConfirmed(tx, request.contactId);
      await this.audit.record(tx, WEB_FORM_ACTOR, 'contact.signup_confirm', 'contact', request.contactId, {
        activated: request.status === 'pending',
        fields: changed.filter((c) => c !== 'status'),
        consent: ['email'],
      });
      return { ...answer, alreadyConfirmed: false };
    });
  }

  /** The topics as labels in the page's language, for the confirmation page. */
  async topicLabels(topics: string[], locale: SignupLocale): Promise<string[]> {
    const key = await this.repository.topicsKey(this.db.manager);
    return topics.map((t) => (key ? labelFor(key, t, locale) : t));
  }

  private formModel(
    locale: SignupLocale,
    topicsKey: TopicsKey | null,
    values: SignupFormValues,
    problems: Array<{ field: SignupField; problem: FieldProblem }>,
  ): SignupFormModel {
    const errors: Partial<Record<SignupField, string>> = {};
    for (const { field, problem } of problems) errors[field] ??= problemText(locale, field, problem);
    const { topics: chosen, ...rest } = values;
    return {
      locale,
      values: rest,
      topics: (topicsKey?.allowedValues ?? []).map((value) => ({
        value,
        label: labelFor(topicsKey!, value, locale),
        checked: chosen.includes(value),
        id: `topic-${value}`,
      })),
      consentText: CONSENT_TEXT[locale],
      errors,
      errorList: FIELD_ORDER.filter((f) => errors[f] !== undefined).map((field) => ({ field, message: errors[field]! })),
    };
  }
}
