import { DateTime } from 'luxon';
import { CHANNELS, ConsentChannel } from '../../contacts/consent-event.entity';
import type { ConsentView } from '../../contacts/consent.service';
import type { PreferenceKey } from '../../memory/preferences/preference-key.entity';
import { isCalendarDate, labelFor, MAX_TEXT_VALUE, PreferenceValue, valueProblem } from '../../memory/preferences/preference-rules';
import type { LinkedContact } from '../public-link';
import { PreferenceTexts } from './preference-texts';

/**
 * The preference centre's questions and the reading of its answers, apart from HTTP and the
 * database so the rules can be read in one place: a known answer is shown as the answer with a
 * way to change it, an unknown one as a question; only answers that differ from what we hold
 * become new statements, so an untouched form records nothing.
 */

/** Keys the form asks with their own widgets (they pair with contact fields or need two inputs). */
const SPECIAL_KEYS = new Set(['quiet_hours', 'form_of_address', 'birthday_calendar']);
const QUIET_HOURS = /^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/;
const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;
const MAX_FORM_OF_ADDRESS = 100;

export interface PreferenceState {
  contact: LinkedContact;
  consent: ConsentView;
  /** Current answers (key → value) from the memory layer. */
  prefs: Record<string, PreferenceValue>;
  /** The registry's live keys. */
  keys: PreferenceKey[];
}

export interface Option {
  id: string;
  value: string;
  label: string;
  checked: boolean;
}

/** One question as the page template draws it; exactly one of the widget fields is set. */
export interface QuestionView {
  id: string;
  question: string;
  known: boolean;
  /** The current answer in words, for "Your answer: …". */
  answer: string | null;
  radio?: { name: string; options: Option[] };
  checkboxes?: { name: string; presentName: string; options: Option[] };
  text?: { name: string; value: string; maxLength: number };
  number?: { name: string; value: string };
  date?: { name: string; value: string; max: string };
  quietHours?: { fromName: string; toName: string; from: string; to: string; fromLabel: string; toLabel: string };
  birthday?: {
    calendar: { name: string; options: Option[] };
    solar: { name: string; value: string; label: string; max: string };
    lunarMonth: { name: string; label: string; options: Option[] };
    lunarDay: { name: string; label: string; options: Option[] };
    lunarLeap: { name: string; label: string; checked: boolean };
  };
}

export interface FormProblem {
  question: string;
  problem: string;
}

export interface FormChanges {
  statements: Array<{ key: string; value: PreferenceValue }>;
  consent: Partial<Record<ConsentChannel, boolean>>;
  contactFields: Partial<Pick<LinkedContact, 'formOfAddress' | 'birthday' | 'lunarBirthdayMonth' | 'lunarBirthdayDay' | 'lunarBirthdayLeap'>>;
  /** What was saved, in the visitor's words, for the confirmation. */
  saved: Array<{ question: string; answer: string }>;
  problems: FormProblem[];
}

export type FormBody = Record<string, string | string[] | undefined>;

/** The questions in page order: consent first (the law), then the registry, then the personal details. */
export function buildQuestions(state: PreferenceState, locale: string, texts: PreferenceTexts, today = new Date()): QuestionView[] {
  const maxDate = today.toISOString().slice(0, 10);
  const questions: QuestionView[] = [];
  for (const channel of CHANNELS) {
    const current = state.consent[channel];
    questions.push({
      id: `consent-${channel}`,
      question: texts.consentQuestion[channel],
      known: current !== undefined,
      answer: current === undefined ? null : current.granted ? texts.yes : texts.no,
      radio: { name: `consent_${channel}`, options: yesNo(`consent-${channel}`, current?.granted, texts) },
    });
  }
  for (const key of state.keys) {
    if (SPECIAL_KEYS.has(key.key)) continue;
    const view = registryQuestion(key, state.prefs[key.key], locale, texts, maxDate);
    if (view) questions.push(view);
  }
  const quietKey = state.keys.find((k) => k.key === 'quiet_hours');
  if (quietKey) questions.push(quietHoursQuestion(quietKey, state.prefs.quiet_hours, locale, texts));
  const addressKey = state.keys.find((k) => k.key === 'form_of_address');
  if (addressKey) {
    const value = state.contact.formOfAddress ?? (typeof state.prefs.form_of_address === 'string' ? state.prefs.form_of_address : null);
    questions.push({
      id: 'form-of-address',
      question: questionText(addressKey, locale),
      known: value !== null,
      answer: value,
      text: { name: 'form_of_address', value: value ?? '', maxLength: MAX_FORM_OF_ADDRESS },
    });
  }
  if (state.keys.some((k) => k.key === 'birthday_calendar')) questions.push(birthdayQuestion(state, texts, maxDate));
  return questions;
}

