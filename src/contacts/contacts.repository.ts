import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ApiError } from '../common/errors/api-error';
import { PreparedStatements } from '../common/prepared-statements';
import { LatestConsentRow } from './consent.service';
import { Contact } from './contact.entity';
import { ListContactsQuery } from './dto/list-contacts.query';

interface Cursor {
  createdAt: string;
  id: string;
}

/** What the API shows of a contact: everything but the deletion and erasure marks. */
export type ShownContact = Omit<Contact, 'deletedAt' | 'erasedAt'>;

@Injectable()
export class ContactsRepository {
  private liveWithConsentSql?: string;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly statements: PreparedStatements,
  ) {}

  /**
   * The live contact and its latest consent event per channel in one round trip: the read API's
   * hottest query, so it skips the ORM's query building (written once from the entity's metadata)
   * and is prepared once per connection.
   */
  async findLiveWithConsent(id: string): Promise<{ contact: ShownContact; consent: LatestConsentRow[] } | null> {
    this.liveWithConsentSql ??=
      `SELECT ${this.shownColumns()},
              COALESCE((SELECT json_agg(latest)
                          FROM (SELECT DISTINCT ON (e.channel) e.channel, e.status, e.source, e.consent_text, e.recorded_at
                                  FROM contact_consent_events e
                                 WHERE e.contact_id = c.id
                                 ORDER BY e.channel, e.recorded_at DESC, e.id DESC) latest), '[]') AS consent
         FROM contacts c
        WHERE c.id = $1 AND c.deleted_at IS NULL`;
    const rows = await this.statements.rows<ShownContact & { consent: LatestConsentRow[] }>(this.db.manager, this.liveWithConsentSql, [id]);
    if (rows.length === 0) return null;
    const { consent, ...contact } = rows[0];
    return { contact, consent };
  }

  /** The entity's columns under their property names, dates as YYYY-MM-DD text as TypeORM gives them. */
  private shownColumns(): string {
    return this.db
      .getMetadata(Contact)
      .columns.filter((column) => column.propertyName !== 'deletedAt' && column.propertyName !== 'erasedAt')
      .map((column) => `c.${column.databaseName}${column.type === 'date' ? '::text' : ''} AS "${column.propertyName}"`)
      .join(', ');
  }

  async list(query: ListContactsQuery): Promise<{ items: Contact[]; nextCursor: string | null }> {
    const qb = this.db.getRepository(Contact).createQueryBuilder('c').where('c.deleted_at IS NULL');
    if (query.cursor) {
      const cursor = decodeCursor(query.cursor);
      qb.andWhere('(c.created_at, c.id) > (:createdAt::timestamptz, :id::uuid)', cursor);
    }
    if (query.tag?.length) qb.andWhere('c.tags @> :tags::text[]', { tags: query.tag });
    query.attribute?.forEach((pair, i) => {
      const at = pair.indexOf(':');
      const key = pair.slice(0, at);
      const raw = pair.slice(at + 1);
      const asText = JSON.stringify({ [key]: raw });
      const typed = parseJsonScalar(raw);
      // "age:42" matches a stored number 42 and a stored string "42".
      qb.andWhere(`(c.attributes @> :a${i}::jsonb OR c.attributes @> :b${i}::jsonb)`, {
        [`a${i}`]: asText,
        [`b${i}`]: typed === undefined ? asText : JSON.stringify({ [key]: typed }),
      });
    });
    if (query.q) {
      const like = '%' + query.q.replace(/[\\%_]/g, (ch) => '\\' + ch) + '%';
      qb.andWhere(
        `(c.given_name ILIKE :like OR c.family_name ILIKE :like OR c.email ILIKE :like OR c.phone LIKE :like
          OR concat_ws(' ', c.given_name, c.family_name) ILIKE :like OR concat(c.family_name, c.given_name) ILIKE :like)`,
        { like },
      );
    }
    const rows = await qb.orderBy('c.created_at', 'ASC').addOrderBy('c.id', 'ASC').limit(query.limit + 1).getMany();
    const items = rows.slice(0, query.limit);
    const last = items[items.length - 1];
    const nextCursor = rows.length > query.limit && last ? encodeCursor({ createdAt: last.createdAt.toISOString(), id: last.id }) : null;
    return { items, nextCursor };
  }
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.id])).toString('base64url');
}

function decodeCursor(value: string): Cursor {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as [string, string];
    if (!Number.isNaN(Date.parse(createdAt)) && /^[0-9a-f-]{36}$/i.test(id)) return { createdAt, id };
  } catch {
    // fall through to the error below
  }
  throw ApiError.validation([{ field: 'cursor', problem: 'cursor is not one this API produced' }]);
}

function parseJsonScalar(raw: string): number | boolean | null | undefined {
  try {
    const value: unknown = JSON.parse(raw);
    return typeof value === 'number' || typeof value === 'boolean' || value === null ? value : undefined;
  } catch {
    return undefined;
  }
}
