import { GoldfishGuard } from '../../src/memory/guard/goldfish-guard.service';
import { contentFingerprint } from '../../src/memory/guard/rules/fingerprint';
import { createTestApp, TestApp } from '../support/test-app';
import { birthday, createContact, days, guardOf, later, messageRow, recordBounce, SHANGHAI_NOON, statePreference } from './goldfish-guard-helpers';

/** Rules (e) and (f): respect the customer's time, and reach only those who may and can be reached. */
describe('goldfish guard: frequency cap, consent and suppression', () => {
  let t: TestApp;
  let guard: GoldfishGuard;
  beforeAll(async () => {
    t = await createTestApp();
    guard = guardOf(t);
  });
  afterAll(() => t.close());

  const promo = (id: string, n: number, extra: Record<string, unknown> = {}) => ({
    contactId: id, campaignId: `promo-${n}`, occasionKey: 'spring', channel: 'email' as const, now: later(SHANGHAI_NOON, days(n)), ...extra,
  });

  it('caps messages per contact and channel across campaigns, and says when the window frees up (e)', async () => {
    const id = await createContact(t);
    expect((await guard.evaluate(promo(id, 0))).decision).toBe('send');
    expect((await guard.evaluate(promo(id, 2))).decision).toBe('send');
    const third = await guard.evaluate(promo(id, 3));
    expect(third).toMatchObject({ decision: 'skip', reason: 'frequency_cap', details: { capPerWindow: 2, capWindowDays: 7, windowFreesAt: later(SHANGHAI_NOON, days(7)) } });
    // The skip left the occasion open: the same campaign goes once the window frees up.
    expect(await messageRow(t.db, id, 'promo-3', 'spring')).toBeUndefined();
    expect((await guard.evaluate(promo(id, 3, { now: later(SHANGHAI_NOON, days(7)) }))).decision).toBe('send');
    // Another channel has its own count; a policy may allow more.
    expect((await guard.evaluate(promo(id, 4, { channel: 'sms' }))).decision).toBe('send');
    expect((await guard.evaluate(promo(id, 8, { now: later(SHANGHAI_NOON, days(7)) }))).reason).toBe('frequency_cap');
    expect((await guard.evaluate(promo(id, 8, { now: later(SHANGHAI_NOON, days(7)), policy: { capPerWindow: 3 } }))).decision).toBe('send');
  });

  it('lets a care-exempt message past the cap; it still counts, and failed messages do not (e)', async () => {
    const id = await createContact(t);
    await guard.evaluate(promo(id, 0));
    const failed = await guard.evaluate(promo(id, 1));
    await guard.markFailed(failed.messageId!, true);
    expect((await guard.evaluate(promo(id, 2))).decision).toBe('send');
    const care = await guard.evaluate({ ...birthday(id), now: later(SHANGHAI_NOON, days(2)), careExempt: true });
    expect(care.decision).toBe('send');
    expect((await messageRow(t.db, id, 'birthday', 'birthday:2027'))).toMatchObject({ state: 'claimed' });
    // Three now count in the week; the second oldest must leave before a fourth fits.
    const capped = await guard.evaluate(promo(id, 3));
    expect(capped).toMatchObject({ reason: 'frequency_cap', details: { windowFreesAt: later(SHANGHAI_NOON, days(9)) } });
  });

  it('skips an erased or deleted contact before anything else (f)', async () => {
    const erased = await createContact(t);
    const { messageId } = await guard.evaluate(birthday(erased));
    await t.db.query(`UPDATE contacts SET erased_at = now(), email = NULL WHERE id = $1`, [erased]);
    expect(await guard.evaluate(birthday(erased))).toMatchObject({ decision: 'skip', reason: 'erased', messageId: null });
    expect((await messageRow(t.db, erased, 'birthday', 'birthday:2027'))?.id).toBe(messageId);

    const deleted = await createContact(t);
    await t.http.delete(`/contacts/${deleted}`).set(t.auth('marketer')).expect(204);
    expect(await guard.evaluate(birthday(deleted))).toMatchObject({ decision: 'skip', reason: 'erased', details: { deleted: true } });
  });

  it('needs a recorded grant for e-mail and SMS, honours the latest revocation, and treats printed mail as opt-out (f)', async () => {
    const id = await createContact(t, {}, { email: { granted: true } });
    expect((await guard.evaluate(birthday(id, { channel: 'sms' }))).reason).toBe('no_consent');
    expect((await guard.evaluate(birthday(id, { channel: 'mail' }))).decision).toBe('send');

    await t.http.post(`/contacts/${id}/consent`).set(t.auth('marketer')).send({ email: { granted: false }, mail: { granted: false } }).expect(200);
    expect(await guard.evaluate(birthday(id, { occasionKey: 'birthday:2028' }))).toMatchObject({ reason: 'opted_out', details: { channel: 'email' } });
    expect((await guard.evaluate(birthday(id, { occasionKey: 'birthday:2028', channel: 'mail' }))).reason).toBe('opted_out');
    await t.http.post(`/contacts/${id}/consent`).set(t.auth('marketer')).send({ email: { granted: true } }).expect(200);
    expect((await guard.evaluate(birthday(id, { occasionKey: 'birthday:2028' }))).decision).toBe('send');
    // A policy may make printed mail opt-in too.
    const other = await createContact(t);
    expect((await guard.evaluate(birthday(other, { channel: 'mail', policy: { optInChannels: ['email', 'sms', 'mail'] } }))).reason).toBe('no_consent');
  });

  it('skips a channel without an address (f)', async () => {
    const id = await createContact(t, { phone: null, address: { country: 'CN', city: 'Shanghai' } });
    expect((await guard.evaluate(birthday(id, { channel: 'sms' }))).reason).toBe('no_address');
    expect((await guard.evaluate(birthday(id, { channel: 'mail' }))).reason).toBe('no_address');
    const noEmail = await createContact(t, { email: null });
    expect((await guard.evaluate(birthday(noEmail))).reason).toBe('no_address');
  });

  it('skips an address that bounced for good, but not after a soft bounce or once the address changed (f)', async () => {
    const id = await createContact(t, { email: `bounce.${Date.now()}@example.com` });
    await recordBounce(t.db, id, 'email', { permanent: false });
    expect((await guard.evaluate(birthday(id, { policy: { capPerWindow: 9 } }))).decision).toBe('send');
    await recordBounce(t.db, id, 'email', { permanent: true });
    expect(await guard.evaluate(birthday(id, { occasionKey: 'birthday:2028' }))).toMatchObject({ decision: 'skip', reason: 'bounced', details: { channel: 'email' } });
    // SMS is another address.
    expect((await guard.evaluate(birthday(id, { occasionKey: 'birthday:2028', channel: 'sms' }))).decision).toBe('send');

    const moved = await createContact(t, { email: `old.${Date.now()}@example.com` });
    await recordBounce(t.db, moved, 'email', { permanent: true, address: `OLD.${Date.now()}@example.com` });
    await t.http.patch(`/contacts/${moved}`).set(t.auth('marketer')).send({ email: `new.${Date.now()}@example.com` }).expect(200);
    expect((await guard.evaluate(birthday(moved))).decision).toBe('send');
  });

  it('runs the checks in order: erased, consent, occasion, questions, content, cap', async () => {
    const id = await createContact(t);
    const fingerprint = contentFingerprint('Spring offer');
    await guard.evaluate(promo(id, 0, { fingerprint }));
    await guard.evaluate(promo(id, 0, { campaignId: 'other' }));
    // The replay would also trip the content window and the cap: it is reported as a replay.
    expect((await guard.evaluate(promo(id, 0, { fingerprint }))).reason).toBe('duplicate_occasion');
    // A new occasion with the same content at the cap: content first.
    expect((await guard.evaluate(promo(id, 0, { campaignId: 'third', fingerprint }))).reason).toBe('duplicate_content');
    // An ask-only message about a known answer, at the cap and with seen content: the question decides.
    await statePreference(t.db, id, 'drink', 'tea');
    expect((await guard.evaluate(promo(id, 0, { campaignId: 'third', asks: ['drink'], askOnly: true, fingerprint }))).reason).toBe('known_answer');
    expect((await guard.evaluate(promo(id, 0, { campaignId: 'third', fingerprint: contentFingerprint('x') }))).reason).toBe('frequency_cap');
    await t.http.post(`/contacts/${id}/consent`).set(t.auth('marketer')).send({ email: { granted: false } }).expect(200);
    expect((await guard.evaluate(promo(id, 0, { fingerprint }))).reason).toBe('opted_out');
    await t.db.query(`UPDATE contacts SET erased_at = now() WHERE id = $1`, [id]);
    expect((await guard.evaluate(promo(id, 0, { fingerprint }))).reason).toBe('erased');
  });
});
