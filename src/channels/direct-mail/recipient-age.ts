import { DateTime } from 'luxon';

export interface Ages {
  /** Completed years on the day. */
  age: number;
  /** The age reached on the first birthday on or after the day (the candles on the card). */
  newAge: number;
}

/**
 * Ages on the calendar day `asOf` falls on in the person's time zone (a card printed in
 * Shanghai on the 17th is for someone whose 17th it already is). A 29 February birthday counts as
 * passed from 1 March in common years.
 */
export function agesOn(birthday: string | null, asOf: Date, timeZone: string | null): Ages | null {
  if (!birthday) return null;
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(birthday);
  if (!match) return null;
  const [birthYear, birthMonth, birthDay] = [Number(match[1]), Number(match[2]), Number(match[3])];
  let today = DateTime.fromJSDate(asOf, { zone: timeZone ?? 'UTC' });
  if (!today.isValid) today = DateTime.fromJSDate(asOf, { zone: 'UTC' });
  const birthdayPassed = today.month > birthMonth || (today.month === birthMonth && today.day > birthDay);
  const isBirthday = today.month === birthMonth && today.day === birthDay;
  const years = today.year - birthYear;
  if (years < 0 || (years === 0 && !birthdayPassed && !isBirthday)) return null;
  const age = birthdayPassed || isBirthday ? years : years - 1;
  const newAge = birthdayPassed ? years + 1 : years;
  return { age, newAge };
}
