import type { MailPieceKind, PrintFormat } from '../direct-mail.types';
import { BUILT_IN_FONT } from './print-fonts';

const MM = 72 / 25.4;

/** pdfkit's names and the sizes in points its MediaBox will carry. */
export const PAGE_SIZES: Record<PrintFormat, { pdfkitSize: string; width: number; height: number }> = {
  a4: { pdfkitSize: 'A4', width: 595.28, height: 841.89 },
  letter: { pdfkitSize: 'LETTER', width: 612, height: 792 },
  a6: { pdfkitSize: 'A6', width: 297.64, height: 419.53 },
};

/**
 * Where the recipient's block sits on a letter, so it shows through the envelope window:
 * A4 after DIN 5008 form B (20 mm from the left, 45 mm from the top, 85 × 45 mm), US Letter
 * for a #10 window envelope, A6 at the top left of the card.
 */
const ADDRESS_WINDOW: Record<PrintFormat, { x: number; y: number; width: number; height: number }> = {
  a4: { x: 20 * MM, y: 45 * MM, width: 85 * MM, height: 45 * MM },
  letter: { x: 0.875 * 72, y: 1.75 * 72, width: 3.75 * 72, height: 1.5 * 72 },
  a6: { x: 10 * MM, y: 10 * MM, width: 70 * MM, height: 30 * MM },
};

const BODY_SIZE: Record<PrintFormat, number> = { a4: 11, letter: 11, a6: 8.5 };
const ADDRESS_SIZE: Record<PrintFormat, number> = { a4: 10, letter: 10, a6: 7.5 };
const MIN_TEXT_SIZE = 6;

/** The marked-content tag around each drawn candle: lets a reader of the PDF count them. */
export const CANDLE_MARK = 'Candle';
/** Above this many candles the row is split, so a 90th birthday still fits the grille. */
export const CANDLES_PER_ROW = 40;

/** Text already checked against the fonts: each piece comes with the font that has its glyphs. */
export interface PrintText {
  text: string;
  font: string;
}

export interface PageContent {
  kind: MailPieceKind;
  format: PrintFormat;
  letterNumber: number;
  /** Printed small at the foot so a page can be matched to its CSV row. */
  reference: string;
  addressLines: PrintText[];
  body: PrintText;
  /** Birthday cards: the candles (the recipient's new age). */
  candles: number | null;
}

/** The subset of PDFKit.PDFDocument the layout uses. */
type Doc = PDFKit.PDFDocument;

export class LayoutError extends Error {
  constructor(
    readonly letterNumber: number,
    message: string,
  ) {
    super(message);
  }
}

/** Draws one letter or card on the current page. Never adds a page: text that cannot fit is an error. */
export function drawPage(doc: Doc, page: PageContent): void {
  if (page.kind === 'birthday-card') drawBirthdayCard(doc, page);
  else drawLetter(doc, page);
}

function drawLetter(doc: Doc, page: PageContent): void {
  const { width, height } = PAGE_SIZES[page.format];
  const window = ADDRESS_WINDOW[page.format];
  drawLines(doc, page.addressLines, window, ADDRESS_SIZE[page.format], page, 'address');
  const margin = page.format === 'a6' ? 10 * MM : 25 * MM;
  const top = window.y + window.height + (page.format === 'a6' ? 6 * MM : 12 * MM);
  const box = { x: margin, y: top, width: width - 2 * margin, height: height - top - margin };
  drawFitted(doc, page.body, box, BODY_SIZE[page.format], page, 'body');
  drawReference(doc, page, width, height);
}

/**
 * The card: the kidney grille whose bars have become candles, one per year, the age in large
 * figures with a small machine-readable "candles: N", the greeting, and the address at the foot.
 */
