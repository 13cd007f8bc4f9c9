import { canonicalLocale } from '../../contacts/contact-validators';
import type { ChannelKind } from '../../channels/channel.types';

export const CHANNELS: readonly ChannelKind[] = ['email', 'sms', 'mail'];
export const KEY_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** `text` is the e-mail text part's suffix, so it cannot also be a variant. */
export const VARIANT_PATTERN = /^(?!text$)[a-z0-9][a-z0-9_-]{0,31}$/;
export const PARTIAL_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const DEFAULT_VARIANT = 'default';

export interface TemplateFileName {
  channel: ChannelKind;
  key: string;
  locale: string;
  variant: string;
  /** `<key>.<locale>[.<variant>].text.hbs`: the plain-text part of an e-mail. */
  textPart: boolean;
}

/**
 * `email/birthday.zh-CN.a.hbs` → {email, birthday, zh-CN, a}; `sms/birthday.en.hbs` → variant
 * "default". Null with a reason for a name that does not follow the convention.
 */
export function parseTemplateFileName(channel: ChannelKind, file: string): TemplateFileName | { problem: string } {
  if (!file.endsWith('.hbs')) return { problem: 'not a .hbs file' };
  const parts = file.slice(0, -'.hbs'.length).split('.');
  const textPart = parts.length > 2 && parts[parts.length - 1] === 'text';
  if (textPart) parts.pop();
  const [key, locale, variant = DEFAULT_VARIANT, ...rest] = parts;
  if (rest.length > 0 || !key || !locale) return { problem: 'the name must be <key>.<locale>[.<variant>][.text].hbs' };
  if (!KEY_PATTERN.test(key)) return { problem: `key "${key}" must be a-z, 0-9, - and _ (at most 64 characters)` };
  if (canonicalLocale(locale) !== locale) return { problem: `"${locale}" is not a BCP 47 locale in canonical form (e.g. en, zh-CN)` };
  if (!VARIANT_PATTERN.test(variant)) return { problem: `variant "${variant}" must be a-z, 0-9, - and _ (at most 32 characters, not "text")` };
  if (textPart && channel !== 'email') return { problem: 'only e-mail templates have a separate text part' };
  return { channel, key, locale, variant, textPart };
}

/** The id a file template has in the API: `file:email:birthday.en.a` (no slash, so it needs no URL encoding). */
export function fileTemplateId(name: { channel: ChannelKind; key: string; locale: string; variant: string }): string {
  return `file:${name.channel}:${name.key}.${name.locale}.${name.variant}`;
}

const FILE_ID = /^file:(email|sms|mail):([a-z0-9][a-z0-9_-]{0,63})\.([A-Za-z0-9-]{2,35})\.([a-z0-9][a-z0-9_-]{0,31})$/;

export function parseFileTemplateId(id: string): { channel: ChannelKind; key: string; locale: string; variant: string } | null {
  const match = FILE_ID.exec(id);
  return match ? { channel: match[1] as ChannelKind, key: match[2], locale: match[3], variant: match[4] } : null;
}

export interface FrontMatter {
  fields: Record<string, { value: string; line: number; column: number }>;
  /** The text after the front matter, and the line (1-based) it starts on. */
  body: string;
  bodyLine: number;
  problems: Array<{ line: number; column: number; message: string }>;
}

const FRONT_MATTER_KEYS = new Set(['subject', 'layout', 'description']);

/**
 * `---\nsubject: Happy birthday, {{contact.givenName}}\nlayout: birthday\n---\n<html…>`: one
 * `key: value` per line (the value is everything after the first colon, so a subject may hold
 * Handlebars and colons). No front matter: the whole text is the body.
 */
export function parseFrontMatter(source: string): FrontMatter {
  const result: FrontMatter = { fields: {}, body: source, bodyLine: 1, problems: [] };
  const normalised = source.replace(/^\uFEFF/, '');
  if (!/^---\r?\n/.test(normalised)) return { ...result, body: normalised };
  const lines = normalised.split('\n');
  const end = lines.findIndex((line, i) => i > 0 && line.replace(/\r$/, '') === '---');
  if (end < 0) return { ...result, problems: [{ line: 1, column: 1, message: 'front matter opened with --- is never closed with ---' }] };
  for (let i = 1; i < end; i++) {
    const line = lines[i].replace(/\r$/, '');
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const match = /^([A-Za-z]+):\s?(.*)$/.exec(line);
    if (!match) {
      result.problems.push({ line: i + 1, column: 1, message: 'front matter lines are "key: value"' });
      continue;
    }
    const [, key, value] = match;
    if (!FRONT_MATTER_KEYS.has(key)) {
      result.problems.push({ line: i + 1, column: 1, message: `unknown front matter key "${key}" (known: ${[...FRONT_MATTER_KEYS].join(', ')})` });
      continue;
    }
    result.fields[key] = { value: value.trim(), line: i + 1, column: line.length - value.length + 1 };
  }
  return { ...result, body: lines.slice(end + 1).join('\n'), bodyLine: end + 2 };
}

const EXTRAS_DIRECTIVE = /\{\{!--\s*extras:\s*([^]*?)\s*--\}\}/;
const EXTRA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * `{{!-- extras: wakeUp, ask --}}` in a file template names root values its calling code passes
 * besides the render context. It is a comment, so the file still renders as plain Handlebars.
 */
export function declaredExtras(source: string): { names: string[]; problems: string[] } {
  const match = EXTRAS_DIRECTIVE.exec(source);
  if (!match) return { names: [], problems: [] };
  const names = match[1].split(/[\s,]+/).filter(Boolean);
  return { names: names.filter((n) => EXTRA_NAME.test(n)), problems: names.filter((n) => !EXTRA_NAME.test(n)).map((n) => `extras: "${n}" is not a name`) };
}
