import fc from 'fast-check';
import { DataSource } from 'typeorm';
import { ContactMessagesRepository } from '../../src/memory/guard/contact-messages.repository';
import { GoldfishGuard } from '../../src/memory/guard/goldfish-guard.service';
import { GuardDecisionsRepository } from '../../src/memory/guard/guard-decisions.repository';
import { GuardFactsRepository } from '../../src/memory/guard/guard-facts.repository';
import { GuardDecision, GuardRequest } from '../../src/memory/guard/guard.types';
import { contentFingerprint } from '../../src/memory/guard/rules/fingerprint';
import { resubmissionOf } from '../../src/memory/guard/resubmission';
import { createTestApp, TestApp } from '../support/test-app';

const ZONES = ['Asia/Shanghai', 'America/Los_Angeles', 'UTC'];
const CAMPAIGNS = ['birthday', 'spring'];
const OCCASIONS = ['a', 'b'];
/** The evening before the 2027 spring-forward night in Los Angeles, so some runs cross it. */
const START = Date.parse('2027-03-13T00:00:00Z');
const HOUR = 3_600_000;

const CONTENTS = [undefined, contentFingerprint('Happy birthday'), contentFingerprint('Spring is here')];

const target = fc.record({
  contact: fc.nat(2),
  campaign: fc.nat(1),
  occasion: fc.nat(1),
  channel: fc.constantFrom('email' as const, 'sms' as const),
  content: fc.nat(2),
});
const action = fc.oneof(
  { arbitrary: target.map((t) => ({ kind: 'trigger' as const, ...t })), weight: 5 },
  { arbitrary: fc.constant({ kind: 'replay' as const }), weight: 2 },
  { arbitrary: fc.constant({ kind: 'restart' as const }), weight: 1 },
  { arbitrary: target.map((t) => ({ kind: 'crash' as const, ...t })), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('concurrent' as const), n: fc.integer({ min: 2, max: 4 }), target }), weight: 1 },
  { arbitrary: fc.integer({ min: 1, max: 14 }).map((hours) => ({ kind: 'advance' as const, hours })), weight: 3 },
  { arbitrary: fc.constant({ kind: 'resubmit' as const }), weight: 2 },
  { arbitrary: fc.constant({ kind: 'markSent' as const }), weight: 1 },
);
type Action = typeof action extends fc.Arbitrary<infer A> ? A : never;

/** A fresh service over the same database: whatever it kept in memory is gone, as after a restart. */
function freshGuard(db: DataSource): GoldfishGuard {
  return new GoldfishGuard(db, new GuardFactsRepository(), new ContactMessagesRepository(), new GuardDecisionsRepository());
}

/** Contacts with e-mail and SMS consent, written in one statement to keep a hundred runs quick. */
async function createContacts(db: DataSource, zones: string[]): Promise<string[]> {
  const rows: Array<{ id: string }> = await db.query(
    `WITH created AS (
       INSERT INTO contacts (email, phone, time_zone)
       SELECT 'p-' || gen_random_uuid() || '@example.com', '+86139' || lpad((floor(random() * 1e8))::int::text, 8, '0'), zone
         FROM unnest($1::text[]) AS zone
       RETURNING id),
     consent AS (
       INSERT INTO contact_consent_events (contact_id, channel, status, source, recorded_by)
       SELECT id, channel, 'granted', 'test', 'test' FROM created, unnest(ARRAY['email', 'sms']) AS channel)
     SELECT id FROM created`,
    [zones],
  );
  return rows.map((r) => r.id);
}