function drawBirthdayCard(doc: Doc, page: PageContent): void {
  const { width, height } = PAGE_SIZES[page.format];
  const margin = Math.max(14, width * 0.08);
  const candles = page.candles ?? 0;
  let y = margin;
  y += drawKidneyGrille(doc, margin, y, width - 2 * margin, candles) + margin * 0.4;

  const ageSize = width * 0.1;
  doc.font(BUILT_IN_FONT).fontSize(ageSize).fillColor('#1f2328');
  doc.text(String(candles), margin, y, { width: width - 2 * margin, align: 'center', lineBreak: false, height: ageSize * 1.3 });
  y += ageSize * 1.15;
  doc.font(BUILT_IN_FONT).fontSize(5).fillColor('#8a8f98');
  doc.text(`candles: ${candles}`, margin, y, { width: width - 2 * margin, align: 'center', lineBreak: false, height: 8 });
  y += 10;

  const addressSize = ADDRESS_SIZE[page.format];
  const addressHeight = page.addressLines.length * addressSize * 1.35 + 2;
  const footer = 10;
  const addressTop = height - margin - footer - addressHeight;
  const bodyBox = { x: margin, y: y + margin * 0.3, width: width - 2 * margin, height: addressTop - y - margin * 0.6 };
  if (bodyBox.height < MIN_TEXT_SIZE * 2) throw new LayoutError(page.letterNumber, `letter ${page.letterNumber}: no room for the greeting on a ${page.format} card`);
  drawFitted(doc, page.body, bodyBox, BODY_SIZE[page.format], page, 'body');
  drawLines(doc, page.addressLines, { x: margin, y: addressTop, width: width - 2 * margin, height: addressHeight }, addressSize, page, 'address');
  drawReference(doc, page, width, height);
}

/**
 * Two rounded "kidneys" side by side; inside, rows of candles split between them. Returns the
 * height drawn. Each candle (wax bar, wick, two-tone flame) is one marked-content sequence.
 */
export function drawKidneyGrille(doc: Doc, x: number, y: number, width: number, candles: number): number {
  const rows = Math.max(1, Math.ceil(candles / CANDLES_PER_ROW));
  const perRow = Math.ceil(candles / rows);
  const slots = Math.max(4, Math.ceil(perRow / 2));
  const gap = width * 0.06;
  const kidneyWidth = (width - gap) / 2;
  const pad = kidneyWidth * 0.08;
  const slotWidth = (kidneyWidth - 2 * pad) / slots;
  const rowHeight = Math.min(slotWidth * 3.4, width * 0.16);
  const kidneyHeight = rows * rowHeight + 2 * pad;
  const radius = Math.min(kidneyHeight, kidneyWidth) * 0.3;

  doc.save();
  doc.lineWidth(Math.max(1.5, width * 0.008));
  for (const k of [0, 1]) {
    doc.roundedRect(x + k * (kidneyWidth + gap), y, kidneyWidth, kidneyHeight, radius).fillAndStroke('#23272e', '#b8bec6');
  }
  let left = candles;
  for (let row = 0; row < rows; row++) {
    const inRow = Math.min(perRow, left);
    left -= inRow;
    const base = y + pad + (row + 1) * rowHeight - rowHeight * 0.06;
    const counts = [Math.ceil(inRow / 2), Math.floor(inRow / 2)];
    counts.forEach((count, k) => {
      const inner = x + k * (kidneyWidth + gap) + pad;
      const start = inner + ((slots - count) * slotWidth) / 2;
      for (let i = 0; i < count; i++) drawCandle(doc, start + (i + 0.5) * slotWidth, base, slotWidth, rowHeight);
    });
  }
  doc.restore();
  return kidneyHeight;
}

/**
 * One candle (wax bar, wick, two-tone flame) drawn in a 1 × 1 slot, y pointing down like the page.
 * Defined once per document as a form XObject and placed per candle with a scaling `cm`: a
 * 100-candle card then costs a few bytes per candle instead of four colour changes and three
 * Bézier paths, which made cards 5× larger and 3× slower to write.
 */
function candleForm(doc: Doc): PDFKit.PDFKitReference {
  let form = candleForms.get(doc);
  if (!form) {
    form = doc.ref({ Type: 'XObject', Subtype: 'Form', FormType: 1, BBox: [0, 0, 1, 1] });
    form.end(
      [
        '0.957 0.937 0.902 rg 0.25 0.42 0.5 0.52 re f',
        '0.227 0.227 0.227 rg 0.485 0.36 0.03 0.06 re f',
        `1 0.624 0.11 rg ${ellipsePath(0.5, 0.26, 0.21, 0.12)} f`,
        `1 0.878 0.4 rg ${ellipsePath(0.5, 0.29, 0.1, 0.06)} f`,
      ].join('\n'),
    );
    candleForms.set(doc, form);
  }
  return form;
}

