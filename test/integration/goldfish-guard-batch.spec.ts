import { GoldfishGuard } from '../../src/memory/guard/goldfish-guard.service';
import type { GuardRequest } from '../../src/memory/guard/guard.types';
import { createTestApp, TestApp } from '../support/test-app';
import { birthday, createContact, decisionsOf, guardOf, later, recordBounce, SHANGHAI_NOON, statePreference } from './goldfish-guard-helpers';

/**
 * A delivery worker asks the guard about a whole claimed batch at once. The batch must be judged
 * exactly as the same requests one by one: a contact's second message in the batch sees the first
 * one's claim (occasion, content window, frequency cap), and each refusal keeps its own reason.
 */
const LETTER = 'a'.repeat(64);

describe('goldfish guard: a batch judged at once', () => {
  let t: TestApp;
  let guard: GoldfishGuard;
  beforeAll(async () => {
    t = await createTestApp();
    guard = guardOf(t);
  });
  afterAll(() => t.close());

  /** The same situation for a fresh set of contacts: a capped one, a bounced one, one with quiet hours, one opted out. */
  async function people() {
    const [capped, bounced, night, optedOut, plain] = [
      await createContact(t),
      await createContact(t),
      await createContact(t, { timeZone: 'Asia/Shanghai' }),
      await createContact(t, {}, { email: { granted: false }, sms: { granted: true } }),
      await createContact(t),
    ];
    await recordBounce(t.db, bounced, 'email', { permanent: true });
    // Noon in Shanghai falls inside these stated quiet hours.
    await statePreference(t.db, night, 'quiet_hours', '11:00-13:00');
    return { capped, bounced, night, optedOut, plain };
  }

  function requests(p: Awaited<ReturnType<typeof people>>): GuardRequest[] {
    const capped = { policy: { capPerWindow: 2, capWindowDays: 7 } };
    return [
      birthday(p.capped, { campaignId: 'news-1', occasionKey: 'n1', ...capped }),
      birthday(p.plain, { fingerprint: LETTER }),
      birthday(p.capped, { campaignId: 'news-2', occasionKey: 'n2', ...capped }),
      birthday(p.bounced),
      birthday(p.plain, { campaignId: 'again', occasionKey: 'again', fingerprint: LETTER }),
      birthday(p.capped, { campaignId: 'news-3', occasionKey: 'n3', ...capped }),
      birthday(p.night),
      birthday(p.optedOut),
      birthday(p.plain, { now: later(SHANGHAI_NOON, 1_000) }),
      birthday(p.capped, { campaignId: 'news-4', occasionKey: 'n4', careExempt: true, ...capped }),
    ];
  }

  it('gives every request of a batch the decision it gets when asked alone, in the same order', async () => {
    const one = await people();
    const alone = [];
    for (const request of requests(one)) alone.push(await guard.evaluate(request));

    const batch = await people();
    const together = await t.db.transaction((tx) => guard.evaluateManyIn(tx, requests(batch)));

    const shape = (d: { decision: string; reason: string }) => `${d.decision}:${d.reason}`;
    expect(together.map(shape)).toEqual(alone.map(shape));
    expect(together.map(shape)).toEqual([
      'send:clear', 'send:clear', 'send:clear', 'skip:bounced', 'skip:duplicate_content', 'skip:frequency_cap',
      'defer:quiet_hours', 'skip:opted_out', 'skip:duplicate_occasion', 'send:clear',
    ]);
    // Each decision is on record under its own id, with the claim it made.
    expect(new Set(together.map((d) => d.decisionId)).size).toBe(together.length);
    const capped = await decisionsOf(t.db, batch.capped);
    expect(capped.map((d) => [d.occasion_key, d.reason])).toEqual([['n1', 'clear'], ['n2', 'clear'], ['n3', 'frequency_cap'], ['n4', 'clear']]);
    expect(capped.map((d) => d.message_id)).toEqual([together[0].messageId, together[2].messageId, null, together[9].messageId]);
    expect(together[6].deferUntil).toEqual(new Date('2027-05-17T05:00:00Z'));
  });

  it('rolls back with the caller: nothing claimed, nothing recorded', async () => {
    const p = await people();
    await expect(
      t.db.transaction(async (tx) => {
        await guard.evaluateManyIn(tx, requests(p));
        throw new Error('the outbox write failed');
      }),
    ).rejects.toThrow('the outbox write failed');
    expect(await decisionsOf(t.db, p.capped)).toEqual([]);
    expect((await guard.evaluate(birthday(p.plain))).decision).toBe('send');
  });
});
