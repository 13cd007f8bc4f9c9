/** A calendar date without a time or zone, `YYYY-MM-DD` (the form contacts store birthdays in). */
export type IsoDate = string;

/** A birthday in the Chinese lunisolar calendar: month 1–12, day 1–30, `leap` for a leap month (闰月). */
export interface LunarBirthday {
  month: number;
  day: number;
  leap: boolean;
}

/** A date in the Chinese calendar; `year` is the lunar year whose Spring Festival falls in solar year `year`. */
export interface LunarDate extends LunarBirthday {
  year: number;
}

/** Where 29 February goes in a year that has none: the last day of February, or the day after it. */
export type Feb29Rule = 'feb28' | 'mar1';

export type BirthdayCalendar = 'solar' | 'lunar';

/** What the calendar needs to know about a contact to find their birthdays. */
export interface BirthdayPerson {
  /** Solar date of birth, `YYYY-MM-DD`. */
  birthday?: IsoDate | null;
  lunarBirthday?: LunarBirthday | null;
  /** Which one to celebrate. Default: solar when a solar birthday is known, else lunar. */
  birthdayCalendar?: BirthdayCalendar | null;
  /** IANA zone; unknown or missing → `OccurrenceOptions.defaultTimeZone`. */
  timeZone?: string | null;
}

export const CALENDAR_NAMES = ['chinese', 'western', 'us', 'uk'] as const;
export type CalendarName = (typeof CALENDAR_NAMES)[number];

export const HOLIDAY_KEYS = [
  'new-year',
  'lunar-new-years-eve',
  'spring-festival',
  'valentines',
  'lantern',
  'mothering-sunday',
  'easter',
  'qingming',
  'mothers-day',
  'dragon-boat',
  'fathers-day',
  'qixi',
  'mid-autumn',
  'double-ninth',
  'thanksgiving',
  'christmas',
] as const;
export type HolidayKey = (typeof HOLIDAY_KEYS)[number];

export interface Holiday {
  key: HolidayKey;
  name: { en: string; zh: string };
  /** The solar date it falls on in the requested year. */
  date: IsoDate;
  /** The calendar sets it belongs to. */
  calendars: CalendarName[];
}

/** Something that recurs and deserves a message. */
export type CareOccasion =
  | { kind: 'birthday'; person: BirthdayPerson }
  | {
      kind: 'anniversary';
      /** Names the occasion in its key: letters, digits, `.`, `_`, `-`. */
      name: string;
      /** The original date, `YYYY-MM-DD`; its first anniversary is one year later. */
      date: IsoDate;
      timeZone?: string | null;
    }
  | {
      kind: 'holiday';
      /** Calendar names, or a locale (BCP 47) whose calendars apply. */
      calendars: readonly CalendarName[] | string;
      /** Only these holidays of the calendars (default: all of them). */
      only?: readonly HolidayKey[];
      timeZone?: string | null;
    };

export interface OccurrenceOptions {
  /** Local wall-clock time of the greeting, `HH:MM` (default `09:00`). */
  localTime?: string;
  /** Default `feb28`. */
  feb29?: Feb29Rule;
  /** Zone for occasions whose own zone is missing or unknown (default `UTC`). */
  defaultTimeZone?: string;
}

export interface CareOccurrence {
  /** Idempotency key of the message: `birthday:2027`, `anniversary:car-purchase:2027`, `mid-autumn:2027`. */
  key: string;
  kind: CareOccasion['kind'];
  /** The local date in `timeZone`. */
  date: IsoDate;
  /** The instant of the local target time on that date. */
  at: Date;
  timeZone: string;
  /** Birthdays: which calendar produced the date. */
  calendar?: BirthdayCalendar;
  /** Lunar birthdays: the lunar date actually used (after the day-30 and leap-month rules). */
  lunarDate?: LunarDate;
  /** Birthdays: the age reached that day; null when the birth year is unknown. */
  age?: number | null;
  /** Anniversaries: 1 for the first anniversary. */
  ordinal?: number;
  holiday?: { key: HolidayKey; name: { en: string; zh: string } };
}
