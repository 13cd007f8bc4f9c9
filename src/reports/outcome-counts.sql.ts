/**
 * What each outcome is, in one place for every report that counts outcomes (a campaign's funnel,
 * segment performance), so "delivered" or "opened" means the same in each of them. Each predicate
 * names its table by the alias given in its comment.
 */
/** A message's status (`m.status`, or `message_status` below) that counts as delivered. */
export const DELIVERED_STATUSES = `('delivered', 'read')`;
/** A tracking event (`e`) a person caused: an open or a click, bots excluded. */
export const ENGAGEMENT_EVENT = `e.status IN ('opened', 'clicked') AND NOT coalesce((e.payload->>'bot')::boolean, false)`;
/** The interaction kind (`i.kind`) that records a reply to a message. */
export const REPLY_KIND = `'message_replied'`;
/** A consent event (`ce`) that revoked a channel through an unsubscribe link. */
export const UNSUBSCRIBE_CONSENT = `ce.status = 'revoked' AND ce.source = 'unsubscribe'`;

/**
 * The funnel's counts, grouped as the caller asks.
 *
 * `outboxRows` selects the outbox rows in question with at least `id, state, reason, message_id,
 * contact_id, sent_on` (the channel a message went out on), the status and sent_at of the row's
 * message (`message_status`, `message_sent_at`: the caller joins `messages`, so it can narrow that
 * join to the campaigns in question and read ~20,000 messages instead of every one) and whatever
 * `keys` group by. Opens and clicks are per message, bots excluded; an unsubscribe counts against a
 * message when the contact revoked that channel through an unsubscribe link after it was sent.
 */
export function outcomeCountsSql(parts: { outboxRows: string; keys: string; groupBy: string }): string {
  return `WITH o AS (${parts.outboxRows}),
       events AS (
         SELECT e.message_id,
                count(*) FILTER (WHERE e.status = 'opened') AS opens,
                count(*) FILTER (WHERE e.status = 'clicked') AS clicks
           FROM message_events e JOIN o ON o.message_id = e.message_id
          WHERE ${ENGAGEMENT_EVENT}
          GROUP BY e.message_id),
       replies AS (
         SELECT DISTINCT i.message_id FROM interactions i JOIN o ON o.message_id = i.message_id WHERE i.kind = ${REPLY_KIND}),
       bounces AS (
         SELECT DISTINCT i.message_id FROM interactions i JOIN o ON o.message_id = i.message_id WHERE i.kind = 'message_bounced'),
       unsubscribes AS (
         SELECT DISTINCT o.message_id FROM o
           JOIN contact_consent_events ce ON ce.contact_id = o.contact_id AND ce.channel = o.sent_on
          WHERE ${UNSUBSCRIBE_CONSENT} AND ce.recorded_at >= o.message_sent_at)
       SELECT ${parts.keys},
              count(DISTINCT o.contact_id)::int AS audience,
              count(*)::int AS materialised,
              count(*) FILTER (WHERE o.state = 'sent')::int AS sent,
              count(*) FILTER (WHERE o.state = 'sent' AND o.message_status IN ${DELIVERED_STATUSES})::int AS delivered,
              count(*) FILTER (WHERE o.message_status = 'bounced' OR b.message_id IS NOT NULL)::int AS bounced,
              count(*) FILTER (WHERE o.state = 'failed')::int AS failed,
              count(*) FILTER (WHERE o.state = 'dead')::int AS "deadLettered",
              count(*) FILTER (WHERE o.state = 'skipped')::int AS skipped,
              count(*) FILTER (WHERE o.state = 'pending' AND o.reason LIKE 'deferred:%')::int AS deferred,
              count(*) FILTER (WHERE o.state IN ('pending', 'processing', 'sending') AND coalesce(o.reason, '') NOT LIKE 'deferred:%')::int AS waiting,
              count(ev.message_id) FILTER (WHERE ev.opens > 0)::int AS "openedUnique",
              coalesce(sum(ev.opens), 0)::int AS "openedTotal",
              count(ev.message_id) FILTER (WHERE ev.clicks > 0)::int AS "clickedUnique",
              coalesce(sum(ev.clicks), 0)::int AS "clickedTotal",
              count(r.message_id)::int AS replied,
              count(u.message_id)::int AS unsubscribed
         FROM o
         LEFT JOIN events ev ON ev.message_id = o.message_id
         LEFT JOIN replies r ON r.message_id = o.message_id
         LEFT JOIN bounces b ON b.message_id = o.message_id
         LEFT JOIN unsubscribes u ON u.message_id = o.message_id
        GROUP BY ${parts.groupBy}`;
}
