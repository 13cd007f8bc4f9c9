import { create as openFont, Font, FontCollection } from 'fontkit';
import { existsSync, readFileSync } from 'node:fs';

/** A font file with glyphs beyond pdfkit's built-in Helvetica, embedded (subset) when used. */
export interface UnicodeFont {
  /** The name the PDF document registers it under. */
  key: string;
  path: string;
  /** The member of a .ttc collection, or the font's own name. */
  postscriptName: string;
  /** Set for a collection: pdfkit needs the member's name to open it. */
  collectionMember?: string;
  buffer: Buffer;
  covers(codePoint: number): boolean;
}

export interface FontCandidate {
  path: string;
  /** For a collection: the member to use; absent, the first one with Chinese glyphs. */
  postscriptName?: string;
}

/**
 * Where Debian packages put fonts with Chinese glyphs, best first. Only the first one found is
 * loaded (they are 15–20 MB each). Package names: fonts-wqy-zenhei, fonts-wqy-microhei,
 * fonts-noto-cjk, fonts-arphic-uming, fonts-arphic-ukai, fonts-droid-fallback.
 */
export const SYSTEM_CJK_FONTS: FontCandidate[] = [
  { path: '/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc', postscriptName: 'WenQuanYiZenHei' },
  { path: '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc', postscriptName: 'WenQuanYiMicroHei' },
  { path: '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc', postscriptName: 'NotoSansCJKsc-Regular' },
  { path: '/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc', postscriptName: 'NotoSerifCJKsc-Regular' },
  { path: '/usr/share/fonts/truetype/arphic/uming.ttc' },
  { path: '/usr/share/fonts/truetype/arphic/ukai.ttc' },
  { path: '/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf' },
];

/** Latin, Greek and Cyrillic beyond what Helvetica's WinAnsi encoding can print (fonts-dejavu-core). */
export const SYSTEM_FALLBACK_FONTS: FontCandidate[] = [{ path: '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf' }];

/** pdfkit's standard fonts are WinAnsi-encoded: ASCII, Latin-1 and these 27 extras (€, „, Œ, ™…). */
const WIN_ANSI_EXTRAS = new Set(
  [0x20ac, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x017d, 0x2018, 0x2019,
    0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x017e, 0x0178],
);

function isWinAnsi(codePoint: number): boolean {
  return (codePoint >= 0x20 && codePoint <= 0x7e) || (codePoint >= 0xa0 && codePoint <= 0xff) || WIN_ANSI_EXTRAS.has(codePoint);
}

/** Line breaks and tabs are layout, not glyphs. */
function needsGlyph(codePoint: number): boolean {
  return codePoint !== 0x0a && codePoint !== 0x0d && codePoint !== 0x09;
}

export const BUILT_IN_FONT = 'Helvetica';

export type FontChoice = { ok: true; font: string } | { ok: false; missing: string[] };

/**
 * The fonts a batch can print with, and for each piece of text the one that has every glyph it
 * needs. pdfkit draws a missing glyph as an empty box (tofu) without complaint, so a text no font
 * covers is refused before the first page is written.
 */
export class PrintFonts {
  constructor(
    readonly unicodeFonts: UnicodeFont[],
    /** Why an expected font is not available (e.g. PRINT_CJK_FONT unreadable), for error messages. */
    readonly problems: string[] = [],
  ) {}

  /**
   * `configured` is PRINT_CJK_FONT: a path, optionally `path#PostScriptName` for a collection.
   * When it is set, it is the only CJK font: a mistyped path should fail loudly, not fall back.
   */
  static locate(configured: string | undefined, cjkCandidates = SYSTEM_CJK_FONTS, fallbacks = SYSTEM_FALLBACK_FONTS): PrintFonts {
    const fonts: UnicodeFont[] = [];
    const problems: string[] = [];
    if (configured) {
      const hash = configured.lastIndexOf('#');
      const candidate = hash > 0 ? { path: configured.slice(0, hash), postscriptName: configured.slice(hash + 1) } : { path: configured };
      const loaded = tryLoad(candidate, 'cjk', problems, 'PRINT_CJK_FONT');
      if (loaded) fonts.push(loaded);
    } else {
      const found = cjkCandidates.find((c) => existsSync(c.path));
      const loaded = found ? tryLoad(found, 'cjk', problems, found.path) : null;
      if (loaded) fonts.push(loaded);
      else if (!found) problems.push(`no font with Chinese glyphs in ${cjkCandidates.map((c) => c.path).join(', ')}`);
    }
    fallbacks.forEach((candidate, i) => {
      if (!existsSync(candidate.path)) return;
      const loaded = tryLoad(candidate, `unicode${i}`, problems, candidate.path);
      if (loaded) fonts.push(loaded);
    });
    return new PrintFonts(fonts, problems);
  }

  /** A font with every glyph of `text`: Helvetica when WinAnsi suffices, else the first Unicode font that covers it. */
  choose(text: string): FontChoice {
    const codePoints = [...new Set(Array.from(text, (ch) => ch.codePointAt(0) as number))].filter(needsGlyph);
    if (codePoints.every(isWinAnsi)) return { ok: true, font: BUILT_IN_FONT };
    let fewestMissing: number[] | null = null;
    for (const font of this.unicodeFonts) {
      const missing = codePoints.filter((cp) => !font.covers(cp));
      if (missing.length === 0) return { ok: true, font: font.key };
      if (!fewestMissing || missing.length < fewestMissing.length) fewestMissing = missing;
    }
    const missing = fewestMissing ?? codePoints.filter((cp) => !isWinAnsi(cp));
    return { ok: false, missing: missing.map((cp) => String.fromCodePoint(cp)) };
  }

  /** One line for logs: which fonts were found. */
  describe(): string {
    const found = this.unicodeFonts.map((f) => `${f.path} (${f.postscriptName})`);
    return [found.length ? `fonts: ${found.join(', ')}` : 'no Unicode fonts', ...this.problems].join('; ');
  }
}

function tryLoad(candidate: FontCandidate, key: string, problems: string[], label: string): UnicodeFont | null {
  try {
    const buffer = readFileSync(candidate.path);
    const opened = openFont(buffer);
    const font = isCollection(opened) ? pickMember(opened, candidate.postscriptName) : opened;
    if (!font) {
      problems.push(`${label}: ${candidate.path} has no font named ${candidate.postscriptName}`);
      return null;
    }
    return {
      key,
      path: candidate.path,
      postscriptName: font.postscriptName,
      collectionMember: isCollection(opened) ? font.postscriptName : undefined,
      buffer,
      covers: (cp) => font.hasGlyphForCodePoint(cp),
    };
  } catch (error) {
    problems.push(`${label}: ${candidate.path} cannot be read as a font (${error instanceof Error ? error.message : String(error)})`);
    return null;
  }
}

function isCollection(font: Font | FontCollection): font is FontCollection {
  return Array.isArray((font as FontCollection).fonts);
}

const HAN = '中'.codePointAt(0) as number;

/** The named member, else a Simplified Chinese one, else the first with Han glyphs, else the first. */
function pickMember(collection: FontCollection, postscriptName?: string): Font | null {
  if (postscriptName) return collection.fonts.find((f) => f.postscriptName === postscriptName) ?? null;
  const withHan = collection.fonts.filter((f) => f.hasGlyphForCodePoint(HAN));
  return withHan.find((f) => /SC|CN|GB/.test(f.postscriptName)) ?? withHan[0] ?? collection.fonts[0] ?? null;
}
