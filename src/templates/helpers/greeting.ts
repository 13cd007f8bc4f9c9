import { isChinese } from './render-scope';

interface Addressee {
  givenName?: unknown;
  familyName?: unknown;
  formOfAddress?: unknown;
}

/** Titles as written in English and in Chinese (after the family name). */
const TITLES: ReadonlyArray<{ en: string; zh: string; pattern: RegExp }> = [
  { en: 'Mr', zh: '先生', pattern: /^mr$/i },
  { en: 'Mrs', zh: '太太', pattern: /^mrs$/i },
  { en: 'Ms', zh: '女士', pattern: /^ms$/i },
  { en: 'Miss', zh: '小姐', pattern: /^miss$/i },
  { en: 'Dr', zh: '博士', pattern: /^dr$/i },
  { en: 'Prof', zh: '教授', pattern: /^prof$/i },
];
const HAN = /\p{Script=Han}/u;
const ENGLISH_TITLE = /^(mrs|mr|ms|miss|dr|prof)\.?\s+(.+)$/i;
const CHINESE_TITLE = /^(.+?)(先生|太太|女士|小姐|博士|教授)$/;

const text = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');

/**
 * The salutation without punctuation: "Dear Mr Li" / "尊敬的李先生", from the form of address the
 * customer gave (their stated preference wins, see RenderContext), else their name, else a polite
 * generic one. A form of address written for the other language is carried over where the title
 * is recognised ("Mr Li" → 尊敬的Li先生); anything else is used as written.
 */
export function greeting(contact: Addressee | null | undefined, locale: string): string {
  const formOfAddress = text(contact?.formOfAddress);
  const given = text(contact?.givenName);
  const family = text(contact?.familyName);
  return isChinese(locale) ? chinese(formOfAddress, given, family) : english(formOfAddress, given, family);
}

function chinese(formOfAddress: string, given: string, family: string): string {
  if (formOfAddress) {
    const titled = HAN.test(formOfAddress) ? null : ENGLISH_TITLE.exec(formOfAddress);
    const title = titled && TITLES.find((t) => t.pattern.test(titled[1]));
    return title ? `尊敬的${family || titled![2]}${title.zh}` : `尊敬的${formOfAddress}`;
  }
  if (given || family) return HAN.test(family + given) ? `亲爱的${family}${given}` : `亲爱的${[given, family].filter(Boolean).join(' ')}`;
  return '尊敬的顾客';
}

function english(formOfAddress: string, given: string, family: string): string {
  if (formOfAddress) {
    const titled = HAN.test(formOfAddress) ? CHINESE_TITLE.exec(formOfAddress) : null;
    const title = titled && TITLES.find((t) => t.zh === titled[2]);
    return title ? `Dear ${title.en} ${family && !HAN.test(family) ? family : titled![1]}` : `Dear ${formOfAddress}`;
  }
  if (given) return `Dear ${given}`;
  return 'Dear customer';
}
