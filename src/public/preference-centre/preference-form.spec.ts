import type { PreferenceKey } from '../../memory/preferences/preference-key.entity';
import { buildQuestions, PreferenceState, readSubmission } from './preference-form';
import { preferenceTexts } from './preference-texts';

const key = (k: Partial<PreferenceKey> & Pick<PreferenceKey, 'key' | 'valueType'>): PreferenceKey =>
  ({ allowedValues: null, questions: { en: `${k.key}?` }, valueLabels: {}, askCooldownDays: 30, description: null, archivedAt: null, ...k }) as PreferenceKey;

const KEYS = [
  key({ key: 'drink', valueType: 'choice', allowedValues: ['tea', 'coffee'] }),
  key({ key: 'topics', valueType: 'list', allowedValues: ['care', 'news', 'offers'] }),
  key({ key: 'birthday_calendar', valueType: 'choice', allowedValues: ['solar', 'lunar'] }),
  key({ key: 'quiet_hours', valueType: 'text' }),
];

function state(overrides: Partial<PreferenceState> = {}): PreferenceState {
  return {
    contact: { id: 'c', locale: 'en', formOfAddress: null, birthday: '1980-05-17', lunarBirthdayMonth: null, lunarBirthdayDay: null, lunarBirthdayLeap: false },
    consent: { email: { granted: true, source: 'api', text: null, recordedAt: new Date() } },
    prefs: { drink: 'coffee' },
    keys: KEYS,
    ...overrides,
  };
}
const en = preferenceTexts('en');
const TODAY = new Date('2026-12-01T00:00:00Z');

describe('preference form', () => {
  it('splits known answers from questions and pre-fills the known ones', () => {
    const questions = buildQuestions(state(), 'en', en, TODAY);
    const byId = new Map(questions.map((q) => [q.id, q]));
    expect(byId.get('pref-drink')).toMatchObject({ known: true, answer: 'coffee' });
    expect(byId.get('pref-drink')!.radio!.options.find((o) => o.value === 'coffee')!.checked).toBe(true);
    expect(byId.get('pref-topics')).toMatchObject({ known: false, answer: null });
    expect(byId.get('consent-email')).toMatchObject({ known: true, answer: 'Yes' });
    expect(byId.get('consent-sms')).toMatchObject({ known: false });
    expect(byId.get('birthday')).toMatchObject({ known: true, answer: '17 May 1980' });
  });

  it('records nothing for a form sent back exactly as it was shown', () => {
    const changes = readSubmission(
      { pref_drink: 'coffee', consent_email: 'yes', present_topics: '1', birthday_calendar: 'solar', birthday_solar: '1980-05-17', lunar_month: '', lunar_day: '' },
      state(),
      'en',
      en,
      TODAY,
    );
    expect(changes).toMatchObject({ statements: [], consent: {}, contactFields: {}, saved: [], problems: [] });
  });

  it('turns changed answers into statements, consent and contact fields', () => {
    const changes = readSubmission(
      { pref_drink: 'tea', consent_sms: 'no', present_topics: '1', pref_topics: ['offers', 'care'], quiet_from: '22:00', quiet_to: '07:00', birthday_calendar: 'lunar', lunar_month: '8', lunar_day: '15' },
      state(),
      'en',
      en,
      TODAY,
    );
    expect(changes.problems).toEqual([]);
    expect(changes.statements).toEqual([
      { key: 'drink', value: 'tea' },
      { key: 'topics', value: ['care', 'offers'] },
      { key: 'quiet_hours', value: '22:00-07:00' },
      { key: 'birthday_calendar', value: 'lunar' },
    ]);
    expect(changes.consent).toEqual({ sms: false });
    expect(changes.contactFields).toEqual({ lunarBirthdayMonth: 8, lunarBirthdayDay: 15, lunarBirthdayLeap: false });
    expect(changes.saved.map((s) => s.answer)).toContain('day 15 of the 8th lunar month');
  });

  it('refuses values the form never offered, and half-filled pairs, naming the question', () => {
    const changes = readSubmission(
      { pref_drink: 'whisky', present_topics: '1', pref_topics: ['care', 'secret'], quiet_from: '22:00', consent_mail: 'maybe', birthday_calendar: 'solar', birthday_solar: '2999-01-01' },
      state(),
      'en',
      en,
      TODAY,
    );
    expect(changes.problems.map((p) => p.question)).toEqual(['May we send you letters and cards by post?', 'drink?', 'topics?', 'quiet_hours?', 'When is your birthday?']);
  });

  it('treats an unanswered list as no answer, but clearing a known one as "none"', () => {
    expect(readSubmission({ present_topics: '1' }, state(), 'en', en, TODAY).statements).toEqual([]);
    const cleared = readSubmission({ present_topics: '1' }, state({ prefs: { topics: ['news'] } }), 'en', en, TODAY);
    expect(cleared.statements).toEqual([{ key: 'topics', value: [] }]);
  });
});
