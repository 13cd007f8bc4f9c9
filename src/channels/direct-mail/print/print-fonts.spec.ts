import { BUILT_IN_FONT, PrintFonts, SYSTEM_CJK_FONTS } from './print-fonts';

describe('PrintFonts', () => {
  const zenhei = SYSTEM_CJK_FONTS[0].path;

  it('prints WinAnsi text in Helvetica and everything else in a font that has the glyphs', () => {
    const fonts = PrintFonts.locate(undefined);
    expect(fonts.choose('Jane Doe, Müller & Søn – 100 €')).toEqual({ ok: true, font: BUILT_IN_FONT });
    expect(fonts.choose('南京东路100号')).toEqual({ ok: true, font: 'cjk' });
    expect(fonts.choose('Łukasz')).toMatchObject({ ok: true });
    expect(fonts.choose('𠮷田')).toEqual({ ok: false, missing: ['𠮷'] });
  });

  it('opens the named member of a collection, and the Chinese one when none is named', () => {
    expect(PrintFonts.locate(`${zenhei}#WenQuanYiZenHeiMono`).unicodeFonts[0]).toMatchObject({ key: 'cjk', collectionMember: 'WenQuanYiZenHeiMono' });
    expect(PrintFonts.locate(zenhei).unicodeFonts[0]).toMatchObject({ collectionMember: 'WenQuanYiZenHei' });
  });

  it('does not fall back when PRINT_CJK_FONT is wrong, and says why', () => {
    const missing = PrintFonts.locate('/nonexistent/font.ttc');
    expect(missing.unicodeFonts.map((f) => f.key)).not.toContain('cjk');
    expect(missing.problems).toEqual([expect.stringMatching(/^PRINT_CJK_FONT: \/nonexistent\/font\.ttc cannot be read as a font/)]);
    expect(missing.choose('王').ok).toBe(false);
    expect(PrintFonts.locate(`${zenhei}#NoSuchFont`).problems).toEqual([`PRINT_CJK_FONT: ${zenhei} has no font named NoSuchFont`]);
  });
});
