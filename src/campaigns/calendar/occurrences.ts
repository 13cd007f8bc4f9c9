import type { IANAZone } from 'luxon';
import {
  HOLIDAY_KEYS,
  type BirthdayPerson,
  type CareOccasion,
  type CareOccurrence,
  type Feb29Rule,
  type IsoDate,
  type LunarBirthday,
  type OccurrenceOptions,
} from './calendar.types';
import { holidaysFor, resolveCalendars } from './holidays';
import { instantAtLocalTime, LocalTime, parseLocalTime, resolveZone } from './local-time';
import { checkLunarBirthday, lunarDateOf, LUNAR_YEAR_MAX, LUNAR_YEAR_MIN, lunarToSolar, resolveLunarDate } from './lunar-dates';
import { daysBetween, parseIsoDate, sameDayInYear, Ymd } from './solar-dates';

export const DEFAULT_LOCAL_TIME = '09:00';
export const DEFAULT_FEB29_RULE: Feb29Rule = 'feb28';

const DAY_MS = 86_400_000;
const NEAR_MS = 16 * 3_600_000;
const utcYear = (ms: number) => new Date(ms).getUTCFullYear();

const ANNIVERSARY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

interface Settings {
  time: LocalTime;
  feb29: Feb29Rule;
  zone: IANAZone;
}

/** What happens on a local date, before its instant is known. */
type Candidate = Omit<CareOccurrence, 'at' | 'timeZone'>;

/** Solar years whose dates can have their local time inside [from, to) in `zone`. */
interface YearSpan {
  first: number;
  last: number;
}

/**
 * The occurrences of `occasion` whose LOCAL target time (`options.localTime`, default 09:00, in the
 * occasion's own zone) falls in [from, to), earliest first. A trigger that evaluates back-to-back
 * windows — [t0, t1), [t1, t2), … — therefore sees every occurrence exactly once, however often it
 * runs, across daylight-saving changes.
 */
export function occurrencesBetween(occasion: CareOccasion, from: Date, to: Date, options: OccurrenceOptions = {}): CareOccurrence[] {
  const settings = settingsFor(occasion, options);
  if (!(from.getTime() < to.getTime())) return [];
  // A local date is within a day of the UTC date (offsets run from -12:00 to +14:00), so these solar
  // years hold every date whose local time can fall in the window.
  const span: YearSpan = { first: utcYear(from.getTime() - 2 * DAY_MS), last: utcYear(to.getTime() + 2 * DAY_MS) };
  const occurrences: CareOccurrence[] = [];
  for (const candidate of candidatesFor(occasion, span, settings)) {
    // Cheap bound before the zone is consulted: the instant lies within 15 hours of the wall time
    // read as UTC (offsets of -12:00 to +14:00, plus a skipped hour), so most candidates drop here.
    const wallAsUtc = Date.parse(`${candidate.date}T00:00:00Z`) + (settings.time.hour * 60 + settings.time.minute) * 60_000;
    if (wallAsUtc + NEAR_MS < from.getTime() || wallAsUtc - NEAR_MS >= to.getTime()) continue;
    const at = instantAtLocalTime(candidate.date, settings.time, settings.zone);
    if (at.getTime() >= from.getTime() && at.getTime() < to.getTime()) {
      occurrences.push({ ...candidate, at, timeZone: settings.zone.name });
    }
  }
  return occurrences.sort((a, b) => a.at.getTime() - b.at.getTime() || (a.key < b.key ? -1 : 1));
}

function settingsFor(occasion: CareOccasion, options: OccurrenceOptions): Settings {
  const feb29 = options.feb29 ?? DEFAULT_FEB29_RULE;
  if (feb29 !== 'feb28' && feb29 !== 'mar1') throw new RangeError(`feb29 must be 'feb28' or 'mar1', not ${String(feb29)}`);
  const zoneName = occasion.kind === 'birthday' ? occasion.person.timeZone : occasion.timeZone;
  return {
    time: parseLocalTime(options.localTime ?? DEFAULT_LOCAL_TIME),
    feb29,
    zone: resolveZone(zoneName, options.defaultTimeZone ?? 'UTC'),
  };
}

function candidatesFor(occasion: CareOccasion, span: YearSpan, settings: Settings): Candidate[] {
  switch (occasion.kind) {
    case 'birthday':
      return birthdayCandidates(occasion.person, span, settings.feb29);
    case 'anniversary':
      return anniversaryCandidates(occasion.name, occasion.date, span, settings.feb29);
    case 'holiday':
      return holidayCandidates(occasion.calendars, occasion.only, span);
  }
}

function* years({ first, last }: YearSpan): Generator<number> {
  for (let year = first; year <= last; year++) yield year;
}

/** Which calendar a person's birthday is kept in, and null when there is nothing to celebrate. */
export function birthdayCalendarOf(person: BirthdayPerson): 'solar' | 'lunar' | null {
  const calendar = person.birthdayCalendar ?? (person.birthday ? 'solar' : person.lunarBirthday ? 'lunar' : null);
  if (calendar === 'solar') return person.birthday ? 'solar' : null;
  if (calendar === 'lunar') return person.lunarBirthday || person.birthday ? 'lunar' : null;
  return null;
}

