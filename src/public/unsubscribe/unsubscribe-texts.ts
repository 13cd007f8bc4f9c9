import type { ConsentChannel } from '../../contacts/consent-event.entity';

export interface UnsubscribeTexts {
  title: string;
  channels: Record<ConsentChannel, string>;
}

const EN: UnsubscribeTexts = { title: 'Unsubscribe', channels: { email: 'e-mail', sms: 'text messages (SMS)', mail: 'letters and cards by post' } };
const ZH: UnsubscribeTexts = { title: '退订', channels: { email: '电子邮件', sms: '短信', mail: '邮寄信件和贺卡' } };

export function unsubscribeTexts(locale: string): UnsubscribeTexts {
  return locale.toLowerCase().startsWith('zh') ? ZH : EN;
}
