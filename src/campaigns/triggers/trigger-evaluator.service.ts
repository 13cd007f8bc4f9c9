import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { CompiledWhere } from '../../segments/rules/segment-rule.compiler';
import type { BirthdayCalendar, CareOccurrence, IsoDate, LunarBirthday } from '../calendar/calendar.types';
import { CareCalendar } from '../calendar/care-calendar.service';
import { lunarBirthdaysOn } from '../calendar/lunar-dates';
import { solarBirthdaysOn } from '../calendar/solar-dates';
import { candidateDates, SolarBirthdayWindow } from './solar-birthday-window';
import { TriggerDefinition, TriggeredOccasion } from './trigger.types';

/** Every zone's local date lies within a day of the UTC date (UTC-12 … UTC+14). */
const ZONE_SLACK_DAYS = 2;

/**
 * Turns a trigger and a window of time into occasions. SQL narrows the archive to the few contacts
 * whose dates can fall in the window (indexed month-day lookups, never a scan of everyone in
 * JavaScript); the care calendar then gives each of them the exact instant in their own zone, the
 * occasion key and the age.
 */
@Injectable()
export class TriggerEvaluator {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly calendar: CareCalendar,
  ) {}

  /** `audience(offset)` compiles the campaign's segment with its placeholders starting after `offset`. */
  async occasions(
    trigger: TriggerDefinition,
    from: Date,
    to: Date,
    audience: (paramOffset: number) => Promise<CompiledWhere>,
    defaultTimeZone: string,
    manager: EntityManager = this.db.manager,
  ): Promise<TriggeredOccasion[]> {
    const window: EvaluationWindow = { from, to, audience, defaultTimeZone, manager };
    switch (trigger.type) {
      case 'birthday':
        return this.birthdays(trigger, window);
      case 'anniversary':
        return this.anniversaries(trigger, window);
      case 'holiday':
        return this.holidays(trigger, window);
      case 'follow_up':
        return this.followUps(trigger, window);
      case 'replenishment':
        return this.replenishments(trigger, window);
      case 'value_signal':
        return this.valueSignals(trigger, window);
    }
  }

  private async birthdays(trigger: Extract<TriggerDefinition, { type: 'birthday' }>, window: EvaluationWindow): Promise<TriggeredOccasion[]> {
    const { from, to, audience, defaultTimeZone, manager } = window;
    const dates = candidateDates(from, to, trigger.localTime);
    const solarWindow = new SolarBirthdayWindow(dates, trigger.feb29, from, to, trigger.localTime, defaultTimeZone);
    const lunar = new Set<number>();
    for (const date of dates) for (const l of lunarBirthdaysOn(date)) lunar.add(l.month * 100 + l.day);
    const where = await audience(2);
    // Each arm of the OR has its own index (the third through the primary key, fed by the array of
    // contacts who keep a lunar calendar), so PostgreSQL ORs three bitmap index scans; an IN
    // (subquery) there would make it read every contact instead. The calendar preference is joined
    // once for the candidates: a subquery per row (current_preferences) cost twice the lookup itself.
    // Contacts with the same dates, calendar and zone have the same occurrences, so they come back as
    // one row per such group (birth year included, since the age is part of the answer) with their ids
    // joined in one string: the month-day lookup reads about three times the contacts actually due,
    // and a row each cost more to parse than the lookup itself; only the groups due are split.
    const groups: BirthdayGroup[] = await manager.query(
      `WITH candidates AS MATERIALIZED (
         SELECT c.id, c.birthday, c.lunar_birthday_month AS lunar_month,
                c.lunar_birthday_day AS lunar_day, c.lunar_birthday_leap AS lunar_leap, c.time_zone
           FROM contacts c
          WHERE (${where.where})
            AND ((c.birthday IS NOT NULL AND (extract(month FROM c.birthday)::int * 100 + extract(day FROM c.birthday)::int) = ANY($1::int[]))
              OR (c.lunar_birthday_month IS NOT NULL AND (c.lunar_birthday_month * 100 + c.lunar_birthday_day) = ANY($2::int[]))
              OR (c.birthday IS NOT NULL AND c.lunar_birthday_month IS NULL
                  AND c.id = ANY (ARRAY(SELECT s.contact_id FROM preference_statements s WHERE s.key = 'birthday_calendar' AND s.value = '"lunar"'::jsonb))))),
       calendars AS (
         -- current_preferences' rule for one key: highest authority, then the latest; NULL withdraws.
         SELECT DISTINCT ON (s.contact_id) s.contact_id, s.value #>> '{}' AS calendar
           FROM preference_statements s JOIN candidates k ON k.id = s.contact_id
          WHERE s.key = 'birthday_calendar' AND (s.expires_at IS NULL OR s.expires_at > now())
          ORDER BY s.contact_id, s.authority DESC, s.stated_at DESC, s.id DESC)
       SELECT to_char(k.birthday, 'YYYY-MM-DD') AS birthday, k.lunar_month, k.lunar_day, k.lunar_leap, k.time_zone, cal.calendar,
              string_agg(k.id::text, ',') AS ids
         FROM candidates k LEFT JOIN calendars cal ON cal.contact_id = k.id
        GROUP BY k.birthday, k.lunar_month, k.lunar_day, k.lunar_leap, k.time_zone, cal.calendar`,
      [solarWindow.monthDays(), [...lunar], ...where.params],
    );
    const occasions: TriggeredOccasion[] = [];
    for (const group of groups) {
      const birthdayCalendar = calendarOf(group);
      if (group.birthday !== null && birthdayCalendar !== 'lunar' && !solarWindow.mayFall(group.birthday, group.time_zone)) continue;
      const lunarBirthday: LunarBirthday | null =
        group.lunar_month !== null && group.lunar_day !== null ? { month: group.lunar_month, day: group.lunar_day, leap: group.lunar_leap } : null;
      const found = this.calendar.occurrencesBetween(
        { kind: 'birthday', person: { birthday: group.birthday, lunarBirthday, birthdayCalendar, timeZone: group.time_zone } },
        from,
        to,
        { localTime: trigger.localTime, feb29: trigger.feb29, defaultTimeZone },
      );
      if (found.length === 0) continue;
      const ids = group.ids.split(',');
      for (const occurrence of found) for (const id of ids) occasions.push(toOccasion(id, occurrence));
    }
    return occasions;
  }

  private async anniversaries(trigger: Extract<TriggerDefinition, { type: 'anniversary' }>, window: EvaluationWindow): Promise<TriggeredOccasion[]> {
    const { from, to, audience, defaultTimeZone, manager } = window;
    const monthDays = new Set<string>();
    for (const date of candidateDates(from, to, trigger.localTime)) {
      for (const md of solarBirthdaysOn(date, trigger.feb29)) monthDays.add(`-${pad(md.month)}-${pad(md.day)}`);
    }
    const where = await audience(2);
    // Attribute values are text in JSONB; only well-formed dates take part.
    const rows: Array<{ id: string; date: IsoDate; time_zone: string | null }> = await manager.query(
      `SELECT c.id, c.attributes->>$1 AS date, c.time_zone
         FROM contacts c
        WHERE (${where.where})
          AND c.attributes->>$1 ~ '^\\d{4}-\\d{2}-\\d{2}$'
          AND substr(c.attributes->>$1, 5) = ANY($2::text[])`,
      [trigger.attribute, [...monthDays], ...where.params],
    );
    return rows.flatMap((row) =>
      this.calendar
        .occurrencesBetween({ kind: 'anniversary', name: trigger.name, date: row.date, timeZone: row.time_zone }, from, to, {
          localTime: trigger.localTime,
          feb29: trigger.feb29,
          defaultTimeZone,
        })
        .map((occurrence) => toOccasion(row.id, occurrence)),
    );
  }

  /**
   * Holidays are the same date for everyone in a zone, so the work is per zone: find the zones
   * whose local greeting time falls in the window, then take the whole audience of those zones.
   */
  private async holidays(trigger: Extract<TriggerDefinition, { type: 'holiday' }>, window: EvaluationWindow): Promise<TriggeredOccasion[]> {
    const { from, to, audience, defaultTimeZone, manager } = window;
    const zones: Array<{ zone: string | null }> = await manager.query(`SELECT DISTINCT time_zone AS zone FROM contacts WHERE deleted_at IS NULL`);
    const occasions: TriggeredOccasion[] = [];
    for (const { zone } of zones) {
      const found = this.calendar.occurrencesBetween(
        { kind: 'holiday', calendars: trigger.calendars, only: trigger.only, timeZone: zone ?? defaultTimeZone },
        from,
        to,
        { localTime: trigger.localTime, defaultTimeZone },
      );
      if (found.length === 0) continue;
      const where = await audience(1);
      const rows: Array<{ id: string }> = await manager.query(
        `SELECT c.id FROM contacts c WHERE (${where.where}) AND c.time_zone IS NOT DISTINCT FROM $1`,
        [zone, ...where.params],
      );
      for (const occurrence of found) for (const row of rows) occasions.push(toOccasion(row.id, occurrence));
    }
    return occasions;
  }

  /** N days after an event, at the local time, in the contact's zone. The occasion is the event itself. */
  private async followUps(trigger: Extract<TriggerDefinition, { type: 'follow_up' }>, window: EvaluationWindow): Promise<TriggeredOccasion[]> {
    const { from, to, audience, defaultTimeZone, manager } = window;
    const where = await audience(7);
    const rows: Array<{ contact_id: string; interaction_id: string; due_at: Date; event_date: string }> = await manager.query(
      `SELECT c.id AS contact_id, f.interaction_id, f.due_at, f.event_date
         FROM interactions i
         JOIN contacts c ON c.id = i.contact_id
         CROSS JOIN LATERAL (
           SELECT i.id AS interaction_id,
                  to_char((i.occurred_at AT TIME ZONE coalesce(c.time_zone, $6))::date, 'YYYY-MM-DD') AS event_date,
                  (((i.occurred_at AT TIME ZONE coalesce(c.time_zone, $6))::date + $2::int) + $7::time) AT TIME ZONE coalesce(c.time_zone, $6) AS due_at
         ) f
        WHERE i.kind = $1
          AND i.occurred_at >= $3::timestamptz - make_interval(days => $2::int + ${ZONE_SLACK_DAYS})
          AND i.occurred_at < $4::timestamptz - make_interval(days => $2::int - ${ZONE_SLACK_DAYS})
          AND f.due_at >= $3 AND f.due_at < $4
          AND $5::boolean
          AND (${where.where})`,
      [trigger.event, trigger.afterDays, from, to, true, defaultTimeZone, trigger.localTime, ...where.params],
    );
    return rows.map((row) => ({
      contactId: row.contact_id,
      occasionKey: `follow-up:${trigger.event}:${row.interaction_id}`,
      dueAt: new Date(row.due_at),
      details: { kind: 'follow_up', event: trigger.event, interactionId: row.interaction_id, eventDate: row.event_date, afterDays: trigger.afterDays },
    }));
  }

  /**
   * N days before the predicted run-out. The key names the run-out date it was computed for, and
   * the dispatcher checks at send time that the prediction still says so: a purchase in between
   * moves the prediction, which cancels this message and lets the new date make its own.
   */
  private async replenishments(trigger: Extract<TriggerDefinition, { type: 'replenishment' }>, window: EvaluationWindow): Promise<TriggeredOccasion[]> {
    const { from, to, audience, defaultTimeZone, manager } = window;
    const where = await audience(5);
    const rows: Array<{ contact_id: string; product_key: string; run_out_on: string; due_at: Date }> = await manager.query(
      `SELECT c.id AS contact_id, r.product_key, to_char(r.run_out_on, 'YYYY-MM-DD') AS run_out_on, f.due_at
         FROM replenishment_predictions r
         JOIN contacts c ON c.id = r.contact_id
         CROSS JOIN LATERAL (SELECT ((r.run_out_on - $1::int) + $5::time) AT TIME ZONE coalesce(c.time_zone, $4) AS due_at) f
        WHERE r.run_out_on >= ($2::timestamptz)::date + $1::int - ${ZONE_SLACK_DAYS}
          AND r.run_out_on < ($3::timestamptz)::date + $1::int + ${ZONE_SLACK_DAYS}
          AND f.due_at >= $2 AND f.due_at < $3
          AND (${where.where})`,
      [trigger.daysBefore, from, to, defaultTimeZone, trigger.localTime, ...where.params],
    );
    return rows.map((row) => ({
      contactId: row.contact_id,
      occasionKey: `replenish:${row.product_key}:${row.run_out_on}`,
      dueAt: new Date(row.due_at),
      details: { kind: 'replenishment', productKey: row.product_key, runOutOn: row.run_out_on, daysBefore: trigger.daysBefore },
    }));
  }

  /** A value change (heavy → light) detected in the window: a win-back, sent as soon as it is seen. */
  private async valueSignals(trigger: Extract<TriggerDefinition, { type: 'value_signal' }>, window: EvaluationWindow): Promise<TriggeredOccasion[]> {
    const { from, to, audience, manager } = window;
    const where = await audience(5);
    const rows: Array<{ id: string; contact_id: string; from_value: string | null; to_value: string; detected_at: Date }> = await manager.query(
      `SELECT s.id, s.contact_id, s.from_value, s.to_value, s.detected_at
         FROM value_signals s JOIN contacts c ON c.id = s.contact_id
        WHERE s.dimension = $1 AND s.to_value = $2 AND ($3::text IS NULL OR s.from_value = $3)
          AND s.detected_at >= $4 AND s.detected_at < $5 AND (${where.where})`,
      [trigger.dimension, trigger.toValue, trigger.fromValue ?? null, from, to, ...where.params],
    );
    return rows.map((row) => ({
      contactId: row.contact_id,
      occasionKey: `signal:${trigger.dimension}:${row.id}`,
      dueAt: new Date(row.detected_at),
      details: { kind: 'value_signal', dimension: trigger.dimension, fromValue: row.from_value, toValue: row.to_value },
    }));
  }
}

