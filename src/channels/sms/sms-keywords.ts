/**
 * What a whole inbound SMS asks for. Twilio's standard keywords (checked on the trimmed message,
 * case-insensitively, as carriers do) plus 退订, the word Chinese senders are required to honour.
 */
export type SmsKeyword = 'opt_out' | 'opt_in' | 'help';

const KEYWORDS: Record<string, SmsKeyword> = {
  stop: 'opt_out',
  stopall: 'opt_out',
  unsubscribe: 'opt_out',
  cancel: 'opt_out',
  end: 'opt_out',
  quit: 'opt_out',
  revoke: 'opt_out',
  optout: 'opt_out',
  退订: 'opt_out',
  start: 'opt_in',
  yes: 'opt_in',
  unstop: 'opt_in',
  help: 'help',
  info: 'help',
};

export function smsKeyword(text: string): SmsKeyword | null {
  const word = text.trim().toLowerCase();
  return Object.prototype.hasOwnProperty.call(KEYWORDS, word) ? KEYWORDS[word] : null;
}

/** The answer we text back, in Chinese when the person wrote 退订 or keeps a Chinese locale. */
export function keywordReply(keyword: SmsKeyword, chinese: boolean): string {
  const replies: Record<SmsKeyword, [string, string]> = {
    opt_out: [
      'You will receive no more text messages from us. Reply START to receive them again.',
      '您已退订，我们将不再给您发送短信。回复 START 可重新订阅。',
    ],
    opt_in: [
      'You will receive our text messages again. Reply STOP to stop them at any time.',
      '您已重新订阅短信。随时回复 STOP 或 退订 即可停止接收。',
    ],
    help: [
      'Tidings customer care: reply STOP to stop text messages, START to receive them again.',
      'Tidings 客户关怀：回复 STOP 或 退订 停止接收短信，回复 START 重新订阅。',
    ],
  };
  return replies[keyword][chinese ? 1 : 0];
}
