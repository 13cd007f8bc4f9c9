import fc from 'fast-check';
import type { CareOccasion, CareOccurrence, OccurrenceOptions } from './calendar.types';
import { lunarDateOf } from './lunar-dates';
import { occurrencesBetween } from './occurrences';
import { addDays } from './solar-dates';

const utc = (iso: string) => new Date(iso);
const between = (occasion: CareOccasion, from: string, to: string, options?: OccurrenceOptions) =>
  occurrencesBetween(occasion, utc(from), utc(to), options);
const summary = (o: CareOccurrence) => ({ key: o.key, date: o.date, at: o.at.toISOString(), age: o.age });

describe('care occurrences', () => {
  it('fires a birthday on the local date in the contact’s zone, not a day early in UTC (mautic#9040)', () => {
    const auckland: CareOccasion = { kind: 'birthday', person: { birthday: '1990-05-17', timeZone: 'Pacific/Auckland' } };
    // 09:00 on 17 May in Auckland (UTC+12) is still 16 May in UTC.
    expect(between(auckland, '2027-05-16T00:00:00Z', '2027-05-17T00:00:00Z').map(summary)).toEqual([
      { key: 'birthday:2027', date: '2027-05-17', at: '2027-05-16T21:00:00.000Z', age: 37 },
    ]);
    const losAngeles: CareOccasion = { kind: 'birthday', person: { birthday: '1990-05-17', timeZone: 'America/Los_Angeles' } };
    expect(between(losAngeles, '2027-05-17T00:00:00Z', '2027-05-18T00:00:00Z').map(summary)).toEqual([
      { key: 'birthday:2027', date: '2027-05-17', at: '2027-05-17T16:00:00.000Z', age: 37 },
    ]);
    // Late in the evening in LA is already the next UTC day; the local date still decides.
    expect(between(losAngeles, '2027-05-17T00:00:00Z', '2027-05-19T00:00:00Z', { localTime: '23:30' }).map(summary)).toEqual([
      { key: 'birthday:2027', date: '2027-05-17', at: '2027-05-18T06:30:00.000Z', age: 37 },
    ]);
  });

  it('greets at 09:00 local on the days clocks change in Los Angeles and Berlin', () => {
    const expectations: Array<[string, string, string]> = [
      ['America/Los_Angeles', '2027-03-14', '2027-03-14T16:00:00.000Z'],
      ['America/Los_Angeles', '2027-11-07', '2027-11-07T17:00:00.000Z'],
      ['Europe/Berlin', '2027-03-28', '2027-03-28T07:00:00.000Z'],
      ['Europe/Berlin', '2027-10-31', '2027-10-31T08:00:00.000Z'],
      ['Asia/Shanghai', '2027-03-28', '2027-03-28T01:00:00.000Z'],
    ];
    for (const [timeZone, date, instant] of expectations) {
      const occasion: CareOccasion = { kind: 'birthday', person: { birthday: `1980${date.slice(4)}`, timeZone } };
      expect([timeZone, between(occasion, `${date}T00:00:00Z`, `${addDays(date, 1)}T12:00:00Z`).map((o) => o.at.toISOString())]).toEqual([timeZone, [instant]]);
    }
    // A greeting time that the spring-forward skips goes out at the jump, 03:00 PDT.
    const early: CareOccasion = { kind: 'birthday', person: { birthday: '1980-03-14', timeZone: 'America/Los_Angeles' } };
    expect(between(early, '2027-03-14T00:00:00Z', '2027-03-15T00:00:00Z', { localTime: '02:30' })[0].at.toISOString()).toBe('2027-03-14T10:00:00.000Z');
  });

  it('celebrates 29 February on 28 February (default) or 1 March in common years, with the right age', () => {
    const leapling: CareOccasion = { kind: 'birthday', person: { birthday: '2000-02-29', timeZone: 'Europe/Berlin' } };
    const years = (options?: OccurrenceOptions) => between(leapling, '2026-01-01T00:00:00Z', '2029-01-01T00:00:00Z', options).map((o) => [o.key, o.date, o.age]);
    expect(years()).toEqual([
      ['birthday:2026', '2026-02-28', 26],
      ['birthday:2027', '2027-02-28', 27],
      ['birthday:2028', '2028-02-29', 28],
    ]);
    expect(years({ feb29: 'mar1' })).toEqual([
      ['birthday:2026', '2026-03-01', 26],
      ['birthday:2027', '2027-03-01', 27],
      ['birthday:2028', '2028-02-29', 28],
    ]);
    expect(() => years({ feb29: 'feb30' as never })).toThrow(RangeError);
  });

  it('maps a lunar birthday on the 30th to the right solar date in three years, the short year on the 29th', () => {
    // Born 1990-03-26, lunar 二月三十.
    expect(lunarDateOf('1990-03-26')).toEqual({ year: 1990, month: 2, day: 30, leap: false });
    const person = { birthday: '1990-03-26', lunarBirthday: { month: 2, day: 30, leap: false }, birthdayCalendar: 'lunar' as const, timeZone: 'Asia/Shanghai' };
    const found = between({ kind: 'birthday', person }, '2026-01-01T00:00:00Z', '2029-01-01T00:00:00Z');
    expect(found.map((o) => [o.key, o.date, o.at.toISOString(), o.age, o.lunarDate?.day])).toEqual([
      ['birthday:2026', '2026-04-16', '2026-04-16T01:00:00.000Z', 36, 29],
      ['birthday:2027', '2027-04-06', '2027-04-06T01:00:00.000Z', 37, 30],
      ['birthday:2028', '2028-03-25', '2028-03-25T01:00:00.000Z', 38, 30],
    ]);
    expect(found.every((o) => o.calendar === 'lunar')).toBe(true);
  });

  it('celebrates a leap-month birthday in the leap month only when the year has it', () => {
    const person = { birthday: '2025-08-08', lunarBirthday: { month: 6, day: 15, leap: true }, birthdayCalendar: 'lunar' as const, timeZone: 'Asia/Shanghai' };
    const found = between({ kind: 'birthday', person }, '2025-01-01T00:00:00Z', '2029-01-01T00:00:00Z');
    expect(found.map((o) => [o.key, o.date, o.age, o.lunarDate?.leap])).toEqual([
      // 2025 itself is the day of birth: no birthday yet.
      ['birthday:2026', '2026-07-28', 1, false],
      ['birthday:2027', '2027-07-18', 2, false],
      ['birthday:2028', '2028-08-05', 3, false],
    ]);
  });

  it('derives the lunar birthday from the solar birth date when only that is known, keyed like the solar one', () => {
    // Born 1990-01-15 = lunar 1989 腊月十九: the lunar birthday falls in January or February.
    const lunar: CareOccasion = { kind: 'birthday', person: { birthday: '1990-01-15', birthdayCalendar: 'lunar', timeZone: 'Asia/Shanghai' } };
    const solar: CareOccasion = { kind: 'birthday', person: { birthday: '1990-01-15', birthdayCalendar: 'solar', timeZone: 'Asia/Shanghai' } };
    const lunarFound = between(lunar, '2026-01-01T00:00:00Z', '2029-01-01T00:00:00Z');
    const solarFound = between(solar, '2026-01-01T00:00:00Z', '2029-01-01T00:00:00Z');
    expect(lunarFound.map((o) => [o.key, o.date, o.age])).toEqual([
      ['birthday:2026', '2026-02-06', 36],
      ['birthday:2027', '2027-01-26', 37],
      ['birthday:2028', '2028-01-15', 38],
    ]);
    // Switching calendars never greets the same age twice: the same age has the same key.
    expect(solarFound.map((o) => [o.key, o.age])).toEqual(lunarFound.map((o) => [o.key, o.age]));
  });

  it('keys a lunar birthday by its lunar year when the birth year is unknown', () => {
    const person = { lunarBirthday: { month: 12, day: 19, leap: false }, timeZone: 'Asia/Shanghai' };
    const found = between({ kind: 'birthday', person }, '2027-01-01T00:00:00Z', '2028-12-31T00:00:00Z');
    // Lunar 2026's 腊月十九 is 2027-01-26; lunar 2027's is 2028-01-15; lunar 2028's is 2029-01-xx.
    expect(found.map((o) => [o.key, o.date, o.age])).toEqual([
      ['birthday:2026', '2027-01-26', null],
      ['birthday:2027', '2028-01-15', null],
    ]);
  });

  it('has nothing to celebrate without the chosen birthday, or before the first one', () => {
    const window = ['2020-01-01T00:00:00Z', '2030-01-01T00:00:00Z'] as const;
    expect(between({ kind: 'birthday', person: { lunarBirthday: { month: 1, day: 1, leap: false }, birthdayCalendar: 'solar' } }, ...window)).toEqual([]);
    expect(between({ kind: 'birthday', person: {} }, ...window)).toEqual([]);
    expect(between({ kind: 'birthday', person: { birthday: '2029-06-01' } }, ...window)).toEqual([]);
    expect(between({ kind: 'birthday', person: { birthday: '1990-06-01' } }, '2027-06-02T00:00:00Z', '2027-06-01T00:00:00Z')).toEqual([]);
    expect(() => between({ kind: 'birthday', person: { lunarBirthday: { month: 13, day: 1, leap: false } } }, ...window)).toThrow(RangeError);
  });

  it('counts anniversaries from one and keys them by name and year', () => {
    const car: CareOccasion = { kind: 'anniversary', name: 'car-purchase', date: '2019-06-30', timeZone: 'Europe/Berlin' };
    expect(between(car, '2019-01-01T00:00:00Z', '2021-12-31T00:00:00Z').map((o) => [o.key, o.date, o.at.toISOString(), o.ordinal])).toEqual([
      ['anniversary:car-purchase:2020', '2020-06-30', '2020-06-30T07:00:00.000Z', 1],
      ['anniversary:car-purchase:2021', '2021-06-30', '2021-06-30T07:00:00.000Z', 2],
    ]);
    const leapDay: CareOccasion = { kind: 'anniversary', name: 'first-visit', date: '2024-02-29' };
    expect(between(leapDay, '2027-01-01T00:00:00Z', '2028-01-01T00:00:00Z', { feb29: 'mar1' }).map((o) => o.date)).toEqual(['2027-03-01']);
    expect(() => between({ kind: 'anniversary', name: 'car:purchase', date: '2019-06-30' }, '2020-01-01T00:00:00Z', '2021-01-01T00:00:00Z')).toThrow(RangeError);
  });

  it('gives holidays in the contact’s zone, by locale or by the campaign’s choice of calendars and days', () => {
    const shanghai: CareOccasion = { kind: 'holiday', calendars: 'zh-CN', only: ['mid-autumn', 'spring-festival'], timeZone: 'Asia/Shanghai' };
    expect(between(shanghai, '2027-01-01T00:00:00Z', '2028-01-01T00:00:00Z').map((o) => [o.key, o.at.toISOString(), o.holiday?.name.zh])).toEqual([
      ['spring-festival:2027', '2027-02-06T01:00:00.000Z', '春节'],
      ['mid-autumn:2027', '2027-09-15T01:00:00.000Z', '中秋节'],
    ]);
    const losAngeles: CareOccasion = { kind: 'holiday', calendars: ['western'], only: ['christmas'], timeZone: 'America/Los_Angeles' };
    expect(between(losAngeles, '2027-12-25T00:00:00Z', '2027-12-26T00:00:00Z').map((o) => [o.key, o.at.toISOString()])).toEqual([
      ['christmas:2027', '2027-12-25T17:00:00.000Z'],
    ]);
    // New Year's Day at 09:00 in Auckland is still 31 December in UTC, and belongs to 2028.
    const auckland: CareOccasion = { kind: 'holiday', calendars: 'en', only: ['new-year'], timeZone: 'Pacific/Auckland' };
    expect(between(auckland, '2027-12-31T00:00:00Z', '2028-01-01T00:00:00Z').map((o) => [o.key, o.date])).toEqual([['new-year:2028', '2028-01-01']]);
    expect(() => between({ kind: 'holiday', calendars: ['western'], only: ['halloween' as never] }, '2027-01-01T00:00:00Z', '2028-01-01T00:00:00Z')).toThrow(
      /unknown holiday halloween/,
    );
  });

  it('uses the default zone for a contact without a usable one', () => {
    const occasion: CareOccasion = { kind: 'birthday', person: { birthday: '1990-05-17', timeZone: 'Mars/Olympus_Mons' } };
    expect(between(occasion, '2027-05-17T00:00:00Z', '2027-05-18T00:00:00Z', { defaultTimeZone: 'Asia/Shanghai' })[0].timeZone).toBe('Asia/Shanghai');
    expect(between(occasion, '2027-05-17T00:00:00Z', '2027-05-18T00:00:00Z')[0].at.toISOString()).toBe('2027-05-17T09:00:00.000Z');
  });

  // ---- properties -------------------------------------------------------------------------------

  const ZONES = ['Asia/Shanghai', 'Europe/Berlin', 'America/Los_Angeles', 'Pacific/Auckland', 'Australia/Lord_Howe', 'America/St_Johns', 'UTC'];
  // Days on which some of those zones change their clocks in 2027, so that the property meets them.
  const CLOCK_CHANGE_DAYS = ['03-14', '11-07', '03-28', '10-31', '04-04', '09-26', '10-03'];
  const monthDay = fc.oneof(
    fc.constantFrom(...CLOCK_CHANGE_DAYS, '02-29', '12-31', '01-01'),
    fc.date({ min: new Date('2001-01-01T00:00:00Z'), max: new Date('2001-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(5, 10)),
  );
  const occasion: fc.Arbitrary<CareOccasion> = fc.oneof(
    fc.tuple(fc.integer({ min: 1940, max: 2012 }), monthDay, fc.constantFrom(...ZONES)).map(([year, md, timeZone]) => ({
      kind: 'birthday' as const,
      person: { birthday: `${md === '02-29' ? 2000 : year}-${md}`, timeZone },
    })),
    fc
      .tuple(fc.integer({ min: 1940, max: 2012 }), monthDay, fc.constantFrom(...ZONES), fc.boolean())
      .map(([year, md, timeZone, stored]) => {
        const birthday = `${md === '02-29' ? 2000 : year}-${md}`;
        const { month, day, leap } = lunarDateOf(birthday);
        return { kind: 'birthday' as const, person: { birthday, lunarBirthday: stored ? { month, day, leap } : null, birthdayCalendar: 'lunar' as const, timeZone } };
      }),
    fc.tuple(monthDay, fc.constantFrom(...ZONES)).map(([md, timeZone]) => ({ kind: 'anniversary' as const, name: 'first-visit', date: `2016-${md}`, timeZone })),
    fc.constantFrom(...ZONES).map((timeZone) => ({ kind: 'holiday' as const, calendars: ['chinese', 'western', 'us'] as const, timeZone })),
  );
  const localTime = fc.oneof(fc.constantFrom('09:00', '02:30', '01:30', '00:00', '23:59'), fc.integer({ min: 0, max: 1439 }).map((m) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`));

  it('property: a trigger evaluated every 5 minutes across the days around an occurrence yields it exactly once', () => {
    fc.assert(
      fc.property(occasion, localTime, fc.integer({ min: 0, max: 299 }), fc.integer({ min: 0, max: 24 * 60 }), (care, time, phaseSeconds, leadMinutes) => {
        const options = { localTime: time };
        const year = between(care, '2027-01-01T00:00:00Z', '2028-01-01T00:00:00Z', options);
        expect(new Set(year.map((o) => o.key)).size).toBe(year.length);
        if (year.length === 0) return;
        // Sweep two days from up to a day before the first occurrence, on a 5-minute grid that starts
        // at an arbitrary second.
        const start = year[0].at.getTime() - leadMinutes * 60_000 - phaseSeconds * 1000;
        const end = start + 2 * 86_400_000;
        const seen: CareOccurrence[] = [];
        for (let from = start; from < end; from += 5 * 60_000) {
          const to = from + 5 * 60_000;
          for (const found of occurrencesBetween(care, new Date(from), new Date(to), options)) {
            expect(found.at.getTime()).toBeGreaterThanOrEqual(from);
            expect(found.at.getTime()).toBeLessThan(to);
            seen.push(found);
          }
        }
        const once = occurrencesBetween(care, new Date(start), new Date(end), options);
        expect(seen.map((o) => o.key)).toEqual(once.map((o) => o.key));
        expect(seen.map((o) => o.key)).toContain(year[0].key);
        expect(new Set(seen.map((o) => o.key)).size).toBe(seen.length);
      }),
      { numRuns: 50 },
    );
  });

  it('property: evaluating a year in uneven windows gives the same occurrences as one window', () => {
    fc.assert(
      fc.property(occasion, localTime, fc.array(fc.integer({ min: 1, max: 40 * 24 }), { minLength: 1, maxLength: 30 }), (care, time, hours) => {
        const options = { localTime: time };
        const cuts = [Date.parse('2027-01-01T00:00:00Z')];
        for (const step of hours) cuts.push(cuts[cuts.length - 1] + step * 3_600_000);
        const pieces = cuts.slice(1).flatMap((to, i) => occurrencesBetween(care, new Date(cuts[i]), new Date(to), options));
        const whole = occurrencesBetween(care, new Date(cuts[0]), new Date(cuts[cuts.length - 1]), options);
        expect(pieces.map(summary)).toEqual(whole.map(summary));
      }),
      { numRuns: 150 },
    );
  });

  it('property: birthdays come once a year with the age going up by one, in either calendar', () => {
    fc.assert(
      fc.property(occasion.filter((o) => o.kind === 'birthday'), (care) => {
        const found = between(care, '2020-01-01T00:00:00Z', '2040-01-01T00:00:00Z');
        expect(found.length).toBeGreaterThanOrEqual(19);
        for (let i = 1; i < found.length; i++) {
          expect(found[i].age).toBe((found[i - 1].age as number) + 1);
          const gap = (found[i].at.getTime() - found[i - 1].at.getTime()) / 86_400_000;
          expect(gap).toBeGreaterThan(300); // lunar years run 353–385 days; solar ones 365–367 with 29 Feb moved
          expect(gap).toBeLessThan(400);
        }
        for (const o of found) expect(o.key).toBe(`birthday:${Number((care as { person: { birthday: string } }).person.birthday.slice(0, 4)) + (o.age as number)}`);
      }),
      { numRuns: 200 },
    );
  });
});
