import * as lunarJavascript from 'lunar-javascript';
import { MessageRenderer, RenderableTemplate } from '../engine/message-renderer';
import { rootSchema } from '../engine/render-schema';
import { TemplateEngine } from '../engine/template-engine';
import { birthdayAge } from './dates';
import { MAX_REPEAT } from './template-helpers';

const { Lunar } = lunarJavascript as unknown as { Lunar: { fromYmd(y: number, m: number, d: number): { getSolar(): { toYmd(): string } } } };
const engine = new TemplateEngine();
const renderer = new MessageRenderer(engine);

const contact = (overrides: Record<string, unknown> = {}) => ({
  id: 'c1', givenName: 'Wei', familyName: 'Li', formOfAddress: 'Mr Li', locale: 'en', timeZone: 'Asia/Shanghai',
  birthday: '1980-09-25', lunarBirthday: { month: 8, day: 15, leap: false }, address: null, attributes: {}, ...overrides,
});

/** Renders `body` as an SMS in `locale`: the helpers as a template uses them, through real Handlebars. */
function render(body: string, locale: string, context: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): string {
  const parsed = engine.parse(body);
  if ('problem' in parsed) throw new Error(parsed.problem.message);
  const { problems, rootNames } = engine.check(parsed.ast, 'text', rootSchema());
  if (problems.length > 0) throw new Error(problems.map((p) => p.message).join('; '));
  const template: RenderableTemplate = {
    cacheKey: null, templateKey: 't', channel: 'sms', locale, variant: 'default', version: null, source: 'file',
    parts: { body }, rootNames, layout: null,
  };
  return renderer.render(template, { contact: contact(), locale, prefs: {}, prefLabels: {}, ...context }, extra).text!;
}

