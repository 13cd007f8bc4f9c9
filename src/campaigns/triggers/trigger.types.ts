import type { CalendarName, Feb29Rule, HolidayKey } from '../calendar/calendar.types';

/**
 * The care triggers a campaign can run on. Each is evaluated over back-to-back windows of time
 * [from, to); an occurrence whose local target time falls in the window becomes one outbox row, keyed
 * by its occasion (`birthday:2027`), so evaluating a window twice adds nothing.
 */
export type TriggerDefinition =
  | { type: 'birthday'; localTime: string; feb29: Feb29Rule }
  | { type: 'anniversary'; attribute: string; name: string; localTime: string; feb29: Feb29Rule }
  | { type: 'holiday'; calendars: CalendarName[]; only?: HolidayKey[]; localTime: string }
  | { type: 'follow_up'; event: string; afterDays: number; localTime: string }
  | { type: 'replenishment'; daysBefore: number; localTime: string }
  | { type: 'value_signal'; dimension: 'abc_class' | 'frequency_class' | 'loyalty_stage'; toValue: string; fromValue?: string };

export type TriggerType = TriggerDefinition['type'];

/** One message a trigger asks for. `details` reach the template (`age`) and the send-time re-check. */
export interface TriggeredOccasion {
  contactId: string;
  occasionKey: string;
  dueAt: Date;
  details: Record<string, unknown>;
}