describe('goldfish guard: random interleavings, replays, restarts and clock advances (property)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ DB_POOL_SIZE: '10' });
  });
  afterAll(() => t.close());

  it('never sends an occasion twice and never loses a deferred message', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...ZONES), { minLength: 3, maxLength: 3 }),
        fc.integer({ min: 0, max: 72 * 60 }),
        fc.constantFrom(2, 50),
        fc.array(action, { minLength: 1, maxLength: 18 }),
        async (zones, startMinutes, capPerWindow, actions: Action[]) => {
          const contacts = await createContacts(t.db, zones);
          let guard = freshGuard(t.db);
          let now = START + startMinutes * 60_000;
          let last: GuardRequest | null = null;
          const committed: GuardDecision[] = [];
          const request = (x: { contact: number; campaign: number; occasion: number; channel: 'email' | 'sms'; content: number }): GuardRequest => ({
            contactId: contacts[x.contact], campaignId: CAMPAIGNS[x.campaign], occasionKey: OCCASIONS[x.occasion], channel: x.channel,
            fingerprint: CONTENTS[x.content], now: new Date(now), policy: { capPerWindow },
          });
          const ours = <T extends { contactId: string }>(list: T[]): T[] => list.filter((m) => contacts.includes(m.contactId));
          const resubmitDue = async () => {
            for (const due of ours(await guard.dueDeferred(new Date(now), 10_000))) {
              committed.push(await guard.evaluate(resubmissionOf(due, new Date(now), { policy: { capPerWindow } })));
            }
          };

          for (const step of actions) {
            switch (step.kind) {
              case 'trigger':
                last = request(step);
                committed.push(await guard.evaluate(last));
                break;
              case 'replay':
                if (last) committed.push(await guard.evaluate(last));
                break;
              case 'restart':
                guard = freshGuard(t.db);
                break;
              case 'crash':
                await t.db
                  .transaction(async (tx) => {
                    await guard.evaluateIn(tx, request(step));
                    throw new Error('crash before commit');
                  })
                  .catch((e: Error) => expect(e.message).toBe('crash before commit'));
                break;
              case 'concurrent':
                committed.push(...(await Promise.all(Array.from({ length: step.n }, () => guard.evaluate(request(step.target))))));
                break;
              case 'advance':
                now += step.hours * HOUR;
                break;
              case 'resubmit':
                await resubmitDue();
                break;
              case 'markSent': {
                const claimed = committed.find((d) => d.decision === 'send');
                if (claimed) await guard.markSent(claimed.messageId!, new Date(now));
                break;
              }
            }
          }
          // Drain: follow the clock to each waiting message's time and submit it again.
          for (let round = 0; round < 10; round++) {
            const [next] = await t.db.query(`SELECT min(not_before) AS at FROM contact_messages WHERE state = 'deferred' AND contact_id = ANY($1::uuid[])`, [contacts]);
            if (!next.at) break;
            now = Math.max(now, (next.at as Date).getTime());
            await resubmitDue();
          }

          // No occasion was sent twice, neither in what the guard answered nor in what it recorded.
          const sent = committed.filter((d) => d.decision === 'send').map((d) => d.messageId);
          expect(new Set(sent).size).toBe(sent.length);
          const doubles = await t.db.query(
            `SELECT contact_id, campaign_id, occasion_key FROM guard_decisions WHERE contact_id = ANY($1::uuid[]) AND decision = 'send'
              GROUP BY 1, 2, 3 HAVING count(*) > 1`,
            [contacts],
          );
          expect(doubles).toEqual([]);
          // Every committed decision was recorded, and nothing from a rolled-back one.
          const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM guard_decisions WHERE contact_id = ANY($1::uuid[])`, [contacts]);
          expect(n).toBe(committed.length);
          // Every claimed or sent message has its one send decision.
          const orphans = await t.db.query(
            `SELECT m.id FROM contact_messages m WHERE m.contact_id = ANY($1::uuid[]) AND m.state IN ('claimed', 'sent')
               AND NOT EXISTS (SELECT 1 FROM guard_decisions d WHERE d.message_id = m.id AND d.decision = 'send')`,
            [contacts],
          );
          expect(orphans).toEqual([]);
          // No deferred message was lost: after the drain, each deferred occasion was sent, or refused
          // by a recorded decision after its last deferral; none is still waiting past its time.
          const lost = await t.db.query(
            `WITH last_defer AS (
               SELECT contact_id, campaign_id, occasion_key, max(id) AS id FROM guard_decisions
                WHERE contact_id = ANY($1::uuid[]) AND decision = 'defer' GROUP BY 1, 2, 3)
             SELECT l.* FROM last_defer l
              WHERE NOT EXISTS (SELECT 1 FROM contact_messages m
                                 WHERE (m.contact_id, m.campaign_id, m.occasion_key) = (l.contact_id, l.campaign_id, l.occasion_key)
                                   AND m.state IN ('claimed', 'sent'))
                AND NOT EXISTS (SELECT 1 FROM guard_decisions d
                                 WHERE (d.contact_id, d.campaign_id, d.occasion_key) = (l.contact_id, l.campaign_id, l.occasion_key)
                                   AND d.id > l.id AND d.decision = 'skip')`,
            [contacts],
          );
          expect(lost).toEqual([]);
          expect(ours(await guard.dueDeferred(new Date(now), 10_000))).toEqual([]);
        },
      ),
      { numRuns: 100, interruptAfterTimeLimit: 25_000 },
    );
  });
});
