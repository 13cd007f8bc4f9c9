import { GoldfishGuard } from '../../src/memory/guard/goldfish-guard.service';
import { resubmissionOf } from '../../src/memory/guard/resubmission';
import { createTestApp, TestApp } from '../support/test-app';
import { birthday, createContact, decisionsOf, guardOf, messageRow, statePreference } from './goldfish-guard-helpers';

const at = (iso: string) => new Date(iso);

/** Rule (g): no message in the contact's local night; it waits for the morning and is never dropped. */
describe('goldfish guard: quiet hours in the contact\'s own time zone', () => {
  let t: TestApp;
  let guard: GoldfishGuard;
  beforeAll(async () => {
    t = await createTestApp();
    guard = guardOf(t);
  });
  afterAll(() => t.close());

  it('defers a late-evening message in Shanghai to 08:00 the next morning, lists it when due and sends it then', async () => {
    const id = await createContact(t, { timeZone: 'Asia/Shanghai' });
    const evening = await guard.evaluate(birthday(id, { now: at('2027-05-17T14:30:00Z'), templateKey: 'card', variant: 'grille', asks: ['drink'] })); // 22:30
    expect(evening).toMatchObject({ decision: 'defer', reason: 'quiet_hours', deferUntil: at('2027-05-18T00:00:00Z'), details: { quietHours: 'policy', timeZone: 'Asia/Shanghai' } });
    expect(await messageRow(t.db, id, 'birthday', 'birthday:2027')).toMatchObject({ id: evening.messageId, state: 'deferred', not_before: at('2027-05-18T00:00:00Z'), asks: ['drink'] });

    // Triggered again at 23:00 (a second run of the campaign): still one waiting message.
    const rerun = await guard.evaluate(birthday(id, { now: at('2027-05-17T15:00:00Z') }));
    expect(rerun).toMatchObject({ decision: 'defer', reason: 'not_yet_due', messageId: evening.messageId, deferUntil: at('2027-05-18T00:00:00Z') });

    const mine = <T extends { contactId: string }>(list: T[]): T[] => list.filter((m) => m.contactId === id);
    expect(mine(await guard.dueDeferred(at('2027-05-17T23:59:59Z'), 10_000))).toEqual([]);
    const [due] = mine(await guard.dueDeferred(at('2027-05-18T00:00:00Z'), 10_000));
    expect(due).toEqual({
      messageId: evening.messageId, contactId: id, campaignId: 'birthday', occasionKey: 'birthday:2027', channel: 'email',
      notBefore: at('2027-05-18T00:00:00Z'), templateKey: 'card', variant: 'grille', fingerprint: null, asks: ['drink'], careExempt: false,
    });

    const morning = await guard.evaluate(resubmissionOf(due, at('2027-05-18T00:00:00Z')));
    expect(morning).toMatchObject({ decision: 'send', reason: 'clear', messageId: evening.messageId });
    expect(mine(await guard.dueDeferred(at('2027-05-18T01:00:00Z'), 10_000))).toEqual([]);
    expect((await decisionsOf(t.db, id)).map((d) => `${d.decision}:${d.reason}`)).toEqual(['defer:quiet_hours', 'defer:not_yet_due', 'send:clear']);
  });

  it('defers from the small hours to the same morning, and leaves the afternoon alone', async () => {
    const id = await createContact(t, { timeZone: 'Asia/Shanghai' });
    expect((await guard.evaluate(birthday(id, { now: at('2027-05-17T19:00:00Z') }))).deferUntil).toEqual(at('2027-05-18T00:00:00Z')); // 03:00
    expect((await guard.evaluate(birthday(id, { occasionKey: 'x', now: at('2027-05-18T06:00:00Z') }))).decision).toBe('send'); // 14:00
  });

  it('uses the contact\'s own quiet hours across midnight in Los Angeles on the spring-forward night', async () => {
    const id = await createContact(t, { timeZone: 'America/Los_Angeles', phone: null, address: null });
    await statePreference(t.db, id, 'quiet_hours', '22:00-07:00');
    // 22:30 PST on 13 March 2027; the clocks go forward at 02:00. 07:00 PDT is 14:00Z (not 15:00Z).
    const d = await guard.evaluate(birthday(id, { now: at('2027-03-14T06:30:00Z') }));
    expect(d).toMatchObject({ decision: 'defer', deferUntil: at('2027-03-14T14:00:00Z'), details: { quietHours: 'contact', timeZone: 'America/Los_Angeles' } });
    // 21:30 is quiet under the default but not for this customer.
    expect((await guard.evaluate(birthday(id, { occasionKey: 'o2', now: at('2027-03-14T05:30:00Z') }))).decision).toBe('send');
  });

  it('uses wall-clock 08:00 in Los Angeles on the fall-back night, and UTC for a contact without a zone', async () => {
    const la = await createContact(t, { timeZone: 'America/Los_Angeles' });
    expect((await guard.evaluate(birthday(la, { now: at('2027-11-07T05:00:00Z') }))).deferUntil).toEqual(at('2027-11-07T16:00:00Z'));
    const nowhere = await createContact(t, { timeZone: null });
    expect((await guard.evaluate(birthday(nowhere, { now: at('2027-05-17T22:00:00Z') }))).deferUntil).toEqual(at('2027-05-18T08:00:00Z'));
  });

  it('falls back to the policy window when the stated one is unreadable, and honours a policy override', async () => {
    const id = await createContact(t, { timeZone: 'Asia/Shanghai' });
    await statePreference(t.db, id, 'quiet_hours', 'after dinner');
    expect((await guard.evaluate(birthday(id, { now: at('2027-05-17T13:30:00Z') }))).deferUntil).toEqual(at('2027-05-18T00:00:00Z'));
    const d = await guard.evaluate(birthday(id, { occasionKey: 'o2', now: at('2027-05-17T12:30:00Z'), policy: { quietHours: '20:00-09:00' } }));
    expect(d.deferUntil).toEqual(at('2027-05-18T01:00:00Z'));
  });

  it('drops a waiting message that is refused when it comes due, recording why, and frees the occasion', async () => {
    const id = await createContact(t, { timeZone: 'Asia/Shanghai' });
    const night = await guard.evaluate(birthday(id, { now: at('2027-05-17T14:00:00Z') }));
    expect(night.decision).toBe('defer');
    await t.http.post(`/contacts/${id}/consent`).set(t.auth('marketer')).send({ email: { granted: false } }).expect(200);
    const morning = await guard.evaluate(birthday(id, { now: at('2027-05-18T00:00:00Z') }));
    expect(morning).toMatchObject({ decision: 'skip', reason: 'opted_out', details: { releasedDeferred: night.messageId } });
    expect(await messageRow(t.db, id, 'birthday', 'birthday:2027')).toBeUndefined();
    expect((await guard.dueDeferred(at('2027-05-19T00:00:00Z'), 10_000)).filter((m) => m.contactId === id)).toEqual([]);
  });
});
