import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

export interface CampaignSummary {
  id: string;
  name: string;
  kind: string;
  status: string;
  createdAt: Date;
  materialised: number;
  sent: number;
  skipped: number;
  failed: number;
  deferred: number;
}

/** How many campaigns the list shows: the dashboard is for the current ones, the API lists them all. */
export const CAMPAIGN_LIST_LIMIT = 100;

@Injectable()
export class DashboardRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * The most recent campaigns in `scope` (null: all) with their outbox counted by state, in one
   * statement: the campaigns are picked first, so only their outbox rows are read.
   */
  async campaigns(scope: readonly string[] | null): Promise<CampaignSummary[]> {
    return this.db.query(
      `WITH picked AS (
         SELECT id, name, kind, status, created_at FROM campaigns
          WHERE $1::uuid[] IS NULL OR id = ANY($1::uuid[])
          ORDER BY created_at DESC, id LIMIT ${CAMPAIGN_LIST_LIMIT})
       SELECT p.id, p.name, p.kind, p.status, p.created_at AS "createdAt",
              count(o.id)::int AS materialised,
              count(o.id) FILTER (WHERE o.state = 'sent')::int AS sent,
              count(o.id) FILTER (WHERE o.state = 'skipped')::int AS skipped,
              count(o.id) FILTER (WHERE o.state IN ('failed', 'dead'))::int AS failed,
              count(o.id) FILTER (WHERE o.state = 'pending' AND o.reason LIKE 'deferred:%')::int AS deferred
         FROM picked p LEFT JOIN outbox_messages o ON o.campaign_id = p.id
        GROUP BY p.id, p.name, p.kind, p.status, p.created_at
        ORDER BY p.created_at DESC, p.id`,
      [scope === null ? null : [...scope]],
    );
  }
}
