import { IANAZone } from 'luxon';
import type { ErrorDetail } from '../common/errors/api-error';
import { CALENDAR_NAMES, HOLIDAY_KEYS } from './calendar/calendar.types';
import type { BroadcastSchedule } from './campaign.types';
import type { TriggerDefinition } from './triggers/trigger.types';

type Checked<T> = { value: T; problems: [] } | { value: null; problems: ErrorDetail[] };

const LOCAL_TIME = /^([01]\d|2[0-3]):[0-5]\d$/;
const ISO_DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

/** A broadcast's schedule; absent means now. */
export function checkSchedule(input: Record<string, unknown> | undefined, field = 'schedule'): Checked<BroadcastSchedule> {
  if (input === undefined) return { value: { type: 'now' }, problems: [] };
  const problems: ErrorDetail[] = [];
  const unknown = (allowed: string[]) => {
    for (const key of Object.keys(input)) if (!allowed.includes(key)) problems.push({ field: `${field}.${key}`, problem: 'is not a schedule field' });
  };
  switch (input.type) {
    case 'now':
      unknown(['type']);
      return problems.length ? { value: null, problems } : { value: { type: 'now' }, problems: [] };
    case 'at': {
      unknown(['type', 'at']);
      const at = typeof input.at === 'string' && /(Z|[+-]\d{2}:?\d{2})$/.test(input.at) ? new Date(input.at) : null;
      if (!at || Number.isNaN(at.getTime())) problems.push({ field: `${field}.at`, problem: 'must be an ISO 8601 instant with its offset, e.g. 2027-05-17T02:00:00Z' });
      return problems.length ? { value: null, problems } : { value: { type: 'at', at: at!.toISOString() }, problems: [] };
    }
    case 'local': {
      unknown(['type', 'date', 'time', 'fallbackTimeZone']);
      if (typeof input.date !== 'string' || !ISO_DATE.test(input.date)) problems.push({ field: `${field}.date`, problem: 'must be a date YYYY-MM-DD' });
      if (typeof input.time !== 'string' || !LOCAL_TIME.test(input.time)) problems.push({ field: `${field}.time`, problem: 'must be a local time HH:MM' });
      const zone = input.fallbackTimeZone ?? 'UTC';
      if (typeof zone !== 'string' || !IANAZone.isValidZone(zone)) problems.push({ field: `${field}.fallbackTimeZone`, problem: 'must be an IANA time zone such as Asia/Shanghai' });
      if (problems.length) return { value: null, problems };
      return { value: { type: 'local', date: input.date as string, time: input.time as string, fallbackTimeZone: zone as string }, problems: [] };
    }
    default:
      return { value: null, problems: [{ field: `${field}.type`, problem: "must be 'now', 'at' or 'local'" }] };
  }
}

