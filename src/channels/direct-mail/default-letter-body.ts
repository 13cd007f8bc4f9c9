import type { LetterBodyRenderer, LetterRecipient } from './direct-mail.types';

/**
 * The text printed when no template renderer is bound to LETTER_BODY_RENDERER: a short greeting
 * in Chinese or English, so a batch made before templates exist still reads as a real letter.
 */
export const defaultLetterBody: LetterBodyRenderer = async (recipient) =>
  recipient.locale.toLowerCase().startsWith('zh') ? chinese(recipient) : english(recipient);

function chinese(r: LetterRecipient): string {
  const name = r.formOfAddress ?? (r.familyName ? `${r.familyName}${r.givenName ?? ''}` : '您');
  if (r.kind === 'birthday-card' && r.newAge !== null) {
    return `亲爱的${name}：\n\n祝您${r.newAge}岁生日快乐！愿新的一岁平安顺遂，万事如意。\n\n感谢您一直以来的信任与支持。`;
  }
  return `亲爱的${name}：\n\n感谢您一直以来的信任与支持。我们随时乐意为您服务。`;
}

function english(r: LetterRecipient): string {
  const name = r.formOfAddress ?? ([r.givenName, r.familyName].filter(Boolean).join(' ') || 'customer');
  if (r.kind === 'birthday-card' && r.newAge !== null) {
    return `Dear ${name},\n\nHappy ${ordinal(r.newAge)} birthday! We wish you a wonderful year ahead.\n\nThank you for staying with us.`;
  }
  return `Dear ${name},\n\nThank you for staying with us. We are always glad to help.`;
}

export function ordinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;
}
