import { ERASED, scrubAuditChanges } from './audit-scrub';

describe('scrubAuditChanges', () => {
  const vocabulary = new Set(['email', 'formOfAddress', 'sms']);

  it('keeps what our audit rows hold today: field names, channels and counts', () => {
    const changes = { fields: ['email', 'formOfAddress'], consentChanges: 2, channels: ['sms'] };
    expect(scrubAuditChanges(changes, vocabulary)).toEqual(changes);
  });

  it('replaces every other string, however deep, and keeps the shape', () => {
    const changes = { before: { email: 'wei@example.com', tags: ['vip', 'email'] }, note: 'called Mr Li', ok: true, n: null };
    expect(scrubAuditChanges(changes, vocabulary)).toEqual({
      before: { email: ERASED, tags: [ERASED, 'email'] },
      note: ERASED,
      ok: true,
      n: null,
    });
  });
});
