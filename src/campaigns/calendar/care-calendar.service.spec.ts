import { Test } from '@nestjs/testing';
import { CalendarModule } from './calendar.module';
import type { CareOccasion, CareOccurrence } from './calendar.types';
import { CareCalendar } from './care-calendar.service';
import { Clock, ManualClock, SystemClock } from './clock';

async function calendarAt(start: string): Promise<{ calendar: CareCalendar; clock: ManualClock }> {
  const clock = new ManualClock(start);
  const moduleRef = await Test.createTestingModule({ imports: [CalendarModule] }).overrideProvider(Clock).useValue(clock).compile();
  return { calendar: moduleRef.get(CareCalendar), clock };
}

describe('CareCalendar with an injected clock', () => {
  it('is wired to the system clock by default', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [CalendarModule] }).compile();
    expect(moduleRef.get(Clock)).toBeInstanceOf(SystemClock);
    expect(Math.abs(moduleRef.get(Clock).now().getTime() - Date.now())).toBeLessThan(5_000);
  });

  it('greets contacts in Shanghai, Berlin and Los Angeles at their own 09:00 on the days DST starts and ends', async () => {
    // Each contact's birthday is a day on which clocks change somewhere; the trigger runs every
    // 5 minutes from the clock's start, always asking for [previous run, now).
    const contacts: Array<[string, string, string]> = [
      ['Asia/Shanghai', '1985-03-14', '2027-03-14T01:00:00.000Z'],
      ['America/Los_Angeles', '1985-03-14', '2027-03-14T16:00:00.000Z'], // PDT, UTC-7
      ['America/Los_Angeles', '1985-11-07', '2027-11-07T17:00:00.000Z'], // PST, UTC-8
      ['Europe/Berlin', '1985-03-28', '2027-03-28T07:00:00.000Z'], // CEST, UTC+2
      ['Europe/Berlin', '1985-10-31', '2027-10-31T08:00:00.000Z'], // CET, UTC+1
      ['Asia/Shanghai', '1985-10-31', '2027-10-31T01:00:00.000Z'],
    ];
    for (const [timeZone, birthday, expected] of contacts) {
      const day = `2027${birthday.slice(4)}`;
      const { calendar, clock } = await calendarAt(`${day}T00:00:00Z`);
      const occasion: CareOccasion = { kind: 'birthday', person: { birthday, timeZone } };
      const sent: Array<{ occurrence: CareOccurrence; evaluatedAt: Date }> = [];
      let since = new Date(clock.now().getTime() - 24 * 3_600_000);
      for (let tick = 0; tick < 2 * 288; tick++) {
        const { occurrences, until } = calendar.dueSince(occasion, since);
        for (const occurrence of occurrences) sent.push({ occurrence, evaluatedAt: until });
        since = until;
        clock.advance({ minutes: 5 });
      }
      expect([timeZone, birthday, sent.map((s) => [s.occurrence.key, s.occurrence.at.toISOString(), s.occurrence.age])]).toEqual([
        timeZone,
        birthday,
        [['birthday:2027', expected, 42]],
      ]);
      // Sent by the first run at or after the local 09:00, never before it.
      const lateness = sent[0].evaluatedAt.getTime() - Date.parse(expected);
      expect(lateness).toBeGreaterThan(0);
      expect(lateness).toBeLessThanOrEqual(5 * 60_000);
    }
  });

  it('finds the next occurrence from now: a leap-month lunar birthday in a year with and one without the leap month', async () => {
    const { calendar, clock } = await calendarAt('2028-06-01T00:00:00Z');
    const leapBorn: CareOccasion = {
      kind: 'birthday',
      person: { lunarBirthday: { month: 5, day: 10, leap: true }, birthdayCalendar: 'lunar', timeZone: 'Asia/Shanghai' },
    };
    expect(calendar.nextOccurrence(leapBorn)?.date).toBe('2028-07-02'); // 2028 has 闰五月
    clock.set('2028-07-03T00:00:00Z');
    expect(calendar.nextOccurrence(leapBorn)?.date).toBe('2029-06-21'); // 2029 does not: the regular 5th month
    expect(calendar.nextOccurrence({ kind: 'birthday', person: {} })).toBeNull();
  });

  it('answers "whose birthday is due" for one zone and window, for a query over many contacts', async () => {
    const { calendar } = await calendarAt('2027-02-28T00:00:00Z');
    // 09:00 in Berlin on 28 Feb 2027 (a common year) is 08:00Z.
    const due = calendar.birthdaysDue(new Date('2027-02-28T07:55:00Z'), new Date('2027-02-28T08:00:01Z'), 'Europe/Berlin');
    expect(due).toHaveLength(1);
    expect(due[0].date).toBe('2027-02-28');
    expect(due[0].solar).toEqual([{ month: 2, day: 28 }, { month: 2, day: 29 }]);
    // Lunar 2027 正月廿三, and 闰正月廿三 too: 2027 has no leap first month.
    expect(due[0].lunar).toEqual([{ month: 1, day: 23, leap: false }, { month: 1, day: 23, leap: true }]);
    expect(calendar.birthdaysDue(new Date('2027-02-28T08:00:01Z'), new Date('2027-02-28T09:00:00Z'), 'Europe/Berlin')).toEqual([]);
  });

  it('lists holidays and converts lunar dates through the service', async () => {
    const { calendar } = await calendarAt('2027-01-01T00:00:00Z');
    expect(calendar.calendarsForLocale('zh-CN')).toEqual(['chinese']);
    expect(calendar.holidaysFor('zh-CN', 2028).find((h) => h.key === 'mid-autumn')?.date).toBe('2028-10-03');
    expect(calendar.lunarToSolar(2028, 1, 1)).toBe('2028-01-26');
  });
});

describe('ManualClock', () => {
  it('stands still until moved, moves only forwards, and can be set', () => {
    const clock = new ManualClock('2027-03-14T09:59:00Z');
    expect(clock.now().toISOString()).toBe('2027-03-14T09:59:00.000Z');
    expect(clock.now().toISOString()).toBe('2027-03-14T09:59:00.000Z');
    expect(clock.advance({ minutes: 1, seconds: 30 }).toISOString()).toBe('2027-03-14T10:00:30.000Z');
    expect(clock.advance({ days: 1 }).toISOString()).toBe('2027-03-15T10:00:30.000Z');
    expect(() => clock.advance(-1)).toThrow(RangeError);
    clock.set('2026-01-01T00:00:00Z');
    expect(clock.now().toISOString()).toBe('2026-01-01T00:00:00.000Z');
    // The Date handed out is a copy: changing it does not move the clock.
    clock.now().setUTCFullYear(1999);
    expect(clock.now().getUTCFullYear()).toBe(2026);
    expect(() => new ManualClock('not a time')).toThrow(RangeError);
  });
});
