import { randomUUID } from 'node:crypto';
import { TestApp } from '../support/test-app';

/**
 * The records delivery and tracking write (outbox rows, messages, their events, replies and
 * unsubscribes), written directly so a report test knows every number it should show. Campaigns,
 * segments and contacts go through the API as a user would create them.
 */
export function reportRecords(t: TestApp) {
  const STATUS_RANK: Record<string, number> = { sending: 0, sent: 2, delivered: 3, failed: 3, bounced: 3, read: 4 };
  return {
    async campaign(name: string, audience: { segmentId: string } | { audience: unknown } = { audience: { field: 'tags', op: 'has', value: 'nobody' } }): Promise<string> {
      const { body } = await t.http
        .post('/campaigns')
        .set(t.auth('marketer'))
        .send({ name, kind: 'broadcast', templateKey: 'birthday', channels: ['email', 'sms'], ...audience })
        .expect(201);
      return body.id as string;
    },

    async segment(name: string, tag: string): Promise<string> {
      const { body } = await t.http.post('/segments').set(t.auth('marketer')).send({ name, rule: { field: 'tags', op: 'has', value: tag } }).expect(201);
      return body.id as string;
    },

    async outbox(campaignId: string, contactId: string, row: { state: string; channel?: string; variant?: string; reason?: string; messageId?: string; dueAt?: Date }) {
      await t.db.query(
        `INSERT INTO outbox_messages (campaign_id, contact_id, occasion_key, due_at, state, channel, variant, reason, message_id, attempts)
         VALUES ($1, $2, 'broadcast', $3, $4, $5, $6, $7, $8, 1)`,
        [campaignId, contactId, row.dueAt ?? new Date('2027-03-01T00:00:00Z'), row.state, row.channel ?? null, row.variant ?? null, row.reason ?? null, row.messageId ?? null],
      );
    },

    /** A message handed to the provider (or refused), and its outbox row in the matching state. */
    async sent(campaignId: string, contactId: string, channel: string, status: string, sentAt: Date, dueAt?: Date): Promise<string> {
      const id = randomUUID();
      await t.db.query(
        `INSERT INTO messages (id, channel, provider, contact_id, campaign_id, occasion_key, recipient, variant, status, status_rank, sent_at)
         VALUES ($1, $2, 'test', $3, $4, 'broadcast', 'someone', 'default', $5, $6, $7)`,
        [id, channel, contactId, campaignId, status, STATUS_RANK[status], status === 'failed' ? null : sentAt],
      );
      const state = status === 'failed' ? 'failed' : 'sent';
      await this.outbox(campaignId, contactId, { state, channel, variant: 'default', reason: state === 'sent' ? 'delivered_to_provider' : 'provider_permanent', messageId: id, dueAt });
      return id;
    },

    async event(messageId: string, status: 'opened' | 'clicked', at: Date, bot = false) {
      await t.db.query(
        `INSERT INTO message_events (message_id, status, provider_status, applied, occurred_at, payload) VALUES ($1, $2, 'tracking', false, $3, $4)`,
        [messageId, status, at, JSON.stringify({ bot })],
      );
    },

    async unsubscribe(contactId: string, channel: string, at: Date) {
      await t.db.query(
        `INSERT INTO contact_consent_events (contact_id, channel, status, source, recorded_by, recorded_at) VALUES ($1, $2, 'revoked', 'unsubscribe', 'test', $3)`,
        [contactId, channel, at],
      );
    },

    async reply(contactId: string, messageId: string, channel: string, at: Date) {
      await t.db.query(
        `INSERT INTO interactions (contact_id, event_id, kind, occurred_at, recorded_by, channel, message_id) VALUES ($1, $2, 'message_replied', $3, 'test', $4, $5)`,
        [contactId, `reply-${messageId}`, at, channel, messageId],
      );
    },
  };
}
