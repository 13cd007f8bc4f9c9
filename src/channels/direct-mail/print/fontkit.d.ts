/** The parts of fontkit (pdfkit's font engine, no bundled types) the glyph coverage check uses. */
declare module 'fontkit' {
  export interface Font {
    postscriptName: string;
    familyName: string;
    hasGlyphForCodePoint(codePoint: number): boolean;
  }
  export interface FontCollection {
    fonts: Font[];
    getFont(postscriptName: string): Font | null;
  }
  export function create(buffer: Buffer, postscriptName?: string): Font | FontCollection;
}
