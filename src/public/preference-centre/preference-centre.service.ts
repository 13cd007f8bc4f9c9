import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { AuditService } from '../../audit/audit.service';
import { SignedTokens } from '../../common/signed-tokens';
import { ConsentService } from '../../contacts/consent.service';
import type { ConsentSetDto } from '../../contacts/dto/contact-input.dto';
import { PreferenceKey } from '../../memory/preferences/preference-key.entity';
import { PreferencesService } from '../../memory/preferences/preferences.service';
import { LinkedContact, loadLinkedContact, verifyLink } from '../public-link';
import { PublicPages } from '../public-pages.service';
import { WEB_FORM_ACTOR, WEB_FORM_SOURCE } from '../web-form-actor';
import { buildQuestions, FormBody, FormChanges, PreferenceState, QuestionView, readSubmission } from './preference-form';
import { preferenceTexts } from './preference-texts';

export const PREFERENCES_PAGE = 'preferences';

export interface PreferencePage {
  locale: string;
  status: number;
  context: {
    title: string;
    token: string;
    known: QuestionView[];
    unknown: QuestionView[];
    saved?: FormChanges['saved'];
    nothingChanged?: boolean;
    problems?: FormChanges['problems'];
  };
}

/**
 * The preference centre behind a contact's signed link: what we know, asked only where we don't,
 * and every change saved through the memory layer (statements with source web_form, consent
 * events with source "web form") in one transaction.
 */
@Injectable()
export class PreferenceCentreService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly tokens: SignedTokens,
    private readonly preferences: PreferencesService,
    private readonly consent: ConsentService,
    private readonly audit: AuditService,
    private readonly pages: PublicPages,
  ) {}

  async show(token: string): Promise<PreferencePage> {
    const { contactId } = verifyLink(this.tokens, token, 'preferences');
    const contact = await loadLinkedContact(this.db.manager, contactId);
    const state = await this.state(this.db.manager, contact);
    return this.page(token, state, 200, {});
  }

  async save(token: string, body: FormBody): Promise<PreferencePage> {
    const { contactId } = verifyLink(this.tokens, token, 'preferences');
    const outcome = await this.db.transaction(async (tx) => {
      const contact = await loadLinkedContact(tx, contactId, true);
      const state = await this.state(tx, contact);
      const locale = this.pages.resolveLocale(PREFERENCES_PAGE, contact.locale);
      const changes = readSubmission(body, state, locale, preferenceTexts(locale));
      if (changes.problems.length === 0) await this.apply(tx, contactId, changes, locale);
      return changes;
    });
    const contact = await loadLinkedContact(this.db.manager, contactId);
    const state = await this.state(this.db.manager, contact);
    if (outcome.problems.length > 0) return this.page(token, state, 400, { problems: outcome.problems });
    return this.page(token, state, 200, outcome.saved.length > 0 ? { saved: outcome.saved } : { nothingChanged: true });
  }

  private async apply(tx: EntityManager, contactId: string, changes: FormChanges, locale: string): Promise<void> {
    if (changes.statements.length > 0) {
      await this.preferences.record(
        tx,
        contactId,
        changes.statements.map((s) => ({ key: s.key, value: s.value, source: 'web_form' as const })),
        WEB_FORM_ACTOR,
      );
    }
    const texts = preferenceTexts(locale);
    const consent: ConsentSetDto = {};
    for (const [channel, granted] of Object.entries(changes.consent) as Array<[keyof ConsentSetDto, boolean]>) {
      // The wording the person answered is the consent text on record.
      consent[channel] = { granted, source: WEB_FORM_SOURCE, text: texts.consentQuestion[channel] };
    }
    const consentChanges = await this.consent.append(tx, contactId, consent, WEB_FORM_ACTOR, WEB_FORM_SOURCE);
    const fields = Object.keys(changes.contactFields);
    if (fields.length > 0) {
      const f = changes.contactFields;
      await tx.query(
        `UPDATE contacts SET
           form_of_address = CASE WHEN $2 THEN $3 ELSE form_of_address END,
           birthday = CASE WHEN $4 THEN $5::date ELSE birthday END,
           lunar_birthday_month = CASE WHEN $6 THEN $7::smallint ELSE lunar_birthday_month END,
           lunar_birthday_day = CASE WHEN $6 THEN $8::smallint ELSE lunar_birthday_day END,
           lunar_birthday_leap = CASE WHEN $6 THEN $9::boolean ELSE lunar_birthday_leap END,
           updated_at = now()
         WHERE id = $1`,
        [
          contactId,
          f.formOfAddress !== undefined, f.formOfAddress ?? null,
          f.birthday !== undefined, f.birthday ?? null,
          f.lunarBirthdayMonth !== undefined, f.lunarBirthdayMonth ?? null, f.lunarBirthdayDay ?? null, f.lunarBirthdayLeap ?? false,
        ],
      );
    }
    if (fields.length > 0 || consentChanges > 0) {
      await this.audit.record(tx, WEB_FORM_ACTOR, 'contact.update', 'contact', contactId, { fields, consentChanges, source: WEB_FORM_SOURCE });
    }
  }

  private async state(db: EntityManager, contact: LinkedContact): Promise<PreferenceState> {
    // One after another: inside a transaction the queries share one connection anyway.
    const current = await this.preferences.current(contact.id, db);
    const consent = await this.consent.current(db, [contact.id]);
    const keys = await db.getRepository(PreferenceKey).find({ where: { archivedAt: IsNull() }, order: { key: 'ASC' } });
    return { contact, consent: consent.get(contact.id) ?? {}, prefs: current.values, keys };
  }

  private page(token: string, state: PreferenceState, status: number, extra: Partial<PreferencePage['context']>): PreferencePage {
    const locale = this.pages.resolveLocale(PREFERENCES_PAGE, state.contact.locale);
    const questions = buildQuestions(state, locale, preferenceTexts(locale));
    return {
      locale,
      status,
      context: { title: preferenceTexts(locale).title, token, known: questions.filter((q) => q.known), unknown: questions.filter((q) => !q.known), ...extra },
    };
  }
}
