import { inflateSync } from 'node:zlib';
import { PDFParse } from 'pdf-parse';

/**
 * Reads what the direct-mail PDF really contains, without the code that wrote it: page sizes and
 * content streams through the file's own cross-reference table, text through pdf.js (pdf-parse).
 */
export interface PdfPage {
  mediaBox: number[];
  /** The decoded content stream: the drawing operators of the page. */
  content: string;
}

export function readPdfPages(pdf: Buffer): PdfPage[] {
  const raw = pdf.toString('latin1');
  const startxref = Number(/startxref\s+(\d+)\s+%%EOF\s*$/.exec(raw)?.[1]);
  const xref = raw.slice(startxref);
  const header = /^xref\s+(\d+)\s+(\d+)\s+/.exec(xref);
  if (!header) throw new Error('no classic xref table');
  const first = Number(header[1]);
  const offsets = new Map<number, number>();
  const entries = xref.slice(header[0].length).split(/\r?\n/);
  for (let i = 0; i < Number(header[2]); i++) {
    const [offset, , type] = entries[i].trim().split(/\s+/);
    if (type === 'n') offsets.set(first + i, Number(offset));
  }
  const object = (num: number) => {
    const at = offsets.get(num);
    if (at === undefined) throw new Error(`object ${num} missing`);
    const bodyStart = raw.indexOf('obj', at) + 3;
    const streamAt = raw.indexOf('stream', bodyStart);
    const endAt = raw.indexOf('endobj', bodyStart);
    const dict = raw.slice(bodyStart, streamAt >= 0 && streamAt < endAt ? streamAt : endAt);
    let data: Buffer | null = null;
    if (streamAt >= 0 && streamAt < endAt) {
      const length = Number(/\/Length (\d+)/.exec(dict)?.[1]);
      let dataStart = streamAt + 'stream'.length;
      if (raw[dataStart] === '\r') dataStart++;
      if (raw[dataStart] === '\n') dataStart++;
      data = pdf.subarray(dataStart, dataStart + length);
      if (/\/Filter \/FlateDecode/.test(dict)) data = inflateSync(data);
    }
    return { dict, data };
  };
  const trailer = raw.slice(startxref);
  const rootNum = Number(/\/Root (\d+) 0 R/.exec(trailer)?.[1]);
  const pagesNum = Number(/\/Pages (\d+) 0 R/.exec(object(rootNum).dict)?.[1]);
  const kids = /\/Kids \[([^\]]*)\]/.exec(object(pagesNum).dict)?.[1] ?? '';
  return [...kids.matchAll(/(\d+) 0 R/g)].map(([, num]) => {
    const page = object(Number(num)).dict;
    const mediaBox = (/\/MediaBox \[([^\]]*)\]/.exec(page)?.[1] ?? '').trim().split(/\s+/).map(Number);
    const contents = Number(/\/Contents (\d+) 0 R/.exec(page)?.[1]);
    return { mediaBox, content: object(contents).data?.toString('latin1') ?? '' };
  });
}

/** Candles drawn on a page: marked-content sequences tagged Candle that each place a form XObject. */
export function candlesDrawn(page: PdfPage): number {
  const marked = page.content.split('/Candle BMC').length - 1;
  const drawn = page.content.match(/\/Candle BMC\s+q [-\d. ]+ cm \/\w+ Do Q\s+EMC/g)?.length ?? 0;
  if (drawn !== marked) throw new Error(`${marked} candles marked but ${drawn} drawn`);
  return drawn;
}

/** Text per page (1-based numbers), as a PDF reader extracts it. */
export async function pdfText(pdf: Buffer, pages?: number[]): Promise<Map<number, string>> {
  const parser = new PDFParse({ data: new Uint8Array(pdf) });
  try {
    const result = await parser.getText(pages ? { partial: pages } : {});
    return new Map(result.pages.map((p) => [p.num, p.text]));
  } finally {
    await parser.destroy();
  }
}

/** Whitespace-insensitive: text extraction splits and joins runs its own way. */
export function squash(text: string): string {
  return text.replace(/\s+/g, '');
}
