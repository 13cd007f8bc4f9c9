import type { PostalAddress } from '../../contacts/contact.entity';

export const PRINT_FORMATS = ['a4', 'letter', 'a6'] as const;
export type PrintFormat = (typeof PRINT_FORMATS)[number];

export const MAIL_PIECE_KINDS = ['letter', 'birthday-card'] as const;
export type MailPieceKind = (typeof MAIL_PIECE_KINDS)[number];

/** What one print-house batch should contain. */
export interface DirectMailBatchRequest {
  contactIds: string[];
  format: PrintFormat;
  kind: MailPieceKind;
  campaignId?: string;
  occasionKey?: string;
  templateKey?: string;
  /** Overrides each recipient's own locale for the letter text. */
  locale?: string;
  /**
   * ISO 3166-1 country the print house posts from: addresses there get no country line, every
   * other address does. Absent: DEFAULT_PHONE_REGION, else every address gets its country line.
   */
  postedFrom?: string;
  /** The day ages are counted on; default now. */
  asOf?: Date;
}

/**
 * One person a letter is printed for, as the body renderer sees them. The renderer (a template
 * later) owns the wording; this module owns paper, address and candles.
 */
export interface LetterRecipient {
  contactId: string;
  kind: MailPieceKind;
  templateKey: string | null;
  /** The request's locale, else the contact's, else en. */
  locale: string;
  givenName: string | null;
  familyName: string | null;
  formOfAddress: string | null;
  /** The name as printed on the envelope (family name first for Chinese, Japanese and Korean names). */
  displayName: string;
  /** YYYY-MM-DD or null. */
  birthday: string | null;
  /** Completed years on the batch's asOf day, in the contact's time zone. */
  age: number | null;
  /**
   * The age reached on the first birthday on or after asOf: what a birthday card celebrates and
   * how many candles it draws. Equals `age` when asOf is the birthday itself.
   */
  newAge: number | null;
  address: PostalAddress;
  /** The envelope block, name included where the country's convention puts it. */
  addressLines: string[];
  attributes: Record<string, unknown>;
}

/** Renders the letter or card text for one recipient. Plain text; blank lines separate paragraphs. */
export type LetterBodyRenderer = (recipient: LetterRecipient) => Promise<string>;

/**
 * Bind a LetterBodyRenderer to this token to replace the built-in greeting (e.g. with templates),
 * from a @Global() module or one DirectMailModule imports.
 */
export const LETTER_BODY_RENDERER = Symbol('LETTER_BODY_RENDERER');

export type SkipReason =
  | 'not_found'
  | 'deleted'
  | 'erased'
  | 'no_address'
  | `incomplete_address: ${string}`
  | 'no_birthday'
  | `render_failed: ${string}`;

/** A requested contact that got no letter, and why. `contactId` is null once the person was erased. */
export interface SkippedContact {
  contactId: string | null;
  reason: SkipReason;
}

export type BatchStatus = 'rendering' | 'ready' | 'empty' | 'failed';

export interface BatchFile {
  /** Relative to OUTBOX_DIR. */
  path: string;
  sha256: string;
  bytes: number;
}

export interface DirectMailBatchRecord {
  id: string;
  format: PrintFormat;
  kind: MailPieceKind;
  status: BatchStatus;
  campaignId: string | null;
  occasionKey: string | null;
  templateKey: string | null;
  locale: string | null;
  postedFrom: string | null;
  asOf: Date;
  requestedCount: number;
  letterCount: number;
  skippedCount: number;
  skipped: SkippedContact[];
  csv: BatchFile | null;
  pdf: (BatchFile & { pages: number }) | null;
  renderMs: number | null;
  errorMessage: string | null;
  filesPurgedAt: Date | null;
  createdAt: Date;
  createdBy: string;
  createdByKeyId: string | null;
  completedAt: Date | null;
}
