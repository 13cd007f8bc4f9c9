import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { PostalAddress } from '../../contacts/contact.entity';
import { OpenTopicsService } from '../interactions/open-topics.service';
import { PreferenceKeysService } from '../preferences/preference-keys.service';
import { labelFor, PreferenceValue } from '../preferences/preference-rules';
import { PreferencesService } from '../preferences/preferences.service';
import { RenderContextRepository, ValueSummary } from './render-context.repository';

export interface RenderContact {
  id: string;
  givenName: string | null;
  familyName: string | null;
  /** The customer's stated form_of_address preference when there is one, else the contact field. */
  formOfAddress: string | null;
  locale: string | null;
  timeZone: string | null;
  birthday: string | null;
  lunarBirthday: { month: number; day: number; leap: boolean } | null;
  address: PostalAddress | null;
  attributes: Record<string, unknown>;
}

/** Everything a template may use about one customer: who they are and what they told us. */
export interface RenderContext {
  contact: RenderContact;
  /** The locale the labels are in: the one asked for, else the contact's, else en. */
  locale: string;
  prefs: Record<string, PreferenceValue>;
  prefLabels: Record<string, string>;
  value: Omit<ValueSummary, 'computedAt'> | null;
  openTopic: { id: string; summary: string } | null;
}

const FALLBACK_LOCALE = 'en';

/**
 * Builds what templates render from, so a message uses what the customer said ("tea, not
 * coffee") instead of asking again. buildMany makes the same five queries for 2 or 20,000 contacts.
 */
@Injectable()
export class RenderContextService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly repository: RenderContextRepository,
    private readonly preferences: PreferencesService,
    private readonly keys: PreferenceKeysService,
    private readonly topics: OpenTopicsService,
  ) {}

  /** null when the contact does not exist or was deleted. */
  async build(contactId: string, locale?: string): Promise<RenderContext | null> {
    return (await this.buildMany([contactId], locale)).get(contactId) ?? null;
  }

  /** Contexts of live contacts, by id; unknown or deleted ids are absent. `locale` overrides each contact's own. */
  async buildMany(contactIds: string[], locale?: string): Promise<Map<string, RenderContext>> {
    const ids = [...new Set(contactIds)];
    const result = new Map<string, RenderContext>();
    if (ids.length === 0) return result;
    const manager = this.db.manager;
    const [contacts, prefs, keys, values, topics] = await Promise.all([
      this.repository.contacts(manager, ids),
      this.preferences.current(ids, manager),
      this.keys.list(true),
      this.repository.values(manager, ids),
      this.topics.oldest(ids, manager),
    ]);
    const keyByName = new Map(keys.map((k) => [k.key, k]));
    const valueByContact = new Map(values.map(({ contactId, computedAt: _computed, ...v }) => [contactId, v]));
    for (const c of contacts) {
      const contactPrefs = prefs.get(c.id)?.values ?? {};
      const labelLocale = locale ?? c.locale ?? FALLBACK_LOCALE;
      const prefLabels: Record<string, string> = {};
      for (const [key, value] of Object.entries(contactPrefs)) {
        const definition = keyByName.get(key);
        prefLabels[key] = definition ? labelFor(definition, value, labelLocale) : String(value);
      }
      const topic = topics.get(c.id);
      const statedAddress = contactPrefs.form_of_address;
      result.set(c.id, {
        contact: {
          id: c.id,
          givenName: c.givenName,
          familyName: c.familyName,
          formOfAddress: typeof statedAddress === 'string' ? statedAddress : c.formOfAddress,
          locale: c.locale,
          timeZone: c.timeZone,
          birthday: c.birthday,
          lunarBirthday:
            c.lunarBirthdayMonth !== null && c.lunarBirthdayDay !== null
              ? { month: c.lunarBirthdayMonth, day: c.lunarBirthdayDay, leap: c.lunarBirthdayLeap }
              : null,
          address: c.address,
          attributes: c.attributes,
        },
        locale: labelLocale,
        prefs: contactPrefs,
        prefLabels,
        value: valueByContact.get(c.id) ?? null,
        openTopic: topic ? { id: topic.id, summary: topic.summary } : null,
      });
    }
    return result;
  }
}
