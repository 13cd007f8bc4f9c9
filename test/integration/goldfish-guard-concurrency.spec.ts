import { ContactMessagesRepository, MessageFields, occasionId } from '../../src/memory/guard/contact-messages.repository';
import { GoldfishGuard } from '../../src/memory/guard/goldfish-guard.service';
import { createTestApp, TestApp } from '../support/test-app';
import { birthday, createContact, guardOf, messageRow, SHANGHAI_NOON } from './goldfish-guard-helpers';

describe('goldfish guard under concurrency (real PostgreSQL, separate pool connections)', () => {
  let t: TestApp;
  let guard: GoldfishGuard;
  beforeAll(async () => {
    t = await createTestApp({ DB_POOL_SIZE: '12' });
    guard = guardOf(t);
  });
  afterAll(() => t.close());

  it('lets exactly one of 20 parallel requests for the same occasion send; 19 are duplicate_occasion', async () => {
    const id = await createContact(t);
    const decisions = await Promise.all(Array.from({ length: 20 }, () => guard.evaluate(birthday(id))));
    const sends = decisions.filter((d) => d.decision === 'send');
    expect(sends).toHaveLength(1);
    expect(decisions.filter((d) => d.decision === 'skip' && d.reason === 'duplicate_occasion')).toHaveLength(19);
    const [row] = await t.db.query(`SELECT count(*)::int AS n FROM contact_messages WHERE contact_id = $1`, [id]);
    expect(row.n).toBe(1);
    const recorded = await t.db.query(`SELECT decision, count(*)::int AS n FROM guard_decisions WHERE contact_id = $1 GROUP BY decision ORDER BY decision`, [id]);
    expect(recorded).toEqual([{ decision: 'send', n: 1 }, { decision: 'skip', n: 19 }]);
    expect((await messageRow(t.db, id, 'birthday', 'birthday:2027'))?.id).toBe(sends[0].messageId);
  });

  it('keeps the frequency cap exact when 20 campaigns race for the same contact', async () => {
    const id = await createContact(t);
    const decisions = await Promise.all(
      Array.from({ length: 20 }, (_, i) => guard.evaluate({ ...birthday(id), campaignId: `promo-${i}`, occasionKey: 'spring' })),
    );
    expect(decisions.filter((d) => d.decision === 'send')).toHaveLength(2);
    expect(decisions.filter((d) => d.reason === 'frequency_cap')).toHaveLength(18);
  });

  describe('the claim itself, without the per-contact lock', () => {
    const repo = new ContactMessagesRepository();
    const fields: MessageFields = { channel: 'email', templateKey: null, variant: null, fingerprint: null, asks: [], careExempt: false };

    async function twoClaims(firstOutcome: 'commit' | 'rollback') {
      const id = await createContact(t);
      const key = { contactId: id, campaignId: 'birthday', occasionKey: 'birthday:2027' };
      const a = t.db.createQueryRunner();
      const b = t.db.createQueryRunner();
      try {
        await a.startTransaction();
        const first = (await repo.claim(a.manager, [{ key, fields, at: SHANGHAI_NOON }])).get(occasionId(key)) ?? null;
        // The second insert waits on the first transaction's uncommitted key (on the embedded
        // database its whole transaction waits), then sees the first one's outcome.
        const second = (async () => {
          await b.startTransaction();
          return (await repo.claim(b.manager, [{ key, fields, at: SHANGHAI_NOON }])).get(occasionId(key)) ?? null;
        })();
        if (firstOutcome === 'commit') await a.commitTransaction();
        else await a.rollbackTransaction();
        const secondId = await second;
        await b.commitTransaction();
        return { first, secondId, row: await messageRow(t.db, id, 'birthday', 'birthday:2027') };
      } finally {
        await a.release();
        await b.release();
      }
    }

    it('gives the occasion to the first claimer and nothing to the second once the first commits', async () => {
      const { first, secondId, row } = await twoClaims('commit');
      expect(first).toEqual(expect.any(String));
      expect(secondId).toBeNull();
      expect(row?.id).toBe(first);
    });

    it('gives the occasion to the second claimer when the first rolls back (a crash mid-way)', async () => {
      const { first, secondId, row } = await twoClaims('rollback');
      expect(secondId).toEqual(expect.any(String));
      expect(secondId).not.toBe(first);
      expect(row).toMatchObject({ id: secondId, state: 'claimed' });
    });
  });
});
