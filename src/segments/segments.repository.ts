import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { decodeCursor, encodeCursor } from '../memory/interactions/query-params';
import { CompiledWhere } from './rules/segment-rule.compiler';
import { PreferenceKeyInfo } from './rules/segment-rule.types';

export interface Segment {
  id: string;
  name: string;
  description: string | null;
  rule: unknown;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
  archivedAt: Date | null;
}

/** What a preview shows of each contact in the sample: enough to recognise the person. */
export interface SampleContact {
  id: string;
  externalId: string | null;
  givenName: string | null;
  familyName: string | null;
  email: string | null;
  phone: string | null;
  locale: string | null;
  timeZone: string | null;
  tags: string[];
}

const COLUMNS = `id, name, description, rule, created_by AS "createdBy", created_at AS "createdAt", updated_at AS "updatedAt", archived_at AS "archivedAt"`;

@Injectable()
export class SegmentsRepository {
  async preferenceKeys(db: EntityManager): Promise<Map<string, PreferenceKeyInfo>> {
    const rows: Array<{ key: string; value_type: PreferenceKeyInfo['valueType']; allowed_values: string[] | null }> = await db.query(
      `SELECT key, value_type, allowed_values FROM preference_keys`,
    );
    return new Map(rows.map((r) => [r.key, { valueType: r.value_type, allowedValues: r.allowed_values }]));
  }

  async insert(tx: EntityManager, segment: Pick<Segment, 'name' | 'description' | 'rule' | 'createdBy'>): Promise<string> {
    const [row]: Array<{ id: string }> = await tx.query(
      `INSERT INTO segments (name, description, rule, created_by) VALUES ($1, $2, $3::jsonb, $4) RETURNING id`,
      [segment.name, segment.description, JSON.stringify(segment.rule), segment.createdBy],
    );
    return row.id;
  }

  async find(db: EntityManager, id: string, forUpdate = false): Promise<Segment | null> {
    const rows: Segment[] = await db.query(`SELECT ${COLUMNS} FROM segments WHERE id = $1 ${forUpdate ? 'FOR UPDATE' : ''}`, [id]);
    return rows[0] ?? null;
  }

  async list(db: EntityManager, query: { limit: number; cursor?: string; includeArchived: boolean }): Promise<{ items: Segment[]; nextCursor: string | null }> {
    const params: unknown[] = [query.limit + 1];
    let where = query.includeArchived ? 'TRUE' : 'archived_at IS NULL';
    if (query.cursor) {
      const [createdAt, id] = decodeCursor(query.cursor, 2);
      params.push(createdAt, id);
      where += ` AND (created_at, id) > ($2::timestamptz, $3::uuid)`;
    }
    const rows: Segment[] = await db.query(`SELECT ${COLUMNS} FROM segments WHERE ${where} ORDER BY created_at, id LIMIT $1`, params);
    const items = rows.slice(0, query.limit);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > query.limit && last ? encodeCursor([last.createdAt.toISOString(), last.id]) : null };
  }

  async update(tx: EntityManager, id: string, changes: Partial<Pick<Segment, 'name' | 'description' | 'rule'>>): Promise<void> {
    const params: unknown[] = [id];
    const sets = ['updated_at = now()'];
    const set = (column: string, value: unknown, cast = '') => {
      params.push(value);
      sets.push(`${column} = $${params.length}${cast}`);
    };
    if (changes.name !== undefined) set('name', changes.name);
    if (changes.description !== undefined) set('description', changes.description);
    if (changes.rule !== undefined) set('rule', JSON.stringify(changes.rule), '::jsonb');
    await tx.query(`UPDATE segments SET ${sets.join(', ')} WHERE id = $1`, params);
  }

  async archive(tx: EntityManager, id: string): Promise<void> {
    await tx.query(`UPDATE segments SET archived_at = now(), updated_at = now() WHERE id = $1`, [id]);
  }

  async count(db: EntityManager, audience: CompiledWhere): Promise<number> {
    const [row]: Array<{ n: number }> = await db.query(`SELECT count(*)::int AS n FROM contacts c WHERE ${audience.where}`, audience.params);
    return row.n;
  }

  /**
   * Up to `n` matching contacts in a stable pseudo-random order (by a hash of the id): spread over
   * the whole base rather than the oldest records, and the same people on every refresh.
   */
  async sample(db: EntityManager, audience: CompiledWhere, n: number): Promise<SampleContact[]> {
    if (n === 0) return [];
    return db.query(
      `SELECT c.id, c.external_id AS "externalId", c.given_name AS "givenName", c.family_name AS "familyName", c.email, c.phone,
              c.locale, c.time_zone AS "timeZone", c.tags
         FROM contacts c
        WHERE ${audience.where}
        ORDER BY md5(c.id::text)
        LIMIT $${audience.params.length + 1}`,
      [...audience.params, n],
    );
  }
}
