import { parse } from 'csv-parse/sync';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { candlesDrawn, pdfText, readPdfPages, squash } from '../../../../test/integration/direct-mail-pdf';
import type { MailPieceKind, PrintFormat } from '../direct-mail.types';
import { DirectMailExporter, PrintExportError, PrintLetter } from './direct-mail-exporter';
import { PrintFonts } from './print-fonts';

// The machine needs a CJK font (CI: apt-get install fonts-wqy-zenhei); without one the Chinese test fails, as it should.
const fonts = PrintFonts.locate(undefined);

function letter(n: number, overrides: Partial<PrintLetter> = {}): PrintLetter {
  return {
    letterNumber: n,
    contactId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    locale: 'en',
    recipientName: `Jane Doe ${n}`,
    formOfAddress: 'Ms Doe',
    addressLines: [`Jane Doe ${n}`, '301 Hamilton Avenue', 'Palo Alto, CA 94303'],
    postcode: '94303',
    city: 'Palo Alto',
    region: 'California',
    country: 'US',
    age: 44,
    newAge: 45,
    body: 'Dear Ms Doe,\n\nHappy 45th birthday!',
    ...overrides,
  };
}

async function run(letters: PrintLetter[], format: PrintFormat = 'a4', kind: MailPieceKind = 'birthday-card', withFonts = fonts) {
  const directory = join(mkdtempSync(join(tmpdir(), 'direct-mail-')), 'batch');
  const result = await new DirectMailExporter(withFonts).export({ batchId: 'b0a7c0de-0000-4000-8000-000000000000', format, kind, letters, directory });
  return { directory, result, pdf: readFileSync(result.pdf.path), csv: readFileSync(result.csv.path) };
}

describe('DirectMailExporter', () => {
  it.each([
    ['a4', [595.28, 841.89]],
    ['letter', [612, 792]],
    ['a6', [297.64, 419.53]],
  ] as const)('prints %s pages at their paper size, one per letter', async (format, size) => {
    const { pdf } = await run([letter(1), letter(2), letter(3)], format, 'letter');
    const pages = readPdfPages(pdf);
    expect(pages).toHaveLength(3);
    for (const page of pages) expect(page.mediaBox).toEqual([0, 0, ...size]);
  });

  it.each(['a4', 'letter', 'a6'] as const)('draws one candle per year on a %s birthday card and prints the count', async (format) => {
    const { pdf } = await run([letter(1, { newAge: 45 }), letter(2, { newAge: 7 }), letter(3, { newAge: 103 })], format);
    const pages = readPdfPages(pdf);
    expect(pages.map(candlesDrawn)).toEqual([45, 7, 103]);
    const text = await pdfText(pdf);
    expect(text.get(1)).toContain('candles: 45');
    expect(text.get(3)).toContain('candles: 103');
    expect(text.get(2)).toContain('Jane Doe 2');
    expect(text.get(2)).toContain('Palo Alto, CA 94303');
  });

  it('draws no candles on a plain letter', async () => {
    const { pdf } = await run([letter(1)], 'a4', 'letter');
    expect(candlesDrawn(readPdfPages(pdf)[0])).toBe(0);
    expect((await pdfText(pdf)).get(1)).not.toContain('candles:');
  });

  it('writes a CSV with a BOM, one row per letter, and hashes that match the files', async () => {
    const letters = [letter(1), letter(2, { addressLines: ['A', 'B', 'C', 'D'], recipientName: '=HYPERLINK("x")' })];
    const { csv, pdf, result } = await run(letters);
    expect(csv.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const rows: Array<Record<string, string>> = parse(csv, { bom: true, columns: true });
    expect(rows).toHaveLength(2);
    expect(Object.keys(rows[0])).toEqual(expect.arrayContaining(['address_line_1', 'address_line_4', 'address_block', 'candles', 'body']));
    expect(rows[0]).toMatchObject({ letter_number: '1', country: 'US', postcode: '94303', candles: '45', new_age: '45', address_line_4: '' });
    expect(rows[0].address_block).toBe('Jane Doe 1\n301 Hamilton Avenue\nPalo Alto, CA 94303');
    // A formula in a name must reach Excel as text.
    expect(rows[1].recipient_name).toBe(`'=HYPERLINK("x")`);
    expect(result.csv.sha256).toBe(createHash('sha256').update(csv).digest('hex'));
    expect(result.pdf.sha256).toBe(createHash('sha256').update(pdf).digest('hex'));
    expect(result.pdf.bytes).toBe(pdf.length);
  });

  it('sets Chinese text in the CJK font so it reads back as Chinese', async () => {
    expect(fonts.describe()).toMatch(/fonts: .*\.tt[cf]/);
    const chinese = letter(1, {
      locale: 'zh-CN',
      recipientName: '王小明',
      addressLines: ['200001', '上海市', '黄浦区', '南京东路100号', '王小明'],
      body: '亲爱的王先生：\n\n祝您45岁生日快乐！',
    });
    const { pdf } = await run([chinese], 'a6');
    const text = squash((await pdfText(pdf)).get(1) ?? '');
    expect(text).toContain('200001上海市黄浦区南京东路100号王小明');
    expect(text).toContain('祝您45岁生日快乐');
  });

  it('refuses a batch whose Chinese text no available font can draw, and leaves nothing behind', async () => {
    const noFonts = new PrintFonts([], ['no font with Chinese glyphs in /nowhere']);
    const directory = join(mkdtempSync(join(tmpdir(), 'direct-mail-')), 'batch');
    const exporter = new DirectMailExporter(noFonts);
    const letters = [letter(1), letter(2, { recipientName: '王小明', addressLines: ['200001', '上海市', '王小明'] })];
    const error = await exporter.export({ batchId: 'x', format: 'a4', kind: 'letter', letters, directory }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PrintExportError);
    expect((error as PrintExportError).code).toBe('PRINT_FONT_MISSING');
    expect((error as PrintExportError).message).toMatch(/letters 2\b.*PRINT_CJK_FONT/);
    expect((error as PrintExportError).problems).toEqual([{ letterNumber: 2, contactId: letters[1].contactId, problem: expect.stringContaining('王') }]);
    expect(existsSync(directory)).toBe(false);
  });

  it('refuses a character the CJK font lacks instead of printing an empty box', async () => {
    // WenQuanYi Zen Hei has 田 but not 𠮷 (U+20BB7): a silent box would misspell the name.
    const partial = new PrintFonts([{ key: 'cjk', path: '/fonts/partial.ttc', postscriptName: 'Partial', buffer: Buffer.alloc(0), covers: (cp) => cp !== 0x20bb7 }]);
    const rare = letter(1, { recipientName: '𠮷田', addressLines: ['𠮷田', '東京都'] });
    const error = await run([rare], 'a4', 'letter', partial).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'PRINT_FONT_MISSING', problems: [{ letterNumber: 1, problem: 'no available font has 𠮷' }] });
  });

  it('fails with the letter number when a body cannot fit one page', async () => {
    const long = letter(2, { body: 'word '.repeat(20_000) });
    await expect(run([letter(1), long], 'a6', 'letter')).rejects.toMatchObject({ code: 'PRINT_LAYOUT', problems: [{ letterNumber: 2 }] });
  });
});