function registryQuestion(key: PreferenceKey, current: PreferenceValue | undefined, locale: string, texts: PreferenceTexts, maxDate: string): QuestionView | null {
  const id = `pref-${key.key.replace(/_/g, '-')}`;
  // The seeded channel choice has no labels of its own; the channels' names are ours to give.
  const label = (v: PreferenceValue) => (key.key === 'preferred_channel' && typeof v === 'string' && v in texts.channels ? texts.channels[v as 'email'] : labelFor(key, v, locale));
  const name = `pref_${key.key}`;
  const base = {
    id,
    question: questionText(key, locale),
    known: current !== undefined,
    answer: current === undefined ? null : Array.isArray(current) && current.length === 0 ? texts.nothingChosen : label(current),
  };
  switch (key.valueType) {
    case 'choice':
      return { ...base, radio: { name, options: (key.allowedValues ?? []).map((v) => option(id, v, label(v), current === v)) } };
    case 'list':
      // A list without fixed choices is free text the form cannot offer as boxes; staff keep it.
      if (!key.allowedValues) return null;
      return {
        ...base,
        checkboxes: {
          name,
          presentName: `present_${key.key}`,
          options: key.allowedValues.map((v) => option(id, v, labelFor(key, v, locale), Array.isArray(current) && current.includes(v))),
        },
      };
    case 'boolean':
      return { ...base, radio: { name, options: yesNo(id, typeof current === 'boolean' ? current : undefined, texts) } };
    case 'text':
      return { ...base, text: { name, value: typeof current === 'string' ? current : '', maxLength: MAX_TEXT_VALUE } };
    case 'number':
      return { ...base, number: { name, value: typeof current === 'number' ? String(current) : '' } };
    case 'date':
      return { ...base, date: { name, value: typeof current === 'string' ? current : '', max: maxDate } };
  }
}

function quietHoursQuestion(key: PreferenceKey, current: PreferenceValue | undefined, locale: string, texts: PreferenceTexts): QuestionView {
  const value = typeof current === 'string' && QUIET_HOURS.test(current) ? current : null;
  const [from, to] = value ? value.split('-') : ['', ''];
  return {
    id: 'quiet-hours',
    question: questionText(key, locale),
    known: current !== undefined,
    answer: value ? `${from}–${to}` : typeof current === 'string' ? current : null,
    quietHours: { fromName: 'quiet_from', toName: 'quiet_to', from, to, fromLabel: texts.quietFrom, toLabel: texts.quietTo },
  };
}

function birthdayQuestion(state: PreferenceState, texts: PreferenceTexts, maxDate: string): QuestionView {
  const c = state.contact;
  const hasLunar = c.lunarBirthdayMonth !== null && c.lunarBirthdayDay !== null;
  const calendar = shownCalendar(state);
  let answer: string | null = null;
  if (calendar === 'lunar' && hasLunar) answer = texts.lunarBirthday(c.lunarBirthdayMonth!, c.lunarBirthdayDay!, c.lunarBirthdayLeap);
  else if (c.birthday) answer = texts.solarBirthday(c.birthday);
  const known = answer !== null;
  return {
    id: 'birthday',
    question: texts.birthdayQuestion,
    known,
    answer,
    birthday: {
      calendar: {
        name: 'birthday_calendar',
        options: [
          option('birthday-calendar', 'solar', texts.solar, known && calendar === 'solar'),
          option('birthday-calendar', 'lunar', texts.lunar, known && calendar === 'lunar'),
        ],
      },
      solar: { name: 'birthday_solar', value: c.birthday ?? '', label: texts.solarDate, max: maxDate },
      lunarMonth: {
        name: 'lunar_month',
        label: texts.lunarMonth,
        options: range(1, 12).map((m) => option('lunar-month', String(m), String(m), c.lunarBirthdayMonth === m)),
      },
      lunarDay: {
        name: 'lunar_day',
        label: texts.lunarDay,
        options: range(1, 30).map((d) => option('lunar-day', String(d), String(d), c.lunarBirthdayDay === d)),
      },
      lunarLeap: { name: 'lunar_leap', label: texts.lunarLeap, checked: c.lunarBirthdayLeap },
    },
  };
}