function birthdayCandidates(person: BirthdayPerson, span: YearSpan, feb29: Feb29Rule): Candidate[] {
  const calendar = birthdayCalendarOf(person);
  const birth = person.birthday ? parseIsoDate(person.birthday) : null;
  if (calendar === 'solar' && birth) return solarBirthdayCandidates(birth, span, feb29);
  if (calendar === 'lunar') return lunarBirthdayCandidates(person, birth, span);
  return [];
}

function solarBirthdayCandidates(birth: Ymd, span: YearSpan, feb29: Feb29Rule): Candidate[] {
  const candidates: Candidate[] = [];
  for (const year of years(span)) {
    const age = year - birth.year;
    if (age < 1) continue; // the day of birth itself, or before it, is no birthday
    candidates.push({ key: `birthday:${year}`, kind: 'birthday', date: sameDayInYear(birth, year, feb29), calendar: 'solar', age });
  }
  return candidates;
}

/**
 * Lunar birthdays. The lunar date is the one stored, or else the lunar date of the solar birth date.
 * Lunar year Y's date lies in solar year Y or (11th/12th month) Y+1, so lunar years from one
 * before the span are tried. The age counts lunar years from the lunar year of birth, which is read
 * off the solar birth date; the key is then `birthday:<solar birth year + age>` — the same key as
 * the solar birthday of that age, so switching calendars can never greet the same age twice. With
 * no birth year the age is unknown and the key is the lunar year.
 */
function lunarBirthdayCandidates(person: BirthdayPerson, birth: Ymd | null, span: YearSpan): Candidate[] {
  const birthInRange = birth !== null && birth.year > LUNAR_YEAR_MIN && birth.year < LUNAR_YEAR_MAX;
  const lunar: LunarBirthday | null = person.lunarBirthday ?? (birthInRange ? lunarBirthdayOf(person.birthday as IsoDate) : null);
  if (!lunar) return [];
  checkLunarBirthday(lunar);
  const birthLunarYear = birthInRange ? lunarYearOfBirth(person.birthday as IsoDate, lunar) : null;
  const candidates: Candidate[] = [];
  for (const year of years({ first: Math.max(span.first - 1, LUNAR_YEAR_MIN), last: Math.min(span.last, LUNAR_YEAR_MAX) })) {
    const age = birthLunarYear === null ? null : year - birthLunarYear;
    if (age !== null && age < 1) continue;
    const { solar, lunarDate } = resolveLunarDate(year, lunar.month, lunar.day, lunar.leap);
    const keyYear = age === null ? year : (birth as Ymd).year + age;
    candidates.push({ key: `birthday:${keyYear}`, kind: 'birthday', date: solar, calendar: 'lunar', lunarDate, age });
  }
  return candidates;
}

function lunarBirthdayOf(birthday: IsoDate): LunarBirthday {
  const { month, day, leap } = lunarDateOf(birthday);
  return { month, day, leap };
}

/**
 * The lunar year the person was born in: the year whose occurrence of their lunar birthday is
 * nearest their solar birth date. Exact when the two dates agree; when they do not (a typo in one
 * of them) it still counts one year per lunar year, so ages and keys never repeat.
 */
function lunarYearOfBirth(birthday: IsoDate, lunar: LunarBirthday): number {
  const { year } = parseIsoDate(birthday);
  let best = year;
  let bestDistance = Infinity;
  for (const candidate of [year - 1, year, year + 1]) {
    const distance = Math.abs(daysBetween(birthday, lunarToSolar(candidate, lunar.month, lunar.day, lunar.leap)));
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

function anniversaryCandidates(name: string, date: IsoDate, span: YearSpan, feb29: Feb29Rule): Candidate[] {
  if (!ANNIVERSARY_NAME.test(name)) {
    throw new RangeError(`anniversary name must be letters, digits, '.', '_' or '-', not ${JSON.stringify(name)}`);
  }
  const start = parseIsoDate(date);
  const candidates: Candidate[] = [];
  for (const year of years(span)) {
    const ordinal = year - start.year;
    if (ordinal < 1) continue;
    candidates.push({ key: `anniversary:${name}:${year}`, kind: 'anniversary', date: sameDayInYear(start, year, feb29), ordinal });
  }
  return candidates;
}

type HolidayOccasion = Extract<CareOccasion, { kind: 'holiday' }>;

function holidayCandidates(selection: HolidayOccasion['calendars'], only: HolidayOccasion['only'], span: YearSpan): Candidate[] {
  const calendars = resolveCalendars(selection);
  const unknown = (only ?? []).filter((key) => !(HOLIDAY_KEYS as readonly string[]).includes(key));
  if (unknown.length > 0) throw new RangeError(`unknown holiday ${unknown.join(', ')}`);
  const candidates: Candidate[] = [];
  for (const year of years(span)) {
    for (const holiday of holidaysFor(calendars, year)) {
      if (only && !only.includes(holiday.key)) continue;
      candidates.push({ key: `${holiday.key}:${year}`, kind: 'holiday', date: holiday.date, holiday: { key: holiday.key, name: holiday.name } });
    }
  }
  return candidates;
}
