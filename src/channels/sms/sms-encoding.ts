/**
 * How an SMS body travels and how many parts it is billed as. Carriers send GSM 03.38 (7-bit) when
 * every character is in its alphabet, and UCS-2 (UTF-16) otherwise: one Chinese character, emoji or
 * curly quote turns the whole message into UCS-2 and cuts a part from 160 characters to 70.
 */
export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SmsAnalysis {
  encoding: SmsEncoding;
  /** Parts the carrier sends (0 for an empty body, which no provider accepts). */
  segments: number;
  /** Characters as a person counts them (Unicode code points). */
  characters: number;
  /** What the segment limits count: septets for GSM-7 (an extension character takes two), UTF-16 code units for UCS-2. */
  units: number;
}

/** GSM 03.38 basic character set (without the escape to the extension table). */
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
/** GSM 03.38 extension table: each is sent as ESC + character, two septets. */
const GSM_EXTENSION = '^{}\\[~]|€\f';

const BASIC = new Set(GSM_BASIC);
const EXTENSION = new Set(GSM_EXTENSION);

const LIMITS: Record<SmsEncoding, { single: number; part: number }> = {
  // A concatenated part gives up 7 septets (GSM-7) or 3 characters (UCS-2) to the 6-byte header.
  'GSM-7': { single: 160, part: 153 },
  'UCS-2': { single: 70, part: 67 },
};

export function analyzeSms(body: string): SmsAnalysis {
  const characters = [...body];
  const gsm = characters.every((ch) => BASIC.has(ch) || EXTENSION.has(ch));
  const encoding: SmsEncoding = gsm ? 'GSM-7' : 'UCS-2';
  // Units per character: an escape pair or a surrogate pair is never split across two parts.
  const widths = characters.map((ch) => (gsm ? (EXTENSION.has(ch) ? 2 : 1) : ch.length));
  const units = widths.reduce((sum, w) => sum + w, 0);
  return { encoding, segments: countSegments(widths, units, LIMITS[encoding]), characters: characters.length, units };
}

function countSegments(widths: number[], units: number, limits: { single: number; part: number }): number {
  if (units === 0) return 0;
  if (units <= limits.single) return 1;
  let segments = 1;
  let used = 0;
  for (const width of widths) {
    if (used + width > limits.part) {
      segments++;
      used = 0;
    }
    used += width;
  }
  return segments;
}