const candleForms = new WeakMap<Doc, PDFKit.PDFKitReference>();
const CANDLE_FORM_NAME = 'TidingsCandle';

function drawCandle(doc: Doc, centerX: number, base: number, slotWidth: number, rowHeight: number): void {
  doc.page.xobjects[CANDLE_FORM_NAME] ??= candleForm(doc);
  const top = base - rowHeight * 0.94;
  doc.markContent(CANDLE_MARK);
  doc.addContent(`q ${num(slotWidth)} 0 0 ${num(rowHeight)} ${num(centerX - slotWidth / 2)} ${num(top)} cm /${CANDLE_FORM_NAME} Do Q`);
  doc.endMarkedContent();
}

/** An ellipse as four Bézier curves (the usual 0.5523 control-point factor). */
function ellipsePath(cx: number, cy: number, rx: number, ry: number): string {
  const k = 0.5522847498;
  const ox = rx * k;
  const oy = ry * k;
  const p = (...xs: number[]) => xs.map(num).join(' ');
  return [
    `${p(cx - rx, cy)} m`,
    `${p(cx - rx, cy - oy, cx - ox, cy - ry, cx, cy - ry)} c`,
    `${p(cx + ox, cy - ry, cx + rx, cy - oy, cx + rx, cy)} c`,
    `${p(cx + rx, cy + oy, cx + ox, cy + ry, cx, cy + ry)} c`,
    `${p(cx - ox, cy + ry, cx - rx, cy + oy, cx - rx, cy)} c`,
  ].join(' ');
}

function num(n: number): number {
  return Math.round(n * 1000) / 1000;
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Address lines one under the other, each in its own font, shrunk together until the block fits. */
function drawLines(doc: Doc, lines: PrintText[], box: Box, size: number, page: PageContent, what: string): void {
  let fontSize = size;
  const fits = (s: number) =>
    lines.length * s * 1.3 <= box.height && lines.every((l) => doc.font(l.font).fontSize(s).widthOfString(l.text) <= box.width);
  while (!fits(fontSize) && fontSize > MIN_TEXT_SIZE) fontSize -= 0.5;
  if (!fits(fontSize)) throw new LayoutError(page.letterNumber, `letter ${page.letterNumber}: the ${what} does not fit on a ${page.format} page`);
  lines.forEach((line, i) => {
    doc.font(line.font).fontSize(fontSize).fillColor('#111111');
    doc.text(line.text, box.x, box.y + i * fontSize * 1.3, { width: box.width, height: fontSize * 1.3, lineBreak: false });
  });
}

/** Wrapped text at the largest size (down to 6 pt) at which it fits the box. */
function drawFitted(doc: Doc, piece: PrintText, box: Box, size: number, page: PageContent, what: string): void {
  const options = { width: box.width, lineGap: 1.5, align: 'left' as const };
  let fontSize = size;
  const fits = (s: number) => doc.font(piece.font).fontSize(s).heightOfString(piece.text, options) <= box.height;
  while (!fits(fontSize) && fontSize > MIN_TEXT_SIZE) fontSize -= 0.5;
  if (!fits(fontSize)) throw new LayoutError(page.letterNumber, `letter ${page.letterNumber}: the ${what} does not fit on a ${page.format} page even at ${MIN_TEXT_SIZE} pt`);
  doc.font(piece.font).fontSize(fontSize).fillColor('#111111');
  doc.text(piece.text, box.x, box.y, { ...options, height: box.height });
}

function drawReference(doc: Doc, page: PageContent, width: number, height: number): void {
  doc.font(BUILT_IN_FONT).fontSize(5).fillColor('#8a8f98');
  doc.text(page.reference, 0, height - 12, { width: width - 12, align: 'right', lineBreak: false, height: 8 });
}
