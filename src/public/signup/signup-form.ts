import { isEmail } from 'class-validator';
import { CountryCode, isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { FieldProblem, SignupField } from './signup-texts';

/** What a valid sign-up says, in the form the archive stores it. */
export interface SignupRequest {
  name: string;
  /** Trimmed and lower-cased, as contacts store e-mail addresses. */
  email: string;
  /** E.164, or null when left empty. */
  phone: string | null;
  topics: string[];
}

/** What the visitor typed, echoed back into the form when it has to be shown again. */
export interface SignupFormValues {
  name: string;
  email: string;
  phone: string;
  topics: string[];
  consent: boolean;
}

export type SignupFormCheck =
  | { ok: true; request: SignupRequest; values: SignupFormValues }
  | { ok: false; problems: Array<{ field: SignupField; problem: FieldProblem }>; values: SignupFormValues };

const MAX_NAME = 100;
const MAX_EMAIL = 254;
const MAX_PHONE_INPUT = 40;

/**
 * Reads and checks a posted sign-up form (urlencoded: a repeated `topics` field arrives as a list).
 * Each problem names its field, so the page can put the message next to it. Unknown fields are
 * ignored: a form may be embedded in pages that add their own hidden inputs.
 */
export function checkSignupForm(body: unknown, allowedTopics: readonly string[], defaultRegion: string | undefined): SignupFormCheck {
  const form = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const values: SignupFormValues = {
    name: text(form.name).slice(0, 200),
    email: text(form.email).slice(0, 300),
    phone: text(form.phone).slice(0, 60),
    topics: list(form.topics).slice(0, 50),
    consent: form.consent === 'yes',
  };
  const problems: Array<{ field: SignupField; problem: FieldProblem }> = [];

  const name = values.name.trim();
  if (!name) problems.push({ field: 'name', problem: 'required' });
  else if (name.length > MAX_NAME) problems.push({ field: 'name', problem: 'too_long' });

  const email = values.email.trim().toLowerCase();
  if (!email) problems.push({ field: 'email', problem: 'required' });
  else if (email.length > MAX_EMAIL || !isEmail(email)) problems.push({ field: 'email', problem: 'invalid' });

  let phone: string | null = null;
  const phoneInput = values.phone.trim();
  if (phoneInput) {
    const region = defaultRegion && isSupportedCountry(defaultRegion) ? (defaultRegion as CountryCode) : undefined;
    const parsed = phoneInput.length <= MAX_PHONE_INPUT ? parsePhoneNumberFromString(phoneInput, region ? { defaultCountry: region } : undefined) : undefined;
    if (parsed?.isValid()) phone = parsed.number;
    else problems.push({ field: 'phone', problem: 'invalid' });
  }

  const topics = [...new Set(values.topics)];
  if (topics.some((t) => !allowedTopics.includes(t))) problems.push({ field: 'topics', problem: 'invalid' });

  if (!values.consent) problems.push({ field: 'consent', problem: 'required' });

  if (problems.length > 0) return { ok: false, problems, values };
  return { ok: true, request: { name, email, phone, topics }, values };
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function list(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
