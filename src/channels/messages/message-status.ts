/**
 * Delivery states and their order. A state only moves to a higher rank: providers repeat
 * callbacks and deliver them out of order, and "delivered" must never turn back into "sent".
 * Terminal outcomes share one rank, so the first one reported stands.
 */
export const MESSAGE_STATUS_RANK = {
  sending: 0,
  queued: 1,
  sent: 2,
  delivered: 3,
  undelivered: 3,
  failed: 3,
  bounced: 3,
  read: 4,
} as const;

export type MessageStatus = keyof typeof MESSAGE_STATUS_RANK;

export function isMessageStatus(value: string): value is MessageStatus {
  return Object.prototype.hasOwnProperty.call(MESSAGE_STATUS_RANK, value);
}

/** Whether a report of `next` may replace `current`. */
export function movesForward(current: MessageStatus, next: MessageStatus): boolean {
  return MESSAGE_STATUS_RANK[next] > MESSAGE_STATUS_RANK[current];
}
