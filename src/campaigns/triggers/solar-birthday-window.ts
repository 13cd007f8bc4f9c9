import type { Feb29Rule, IsoDate } from '../calendar/calendar.types';
import { instantAtLocalTime, parseLocalTime, resolveZone } from '../calendar/local-time';
import { addDays, solarBirthdaysOn } from '../calendar/solar-dates';

const HOUR_MS = 3_600_000;
/** Zone offsets run from UTC−12 to UTC+14. */
const EARLIEST_OFFSET_MS = 12 * HOUR_MS;
const LATEST_OFFSET_MS = 14 * HOUR_MS;
const DST_GAP_MS = HOUR_MS;

/**
 * The local dates whose `localTime` can fall in [from, to) in some zone. The wall clock is the
 * instant plus the zone's offset (UTC−12 … UTC+14), and a daylight-saving gap moves a local time by
 * up to an hour, so one UTC day at 09:00 needs three dates, not the seven a ±2-day pad would read.
 */
export function candidateDates(from: Date, to: Date, localTime: string): IsoDate[] {
  const time = parseLocalTime(localTime);
  const timeMs = (time.hour * 60 + time.minute) * 60_000;
  const first = new Date(from.getTime() - EARLIEST_OFFSET_MS - DST_GAP_MS - timeMs).toISOString().slice(0, 10);
  const last = new Date(to.getTime() - 1 + LATEST_OFFSET_MS + DST_GAP_MS - timeMs).toISOString().slice(0, 10);
  const dates: IsoDate[] = [];
  for (let date = first; date <= last; date = addDays(date, 1)) dates.push(date);
  return dates;
}

/**
 * Which solar birthdays can have their greeting inside [from, to), answered per (zone, local date)
 * rather than per contact. The SQL lookup by month-day has to read every birthday on the three or so
 * local dates some zone can be on, about three times the contacts actually due, and asking the care
 * calendar about each costs several time-zone look-ups. A zone and a date decide the instant for
 * everyone sharing them, so a million contacts in a handful of zones need a few dozen look-ups.
 * This only rules contacts out; the calendar still decides, key and age included, for the rest.
 */
export class SolarBirthdayWindow {
  /** Month-day (month × 100 + day) → the candidate local dates it is celebrated on. */
  private readonly datesByMonthDay = new Map<number, IsoDate[]>();
  private readonly inWindow = new Map<string, boolean>();

  constructor(
    dates: IsoDate[],
    feb29: Feb29Rule,
    private readonly from: Date,
    private readonly to: Date,
    private readonly localTime: string,
    private readonly defaultTimeZone: string,
  ) {
    for (const date of dates) {
      for (const md of solarBirthdaysOn(date, feb29)) {
        const key = md.month * 100 + md.day;
        this.datesByMonthDay.set(key, [...(this.datesByMonthDay.get(key) ?? []), date]);
      }
    }
  }

  /** The month-days whose birthdays fall on one of the candidate dates. */
  monthDays(): number[] {
    return [...this.datesByMonthDay.keys()];
  }

  /** False when a solar birthday (`YYYY-MM-DD`) cannot be greeted in the window in `timeZone`. */
  mayFall(birthday: IsoDate, timeZone: string | null): boolean {
    const dates = this.datesByMonthDay.get(Number(birthday.slice(5, 7)) * 100 + Number(birthday.slice(8, 10)));
    return dates !== undefined && dates.some((date) => this.dateInWindow(date, timeZone));
  }

  private dateInWindow(date: IsoDate, timeZone: string | null): boolean {
    const key = `${timeZone ?? ''}|${date}`;
    let answer = this.inWindow.get(key);
    if (answer === undefined) {
      // The zone the calendar itself would use: the contact's, else the campaign's default.
      const at = instantAtLocalTime(date, parseLocalTime(this.localTime), resolveZone(timeZone, this.defaultTimeZone)).getTime();
      answer = at >= this.from.getTime() && at < this.to.getTime();
      this.inWindow.set(key, answer);
    }
    return answer;
  }
}
