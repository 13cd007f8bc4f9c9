import { GoldfishGuard } from '../../src/memory/guard/goldfish-guard.service';
import { createTestApp, TestApp } from '../support/test-app';
import { birthday, createContact, guardOf, later, SHANGHAI_NOON } from './goldfish-guard-helpers';

describe('GET /contacts/:id/guard-decisions', () => {
  let t: TestApp;
  let guard: GoldfishGuard;
  beforeAll(async () => {
    t = await createTestApp();
    guard = guardOf(t);
  });
  afterAll(() => t.close());

  it('lists what was sent, deferred or skipped and why, newest first, page by page, to a viewer', async () => {
    const id = await createContact(t, { timeZone: 'Asia/Shanghai' });
    const sent = await guard.evaluate(birthday(id));
    await guard.evaluate(birthday(id, { now: later(SHANGHAI_NOON, 60_000) }));
    const deferred = await guard.evaluate(birthday(id, { occasionKey: 'birthday:2028', now: new Date('2027-05-17T14:30:00Z') }));

    const first = await t.http.get(`/contacts/${id}/guard-decisions?limit=2`).set(t.auth('viewer')).expect(200);
    expect(first.body.items).toEqual([
      expect.objectContaining({
        contactId: id, campaignId: 'birthday', occasionKey: 'birthday:2028', channel: 'email', decision: 'defer', reason: 'quiet_hours',
        deferUntil: '2027-05-18T00:00:00.000Z', messageId: deferred.messageId, decidedAt: '2027-05-17T14:30:00.000Z',
        details: { quietHours: 'policy', timeZone: 'Asia/Shanghai' },
      }),
      expect.objectContaining({ decision: 'skip', reason: 'duplicate_occasion', messageId: sent.messageId, details: { existingState: 'claimed' } }),
    ]);
    const second = await t.http.get(`/contacts/${id}/guard-decisions?limit=2&cursor=${first.body.nextCursor}`).set(t.auth('viewer')).expect(200);
    expect(second.body).toEqual({ items: [expect.objectContaining({ decision: 'send', reason: 'clear', id: sent.decisionId })], nextCursor: null });
  });

  it('answers 404 for an unknown or deleted contact, 400 for a bad id or cursor, 401 without a key', async () => {
    await t.http.get('/contacts/00000000-0000-4000-8000-000000000000/guard-decisions').set(t.auth('viewer')).expect(404);
    const bad = await t.http.get('/contacts/nope/guard-decisions').set(t.auth('viewer')).expect(400);
    expect(bad.body).toMatchObject({ error: 'VALIDATION_FAILED', details: [{ field: 'id' }] });
    const id = await createContact(t);
    await t.http.get(`/contacts/${id}/guard-decisions?cursor=xyz`).set(t.auth('viewer')).expect(400);
    await t.http.get(`/contacts/${id}/guard-decisions?limit=0`).set(t.auth('viewer')).expect(400);
    await t.http.get(`/contacts/${id}/guard-decisions?since=1`).set(t.auth('viewer')).expect(400);
    await t.http.get(`/contacts/${id}/guard-decisions`).expect(401);
    await t.http.delete(`/contacts/${id}`).set(t.auth('marketer')).expect(204);
    await t.http.get(`/contacts/${id}/guard-decisions`).set(t.auth('viewer')).expect(404);
  });
});
