/** The languages the sign-up form is written in; any other request falls back to one of them. */
export const SIGNUP_LOCALES = ['en', 'zh-CN'] as const;
export type SignupLocale = (typeof SIGNUP_LOCALES)[number];

export type SignupField = 'name' | 'email' | 'phone' | 'topics' | 'consent';
export type FieldProblem = 'required' | 'too_long' | 'invalid';

/**
 * The consent wording, by locale. Shown beside the checkbox and stored verbatim with the consent
 * event, so the record says exactly what the person agreed to. Changing a sentence here changes
 * what later sign-ups agree to; the ones already recorded keep their own text.
 */
export const CONSENT_TEXT: Record<SignupLocale, string> = {
  en:
    'Yes, please send me e-mails about the topics I chose. I can unsubscribe at any time with the link in every e-mail, ' +
    'and my details are used for nothing else.',
  'zh-CN': '是的，请通过电子邮件向我发送我所选主题的信息。我可以随时通过每封邮件中的退订链接退订；我的信息不会用于其他任何用途。',
};

const PROBLEMS: Record<SignupLocale, Record<SignupField, Partial<Record<FieldProblem, string>>>> = {
  en: {
    name: { required: 'Please enter your name.', too_long: 'Your name can be at most 100 characters.' },
    email: { required: 'Please enter your e-mail address.', invalid: 'This does not look like an e-mail address (for example name@example.com).' },
    phone: { invalid: 'This is not a phone number we can use; write it with its country code, for example +86 138 0013 8000.' },
    topics: { invalid: 'Please choose topics from the list.' },
    consent: { required: 'Please tick the box to agree, so we may write to you.' },
  },
  'zh-CN': {
    name: { required: '请填写您的姓名。', too_long: '姓名最多 100 个字符。' },
    email: { required: '请填写您的电子邮箱。', invalid: '电子邮箱格式不正确（例如 name@example.com）。' },
    phone: { invalid: '手机号码无法识别，请加上国家区号，例如 +86 138 0013 8000。' },
    topics: { invalid: '请从列表中选择主题。' },
    consent: { required: '请勾选同意，我们才能给您写信。' },
  },
};

export function problemText(locale: SignupLocale, field: SignupField, problem: FieldProblem): string {
  return PROBLEMS[locale][field][problem] ?? PROBLEMS[locale][field].invalid ?? PROBLEMS[locale][field].required ?? problem;
}