describe('template helpers', () => {
  it('gives the lunar date of a day, in Chinese and in English, as lunar-javascript computes it', () => {
    // The library's own inverse: lunar 2026, month 8, day 15 is 25 September 2026 (Mid-Autumn).
    expect(Lunar.fromYmd(2026, 8, 15).getSolar().toYmd()).toBe('2026-09-25');
    expect(render('{{lunarDate "2026-09-25"}}', 'zh-CN')).toBe('农历八月十五');
    expect(render('{{lunarDate "2026-09-25"}}', 'en')).toBe('8th month, 15th day (lunar)');
    expect(render('{{lunarDate "2026-02-17"}}', 'zh-CN')).toBe('农历正月初一');
    // 2025 has a leap sixth month; 25 July 2025 is its first day.
    expect(render('{{lunarDate "2025-07-25"}}', 'zh-CN')).toBe('农历闰六月初一');
    expect(render('{{lunarDate "2025-07-25"}}', 'en')).toBe('leap 6th month, 1st day (lunar)');
    // A stored lunar birthday is named the same way.
    expect(render('{{lunarDate contact.lunarBirthday}}', 'zh-CN')).toBe('农历八月十五');
    expect(render('{{lunarDate contact.lunarBirthday}}', 'zh-CN', { contact: contact({ lunarBirthday: { month: 12, day: 23, leap: false } }) })).toBe('农历腊月廿三');
  });

  it('takes the lunar date of an instant on the day it is in the contact’s zone', () => {
    const instant = '2026-09-24T18:30:00Z'; // 02:30 on the 25th in Shanghai, still the 24th in New York
    expect(render('{{lunarDate now}}', 'zh-CN', {}, { now: instant })).toBe('农历八月十五');
    expect(render('{{lunarDate now}}', 'zh-CN', { contact: contact({ timeZone: 'America/New_York' }) }, { now: instant })).toBe('农历八月十四');
  });

  it('formats dates and times in the contact’s locale and time zone', () => {
    const instant = '2026-09-24T18:30:00Z';
    expect(render('{{formatDate now}}', 'zh-CN', {}, { now: instant })).toBe('2026年9月25日');
    expect(render('{{formatDate now "long"}} {{formatDate now "time"}}', 'en', { contact: contact({ timeZone: 'America/New_York' }) }, { now: instant }))
      .toBe('September 24, 2026 2:30 PM');
    expect(render('{{formatDate now "full"}}', 'en', {}, { now: instant })).toBe('Friday, September 25, 2026');
    // A calendar day (a birthday) never moves across midnight, whatever the zone.
    expect(render('{{formatDate contact.birthday "monthDay"}}', 'en', { contact: contact({ timeZone: 'Pacific/Honolulu' }) })).toBe('September 25');
    expect(render('{{formatDate contact.birthday "monthDay"}}', 'zh-CN')).toBe('9月25日');
    expect(render('{{formatDate now "long" zone="Europe/London"}}', 'en', {}, { now: instant })).toBe('September 24, 2026');
    expect(render('[{{formatDate contact.familyName}}]', 'en')).toBe('[]');
  });

  it('draws one candle per year of the NEW age, capped', () => {
    const candles = (text: string) => [...text].filter((c) => c === '🕯').length;
    // Birthday 25 September 1980: a card made on the 18th, the day itself, or a day late shows 46.
    for (const now of ['2026-09-18T09:00:00+08:00', '2026-09-25T09:00:00+08:00', '2026-09-26T09:00:00+08:00']) {
      expect(candles(render('{{#repeat age}}🕯{{/repeat}}', 'en', {}, { now }))).toBe(46);
    }
    expect(render('{{age}} {{age contact.birthday "2026-03-01"}}', 'en', {}, { now: '2026-09-18T09:00:00+08:00' })).toBe('46 45');
    expect(candles(render('{{#repeat age}}🕯{{/repeat}}', 'en', {}, { age: 3 }))).toBe(3);
    expect(candles(render('{{#repeat age}}🕯{{/repeat}}', 'en', {}, { age: 10_000 }))).toBe(MAX_REPEAT);
    expect(render('[{{#repeat age}}🕯{{/repeat}}]', 'en', {}, { age: -4 })).toBe('[]');
    expect(render('{{#repeat 3}}{{@index}}{{#if @last}}!{{/if}}{{/repeat}}', 'en')).toBe('012!');
    // Nested rows share one budget per render, so a template cannot multiply its way to millions.
    const nested = render('{{#repeat 150}}{{#repeat 150}}x{{/repeat}}{{/repeat}}', 'en');
    expect(nested.length).toBeLessThanOrEqual(1000);
  });

  it('computes the age of the nearest birthday, 29 February included', () => {
    expect(birthdayAge('2000-02-29', '2027-02-28T12:00:00Z', 'UTC')).toBe(27);
    expect(birthdayAge('2000-02-29', '2028-02-29T12:00:00Z', 'UTC')).toBe(28);
    expect(birthdayAge('1980-09-25', '2026-09-24T18:30:00Z', 'Asia/Shanghai')).toBe(46);
    expect(birthdayAge('not a date', '2026-09-24T18:30:00Z', 'UTC')).toBeNull();
  });

  it('writes ordinals in English and Chinese', () => {
    expect(render('{{ordinal 1}} {{ordinal 2}} {{ordinal 3}} {{ordinal 4}} {{ordinal 11}} {{ordinal 12}} {{ordinal 13}} {{ordinal 21}} {{ordinal 22}} {{ordinal 103}}', 'en'))
      .toBe('1st 2nd 3rd 4th 11th 12th 13th 21st 22nd 103rd');
    expect(render('{{ordinal 1}} {{ordinal 46}}', 'zh-CN')).toBe('第1 第46');
    expect(render('[{{ordinal "x"}}]', 'en')).toBe('[]');
  });

  it('formats money in the locale’s conventions', () => {
    expect(render('{{currency 1234.5 "CNY"}}', 'zh-CN')).toBe('¥1,234.50');
    expect(render('{{currency 1234.5 "USD"}}', 'en')).toBe('$1,234.50');
    expect(render('{{currency value.monetaryTotal "EUR"}}', 'de', { value: { monetaryTotal: 26000 } })).toBe('26.000,00\u00a0€');
    expect(render('[{{currency "lots" "USD"}}{{currency 5 "dollars"}}]', 'en')).toBe('[]');
  });

  it('picks plural forms by the locale’s rules', () => {
    const candles = '{{plural age one="# candle" other="# candles"}}';
    expect(render(candles, 'en', {}, { age: 1 })).toBe('1 candle');
    expect(render(candles, 'en', {}, { age: 46 })).toBe('46 candles');
    expect(render('{{plural age one="# świeczka" few="# świeczki" many="# świeczek" other="# świeczki"}}', 'pl', {}, { age: 22 })).toBe('22 świeczki');
    expect(render('{{plural age one="# świeczka" few="# świeczki" many="# świeczek" other="# świeczki"}}', 'pl', {}, { age: 25 })).toBe('25 świeczek');
    expect(render('{{plural age other="#支蜡烛"}}', 'zh-CN', {}, { age: 1 })).toBe('1支蜡烛');
  });

  it('greets by the form of address, in the template’s language', () => {
    expect(render('{{greeting}}', 'en')).toBe('Dear Mr Li');
    expect(render('{{greeting}}', 'zh-CN', { contact: contact({ familyName: '李', formOfAddress: '李先生' }) })).toBe('尊敬的李先生');
    expect(render('{{greeting}}', 'zh-CN', { contact: contact({ familyName: '王', formOfAddress: 'Ms Wang' }) })).toBe('尊敬的王女士');
    expect(render('{{greeting}}', 'en', { contact: contact({ familyName: 'Li', formOfAddress: '李先生' }) })).toBe('Dear Mr Li');
    expect(render('{{greeting}}', 'en', { contact: contact({ formOfAddress: null }) })).toBe('Dear Wei');
    expect(render('{{greeting}}', 'zh-CN', { contact: contact({ formOfAddress: null, givenName: '伟', familyName: '李' }) })).toBe('亲爱的李伟');
    expect(render('{{greeting}}', 'zh-CN', { contact: contact({ formOfAddress: null, givenName: null, familyName: null }) })).toBe('尊敬的顾客');
  });

  it('falls back only where the template says so', () => {
    expect(render('[{{prefLabels.drink}}] {{default prefLabels.drink "tea"}}', 'en')).toBe('[] tea');
    expect(render('{{default prefLabels.drink "tea"}}', 'en', { prefLabels: { drink: 'coffee' } })).toBe('coffee');
    expect(render('{{#if (eq prefs.drink "tea")}}tea{{else}}other{{/if}}', 'en', { prefs: { drink: 'tea' } })).toBe('tea');
  });
});
