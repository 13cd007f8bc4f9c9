import { Injectable } from '@nestjs/common';
import type {
  CareOccasion,
  CareOccurrence,
  CalendarName,
  Feb29Rule,
  Holiday,
  IsoDate,
  LunarBirthday,
  OccurrenceOptions,
} from './calendar.types';
import { Clock } from './clock';
import { calendarsForLocale, holidaysFor } from './holidays';
import { localDatesDue, parseLocalTime, resolveZone } from './local-time';
import { lunarBirthdaysOn, lunarToSolar } from './lunar-dates';
import { DEFAULT_FEB29_RULE, DEFAULT_LOCAL_TIME, occurrencesBetween } from './occurrences';
import { solarBirthdaysOn } from './solar-dates';

const DAY_MS = 86_400_000;

/**
 * The date maths of care triggers: when a birthday, an anniversary or a holiday comes round in a
 * contact's own time zone. Pure apart from the injected clock; see README.md for the rules.
 */
@Injectable()
export class CareCalendar {
  constructor(private readonly clock: Clock) {}

  /** Occurrences whose local target time falls in [from, to). */
  occurrencesBetween(occasion: CareOccasion, from: Date, to: Date, options?: OccurrenceOptions): CareOccurrence[] {
    return occurrencesBetween(occasion, from, to, options);
  }

  /** What became due since the last evaluation: [since, now). Pass the previous `now` next time. */
  dueSince(occasion: CareOccasion, since: Date, options?: OccurrenceOptions): { occurrences: CareOccurrence[]; until: Date } {
    const until = this.clock.now();
    return { occurrences: occurrencesBetween(occasion, since, until, options), until };
  }

  /** The first occurrence at or after `after` (default now), looking up to three years ahead. */
  nextOccurrence(occasion: CareOccasion, after: Date = this.clock.now(), options?: OccurrenceOptions): CareOccurrence | null {
    let from = after;
    for (let step = 0; step < 3; step++) {
      const to = new Date(from.getTime() + 400 * DAY_MS);
      const [first] = occurrencesBetween(occasion, from, to, options);
      if (first) return first;
      from = to;
    }
    return null;
  }

  holidaysFor(selection: readonly CalendarName[] | string, year: number): Holiday[] {
    return holidaysFor(selection, year);
  }

  calendarsForLocale(locale: string | null | undefined): CalendarName[] {
    return calendarsForLocale(locale);
  }

  lunarToSolar(year: number, month: number, day: number, leap = false): IsoDate {
    return lunarToSolar(year, month, day, leap);
  }

  /**
   * For a query over many contacts in one zone: the local dates whose target time falls in
   * [from, to), each with the solar and lunar birthdays celebrated on it. A contact matches when
   * (month, day) of their birthday is in `solar`, or (month, day, leap) of their stored lunar
   * birthday is in `lunar`; `occurrencesBetween` then gives the key and age.
   */
  birthdaysDue(
    from: Date,
    to: Date,
    timeZone: string,
    options: Pick<OccurrenceOptions, 'localTime' | 'feb29'> = {},
  ): Array<{ date: IsoDate; solar: Array<{ month: number; day: number }>; lunar: LunarBirthday[] }> {
    const rule: Feb29Rule = options.feb29 ?? DEFAULT_FEB29_RULE;
    const time = parseLocalTime(options.localTime ?? DEFAULT_LOCAL_TIME);
    return localDatesDue(from, to, resolveZone(timeZone), time).map((date) => ({
      date,
      solar: solarBirthdaysOn(date, rule),
      lunar: lunarBirthdaysOn(date),
    }));
  }
}