/** Candidates who share their dates, calendar preference and zone: `ids` joined with commas. */
interface BirthdayGroup {
  ids: string;
  birthday: IsoDate | null;
  lunar_month: number | null;
  lunar_day: number | null;
  lunar_leap: boolean;
  time_zone: string | null;
  calendar: string | null;
}

function calendarOf(row: BirthdayGroup): BirthdayCalendar | null {
  return row.calendar === 'solar' || row.calendar === 'lunar' ? row.calendar : null;
}

/** The stretch of time a trigger is evaluated over, the campaign's audience and where to read. */
interface EvaluationWindow {
  from: Date;
  to: Date;
  /** Compiles the campaign's segment with its placeholders starting after `offset`. */
  audience: (offset: number) => Promise<CompiledWhere>;
  defaultTimeZone: string;
  manager: EntityManager;
}

function toOccasion(contactId: string, occurrence: CareOccurrence): TriggeredOccasion {
  const details: Record<string, unknown> = { kind: occurrence.kind, date: occurrence.date, timeZone: occurrence.timeZone };
  if (occurrence.calendar) details.calendar = occurrence.calendar;
  if (occurrence.lunarDate) details.lunarDate = occurrence.lunarDate;
  if (occurrence.age !== undefined && occurrence.age !== null) details.age = occurrence.age;
  if (occurrence.ordinal !== undefined) details.ordinal = occurrence.ordinal;
  if (occurrence.holiday) details.holiday = occurrence.holiday;
  return { contactId, occasionKey: occurrence.key, dueAt: occurrence.at, details };
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
