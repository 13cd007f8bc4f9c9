import { GoldfishGuard } from '../../src/memory/guard/goldfish-guard.service';
import { createTestApp, TestApp } from '../support/test-app';
import { birthday, createContact, days, decisionsOf, guardOf, later, messageRow, SHANGHAI_NOON } from './goldfish-guard-helpers';

describe('goldfish guard: one message per occasion (a)', () => {
  let t: TestApp;
  let guard: GoldfishGuard;
  beforeAll(async () => {
    t = await createTestApp();
    guard = guardOf(t);
  });
  afterAll(() => t.close());

  it('claims the occasion on send and skips every later request for it as duplicate_occasion', async () => {
    const id = await createContact(t);
    const first = await guard.evaluate(birthday(id));
    expect(first).toMatchObject({ decision: 'send', reason: 'clear', deferUntil: null, dropAsks: [] });
    expect(await messageRow(t.db, id, 'birthday', 'birthday:2027')).toMatchObject({ id: first.messageId, state: 'claimed', claimed_at: SHANGHAI_NOON });

    const replay = await guard.evaluate(birthday(id, { now: later(SHANGHAI_NOON, 60_000) }));
    expect(replay).toMatchObject({ decision: 'skip', reason: 'duplicate_occasion', messageId: first.messageId, details: { existingState: 'claimed' } });
    // Another year is another occasion.
    expect((await guard.evaluate(birthday(id, { occasionKey: 'birthday:2028' }))).decision).toBe('send');

    const recorded = await decisionsOf(t.db, id);
    expect(recorded.map((d) => [d.decision, d.reason, d.occasion_key])).toEqual([
      ['send', 'clear', 'birthday:2027'],
      ['skip', 'duplicate_occasion', 'birthday:2027'],
      ['send', 'clear', 'birthday:2028'],
    ]);
    expect(recorded[0].message_id).toBe(first.messageId);
  });

  it('marks a claimed message sent, idempotently, and keeps the occasion closed', async () => {
    const id = await createContact(t);
    const { messageId } = await guard.evaluate(birthday(id));
    const sentAt = later(SHANGHAI_NOON, 5_000);
    expect(await guard.markSent(messageId!, sentAt)).toEqual({ messageId, state: 'sent' });
    expect(await guard.markSent(messageId!, later(sentAt, 1_000))).toEqual({ messageId, state: 'sent' });
    expect(await messageRow(t.db, id, 'birthday', 'birthday:2027')).toMatchObject({ state: 'sent', sent_at: sentAt });
    expect(await guard.evaluate(birthday(id, { now: later(SHANGHAI_NOON, days(1)) }))).toMatchObject({
      decision: 'skip', reason: 'duplicate_occasion', details: { existingState: 'sent' },
    });
    await expect(guard.markFailed(messageId!, true)).rejects.toMatchObject({ code: 'MESSAGE_NOT_CLAIMED' });
  });

  it('keeps the occasion closed after a permanent failure, and holds the claim for a retry after a transient one', async () => {
    const id = await createContact(t);
    const { messageId } = await guard.evaluate(birthday(id));
    expect(await guard.markFailed(messageId!, false)).toEqual({ messageId, state: 'claimed' });
    expect((await guard.evaluate(birthday(id))).reason).toBe('duplicate_occasion');
    expect(await guard.markFailed(messageId!, true)).toEqual({ messageId, state: 'failed' });
    expect(await guard.markFailed(messageId!, true)).toEqual({ messageId, state: 'failed' });
    expect(await guard.evaluate(birthday(id))).toMatchObject({ decision: 'skip', reason: 'duplicate_occasion', details: { existingState: 'failed' } });
    await expect(guard.markSent(messageId!)).rejects.toMatchObject({ code: 'MESSAGE_NOT_CLAIMED' });
    await expect(guard.markSent('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('never consumes the occasion with a skip: once the reason is gone, the same occasion is sent', async () => {
    const id = await createContact(t, {}, {});
    expect((await guard.evaluate(birthday(id))).reason).toBe('no_consent');
    expect(await messageRow(t.db, id, 'birthday', 'birthday:2027')).toBeUndefined();
    await t.http.post(`/contacts/${id}/consent`).set(t.auth('marketer')).send({ email: { granted: true } }).expect(200);
    expect((await guard.evaluate(birthday(id))).decision).toBe('send');
  });

  it('leaves nothing behind when the caller\'s transaction rolls back (a crash before commit)', async () => {
    const id = await createContact(t);
    await expect(
      t.db.transaction(async (tx) => {
        const inside = await guard.evaluateIn(tx, birthday(id));
        expect(inside.decision).toBe('send');
        throw new Error('worker died before commit');
      }),
    ).rejects.toThrow('worker died');
    expect(await messageRow(t.db, id, 'birthday', 'birthday:2027')).toBeUndefined();
    expect(await decisionsOf(t.db, id)).toEqual([]);
    expect((await guard.evaluate(birthday(id))).decision).toBe('send');
  });

  it('rejects a request it cannot judge, naming every problem, and an unknown contact', async () => {
    const bad = { ...birthday('not-a-uuid'), campaignId: '', channel: 'fax', now: new Date('nope'), fingerprint: 'abc', asks: ['Drink!'] };
    await expect(guard.evaluate(bad as never)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: ['contactId', 'campaignId', 'channel', 'now', 'fingerprint', 'asks'].map((field) => expect.objectContaining({ field })),
    });
    const id = await createContact(t);
    await expect(guard.evaluate(birthday(id, { policy: { capPerWindow: 0, quietHours: '9-5' } }))).rejects.toMatchObject({
      details: [expect.objectContaining({ field: 'policy.capPerWindow' }), expect.objectContaining({ field: 'policy.quietHours' })],
    });
    await expect(guard.evaluate(birthday('00000000-0000-4000-8000-000000000000'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
