import { ApiError, ErrorDetail } from '../../common/errors/api-error';
import { CHANNELS } from '../../contacts/consent-event.entity';
import { GuardPolicy, GuardRequest } from './guard.types';
import { parseQuietHours } from './rules/quiet-hours';

/**
 * The defaults: two messages per channel a week, no repeat of the same content within a month,
 * nothing between 21:00 and 08:00 local time, and e-mail and SMS only with a recorded grant
 * (printed mail is opt-out: it goes unless the person revoked it).
 */
export const DEFAULT_GUARD_POLICY: Readonly<GuardPolicy> = Object.freeze<GuardPolicy>({
  capPerWindow: 2,
  capWindowDays: 7,
  contentWindowDays: 30,
  quietHours: '21:00-08:00',
  optInChannels: ['email', 'sms'],
});

const FINGERPRINT = /^[0-9a-f]{64}$/;
const PREFERENCE_KEY = /^[a-z][a-z0-9_]{0,63}$/;

/** The policy for one request, the defaults overridden by what the request gives. Bad values are a caller bug. */
export function resolvePolicy(overrides: Partial<GuardPolicy> | undefined): GuardPolicy {
  const given = Object.fromEntries(Object.entries(overrides ?? {}).filter(([, value]) => value !== undefined));
  const policy: GuardPolicy = { ...DEFAULT_GUARD_POLICY, ...given };
  const problems: ErrorDetail[] = [];
  const positiveInt = (field: keyof GuardPolicy, value: number, min: number) => {
    if (!Number.isInteger(value) || value < min) problems.push({ field: `policy.${field}`, problem: `must be an integer of at least ${min}` });
  };
  positiveInt('capPerWindow', policy.capPerWindow, 1);
  positiveInt('capWindowDays', policy.capWindowDays, 1);
  positiveInt('contentWindowDays', policy.contentWindowDays, 0);
  if (!parseQuietHours(policy.quietHours)) problems.push({ field: 'policy.quietHours', problem: 'must be written HH:MM-HH:MM' });
  if (!Array.isArray(policy.optInChannels) || policy.optInChannels.some((c) => !CHANNELS.includes(c))) {
    problems.push({ field: 'policy.optInChannels', problem: `must list channels among ${CHANNELS.join(', ')}` });
  }
  if (problems.length > 0) throw ApiError.validation(problems);
  return policy;
}

/** Rejects a request the guard cannot judge, naming every problem at once. */
export function assertValidRequest(request: GuardRequest): void {
  const problems: ErrorDetail[] = [];
  const text = (field: keyof GuardRequest, value: unknown, required: boolean) => {
    if (value === undefined && !required) return;
    if (typeof value !== 'string' || value.length === 0 || value.length > 200) problems.push({ field, problem: 'must be a text of 1 to 200 characters' });
  };
  if (typeof request.contactId !== 'string' || !/^[0-9a-f-]{36}$/i.test(request.contactId)) problems.push({ field: 'contactId', problem: 'must be a UUID' });
  text('campaignId', request.campaignId, true);
  text('occasionKey', request.occasionKey, true);
  text('templateKey', request.templateKey, false);
  text('variant', request.variant, false);
  if (!CHANNELS.includes(request.channel)) problems.push({ field: 'channel', problem: `must be one of ${CHANNELS.join(', ')}` });
  if (!(request.now instanceof Date) || Number.isNaN(request.now.getTime())) problems.push({ field: 'now', problem: 'must be a valid Date' });
  if (request.fingerprint !== undefined && !FINGERPRINT.test(request.fingerprint)) {
    problems.push({ field: 'fingerprint', problem: 'must be the lower-case sha-256 hex of contentFingerprint()' });
  }
  if (request.asks !== undefined && (!Array.isArray(request.asks) || request.asks.some((k) => typeof k !== 'string' || !PREFERENCE_KEY.test(k)))) {
    problems.push({ field: 'asks', problem: 'must be a list of preference keys' });
  }
  if (problems.length > 0) throw ApiError.validation(problems);
}
