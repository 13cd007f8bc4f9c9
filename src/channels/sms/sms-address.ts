/** An E.164 number: +, country code, subscriber number, 8 to 15 digits in all. Providers take nothing else. */
const E164 = /^\+[1-9]\d{6,14}$/;

export function isE164(phone: string): boolean {
  return E164.test(phone);
}

export function notE164(phone: string) {
  return { status: 'permanent' as const, error: `${phone} is not an E.164 phone number`, code: 'INVALID_NUMBER' };
}
