import { createHash } from 'node:crypto';

/**
 * The content fingerprint of a rendered message: sha-256 hex of its text in Unicode NFC, with every
 * run of whitespace (line breaks, tabs, non-breaking and ideographic spaces) made one space and the
 * ends trimmed — so a re-wrapped or re-indented copy of the same words counts as the same message.
 */
export function contentFingerprint(rendered: string): string {
  const normalised = rendered.normalize('NFC').replace(/\s+/gu, ' ').trim();
  return createHash('sha256').update(normalised, 'utf8').digest('hex');
}