/** The calendar the form shows as chosen: the stated one, else the one whose date we hold. */
function shownCalendar(state: PreferenceState): 'solar' | 'lunar' {
  const c = state.contact;
  if (state.prefs.birthday_calendar === 'lunar' || state.prefs.birthday_calendar === 'solar') return state.prefs.birthday_calendar;
  return c.lunarBirthdayMonth !== null && c.lunarBirthdayDay !== null && !c.birthday ? 'lunar' : 'solar';
}

/**
 * Reads a submitted form against what we hold. Fields left empty are "no answer" (never a
 * withdrawal: an unanswered question is not the customer saying "forget it"); anything that
 * differs from the current answer becomes a change.
 */
export function readSubmission(body: FormBody, state: PreferenceState, locale: string, texts: PreferenceTexts, today = new Date()): FormChanges {
  const changes: FormChanges = { statements: [], consent: {}, contactFields: {}, saved: [], problems: [] };
  const problem = (question: string, text: string) => changes.problems.push({ question, problem: text });

  for (const channel of CHANNELS) {
    const given = one(body[`consent_${channel}`]);
    if (given === undefined) continue;
    if (given !== 'yes' && given !== 'no') {
      problem(texts.consentQuestion[channel], texts.problems.notAChoice);
      continue;
    }
    const granted = given === 'yes';
    if (state.consent[channel]?.granted === granted) continue;
    changes.consent[channel] = granted;
    changes.saved.push({ question: texts.consentQuestion[channel], answer: granted ? texts.yes : texts.no });
  }

  for (const key of state.keys) {
    if (SPECIAL_KEYS.has(key.key)) continue;
    const read = readRegistryAnswer(body, key, texts);
    if (read === undefined) continue;
    const question = questionText(key, locale);
    if ('problem' in read) {
      problem(question, read.problem);
      continue;
    }
    if (sameValue(state.prefs[key.key], read.value)) continue;
    // No box ticked on a question never answered is no answer, not "none of these".
    if (Array.isArray(read.value) && read.value.length === 0 && state.prefs[key.key] === undefined) continue;
    changes.statements.push({ key: key.key, value: read.value });
    changes.saved.push({ question, answer: Array.isArray(read.value) && read.value.length === 0 ? texts.nothingChosen : labelFor(key, read.value, locale) });
  }

  const quietKey = state.keys.find((k) => k.key === 'quiet_hours');
  if (quietKey) {
    const from = one(body.quiet_from)?.trim() ?? '';
    const to = one(body.quiet_to)?.trim() ?? '';
    const question = questionText(quietKey, locale);
    if (from || to) {
      if (!from || !to) problem(question, texts.problems.bothTimes);
      else if (!TIME.test(from) || !TIME.test(to)) problem(question, texts.problems.badTime);
      else if (!sameValue(state.prefs.quiet_hours, `${from}-${to}`)) {
        changes.statements.push({ key: 'quiet_hours', value: `${from}-${to}` });
        changes.saved.push({ question, answer: `${from}–${to}` });
      }
    }
  }

  const addressKey = state.keys.find((k) => k.key === 'form_of_address');
  const address = one(body.form_of_address)?.trim();
  if (addressKey && address) {
    const question = questionText(addressKey, locale);
    if (address.length > MAX_FORM_OF_ADDRESS) problem(question, texts.problems.badText);
    else if (address !== state.contact.formOfAddress || state.prefs.form_of_address !== address) {
      // The contact field is what greetings use; the statement keeps who said it and when.
      if (address !== state.contact.formOfAddress) changes.contactFields.formOfAddress = address;
      if (state.prefs.form_of_address !== address) changes.statements.push({ key: 'form_of_address', value: address });
      changes.saved.push({ question, answer: address });
    }
  }

  if (state.keys.some((k) => k.key === 'birthday_calendar')) readBirthday(body, state, texts, today, changes);
  return changes;
}

