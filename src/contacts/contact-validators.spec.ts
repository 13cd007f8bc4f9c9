import { DateTime } from 'luxon';
import {
  canonicalLocale,
  canonicalTimeZone,
  isContactListCursor,
  isCountryCode,
  isIanaTimeZone,
  isPastCalendarDate,
  tagListProblem,
} from './contact-validators';

const cursor = (parts: unknown) => Buffer.from(JSON.stringify(parts)).toString('base64url');

describe('isCountryCode', () => {
  it.each(['CN', 'DE', 'US', 'GB', 'HK', 'TW', 'XK', 'AQ'])('accepts %s', (code) => {
    expect(isCountryCode(code)).toBe(true);
  });

  it.each([
    ['UK', 'not ISO: the code of the United Kingdom is GB'],
    ['EU', 'a union, not a country'],
    ['UN', 'an organisation'],
    ['ZZ', 'CLDR "unknown region"'],
    ['SU', 'withdrawn (Soviet Union)'],
    ['YU', 'withdrawn (Yugoslavia)'],
    ['XX', 'unassigned'],
    ['cn', 'lower case'],
    ['CHN', 'alpha-3'],
    ['', 'empty'],
  ])('refuses %s (%s)', (code) => {
    expect(isCountryCode(code)).toBe(false);
  });

  it('refuses what is not a string', () => {
    expect(isCountryCode(86)).toBe(false);
    expect(isCountryCode(null)).toBe(false);
  });
});

describe('canonicalLocale', () => {
  it.each([
    ['zh-cn', 'zh-CN'],
    ['EN-us', 'en-US'],
    ['zh-hant-tw', 'zh-Hant-TW'],
    ['de', 'de'],
    ['de-DE-u-co-phonebk', 'de-DE-u-co-phonebk'],
  ])('writes %s as %s', (given, canonical) => {
    expect(canonicalLocale(given)).toBe(canonical);
  });

  it.each(['', 'chinese, please', 'e', 'en_US_POSIX!', 'x'.repeat(36)])('refuses %j', (given) => {
    expect(canonicalLocale(given)).toBeNull();
  });

  it('refuses what is not a string', () => {
    expect(canonicalLocale(['en-US'])).toBeNull();
    expect(canonicalLocale(42)).toBeNull();
  });
});

describe('IANA time zones', () => {
  it.each(['Asia/Shanghai', 'America/New_York', 'Europe/Berlin', 'UTC', 'Etc/GMT-8'])('accepts %s', (zone) => {
    expect(isIanaTimeZone(zone)).toBe(true);
  });

  it.each(['Asia/Atlantis', 'Mars/Olympus_Mons', '+08:00', 'GMT+8', 'China Standard Time', '', 'A/'.repeat(33)])('refuses %j', (zone) => {
    expect(isIanaTimeZone(zone)).toBe(false);
    expect(canonicalTimeZone(zone)).toBeNull();
  });

  it.each([
    ['asia/shanghai', 'Asia/Shanghai'],
    ['EUROPE/BERLIN', 'Europe/Berlin'],
    ['Etc/UTC', 'UTC'],
    ['US/Eastern', 'America/New_York'],
  ])('stores %s as %s', (given, canonical) => {
    expect(canonicalTimeZone(given)).toBe(canonical);
  });
});

describe('isPastCalendarDate', () => {
  it.each(['1980-05-17', '2024-02-29', '1900-01-01', DateTime.utc().toISODate()!])('accepts %s', (date) => {
    expect(isPastCalendarDate(date)).toBe(true);
  });

  it.each([
    ['2023-02-29', 'not a leap year'],
    ['2023-02-30', 'no such day'],
    ['1980-13-01', 'no month 13'],
    ['1899-12-31', 'before 1900'],
    [DateTime.utc().plus({ days: 2 }).toISODate()!, 'in the future'],
    ['1980-5-17', 'not zero-padded'],
    ['17.05.1980', 'not ISO'],
    ['1980-05-17T00:00:00Z', 'a time, not a date'],
  ])('refuses %s (%s)', (date) => {
    expect(isPastCalendarDate(date)).toBe(false);
  });

  it('refuses a number that looks like a date', () => {
    expect(isPastCalendarDate(19800517)).toBe(false);
  });
});

describe('isContactListCursor', () => {
  const id = '7f9c2b9e-1d2a-4c51-9a56-0d3c1e9b2a10';

  it('accepts a cursor as the repository writes it', () => {
    expect(isContactListCursor(cursor([new Date('2024-03-01T08:30:00.123Z').toISOString(), id]))).toBe(true);
  });

  it.each([
    ['garbage', 'garbage!'],
    ['not JSON', Buffer.from('not json').toString('base64url')],
    ['an object', cursor({ createdAt: '2024-03-01T08:30:00.123Z', id })],
    ['three parts', cursor(['2024-03-01T08:30:00.123Z', id, 'x'])],
    ['an id of dashes', cursor(['2024-03-01T08:30:00.123Z', '-'.repeat(36)])],
    ['a time PostgreSQL cannot read', cursor(['1', id])],
    ['a time past year 9999', cursor(['+275760-09-13T00:00:00.000Z', id])],
    ['a day that does not exist', cursor(['2023-02-30T00:00:00.000Z', id])],
    ['a number for the time', cursor([1700000000000, id])],
  ])('refuses %s', (_what, value) => {
    expect(isContactListCursor(value)).toBe(false);
  });
});

describe('tagListProblem', () => {
  it('accepts a list of short tags, including none', () => {
    expect(tagListProblem(['vip', '车主', 'owner-2024'])).toBeNull();
    expect(tagListProblem([])).toBeNull();
  });

  it.each([
    ['vip', 'tags must be an array of strings ([] for none)'],
    [null, 'tags must be an array of strings ([] for none)'],
    [Array.from({ length: 101 }, (_, i) => `t${i}`), 'tags must have at most 100 entries'],
    [['vip', 7], 'tags[1] must be a text of 1 to 64 characters without commas'],
    [['vip', ''], 'tags[1] must be a text of 1 to 64 characters without commas'],
    [['vip,gold'], 'tags[0] must be a text of 1 to 64 characters without commas'],
    [['x'.repeat(65)], 'tags[0] must be a text of 1 to 64 characters without commas'],
  ])('explains what is wrong with %j in one sentence', (value, problem) => {
    expect(tagListProblem(value)).toBe(problem);
  });
});
