import type { ChannelKind } from '../channels/channel.types';
import type { GuardPolicy } from '../memory/guard/guard.types';

export const CAMPAIGN_STATUSES = ['draft', 'scheduled', 'running', 'paused', 'completed', 'cancelled'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

/**
 * When a broadcast goes: at one instant for everyone, or at a wall-clock time on a date in each
 * recipient's own time zone (contacts without one use `fallbackTimeZone`).
 */
export type BroadcastSchedule =
  | { type: 'now' }
  | { type: 'at'; at: string }
  | { type: 'local'; date: string; time: string; fallbackTimeZone: string };

export interface PrintOptions {
  format?: 'a4' | 'letter' | 'a6';
  kind?: 'letter' | 'birthday-card';
}

export interface CampaignDefinition {
  id: string;
  name: string;
  kind: 'broadcast' | 'trigger';
  status: CampaignStatus;
  segmentId: string | null;
  audienceRule: unknown | null;
  templateKey: string;
  /** Fallback order; the contact's preferred channel goes first when it is one of these and reachable. */
  channels: ChannelKind[];
  preferContactChannel: boolean;
  schedule: BroadcastSchedule | Record<string, never>;
  trigger: Record<string, unknown> | null;
  guardPolicy: Partial<GuardPolicy>;
  careExempt: boolean;
  maxAttempts: number;
  /** Printed mail: paper format and piece (a birthday card draws its candles). */
  printOptions: PrintOptions;
  createdAt: Date;
  startedAt: Date | null;
  pausedAt: Date | null;
  finishedAt: Date | null;
  materializedAt: Date | null;
  evaluatedUntil: Date | null;
}
