import { CALENDAR_NAMES, CalendarName, Holiday, HolidayKey, IsoDate } from './calendar.types';
import { lunarToSolar, solarTermDate } from './lunar-dates';
import { addDays, isoDate, nthWeekdayOfMonth, SUNDAY, THURSDAY, westernEaster } from './solar-dates';

/**
 * Holiday rules per calendar set. Every date is computed for the year asked — lunar festivals with
 * lunar-javascript, Qingming from its solar-term table, Easter by algorithm — never looked up in a
 * typed-in table.
 */
interface HolidayRule {
  key: HolidayKey;
  name: { en: string; zh: string };
  calendars: CalendarName[];
  dateIn(year: number): IsoDate;
}

const lunar = (month: number, day: number) => (year: number) => lunarToSolar(year, month, day, false);

const RULES: HolidayRule[] = [
  { key: 'new-year', name: { en: "New Year's Day", zh: '元旦' }, calendars: ['western'], dateIn: (y) => isoDate(y, 1, 1) },
  // The last day of the lunar year is 12/29 or 12/30 (2025–2029 have no 年三十); the day before
  // the Spring Festival is right in both cases, and in a year whose 12th month had a leap month too.
  {
    key: 'lunar-new-years-eve',
    name: { en: "Lunar New Year's Eve", zh: '除夕' },
    calendars: ['chinese'],
    dateIn: (y) => addDays(lunarToSolar(y, 1, 1), -1),
  },
  { key: 'spring-festival', name: { en: 'Spring Festival', zh: '春节' }, calendars: ['chinese'], dateIn: lunar(1, 1) },
  { key: 'valentines', name: { en: "Valentine's Day", zh: '情人节' }, calendars: ['western'], dateIn: (y) => isoDate(y, 2, 14) },
  { key: 'lantern', name: { en: 'Lantern Festival', zh: '元宵节' }, calendars: ['chinese'], dateIn: lunar(1, 15) },
  // Laetare Sunday, three weeks before Easter.
  {
    key: 'mothering-sunday',
    name: { en: 'Mothering Sunday', zh: '母亲节（英国）' },
    calendars: ['uk'],
    dateIn: (y) => addDays(westernEaster(y), -21),
  },
  { key: 'easter', name: { en: 'Easter Sunday', zh: '复活节' }, calendars: ['western'], dateIn: westernEaster },
  { key: 'qingming', name: { en: 'Qingming Festival', zh: '清明节' }, calendars: ['chinese'], dateIn: (y) => solarTermDate(y, 'qingMing') },
  {
    key: 'mothers-day',
    name: { en: "Mother's Day", zh: '母亲节' },
    calendars: ['us'],
    dateIn: (y) => nthWeekdayOfMonth(y, 5, SUNDAY, 2),
  },
  { key: 'dragon-boat', name: { en: 'Dragon Boat Festival', zh: '端午节' }, calendars: ['chinese'], dateIn: lunar(5, 5) },
  {
    key: 'fathers-day',
    name: { en: "Father's Day", zh: '父亲节' },
    calendars: ['us', 'uk'],
    dateIn: (y) => nthWeekdayOfMonth(y, 6, SUNDAY, 3),
  },
  { key: 'qixi', name: { en: 'Qixi Festival', zh: '七夕节' }, calendars: ['chinese'], dateIn: lunar(7, 7) },
  { key: 'mid-autumn', name: { en: 'Mid-Autumn Festival', zh: '中秋节' }, calendars: ['chinese'], dateIn: lunar(8, 15) },
  { key: 'double-ninth', name: { en: 'Double Ninth Festival', zh: '重阳节' }, calendars: ['chinese'], dateIn: lunar(9, 9) },
  {
    key: 'thanksgiving',
    name: { en: 'Thanksgiving', zh: '感恩节' },
    calendars: ['us'],
    dateIn: (y) => nthWeekdayOfMonth(y, 11, THURSDAY, 4),
  },
  { key: 'christmas', name: { en: 'Christmas Day', zh: '圣诞节' }, calendars: ['western'], dateIn: (y) => isoDate(y, 12, 25) },
];

export function isCalendarName(name: string): name is CalendarName {
  return (CALENDAR_NAMES as readonly string[]).includes(name);
}

/**
 * The calendar sets that apply to a contact's locale (BCP 47). Chinese → the Chinese festivals;
 * US or plain English → Western plus the US days (Mother's Day, Father's Day, Thanksgiving);
 * British or Irish → Western plus Mothering Sunday and Father's Day; anything else, or no
 * locale → Western only, because other countries' Mother's and Father's Days differ.
 */
export function calendarsForLocale(locale: string | null | undefined): CalendarName[] {
  const [language = '', ...rest] = (locale ?? '').toLowerCase().split(/[-_]/);
  const region = rest.find((part) => /^[a-z]{2}$|^\d{3}$/.test(part)) ?? '';
  if (language === 'zh') return ['chinese'];
  if (language === 'en' && (region === 'gb' || region === 'ie')) return ['western', 'uk'];
  if (language === 'en' && (region === '' || region === 'us')) return ['western', 'us'];
  return ['western'];
}

/** Calendar names as given, or the calendars of a locale when a single non-calendar string is given. */
export function resolveCalendars(selection: readonly string[] | string): CalendarName[] {
  if (typeof selection === 'string') return isCalendarName(selection) ? [selection] : calendarsForLocale(selection);
  const unknown = selection.filter((name) => !isCalendarName(name));
  if (unknown.length > 0) throw new RangeError(`unknown calendar ${unknown.join(', ')}; known: ${CALENDAR_NAMES.join(', ')}`);
  return [...new Set(selection as readonly CalendarName[])];
}

/** The holidays of the chosen calendars (or a locale's) that fall in solar year `year`, by date. */
export function holidaysFor(selection: readonly string[] | string, year: number): Holiday[] {
  if (!Number.isInteger(year)) throw new RangeError(`year must be an integer, not ${year}`);
  const calendars = resolveCalendars(selection);
  return RULES.filter((rule) => rule.calendars.some((name) => calendars.includes(name)))
    .map((rule) => ({ key: rule.key, name: { ...rule.name }, date: rule.dateIn(year), calendars: [...rule.calendars] }))
    .sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}