function readBirthday(body: FormBody, state: PreferenceState, texts: PreferenceTexts, today: Date, changes: FormChanges): void {
  const calendar = one(body.birthday_calendar);
  if (calendar === undefined) return;
  const question = texts.birthdayQuestion;
  const c = state.contact;
  if (calendar === 'solar') {
    const date = one(body.birthday_solar)?.trim() ?? '';
    if (!date) return;
    if (!isCalendarDate(date) || date < '1900-01-01' || date > today.toISOString().slice(0, 10)) {
      changes.problems.push({ question, problem: texts.problems.birthdayDate });
      return;
    }
    const dateChanged = date !== c.birthday;
    // Re-sending the calendar the form only pre-selected is not a new statement.
    const calendarChanged = state.prefs.birthday_calendar === undefined ? shownCalendar(state) !== 'solar' : state.prefs.birthday_calendar !== 'solar';
    if (dateChanged) changes.contactFields.birthday = date;
    if (calendarChanged) changes.statements.push({ key: 'birthday_calendar', value: 'solar' });
    if (dateChanged || calendarChanged) changes.saved.push({ question, answer: texts.solarBirthday(date) });
    return;
  }
  if (calendar === 'lunar') {
    const month = Number(one(body.lunar_month));
    const day = Number(one(body.lunar_day));
    const leap = one(body.lunar_leap) === 'yes';
    if (!Number.isInteger(month) || month < 1 || month > 12 || !Number.isInteger(day) || day < 1 || day > 30) {
      changes.problems.push({ question, problem: texts.problems.lunarMonthDay });
      return;
    }
    const dateChanged = month !== c.lunarBirthdayMonth || day !== c.lunarBirthdayDay || leap !== c.lunarBirthdayLeap;
    const calendarChanged = state.prefs.birthday_calendar === undefined ? shownCalendar(state) !== 'lunar' : state.prefs.birthday_calendar !== 'lunar';
    if (dateChanged) Object.assign(changes.contactFields, { lunarBirthdayMonth: month, lunarBirthdayDay: day, lunarBirthdayLeap: leap });
    if (calendarChanged) changes.statements.push({ key: 'birthday_calendar', value: 'lunar' });
    if (dateChanged || calendarChanged) changes.saved.push({ question, answer: texts.lunarBirthday(month, day, leap) });
    return;
  }
  changes.problems.push({ question, problem: texts.problems.notAChoice });
}

function readRegistryAnswer(body: FormBody, key: PreferenceKey, texts: PreferenceTexts): { value: PreferenceValue } | { problem: string } | undefined {
  const name = `pref_${key.key}`;
  switch (key.valueType) {
    case 'list': {
      if (!key.allowedValues || one(body[`present_${key.key}`]) === undefined) return undefined;
      const chosen = [...new Set(many(body[name]))];
      if (chosen.some((v) => !key.allowedValues!.includes(v))) return { problem: texts.problems.notAChoice };
      // Keep the registry's order, so the same choice always reads the same.
      return { value: key.allowedValues.filter((v) => chosen.includes(v)) };
    }
    case 'boolean': {
      const given = one(body[name]);
      if (given === undefined) return undefined;
      return given === 'yes' || given === 'no' ? { value: given === 'yes' } : { problem: texts.problems.notAChoice };
    }
    case 'number': {
      const given = one(body[name])?.trim();
      if (!given) return undefined;
      const value = Number(given);
      return /^-?\d+(\.\d+)?$/.test(given) && Number.isFinite(value) ? { value } : { problem: texts.problems.badNumber };
    }
    case 'date': {
      const given = one(body[name])?.trim();
      if (!given) return undefined;
      return isCalendarDate(given) && DateTime.fromISO(given).isValid ? { value: given } : { problem: texts.problems.badDate };
    }
    case 'choice':
    case 'text': {
      const given = one(body[name])?.trim();
      if (!given) return undefined;
      return valueProblem(key, given, key.key) ? { problem: key.valueType === 'choice' ? texts.problems.notAChoice : texts.problems.badText } : { value: given };
    }
  }
}

function questionText(key: PreferenceKey, locale: string): string {
  const language = locale.split('-')[0];
  return (
    key.questions[locale] ??
    Object.entries(key.questions).find(([l]) => l.split('-')[0] === language)?.[1] ??
    key.questions.en ??
    key.description ??
    key.key
  );
}

function yesNo(id: string, current: boolean | undefined, texts: PreferenceTexts): Option[] {
  return [option(id, 'yes', texts.yes, current === true), option(id, 'no', texts.no, current === false)];
}

function option(prefix: string, value: string, label: string, checked: boolean): Option {
  return { id: `${prefix}-${value.replace(/[^a-z0-9-]/gi, '-')}`, value, label, checked };
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** A single form value; a field sent twice (a forged form) counts as its first value. */
function one(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function many(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function sameValue(a: PreferenceValue | undefined, b: PreferenceValue): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && [...a].sort().join('\u0000') === [...b].sort().join('\u0000');
  return a === b;
}