/** A trigger definition with its defaults filled in. */
export function checkTrigger(input: Record<string, unknown> | undefined, field = 'trigger'): Checked<TriggerDefinition & { defaultTimeZone: string }> {
  if (!input) return { value: null, problems: [{ field, problem: 'is required for a trigger campaign' }] };
  const problems: ErrorDetail[] = [];
  const text = (key: string, pattern: RegExp, problem: string, fallback?: string): string => {
    const value = input[key] ?? fallback;
    if (typeof value !== 'string' || !pattern.test(value)) problems.push({ field: `${field}.${key}`, problem });
    return value as string;
  };
  const int = (key: string, min: number, max: number, fallback?: number): number => {
    const value = input[key] ?? fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) problems.push({ field: `${field}.${key}`, problem: `must be a whole number from ${min} to ${max}` });
    return value as number;
  };
  const allowOnly = (keys: string[]) => {
    for (const key of Object.keys(input)) if (![...keys, 'type', 'defaultTimeZone'].includes(key)) problems.push({ field: `${field}.${key}`, problem: `is not a field of a ${String(input.type)} trigger` });
  };
  const localTime = () => text('localTime', LOCAL_TIME, 'must be a local time HH:MM', '09:00');
  const feb29 = () => {
    const value = input.feb29 ?? 'feb28';
    if (value !== 'feb28' && value !== 'mar1') problems.push({ field: `${field}.feb29`, problem: "must be 'feb28' or 'mar1'" });
    return value as 'feb28' | 'mar1';
  };
  const defaultTimeZone = input.defaultTimeZone ?? 'UTC';
  if (typeof defaultTimeZone !== 'string' || !IANAZone.isValidZone(defaultTimeZone)) {
    problems.push({ field: `${field}.defaultTimeZone`, problem: 'must be an IANA time zone such as Asia/Shanghai' });
  }
  let value: TriggerDefinition | null = null;
  switch (input.type) {
    case 'birthday':
      allowOnly(['localTime', 'feb29']);
      value = { type: 'birthday', localTime: localTime(), feb29: feb29() };
      break;
    case 'anniversary':
      allowOnly(['attribute', 'name', 'localTime', 'feb29']);
      value = {
        type: 'anniversary',
        attribute: text('attribute', /^[A-Za-z0-9_.-]{1,64}$/, 'must name a date attribute of the contact, e.g. car_purchase_date'),
        name: text('name', /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be a short name for the occasion key, e.g. car-purchase', typeof input.attribute === 'string' ? input.attribute.replace(/_/g, '-') : undefined),
        localTime: localTime(),
        feb29: feb29(),
      };
      break;
    case 'holiday': {
      allowOnly(['calendars', 'only', 'localTime']);
      const calendars = input.calendars;
      if (!Array.isArray(calendars) || calendars.length === 0 || !calendars.every((c) => (CALENDAR_NAMES as readonly string[]).includes(c))) {
        problems.push({ field: `${field}.calendars`, problem: `must list calendars from ${CALENDAR_NAMES.join(', ')}` });
      }
      const only = input.only;
      if (only !== undefined && (!Array.isArray(only) || !only.every((k) => (HOLIDAY_KEYS as readonly string[]).includes(k)))) {
        problems.push({ field: `${field}.only`, problem: `must list holidays from ${HOLIDAY_KEYS.join(', ')}` });
      }
      value = { type: 'holiday', calendars: calendars as TriggerDefinition & never, ...(only ? { only: only as never } : {}), localTime: localTime() };
      break;
    }
    case 'follow_up':
      allowOnly(['event', 'afterDays', 'localTime']);
      value = {
        type: 'follow_up',
        event: text('event', /^[a-z_]{1,40}$/, 'must be an interaction kind such as service_visit'),
        afterDays: int('afterDays', 0, 3650),
        localTime: localTime(),
      };
      break;
    case 'replenishment':
      allowOnly(['daysBefore', 'localTime']);
      value = { type: 'replenishment', daysBefore: int('daysBefore', 0, 365, 3), localTime: localTime() };
      break;
    case 'value_signal': {
      allowOnly(['dimension', 'toValue', 'fromValue']);
      const dimension = input.dimension;
      if (dimension !== 'abc_class' && dimension !== 'frequency_class' && dimension !== 'loyalty_stage') {
        problems.push({ field: `${field}.dimension`, problem: "must be 'abc_class', 'frequency_class' or 'loyalty_stage'" });
      }
      const fromValue = input.fromValue === undefined ? undefined : text('fromValue', /^[a-z_A-Z]{1,40}$/, 'must be a value of the dimension');
      value = {
        type: 'value_signal',
        dimension: dimension as 'abc_class',
        toValue: text('toValue', /^[a-z_A-Z]{1,40}$/, 'must be a value of the dimension, e.g. light'),
        ...(fromValue ? { fromValue } : {}),
      };
      break;
    }
    default:
      problems.push({ field: `${field}.type`, problem: "must be one of 'birthday', 'anniversary', 'holiday', 'follow_up', 'replenishment', 'value_signal'" });
  }
  if (problems.length || !value) return { value: null, problems };
  return { value: { ...value, defaultTimeZone: defaultTimeZone as string }, problems: [] };
}
