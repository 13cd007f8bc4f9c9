import { GoldfishGuard } from '../../src/memory/guard/goldfish-guard.service';
import { contentFingerprint } from '../../src/memory/guard/rules/fingerprint';
import { createTestApp, TestApp } from '../support/test-app';
import { birthday, createContact, days, guardOf, later, messageRow, SHANGHAI_NOON, statePreference } from './goldfish-guard-helpers';

/** Rules (b), (c), (d): never the same words twice, rotate variants, never ask what we know. */
describe('goldfish guard: content, variants and questions', () => {
  let t: TestApp;
  let guard: GoldfishGuard;
  const roomy = { capPerWindow: 50 };
  beforeAll(async () => {
    t = await createTestApp();
    guard = guardOf(t);
  });
  afterAll(() => t.close());

  it('skips identical content to the same contact within the window, whatever the campaign or spacing (b)', async () => {
    const id = await createContact(t);
    const fingerprint = contentFingerprint('Dear Mr Li,\nhappy birthday from all of us.');
    expect((await guard.evaluate(birthday(id, { fingerprint, policy: roomy }))).decision).toBe('send');

    const respaced = contentFingerprint('  Dear Mr Li, happy   birthday from all of us. ');
    const again = await guard.evaluate({ ...birthday(id, { policy: roomy }), campaignId: 'spring-greeting', occasionKey: 'spring:2027', fingerprint: respaced, now: later(SHANGHAI_NOON, days(10)) });
    expect(again).toMatchObject({ decision: 'skip', reason: 'duplicate_content', details: { sameAs: { campaignId: 'birthday', occasionKey: 'birthday:2027' }, contentWindowDays: 30 } });
    // On another channel it is still the same words to the same person.
    expect((await guard.evaluate({ ...birthday(id, { policy: roomy }), campaignId: 'spring-greeting', occasionKey: 'spring:2027', channel: 'sms', fingerprint })).reason).toBe('duplicate_content');
    // Other words go; the same words go once the window has passed; a shorter window is honoured.
    const other = contentFingerprint('Dear Mr Li, spring is here.');
    expect((await guard.evaluate({ ...birthday(id, { policy: roomy }), campaignId: 'spring-greeting', occasionKey: 'spring:2027', fingerprint: other })).decision).toBe('send');
    expect((await guard.evaluate({ ...birthday(id, { policy: roomy }), campaignId: 'autumn', occasionKey: 'autumn:2027', fingerprint, now: later(SHANGHAI_NOON, days(31)) })).decision).toBe('send');
    expect((await guard.evaluate({ ...birthday(id, { policy: { ...roomy, contentWindowDays: 1 } }), campaignId: 'x', occasionKey: 'x', fingerprint: other, now: later(SHANGHAI_NOON, days(2)) })).decision).toBe('send');
  });

  it('does not count a permanently failed message as content the contact has seen (b)', async () => {
    const id = await createContact(t);
    const fingerprint = contentFingerprint('A card for you');
    const { messageId } = await guard.evaluate(birthday(id, { fingerprint }));
    await guard.markFailed(messageId!, true);
    expect((await guard.evaluate({ ...birthday(id), occasionKey: 'birthday:2027-retry', fingerprint })).decision).toBe('send');
  });

  it('rotates template variants: never seen first, then the least recently seen, stable for ties (c)', async () => {
    const id = await createContact(t);
    const variants = ['grille', 'candles', 'road'];
    const seen: string[] = [];
    for (let i = 0; i < 5; i++) {
      const variant = await guard.pickVariant(id, 'birthday-card', variants);
      seen.push(variant);
      const decision = await guard.evaluate({ ...birthday(id, { policy: roomy }), occasionKey: `birthday:${2027 + i}`, templateKey: 'birthday-card', variant, now: later(SHANGHAI_NOON, days(i)) });
      expect(decision.decision).toBe('send');
    }
    expect(seen).toEqual(['grille', 'candles', 'road', 'grille', 'candles']);
    // Another template has its own rotation; a new variant is shown before the old ones.
    expect(await guard.pickVariant(id, 'spring-card', variants)).toBe('grille');
    expect(await guard.pickVariant(id, 'birthday-card', ['candles', 'road', 'lantern', 'grille'])).toBe('lantern');
    await expect(guard.pickVariant(id, 'birthday-card', [])).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect((await messageRow(t.db, id, 'birthday', 'birthday:2027'))?.variant).toBe('grille');
  });

  it('drops questions whose answer is known or that were asked within the cool-down, and keeps the rest (d)', async () => {
    const id = await createContact(t);
    await statePreference(t.db, id, 'drink', 'tea');
    const first = await guard.evaluate({ ...birthday(id, { policy: roomy }), campaignId: 'welcome', occasionKey: 'welcome', asks: ['drink', 'newspaper', 'topics'] });
    expect(first).toMatchObject({ decision: 'send', dropAsks: [{ key: 'drink', reason: 'known_answer' }] });
    expect((await messageRow(t.db, id, 'welcome', 'welcome'))?.asks).toEqual(['newspaper', 'topics']);

    // Ten days later: newspaper and topics were asked (cool-down 30 days); drink is known.
    const second = await guard.evaluate({ ...birthday(id, { policy: roomy }), campaignId: 'check-in', occasionKey: 'n1', asks: ['newspaper', 'drink'], now: later(SHANGHAI_NOON, days(10)) });
    expect(second.dropAsks).toEqual([{ key: 'newspaper', reason: 'asked_recently' }, { key: 'drink', reason: 'known_answer' }]);
    // A key with a shorter cool-down may be asked again sooner; an unknown key is never asked.
    const shortKey = `guard_test_${Date.now()}`;
    await t.db.query(`INSERT INTO preference_keys (key, value_type, ask_cooldown_days) VALUES ($1, 'text', 5)`, [shortKey]);
    await guard.evaluate({ ...birthday(id, { policy: roomy }), campaignId: 'check-in', occasionKey: 'n1b', asks: [shortKey], now: later(SHANGHAI_NOON, days(1)) });
    const third = await guard.evaluate({ ...birthday(id, { policy: roomy }), campaignId: 'check-in', occasionKey: 'n2', asks: [shortKey, 'shoe_size'], now: later(SHANGHAI_NOON, days(7)) });
    expect(third.dropAsks).toEqual([{ key: 'shoe_size', reason: 'unknown_key' }]);
    expect((await messageRow(t.db, id, 'check-in', 'n2'))?.asks).toEqual([shortKey]);
    // After the cool-down the newspaper question may be asked again.
    const later31 = await guard.evaluate({ ...birthday(id, { policy: roomy }), campaignId: 'check-in', occasionKey: 'n3', asks: ['newspaper'], now: later(SHANGHAI_NOON, days(31)) });
    expect(later31).toMatchObject({ decision: 'send', dropAsks: [] });
  });

  it('skips a message that exists only to ask, once nothing is left to ask (d)', async () => {
    const id = await createContact(t);
    await statePreference(t.db, id, 'drink', 'tea');
    const known = await guard.evaluate({ ...birthday(id), campaignId: 'survey', occasionKey: 'drink', asks: ['drink'], askOnly: true });
    expect(known).toMatchObject({ decision: 'skip', reason: 'known_answer', dropAsks: [{ key: 'drink', reason: 'known_answer' }] });
    expect(await messageRow(t.db, id, 'survey', 'drink')).toBeUndefined();

    expect((await guard.evaluate({ ...birthday(id), campaignId: 'survey', occasionKey: 'paper-1', asks: ['newspaper'], askOnly: true })).decision).toBe('send');
    const tooSoon = await guard.evaluate({ ...birthday(id), campaignId: 'survey', occasionKey: 'paper-2', asks: ['newspaper'], askOnly: true, now: later(SHANGHAI_NOON, days(3)) });
    expect(tooSoon).toMatchObject({ decision: 'skip', reason: 'asked_recently' });
  });

  it('passes the hotel scenario: four nights, the guest\'s answers used, never asked again, a change used from night 3', async () => {
    const id = await createContact(t, { timeZone: 'America/New_York' });
    await statePreference(t.db, id, 'drink', 'tea');
    await statePreference(t.db, id, 'newspaper', 'wall_street_journal');
    const nights: string[][] = [];
    for (let night = 1; night <= 4; night++) {
      if (night === 3) await statePreference(t.db, id, 'newspaper', 'financial_times');
      // 19:00 in New York each evening: a courtesy message, care-exempt, that would ask both questions.
      const now = new Date(Date.UTC(2027, 4, 9 + night, 23, 0));
      const d = await guard.evaluate({ contactId: id, campaignId: 'hotel-courtesy', occasionKey: `night:${night}`, channel: 'sms', now, asks: ['drink', 'newspaper'], careExempt: true });
      expect(d).toMatchObject({ decision: 'send', reason: 'clear' });
      nights.push(d.dropAsks.map((a) => `${a.key}:${a.reason}`));
      const current = await t.db.query(`SELECT key, value FROM current_preferences WHERE contact_id = $1 AND key = 'newspaper'`, [id]);
      expect(current[0].value).toBe(night < 3 ? 'wall_street_journal' : 'financial_times');
    }
    expect(nights).toEqual(Array(4).fill(['drink:known_answer', 'newspaper:known_answer']));
    const history = await t.db.query(`SELECT value FROM preference_statements WHERE contact_id = $1 AND key = 'newspaper' ORDER BY id`, [id]);
    expect(history.map((h: { value: string }) => h.value)).toEqual(['wall_street_journal', 'financial_times']);
  });
});
