import fc from 'fast-check';
import { DateTime } from 'luxon';
import { instantAtLocalTime, localDateOf, localDatesDue, parseLocalTime, resolveZone } from './local-time';

const at = (date: string, time: string, zone: string) => instantAtLocalTime(date, parseLocalTime(time), resolveZone(zone)).toISOString();

const ZONES = [
  'Asia/Shanghai',
  'Europe/Berlin',
  'America/Los_Angeles',
  'Australia/Lord_Howe', // half-hour daylight saving
  'Pacific/Auckland',
  'Asia/Kathmandu', // +05:45
  'America/St_Johns', // -03:30 with DST
  'America/Santiago', // DST changes at midnight
  'UTC',
];

describe('local time', () => {
  it('puts 09:00 on the days clocks change at the right UTC instant', () => {
    // Los Angeles: PST → PDT on 2027-03-14, back on 2027-11-07.
    expect(at('2027-03-13', '09:00', 'America/Los_Angeles')).toBe('2027-03-13T17:00:00.000Z');
    expect(at('2027-03-14', '09:00', 'America/Los_Angeles')).toBe('2027-03-14T16:00:00.000Z');
    expect(at('2027-11-07', '09:00', 'America/Los_Angeles')).toBe('2027-11-07T17:00:00.000Z');
    // Berlin: CET → CEST on 2027-03-28, back on 2027-10-31.
    expect(at('2027-03-28', '09:00', 'Europe/Berlin')).toBe('2027-03-28T07:00:00.000Z');
    expect(at('2027-10-31', '09:00', 'Europe/Berlin')).toBe('2027-10-31T08:00:00.000Z');
    // Shanghai has no daylight saving: 01:00Z on all of those days.
    for (const date of ['2027-03-14', '2027-03-28', '2027-10-31', '2027-11-07']) expect(at(date, '09:00', 'Asia/Shanghai')).toBe(`${date}T01:00:00.000Z`);
  });

  it('moves a local time that does not exist forward to the first valid instant, the moment of the jump', () => {
    expect(at('2027-03-14', '02:30', 'America/Los_Angeles')).toBe('2027-03-14T10:00:00.000Z'); // 03:00 PDT, not luxon's 03:30
    expect(at('2027-03-28', '02:30', 'Europe/Berlin')).toBe('2027-03-28T01:00:00.000Z'); // 03:00 CEST
    expect(at('2027-10-03', '02:15', 'Australia/Lord_Howe')).toBe('2027-10-02T15:30:00.000Z'); // 02:00 +10:30 → 02:30 +11
    // Samoa skipped 30 December 2011 altogether: its 09:00 is the first instant of the 31st.
    expect(at('2011-12-30', '09:00', 'Pacific/Apia')).toBe('2011-12-30T10:00:00.000Z');
    expect(DateTime.fromISO('2011-12-30T10:00:00Z', { zone: 'Pacific/Apia' }).toISO()).toBe('2011-12-31T00:00:00.000+14:00');
  });

  it('takes the first of the two instants of a local time that happens twice', () => {
    expect(at('2027-11-07', '01:30', 'America/Los_Angeles')).toBe('2027-11-07T08:30:00.000Z'); // PDT, not PST's 09:30Z
    expect(at('2027-10-31', '02:30', 'Europe/Berlin')).toBe('2027-10-31T00:30:00.000Z'); // CEST, not CET's 01:30Z
  });

  it('falls back to a default zone for a missing or unknown one, and rejects bad times', () => {
    expect(resolveZone(null).name).toBe('UTC');
    expect(resolveZone('Asia/Atlantis', 'Europe/Berlin').name).toBe('Europe/Berlin');
    expect(() => resolveZone(undefined, 'Nowhere/Else')).toThrow(RangeError);
    for (const bad of ['9:00', '24:00', '09:60', '0900', '']) expect(() => parseLocalTime(bad)).toThrow(RangeError);
  });

  const zone = fc.constantFrom(...ZONES);
  const instant = fc.integer({ min: Date.UTC(2020, 0, 1) / 60_000, max: Date.UTC(2035, 0, 1) / 60_000 }).map((minute) => new Date(minute * 60_000));

  /** Instants at which `name` changes its offset in `year`: a day-by-day scan, then bisection. */
  const transitionCache = new Map<string, number[]>();
  function transitions(name: string, year: number): number[] {
    const key = `${name}:${year}`;
    if (!transitionCache.has(key)) {
      const tz = resolveZone(name);
      const found: number[] = [];
      for (let t = Date.UTC(year, 0, 1); t < Date.UTC(year + 1, 0, 1); t += 86_400_000) {
        if (tz.offset(t) !== tz.offset(t + 86_400_000)) {
          let [low, high] = [t, t + 86_400_000];
          while (high - low > 1) {
            const middle = Math.floor((low + high) / 2);
            if (tz.offset(middle) === tz.offset(t)) low = middle;
            else high = middle;
          }
          found.push(high);
        }
      }
      transitionCache.set(key, found);
    }
    return transitionCache.get(key) as number[];
  }

  /** A wall-clock time: anywhere, or within 2½ hours of a clock change (gaps and repeated hours). */
  const wallTime = fc.oneof(
    fc.tuple(zone, instant, fc.constant(0)),
    fc.tuple(zone, fc.integer({ min: 2020, max: 2034 }), fc.nat(), fc.integer({ min: -150, max: 150 })).map(([name, year, pick, minutes]) => {
      const changes = transitions(name, year);
      const moment = changes.length > 0 ? new Date(changes[pick % changes.length]) : new Date(Date.UTC(year, 6, 1));
      return [name, moment, minutes] as const;
    }),
  ).map(([name, moment, minutes]) => {
    const wall = DateTime.fromJSDate(moment, { zone: name }).setZone('UTC', { keepLocalTime: true }).plus({ minutes }).startOf('minute');
    return { name, date: wall.toISODate() as string, hour: wall.hour, minute: wall.minute, wallAsUtc: wall.toMillis() };
  });

  it('property: a wall time maps to the first instant whose clock shows that time or later', () => {
    // One rule covers all three cases: an ordinary time (its instant), a repeated time (the first of
    // the two) and a skipped time (the jump, the first instant showing a later time).
    fc.assert(
      fc.property(wallTime, ({ name, date, hour, minute, wallAsUtc }) => {
        const tz = resolveZone(name);
        const shows = (t: number) => t + tz.offset(t) * 60_000;
        const result = instantAtLocalTime(date, { hour, minute }, tz).getTime();
        // Every instant whose clock shows exactly the wall time, from the offsets in force around it.
        const offsets = new Set([-24, -18, -12, -6, 0, 6, 12, 18, 24].map((h) => tz.offset(wallAsUtc + h * 3_600_000)));
        const showingIt = [...offsets].map((o) => wallAsUtc - o * 60_000).filter((t) => shows(t) === wallAsUtc);
        expect(shows(result)).toBeGreaterThanOrEqual(wallAsUtc);
        expect(shows(result - 1)).toBeLessThan(wallAsUtc);
        for (const t of showingIt) expect(t).toBeGreaterThanOrEqual(result); // never a later one of two
        // An existing time is hit exactly; only a skipped one lands later.
        expect(shows(result) === wallAsUtc).toBe(showingIt.length > 0);
      }),
      { numRuns: 1000 },
    );
  });

  it('property: back-to-back windows hand out each local date exactly once', () => {
    fc.assert(
      fc.property(instant, zone, fc.array(fc.integer({ min: 1, max: 6 * 60 }), { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 1439 }), (start, name, steps, minuteOfDay) => {
        const time = { hour: Math.floor(minuteOfDay / 60), minute: minuteOfDay % 60 };
        const tz = resolveZone(name);
        const cuts = [start.getTime()];
        for (const step of steps) cuts.push(cuts[cuts.length - 1] + step * 60_000);
        const pieces = cuts.slice(1).flatMap((end, i) => localDatesDue(new Date(cuts[i]), new Date(end), tz, time));
        const whole = localDatesDue(new Date(cuts[0]), new Date(cuts[cuts.length - 1]), tz, time);
        expect(pieces).toEqual(whole);
        expect(new Set(whole).size).toBe(whole.length);
        for (const date of whole) expect(localDateOf(instantAtLocalTime(date, time, tz), tz) >= date).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
