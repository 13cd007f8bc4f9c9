import { analyzeSms } from './sms-encoding';

describe('analyzeSms', () => {
  it('sends plain English as GSM-7, 160 characters in one part', () => {
    expect(analyzeSms('a'.repeat(160))).toEqual({ encoding: 'GSM-7', segments: 1, characters: 160, units: 160 });
    expect(analyzeSms('a'.repeat(161))).toMatchObject({ encoding: 'GSM-7', segments: 2 });
  });

  it('splits long GSM-7 text into parts of 153', () => {
    expect(analyzeSms('a'.repeat(306)).segments).toBe(2);
    expect(analyzeSms('a'.repeat(307)).segments).toBe(3);
    expect(analyzeSms('a'.repeat(459)).segments).toBe(3);
  });

  it('counts extension characters as two septets and keeps GSM-7 for them', () => {
    const text = '€'.repeat(80);
    expect(analyzeSms(text)).toEqual({ encoding: 'GSM-7', segments: 1, characters: 80, units: 160 });
    expect(analyzeSms(text + '^')).toMatchObject({ encoding: 'GSM-7', segments: 2, units: 162 });
    for (const ch of '^{}\\[~]|€') expect(analyzeSms(ch)).toMatchObject({ encoding: 'GSM-7', units: 2 });
  });

  it('never splits an escape pair across two parts', () => {
    // 152 plain + one € = 154 septets: the € moves whole into the second part.
    expect(analyzeSms('a'.repeat(152) + '€' + 'a'.repeat(10)).segments).toBe(2);
    // 306 septets would fit two full parts, but part one ends at 152 before the €, so one septet spills into a third.
    const text = 'a'.repeat(152) + '€' + 'a'.repeat(152);
    expect(analyzeSms(text)).toMatchObject({ units: 306, segments: 3 });
  });

  it('keeps the GSM basic set, including accented letters and Greek capitals, in GSM-7', () => {
    expect(analyzeSms('Grüße aus Köln! Ça va? ΔΦΓ @£$¥ ¿¡§').encoding).toBe('GSM-7');
    expect(analyzeSms('line one\nline two\r').encoding).toBe('GSM-7');
  });

  it('switches to UCS-2 for a character outside GSM 03.38', () => {
    expect(analyzeSms('Hello ’quoted’').encoding).toBe('UCS-2');
    expect(analyzeSms('ç lowercase cedilla is not in the set').encoding).toBe('UCS-2');
    expect(analyzeSms('`backtick').encoding).toBe('UCS-2');
  });

  it('sends Chinese as UCS-2: 70 characters in one part, 71 in two', () => {
    expect(analyzeSms('祝'.repeat(70))).toEqual({ encoding: 'UCS-2', segments: 1, characters: 70, units: 70 });
    expect(analyzeSms('祝'.repeat(71))).toEqual({ encoding: 'UCS-2', segments: 2, characters: 71, units: 71 });
    expect(analyzeSms('祝'.repeat(134)).segments).toBe(2);
    expect(analyzeSms('祝'.repeat(135)).segments).toBe(3);
  });

  it('counts an emoji as two UTF-16 units and never splits its surrogate pair', () => {
    expect(analyzeSms('🎂')).toEqual({ encoding: 'UCS-2', segments: 1, characters: 1, units: 2 });
    expect(analyzeSms('🎂'.repeat(35))).toMatchObject({ segments: 1, units: 70 });
    expect(analyzeSms('🎂'.repeat(36))).toMatchObject({ segments: 2, units: 72 });
    // 66 units + an emoji (2) exceeds a 67-unit part: the emoji starts part two.
    expect(analyzeSms('祝'.repeat(66) + '🎂' + '祝'.repeat(3)).segments).toBe(2);
    expect(analyzeSms('祝'.repeat(66) + '🎂' + '祝'.repeat(66)).segments).toBe(3);
  });

  it('has nothing to send for an empty body', () => {
    expect(analyzeSms('')).toEqual({ encoding: 'GSM-7', segments: 0, characters: 0, units: 0 });
  });
});
